/**
 * Installs the fake `cli-replay` (fake-cli-replay.mjs) in a folder, for tests to put on PATH: a
 * small shell wrapper named `cli-replay` that runs the script with this test's Node (not whatever
 * `node` PATH finds) and passes the name it was invoked by, so that the intercept symlinks
 * `cli-replay run` makes to it (`kubectl` → `cli-replay`) are told apart.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./fake-cli-replay.mjs", import.meta.url));

/** Writes `dir/cli-replay` and returns `dir`. */
export function installFakeCliReplay(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  const wrapper = [
    "#!/bin/sh",
    `FAKE_CLI_REPLAY_ARGV0="$0" exec ${quote(process.execPath)} ${quote(SCRIPT)} "$@"`,
    "",
  ].join("\n");
  const path = join(dir, "cli-replay");
  writeFileSync(path, wrapper);
  chmodSync(path, 0o755);
  return dir;
}
