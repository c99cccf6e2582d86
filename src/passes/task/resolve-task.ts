/**
 * The first pass of `rllmc task run`: the task's placeholders filled in. Every placeholder of
 * the prompt, `context` and `outputs` needs a value (`--var NAME=VALUE` or `TASK_VAR_NAME`); one
 * without, or with a blank value in a path, is TSK4200 at each place it is used, before anything
 * is read or any model is called.
 * Paths are left as the task wrote them (after filling); the driver maps them onto the roots.
 */
import { type Diagnostic, makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { PathReference, TaskModule } from "../../ir/nodes.js";
import type { Span } from "../../ir/span.js";
import { fillPlaceholders } from "../../lang/task/placeholders.js";

/** An entry of `context` or `outputs` after filling: the path, what it is for, and where it was written. */
export interface TaskEntry {
  readonly path: string;
  readonly description: string | undefined;
  /** The path in the task file. */
  readonly span: Span;
}

export interface ResolvedTask {
  readonly name: string;
  readonly prompt: string;
  readonly context: readonly TaskEntry[];
  readonly outputs: readonly TaskEntry[];
  readonly guarantees: readonly string[];
}

/** Every placeholder name the task uses, sorted. */
export function placeholderNames(module: TaskModule): string[] {
  const names = new Set<string>();
  for (const p of module.prompt?.placeholders ?? []) names.add(p.name);
  for (const ref of [...module.context, ...module.outputs])
    for (const p of ref.placeholders) names.add(p.name);
  return [...names].sort();
}

/**
 * The task with its placeholders filled from `values`. `name` is the task's `name`, else
 * `fallbackName` (the file's name without `.md`).
 */
export function resolveTask(
  module: TaskModule,
  values: ReadonlyMap<string, string>,
  fallbackName: string,
): { readonly task: ResolvedTask | undefined; readonly diagnostics: readonly Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const inPaths = [...module.context, ...module.outputs].flatMap((ref) => ref.placeholders);
  const uses = [...(module.prompt?.placeholders ?? []), ...inPaths];
  // In a path, a blank value is no value: `docs/{FILE}` with FILE='' would be the folder `docs/`,
  // every file under it an output.
  const blank = new Set(inPaths.filter((p) => values.get(p.name)?.trim() === ""));
  for (const placeholder of uses)
    if (!values.has(placeholder.name) || blank.has(placeholder))
      diagnostics.push(
        makeDiagnostic(Diagnostics.TaskPlaceholderUnset, placeholder.span, { name: placeholder.name }),
      );
  // A value ending in '/' would turn a file output into a folder output, every file under it.
  for (const ref of module.outputs) {
    const filled = fillPlaceholders(ref.path, values);
    if (!ref.path.endsWith("/") && filled.endsWith("/"))
      diagnostics.push(
        makeDiagnostic(Diagnostics.TaskOutputNotFile, ref.pathSpan, {
          path: filled,
          reason:
            "ends in '/' only through a placeholder's value; a value cannot make a file output a folder",
        }),
      );
  }
  if (diagnostics.length > 0 || module.prompt === undefined) return { task: undefined, diagnostics };
  const entry = (ref: PathReference): TaskEntry => ({
    path: fillPlaceholders(ref.path, values),
    description: ref.description === undefined ? undefined : fillPlaceholders(ref.description, values),
    span: ref.pathSpan,
  });
  const declared = module.block.value;
  const field =
    declared !== null && typeof declared === "object" && !Array.isArray(declared)
      ? (declared as Readonly<Record<string, unknown>>).name
      : undefined;
  const name = typeof field === "string" && field.trim() !== "" ? field : fallbackName;
  return {
    task: {
      name,
      prompt: fillPlaceholders(module.prompt.text, values),
      context: module.context.map(entry),
      outputs: module.outputs.map(entry),
      guarantees: module.guarantees.map((g) => g.text),
    },
    diagnostics,
  };
}
