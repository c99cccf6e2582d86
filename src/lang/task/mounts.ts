/**
 * The mount points a task file may name instead of a root-relative path (docs/task-spec.md,
 * "Paths"): the seed's own example task reads `/mounts/specifications/…` and writes
 * `/mounts/repo/…`, the container convention is `/workspace/context` and `/workspace/repo`. Each
 * prefix stands for its root, whatever `REPO_ROOT` and `CONTEXT_ROOT` are when the task runs.
 */

/** Absolute prefixes that stand for the repository root. */
export const REPO_MOUNTS: readonly string[] = ["/workspace/repo", "/mounts/repo"];

/** Absolute prefixes that stand for the context root. */
export const CONTEXT_MOUNTS: readonly string[] = ["/workspace/context", "/mounts/specifications"];

/** The part of `path` after one of `prefixes` (`""` for the prefix itself), or undefined. */
export function underMount(path: string, prefixes: readonly string[]): string | undefined {
  for (const prefix of prefixes) {
    if (path === prefix || path === `${prefix}/`) return "";
    if (path.startsWith(`${prefix}/`)) return path.slice(prefix.length + 1);
  }
  return undefined;
}
