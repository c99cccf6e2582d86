/**
 * Turns the paths given on the command line into source files: a file as it is, a directory
 * searched recursively for `.rllm` and Markdown files (skipping dot-folders and node_modules
 * inside it), a glob expanded with tinyglobby as written (a dot-folder the pattern names is searched;
 * with `yaml`, `check`'s, it also keeps runbook and scenario `.yaml` files). Results are sorted so
 * output order is stable.
 */
import { statSync } from "node:fs";
import { glob } from "tinyglobby";
import { isSourcePath, isYamlPath } from "../frontend/detect-kind.js";

export interface Expansion {
  readonly files: readonly string[];
  /** Arguments that matched nothing (globs and directories with no source file). */
  readonly unmatched: readonly string[];
}

const GLOB_CHARS = /[*?[\]{}]/;
const IGNORE = ["**/node_modules/**", "**/.*/**"];

export async function expandPaths(
  args: readonly string[],
  options: { readonly yaml?: boolean } = {},
): Promise<Expansion> {
  const wanted = (path: string) => isSourcePath(path) || (options.yaml === true && isYamlPath(path));
  const files: string[] = [];
  const unmatched: string[] = [];
  for (const arg of args) {
    let found: string[];
    if (isDirectory(arg)) {
      const base = arg.replace(/\/+$/, "") || "/";
      found = (await glob(["**/*.rllm", "**/*.md", "**/*.markdown"], { cwd: base, ignore: IGNORE })).map(
        (f) => (base === "." ? f : `${base}/${f}`),
      );
    } else if (GLOB_CHARS.test(arg) && !exists(arg)) {
      // As written: a dot-folder named in the pattern is searched; `*` does not enter dot-folders;
      // node_modules only when the pattern names it.
      const ignore = arg.includes("node_modules") ? [] : ["**/node_modules/**"];
      found = (await glob(arg, { ignore })).filter(wanted);
    } else {
      // A plain file: kept even if missing, so that reading it reports RLC0001.
      found = [arg];
    }
    if (found.length === 0) unmatched.push(arg);
    files.push(...found.sort());
  }
  return { files: [...new Set(files)], unmatched };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
