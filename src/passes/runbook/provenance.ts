/**
 * Where a step came from, in the form the runbook and `mapping.md` print it: 1-based inclusive
 * lines of a span, and the `source` field. The plan holds spans (each step's note); the lines
 * are computed here when the runbook is printed (`runbookWithSources`: for `runbook.yaml`, the
 * Stage B request, and whatever else shows the document) and when `mapping.md` is.
 */

import type { RunbookPlan, StepNote } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import type { Runbook, Source, Step } from "../../lang/runbook/types.js";

/** The first and last line of `span` (an empty span is on its start line). */
export function linesOf(span: Span, source: SourceFile): { line: number; endLine: number } {
  return {
    line: source.lineCol(span.start).line,
    endLine: source.lineCol(Math.max(span.start, span.end - 1)).line,
  };
}

/** A step's `source`: `file` as the user gave it, `end_line` only when it differs, the section's id. */
export function sourceOf(span: Span, source: SourceFile, file: string, section: string | undefined): Source {
  const { line, endLine } = linesOf(span, source);
  return {
    file,
    line,
    ...(endLine > line ? { end_line: endLine } : {}),
    ...(section === undefined || section === "" ? {} : { section }),
  };
}

/**
 * The plan's runbook as it is printed: each step with its `source` (lines of its note's span,
 * the section its note names) where the document has it — before `sample_output`, else last.
 * Steps are matched to notes by id, in the order both are made (a group after its steps), so a
 * model's answer that repeats an id still gives each step its own lines.
 */
export function runbookWithSources(plan: RunbookPlan, source: SourceFile): Runbook {
  const notes = new Map<string, StepNote[]>();
  for (const note of plan.steps) {
    const list = notes.get(note.id);
    if (list === undefined) notes.set(note.id, [note]);
    else list.push(note);
  }
  const withSource = (step: Step): Step => {
    const inner: Step = step.type === "group" ? { ...step, steps: step.steps.map(withSource) } : step;
    const note = notes.get(step.id)?.shift();
    if (note === undefined) return inner;
    const at = sourceOf(note.span, source, plan.file, note.section);
    if (inner.type === "group" || inner.sample_output === undefined) return { ...inner, source: at };
    const { sample_output, ...rest } = inner;
    return { ...rest, source: at, sample_output };
  };
  return { ...plan.runbook, steps: plan.runbook.steps.map(withSource) };
}
