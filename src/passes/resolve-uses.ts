/**
 * Resolves `uses`: every child file exists and parses without errors, and no app reaches
 * itself through its children — a cycle is reported with its whole path
 * (`a.rllm → b.rllm → a.rllm`). Executing children comes with composition; this pass only
 * resolves and checks.
 */
import { dirname, join, relative } from "node:path";
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import type { RllmModule, UseDeclaration } from "../ir/nodes.js";
import type { Pass, PassContext } from "./pass.js";

export const resolveUses: Pass<RllmModule> = {
  name: "resolve-uses",
  run(module, context) {
    const root = module.span.file;
    for (const use of module.header.uses) {
      const path = childPath(module, use);
      const loaded = context.loadRllm(path);
      if (loaded.module === undefined) {
        const reason = loaded.failure ?? "it could not be read";
        context.report(makeDiagnostic(Diagnostics.UsesNotFound, use.pathSpan, { path: use.path, reason }));
        continue;
      }
      const errors = loaded.diagnostics.filter((d) => d.severity === "error").length;
      if (errors > 0) {
        context.report(
          makeDiagnostic(Diagnostics.UsesChildInvalid, use.pathSpan, {
            path: use.path,
            checkPath: path,
            errors,
          }),
        );
      }
      const cycle = findCycle(path, [root], context);
      if (cycle !== undefined) {
        const shown = [...cycle].map((p) => relative(dirname(root), p) || p).join(" → ");
        context.report(makeDiagnostic(Diagnostics.UsesCycle, use.pathSpan, { cycle: shown }));
      }
    }
    return module;
  },
};

/** Where a child's file is: its `path` is relative to the parent's file. */
export function childPath(parent: RllmModule, use: UseDeclaration): string {
  return join(dirname(parent.span.file), use.path);
}

/** Depth-first from `path`; returns the path of files that leads back into `stack`, if any. */
function findCycle(
  path: string,
  stack: readonly string[],
  context: PassContext,
  seen = new Set<string>(),
): string[] | undefined {
  const at = stack.indexOf(path);
  if (at >= 0) return [...stack.slice(at), path];
  if (seen.has(path)) return undefined;
  seen.add(path);
  const child = context.loadRllm(path).module;
  if (child === undefined) return undefined;
  for (const use of child.header.uses) {
    const cycle = findCycle(join(dirname(path), use.path), [...stack, path], context, seen);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}
