/**
 * Where a step came from, in the form the runbook and `mapping.md` give it: 1-based inclusive
 * lines of a span, and the `source` field. Shared by Stage A (which makes steps) and Stage B
 * (which re-derives a model's provenance from the TSG).
 */

import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import type { Source } from "../../lang/runbook/types.js";

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
