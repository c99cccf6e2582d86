/** Temp repositories and the built CLI for the review tests. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
export const EXAMPLES = join(ROOT, "examples");

export function tempRepo(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), `rllmc-review-${prefix}-`)));
}

/** Runs the built `rllmc` in `cwd`; throws on a non-zero exit. */
export function rllmc(cwd: string, args: readonly string[]): string {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`rllmc ${args.join(" ")}: exit ${result.status}\n${result.stderr}`);
  return result.stdout;
}

export function git(cwd: string, args: readonly string[]): string {
  const result = spawnSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
      GIT_CONFIG_NOSYSTEM: "1",
    },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}
