/**
 * Where the stats database lives, and whether recording is on. `RLLMC_HOME` overrides
 * everything (tests and CI point it at a temp folder); otherwise the user data directory of the
 * platform: `%LOCALAPPDATA%\rllmc` on Windows, `$XDG_DATA_HOME/rllmc` when set, else
 * `~/Library/Application Support/rllmc` on macOS and `~/.local/share/rllmc` elsewhere.
 */
import { homedir } from "node:os";
import { join, win32 } from "node:path";

export const STATS_FILE_NAME = "stats.sqlite";

export type Env = Readonly<Record<string, string | undefined>>;

/** The folder of rllmc's user data. */
export function dataDir(env: Env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.RLLMC_HOME) return env.RLLMC_HOME;
  if (platform === "win32")
    return win32.join(env.LOCALAPPDATA || win32.join(home, "AppData", "Local"), "rllmc");
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, "rllmc");
  if (platform === "darwin") return join(home, "Library", "Application Support", "rllmc");
  return join(home, ".local", "share", "rllmc");
}

/** The stats database: `<data dir>/stats.sqlite`. */
export function statsFile(env: Env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  const dir = dataDir(env, platform, home);
  return platform === "win32" ? win32.join(dir, STATS_FILE_NAME) : join(dir, STATS_FILE_NAME);
}

/** `RLLMC_STATS=off` (also `0`, `false`, `no`) turns recording off; reading history still works. */
export function statsDisabled(env: Env): boolean {
  const value = env.RLLMC_STATS?.trim().toLowerCase();
  return value === "off" || value === "0" || value === "false" || value === "no";
}
