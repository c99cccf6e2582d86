/**
 * Text assembled from pieces of the source (a command joined from `\`-continued lines, the
 * value of an inline code span), with a map from each text offset back to the source offset
 * it came from, so placeholder spans point into the original file.
 *
 * A `SourceLine` is one line of a code block as Markdown sees it (list indentation and `>`
 * markers removed): usually a contiguous slice of the source, otherwise (a tab partly eaten as
 * indentation) with an explicit per-character map.
 */

export interface SourceLine {
  readonly text: string;
  /** Source offset of `text[0]` (of where the line would start, when empty). */
  readonly start: number;
  /** Source offset of each character, when the line is not a contiguous slice of the source. */
  readonly map?: Int32Array;
}

export function sourceOffsetIn(line: SourceLine, column: number): number {
  if (line.map === undefined) return line.start + column;
  if (column < line.map.length) return line.map[column]!;
  return line.map.length === 0 ? line.start : line.map[line.map.length - 1]! + 1 + (column - line.map.length);
}

interface Piece {
  readonly textStart: number;
  readonly length: number;
  readonly line: SourceLine;
  readonly column: number;
}

/** Builds a `MappedText` piece by piece. */
export class MappedTextBuilder {
  readonly #parts: string[] = [];
  readonly #pieces: Piece[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Appends `line.text.slice(from, to)`. */
  appendLine(line: SourceLine, from: number, to: number): void {
    if (to <= from) return;
    this.#pieces.push({ textStart: this.#length, length: to - from, line, column: from });
    this.#parts.push(from === 0 && to === line.text.length ? line.text : line.text.slice(from, to));
    this.#length += to - from;
  }

  /** Appends text that is not in the source (a joining space or newline). */
  appendSynthetic(text: string): void {
    this.#parts.push(text);
    this.#length += text.length;
  }

  build(): MappedText {
    return new MappedText(this.#parts.join(""), this.#pieces);
  }
}

export class MappedText {
  constructor(
    readonly text: string,
    private readonly pieces: readonly Piece[],
  ) {}

  /** The source offset of text offset `i`; a synthetic character maps to the end of the piece before it. */
  toSource(i: number): number {
    const pieces = this.pieces;
    if (pieces.length === 0) return 0;
    let lo = 0;
    let hi = pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (pieces[mid]!.textStart <= i) lo = mid;
      else hi = mid - 1;
    }
    const piece = pieces[lo]!;
    const delta = i - piece.textStart;
    if (delta < 0) return sourceOffsetIn(piece.line, piece.column);
    if (delta < piece.length) return sourceOffsetIn(piece.line, piece.column + delta);
    return sourceOffsetIn(piece.line, piece.column + piece.length - 1) + 1;
  }

  /** The source range of text range `[start, end)`. */
  rangeToSource(start: number, end: number): { start: number; end: number } {
    const s = this.toSource(start);
    const e = end > start ? this.toSource(end - 1) + 1 : s;
    return { start: s, end: Math.max(s, e) };
  }
}

/**
 * Maps each character of `value` to an offset in `source[from, to)`, for text that Markdown
 * derived from the source by dropping characters (indentation, `>` markers, a padding space).
 * Greedy: each character of `value` takes the next equal source character; a space may also
 * take a line ending. Linear in the length of both.
 */
export function alignText(value: string, source: string, from: number, to: number): Int32Array {
  const map = new Int32Array(value.length);
  let j = from;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let k = j;
    while (k < to) {
      const s = source.charCodeAt(k);
      if (s === c || (c === 32 && (s === 10 || s === 13 || s === 9)) || (c === 9 && s === 32)) break;
      k++;
    }
    if (k >= to) {
      // Not found: keep the rest contiguous after the last match.
      for (; i < value.length; i++) map[i] = Math.min(j, to);
      return map;
    }
    map[i] = k;
    j = k + 1;
    if (c === 10 && source.charCodeAt(k) === 13 && source.charCodeAt(k + 1) === 10) j = k + 2;
  }
  return map;
}
