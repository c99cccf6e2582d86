/**
 * Where a task's paths point (docs/task-spec.md, "Paths"). A context path is relative to the
 * repository root, or absolute under the context root, the repository root or one of their
 * mounts; an output is relative to the repository root or absolute under it or a repository
 * mount. Whatever the spelling, the path that is read must stay inside its root after every
 * symlink is followed: a path that leaves it — directly, by `..` (after placeholders are
 * filled), or through a symlink — or that has a control character is refused (TSK4201) before
 * anything is read.
 */
import { existsSync, lstatSync, realpathSync } from "node:fs";
import { isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import { CONTEXT_MOUNTS, REPO_MOUNTS, underMount } from "../../lang/task/mounts.js";

export interface TaskRoots {
  /** The repository (REPO_ROOT), absolute. */
  readonly repo: string;
  /** The context folder (CONTEXT_ROOT), absolute. */
  readonly context: string;
}

/** A task path mapped onto a root: the root it is in and the path relative to it (`/` separators, `""` for the root). */
export interface Located {
  readonly root: "repo" | "context";
  readonly relative: string;
  /** The absolute path on this machine. */
  readonly absolute: string;
}

export type Locate =
  | { readonly ok: true; readonly located: Located }
  | { readonly ok: false; readonly reason: string };

/** Where a `context` entry's path points. */
export function locateContext(path: string, roots: TaskRoots): Locate {
  if (!isAbsolute(path)) return inside("repo", path, roots);
  const mounted = underMount(path, CONTEXT_MOUNTS);
  if (mounted !== undefined) return inside("context", mounted, roots);
  const repoMounted = underMount(path, REPO_MOUNTS);
  if (repoMounted !== undefined) return inside("repo", repoMounted, roots);
  const inContext = below(roots.context, path);
  if (inContext !== undefined) return inside("context", inContext, roots);
  const inRepo = below(roots.repo, path);
  if (inRepo !== undefined) return inside("repo", inRepo, roots);
  return { ok: false, reason: "is outside the context and repository roots" };
}

/** Where an `outputs` entry's path points. */
export function locateOutput(path: string, roots: TaskRoots): Locate {
  if (!isAbsolute(path)) return inside("repo", path, roots);
  const mounted = underMount(path, REPO_MOUNTS);
  if (mounted !== undefined) return inside("repo", mounted, roots);
  const inRepo = below(roots.repo, path);
  if (inRepo !== undefined) return inside("repo", inRepo, roots);
  return { ok: false, reason: "is outside the repository root" };
}

/** The path of `path` below `root` (`""` for the root itself), or undefined when it is not below it. */
function below(root: string, path: string): string | undefined {
  const rel = relative(root, normalize(path));
  if (rel === "") return "";
  return rel.startsWith("..") || isAbsolute(rel) ? undefined : rel;
}

function inside(root: "repo" | "context", path: string, roots: TaskRoots): Locate {
  // An answer can never name such a path (check-answer refuses it), and a filled placeholder
  // is where one comes from: refuse it before anything is read.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path))
    return { ok: false, reason: "has a control character (a placeholder's value?)" };
  const base = root === "repo" ? roots.repo : roots.context;
  const cleaned = normalize(path === "" ? "." : path);
  if (cleaned === ".." || cleaned.startsWith(`..${sep}`) || isAbsolute(cleaned))
    return {
      ok: false,
      reason: `leaves the ${root === "repo" ? "repository" : "context"} root through '..'`,
    };
  const absolute = resolve(base, cleaned);
  const outside = symlinkEscape(base, absolute);
  if (outside !== undefined) return { ok: false, reason: outside };
  const rel = relative(base, absolute).split(sep).join("/");
  return { ok: true, located: { root, relative: rel, absolute } };
}

/**
 * Why `absolute` (below `base`) is really somewhere else: the real path of its nearest existing
 * ancestor (itself, when it exists) must be below the real path of `base`.
 */
export function symlinkEscape(base: string, absolute: string): string | undefined {
  let realBase: string;
  try {
    realBase = realpathSync(base);
  } catch {
    return undefined; // A missing root is reported by whoever reads from it.
  }
  if (!existsSync(absolute) && isSymlink(absolute))
    return "is a symlink whose target does not exist (it could point anywhere once created)";
  let existing = absolute;
  while (!existsSync(existing)) {
    const parent = join(existing, "..");
    if (parent === existing) return undefined;
    existing = parent;
  }
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    return undefined;
  }
  const rel = relative(realBase, real);
  if (rel === "" || !(rel.startsWith("..") || isAbsolute(rel))) return undefined;
  return `resolves through a symlink to '${real}', outside its root '${realBase}'`;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
