/**
 * A source file as the compiler sees it: its path (as given by the user, for messages) and its
 * decoded text. Maps offsets to 1-based line/column lazily, for printing only.
 */
export interface LineCol {
  readonly line: number;
  readonly column: number;
}

export class SourceFile {
  #lineStarts: number[] | undefined;

  constructor(
    readonly path: string,
    readonly text: string,
  ) {}

  /** Offsets at which each line starts. `\r\n`, `\n` and a lone `\r` all end a line. */
  get lineStarts(): readonly number[] {
    if (this.#lineStarts === undefined) this.#lineStarts = computeLineStarts(this.text);
    return this.#lineStarts;
  }

  /** 1-based line and column of an offset (clamped to the text). */
  lineCol(offset: number): LineCol {
    const starts = this.lineStarts;
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - starts[lo]! + 1 };
  }

  /** The text of a 1-based line without its line terminator. */
  lineText(line: number): string {
    const starts = this.lineStarts;
    const start = starts[line - 1];
    if (start === undefined) return "";
    const next = starts[line] ?? this.text.length;
    return this.text.slice(start, next).replace(/\r?\n$|\r$/, "");
  }
}

export function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Offset of the end of the line containing `from` (before its terminator). */
export function lineEndAt(text: string, from: number): number {
  let i = from;
  while (i < text.length && text[i] !== "\n" && text[i] !== "\r") i++;
  return i;
}
