/**
 * Source spans. Every IR node carries one. Offsets are UTF-16 code-unit indices into the
 * decoded source text (byte-order mark removed); `end` is exclusive. Line and column are
 * computed only when a diagnostic is printed (see `source-file.ts`).
 */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

export function span(file: string, start: number, end: number): Span {
  return { file, start, end: Math.max(start, end) };
}

/** The smallest span covering both. Both must be in the same file. */
export function joinSpans(a: Span, b: Span): Span {
  return { file: a.file, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** A span shifted by `delta` code units, for text parsed out of a larger file. */
export function shiftSpan(s: Span, delta: number): Span {
  return { file: s.file, start: s.start + delta, end: s.end + delta };
}
