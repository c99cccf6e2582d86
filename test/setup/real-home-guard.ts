/**
 * A vitest globalSetup that fails the test run when anything changed where rllmc (or a dependency
 * our tests drive) keeps files under the real home: the stats database, the run cache, config,
 * state, node-llama-cpp's folder — and the folders RLLMC_HOME, RLLMC_CACHE_DIR and the XDG
 * variables of the real environment name. It lists them before the run (in the main process,
 * before `isolate-home.ts` points the workers at temporary folders) and again after; a
 * difference fails the run from the teardown, with the paths that changed.
 */
import { lstatSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

/** Path → what it was (`dir`, `link`, or a file's size and modification time). */
export type HomeSnapshot = ReadonlyMap<string, string>;

/** Every folder rllmc and the dependencies our tests drive write to under `home` and `env`. */
export function guardedLocations(env: Env, home: string): string[] {
  const locations = [
    join(home, ".local", "share", "rllmc"),
    join(home, ".cache", "rllmc"),
    join(home, ".config", "rllmc"),
    join(home, ".local", "state", "rllmc"),
    join(home, "Library", "Application Support", "rllmc"),
    join(home, "Library", "Caches", "rllmc"),
    join(home, "AppData", "Local", "rllmc"),
    join(home, ".rllmc"),
    join(home, ".runbook"),
    join(home, ".node-llama-cpp"),
  ];
  for (const name of [
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "LOCALAPPDATA",
  ]) {
    const value = env[name];
    if (value) locations.push(join(value, "rllmc"));
  }
  for (const name of ["RLLMC_HOME", "RLLMC_CACHE_DIR", "RLLMC_RUNBOOK_CACHE"]) {
    const value = env[name];
    if (value) locations.push(value);
  }
  return [...new Set(locations.map((l) => resolve(l)))].sort();
}

/** Most entries listed per location: a snapshot stays quick whatever is there. */
const MAX_ENTRIES = 50_000;

export function snapshotHome(locations: readonly string[]): HomeSnapshot {
  const entries = new Map<string, string>();
  for (const location of locations) {
    const stack = [location];
    let listed = 0;
    while (stack.length > 0 && listed < MAX_ENTRIES) {
      const path = stack.pop()!;
      let stat: ReturnType<typeof lstatSync>;
      try {
        stat = lstatSync(path);
      } catch {
        continue;
      }
      listed++;
      if (stat.isDirectory()) {
        entries.set(path, "dir");
        try {
          for (const name of readdirSync(path)) stack.push(join(path, name));
        } catch {
          // An unreadable folder is compared by its own entry only.
        }
      } else entries.set(path, stat.isSymbolicLink() ? "link" : `${stat.size} bytes, mtime ${stat.mtimeMs}`);
    }
  }
  return entries;
}

/** What differs between two snapshots, one line per path, sorted. */
export function compareSnapshots(before: HomeSnapshot, after: HomeSnapshot): string[] {
  const changes: string[] = [];
  for (const [path, was] of before) {
    const now = after.get(path);
    if (now === undefined) changes.push(`removed  ${path}`);
    else if (now !== was) changes.push(`changed  ${path} (${was} → ${now})`);
  }
  for (const path of after.keys()) if (!before.has(path)) changes.push(`created  ${path}`);
  return changes.sort((a, b) => (a.slice(9) < b.slice(9) ? -1 : a.slice(9) > b.slice(9) ? 1 : 0));
}

export default function setup(): () => void {
  const locations = guardedLocations(process.env, process.env.HOME || homedir());
  const before = snapshotHome(locations);
  return () => {
    const changes = compareSnapshots(before, snapshotHome(locations));
    if (changes.length === 0) return;
    const shown = changes.slice(0, 20);
    if (changes.length > shown.length) shown.push(`… and ${changes.length - shown.length} more`);
    throw new Error(
      `the tests changed files under the real home folder:\n  ${shown.join("\n  ")}\n` +
        "A test (or a bin it ran) wrote outside its temporary HOME: keep HOME, XDG_* and RLLMC_HOME " +
        "in the environment it gives a child process (test/setup/isolate-home.ts), or another program " +
        "wrote there while the tests ran.",
    );
  };
}
