/**
 * The one diagnostic printer. Text form, as in TypeScript:
 *
 *   app.rllm:3:21 - error SCH1103: 'max_context_window' must be an integer, found the string "lots"
 *
 *   3 max_context_window: "lots"
 *                         ~~~~~~
 *     hint: …
 *
 * Lines longer than 160 columns are cut around the span (`…` marks a cut).
 *
 * JSON form (`--json`): the same Diagnostic objects, each with its line/column range added.
 * Golden `errors.txt` files use the text form, so what a user sees is what a reviewer sees.
 */
import type { Diagnostic, RelatedInformation } from "./diagnostic.js";
import type { SourceFile } from "./source-file.js";
import type { Span } from "./span.js";

/** Looks up the text of a file named in a span; undefined when it is not known (e.g. unreadable). */
export type SourceLookup = (file: string) => SourceFile | undefined;

export function sourceLookup(files: Iterable<SourceFile>): SourceLookup {
  const byPath = new Map<string, SourceFile>();
  for (const f of files) byPath.set(f.path, f);
  return (file) => byPath.get(file);
}

const MAX_FRAME_LINES = 4;

export function formatDiagnostic(diagnostic: Diagnostic, lookup: SourceLookup): string {
  const out: string[] = [];
  out.push(
    `${formatLocation(diagnostic.span, lookup)} - ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`,
  );
  const frame = codeFrame(diagnostic.span, lookup);
  if (frame !== "") out.push("", frame);
  if (diagnostic.hint !== undefined) out.push(`  hint: ${diagnostic.hint}`);
  for (const related of diagnostic.related) out.push(formatRelated(related, lookup));
  return out.join("\n");
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[], lookup: SourceLookup): string {
  return diagnostics.map((d) => `${formatDiagnostic(d, lookup)}\n`).join("\n");
}

function formatRelated(related: RelatedInformation, lookup: SourceLookup): string {
  const frame = codeFrame(related.span, lookup, "    ");
  const head = `  ${formatLocation(related.span, lookup)} - ${related.message}`;
  return frame === "" ? head : `${head}\n${frame}`;
}

export function formatLocation(span: Span, lookup: SourceLookup): string {
  const file = lookup(span.file);
  if (file === undefined) return span.file;
  const { line, column } = file.lineCol(span.start);
  return `${span.file}:${line}:${column}`;
}

/** Source lines covered by the span, each followed by a line of `~` under the covered text. */
export function codeFrame(span: Span, lookup: SourceLookup, indent = ""): string {
  const file = lookup(span.file);
  if (file === undefined || file.text.length === 0) return "";
  const start = file.lineCol(span.start);
  const end = file.lineCol(Math.max(span.start, span.end));
  // A span that ends at the start of a line does not cover that line.
  const lastLine = end.line > start.line && end.column === 1 ? end.line - 1 : end.line;
  const shown: number[] = [];
  for (let line = start.line; line <= lastLine; line++) {
    if (shown.length === MAX_FRAME_LINES - 1 && line < lastLine) {
      shown.push(-1, lastLine);
      break;
    }
    shown.push(line);
  }
  const gutter = String(lastLine).length;
  const out: string[] = [];
  for (const line of shown) {
    if (line === -1) {
      out.push(`${indent}${"…".padStart(gutter)}`);
      continue;
    }
    const text = file.lineText(line);
    const from = line === start.line ? start.column - 1 : 0;
    const to = line === end.line ? end.column - 1 : text.length;
    const view = visibleWindow(text, from, to);
    const shown = `${view.start > 0 ? "…" : ""}${text.slice(view.start, view.end)}${view.end < text.length ? "…" : ""}`;
    const lead = `${view.start > 0 ? " " : ""}${whitespaceLike(text.slice(view.start, from))}`;
    const width = Math.max(1, Math.min(to, view.end) - from);
    out.push(`${indent}${String(line).padStart(gutter)} ${shown}`);
    out.push(`${indent}${" ".repeat(gutter)} ${lead}${"~".repeat(width)}`);
  }
  return out.join("\n");
}

/** Longest stretch of one source line a frame shows; longer lines are cut around the span. */
const MAX_FRAME_COLUMNS = 160;

/** The part of a long line to show: the span's start with some context, marked `…` where cut. */
function visibleWindow(text: string, from: number, to: number): { start: number; end: number } {
  if (text.length <= MAX_FRAME_COLUMNS) return { start: 0, end: text.length };
  const start = from > 40 ? from - 40 : 0;
  const end = Math.min(text.length, start + MAX_FRAME_COLUMNS, Math.max(to, from + 1) + 40);
  return { start, end: Math.max(end, Math.min(text.length, from + 1)) };
}

/** Keeps tabs so the squiggle lines up under tab-indented text. */
function whitespaceLike(prefix: string): string {
  return prefix.replace(/[^\t]/g, " ");
}

export interface DiagnosticRange {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export type JsonDiagnostic = Diagnostic & { readonly range?: DiagnosticRange };

/** The `--json` form: the same object, with 1-based line/column range when the text is known. */
export function toJsonDiagnostic(diagnostic: Diagnostic, lookup: SourceLookup): JsonDiagnostic {
  const file = lookup(diagnostic.span.file);
  if (file === undefined) return diagnostic;
  const s = file.lineCol(diagnostic.span.start);
  const e = file.lineCol(diagnostic.span.end);
  return { ...diagnostic, range: { line: s.line, column: s.column, endLine: e.line, endColumn: e.column } };
}
