/**
 * A vitest globalSetup that fails the test run when the tests left a file in the checkout: tests
 * write only to temporary folders. It asks git which files and folders are untracked or ignored
 * before the run and after it (a new folder is one entry); a new one fails the run from the
 * teardown. (Changes to tracked files are not
 * looked at: a developer may be editing while the tests run.)
 * What the build and the runner themselves write is allowed: `dist/`, `node_modules/`, CI's
 * report, and the golden harness's `*.actual` files (written beside a golden that differs).
 * git does not list an empty folder, so the folders of the checkout are compared too (a tool's
 * state folder made beside a checked-in file, left empty, showed up no other way).
 * Without git (a source tarball), there is nothing to ask and no guard.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const ALLOWED = [/^dist\//, /^node_modules\//, /^\.ci\/test-results\.json$/, /^goldens\/.*\.actual$/];

/** The untracked and ignored entries of `git status` (`?? path`, `!! path`), or undefined without git. */
export function checkoutEntries(root: string): Set<string> | undefined {
  const result = spawnSync("git", ["status", "--porcelain", "--ignored", "--untracked-files=normal"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) return undefined;
  return new Set(
    result.stdout
      .split("\n")
      .filter((line) => line.startsWith("?? ") || line.startsWith("!! "))
      .filter((line) => !ALLOWED.some((pattern) => pattern.test(line.slice(3)))),
  );
}

/** Every folder of the checkout but `.git/`, `node_modules/` and `dist/`, as `dir/` entries. */
export function checkoutFolders(root: string): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      const rel = `${relative(root, path)}/`;
      if (rel === ".git/" || ALLOWED.some((pattern) => pattern.test(rel))) continue;
      found.add(`folder ${rel}`);
      walk(path);
    }
  };
  walk(root);
  return found;
}

function entries(root: string): Set<string> | undefined {
  const files = checkoutEntries(root);
  return files === undefined ? undefined : new Set([...files, ...checkoutFolders(root)]);
}

export default function setup(): () => void {
  const before = entries(ROOT);
  return () => {
    if (before === undefined) return;
    const after = entries(ROOT) ?? new Set<string>();
    const added = [...after].filter((entry) => !before.has(entry)).sort();
    if (added.length === 0) return;
    const shown = added.slice(0, 20);
    if (added.length > shown.length) shown.push(`… and ${added.length - shown.length} more`);
    throw new Error(
      `the tests left files in the checkout (${ROOT}):\n  ${shown.join("\n  ")}\n` +
        "Tests write only to temporary folders: give the command a temporary working folder, " +
        "--out/--out-dir/--run-dir/--cache-dir there, or see test/setup/isolate-home.ts.",
    );
  };
}
