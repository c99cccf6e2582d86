/**
 * The one diagnostic printer. Text form, as in TypeScript:
 *
 *   app.rllm:3:21 - error SCH1103: 'max_context_window' must be an integer, found the string "lots"
 *
 *   3 max_context_window: "lots"
 *                         ^~~~~
 *     hint: …
 *
 * A caret marks where the span starts, tildes the rest of it. Lines longer than 160 columns are
 * cut around the span (`…` marks a cut).
 *
 * Colour: the CLI passes a `DiagnosticStyle` when its stream is a terminal (cli/color.ts); the
 * default, `PLAIN`, adds nothing, and only it is used for goldens and `--json`, so the plain
 * text is byte-for-byte what the coloured text shows.
 *
 * JSON form (`--json`): the same Diagnostic objects, each with its line/column range added.
 * Golden `errors.txt` files use the text form, so what a user sees is what a reviewer sees.
 */
import type { Diagnostic, RelatedInformation, Severity } from "./diagnostic.js";
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

/**
 * How the parts of a printed diagnostic look. Each function wraps a piece of text (e.g. in ANSI
 * colour codes) and must not change its visible characters.
 */
export interface DiagnosticStyle {
  readonly severity: (severity: Severity, text: string) => string;
  /** The code (`SCH1103`). */
  readonly code: (text: string) => string;
  /** `file:line:col`. */
  readonly location: (text: string) => string;
  /** A code frame's line numbers and `…`. */
  readonly gutter: (text: string) => string;
  /** The caret and tildes under a span. */
  readonly marker: (severity: Severity | "related", text: string) => string;
  /** The word `hint:`. */
  readonly hint: (text: string) => string;
}

const same = (text: string) => text;

/** No styling: goldens, `--json`, pipes and files. */
export const PLAIN: DiagnosticStyle = {
  severity: (_severity, text) => text,
  code: same,
  location: same,
  gutter: same,
  marker: (_severity, text) => text,
  hint: same,
};

export function formatDiagnostic(
  diagnostic: Diagnostic,
  lookup: SourceLookup,
  style: DiagnosticStyle = PLAIN,
): string {
  const out: string[] = [];
  out.push(
    `${style.location(formatLocation(diagnostic.span, lookup))} - ${style.severity(diagnostic.severity, diagnostic.severity)} ${style.code(diagnostic.code)}: ${diagnostic.message}`,
  );
  const frame = codeFrame(diagnostic.span, lookup, "", style, diagnostic.severity);
  if (frame !== "") out.push("", frame);
  if (diagnostic.hint !== undefined) out.push(`  ${style.hint("hint:")} ${diagnostic.hint}`);
  for (const related of diagnostic.related) out.push(formatRelated(related, lookup, style));
  return out.join("\n");
}

export function formatDiagnostics(
  diagnostics: readonly Diagnostic[],
  lookup: SourceLookup,
  style: DiagnosticStyle = PLAIN,
): string {
  return diagnostics.map((d) => `${formatDiagnostic(d, lookup, style)}\n`).join("\n");
}

function formatRelated(related: RelatedInformation, lookup: SourceLookup, style: DiagnosticStyle): string {
  const frame = codeFrame(related.span, lookup, "    ", style, "related");
  const head = `  ${style.location(formatLocation(related.span, lookup))} - ${related.message}`;
  return frame === "" ? head : `${head}\n${frame}`;
}

export function formatLocation(span: Span, lookup: SourceLookup): string {
  const file = lookup(span.file);
  if (file === undefined) return span.file;
  const { line, column } = file.lineCol(span.start);
  return `${span.file}:${line}:${column}`;
}

/**
 * Source lines covered by the span, each followed by a marker line under the covered text: a
 * caret where the span starts, tildes for the rest (`^~~~`).
 */
export function codeFrame(
  span: Span,
  lookup: SourceLookup,
  indent = "",
  style: DiagnosticStyle = PLAIN,
  severity: Severity | "related" = "error",
): string {
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
      out.push(`${indent}${style.gutter("…".padStart(gutter))}`);
      continue;
    }
    const text = file.lineText(line);
    const from = line === start.line ? start.column - 1 : 0;
    const to = line === end.line ? end.column - 1 : text.length;
    const view = visibleWindow(text, from, to);
    const shown = `${view.start > 0 ? "…" : ""}${text.slice(view.start, view.end)}${view.end < text.length ? "…" : ""}`;
    const lead = `${view.start > 0 ? " " : ""}${whitespaceLike(text.slice(view.start, from))}`;
    const width = Math.max(1, Math.min(to, view.end) - from);
    const marker = line === start.line ? `^${"~".repeat(width - 1)}` : "~".repeat(width);
    out.push(`${indent}${style.gutter(String(line).padStart(gutter))} ${shown}`);
    out.push(`${indent}${" ".repeat(gutter)} ${lead}${style.marker(severity, marker)}`);
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

/** Keeps tabs so the marker lines up under tab-indented text. */
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
