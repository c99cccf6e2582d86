/**
 * The nesting limit of a TSG: at most `MAX_NESTING` levels of block quotes and list items (each
 * `>` and each list item is one level). Real guides use a handful; a document nested deeper is
 * still read as a guide, with TSG3005 (reported once, at the first place too deep), and what
 * lies deeper than the limit is kept as plain text.
 *
 * Two places enforce it:
 * - `limitNesting`, before remark-parse: on a line that opens more than `MAX_NESTING`
 *   containers (`> > > … text`, `- - - … text`), the marker of level `MAX_NESTING + 1` is made
 *   plain text in place, without changing the text's length, so that every offset stays valid
 *   (`escapeMarker`). remark-parse then nests that line at most `MAX_NESTING` levels deep and
 *   reads the rest of it as the text of a paragraph. This also keeps remark-parse fast: it
 *   needs time quadratic in the nesting of one line (3,000 nested list markers take it seconds).
 * - the block walk (`build-blocks.ts`), for nesting that builds up over several lines
 *   (indentation) or that `limitNesting` left alone: a block quote or list at level
 *   `MAX_NESTING + 1` becomes a paragraph with the plain text of everything in it. No walk of
 *   the tree recurses deeper.
 *
 * `limitNesting` is a cheap over-approximation of CommonMark's container parsing that errs
 * towards leaving lines alone: it never touches YAML frontmatter, lines inside a fence (a fence
 * is opened by any line whose container prefix is followed by a backtick or tilde fence, and
 * closed by the matching fence), lines indented four columns or more, a list marker that starts
 * a thematic break (`- - -`), or a marker with nothing after it on its line.
 */

/** How many levels of block quotes and list items a guide may nest. */
export const MAX_NESTING = 100;

export interface LimitedText {
  /** The text for remark-parse: the input itself unless some line nests too deeply. */
  readonly text: string;
  /**
   * The first line whose nesting was cut: from its marker of level `MAX_NESTING + 1` to the end
   * of its content.
   */
  readonly tooDeep: { readonly start: number; readonly end: number } | undefined;
}

/**
 * A line that could open more than `MAX_NESTING` containers: a superset of what `scanPrefix`
 * counts (it ignores code indentation, fences, thematic breaks and tab widths), so that the
 * line-by-line scan only runs on a document that has one.
 */
const CANDIDATE = new RegExp(
  `^[ \\t]{0,3}(?:(?:>|(?:[-+*]|\\d{1,9}[.)])[ \\t])[ \\t]*){${MAX_NESTING + 1}}(?=\\S)`,
  "m",
);

export function limitNesting(text: string): LimitedText {
  if (!CANDIDATE.test(text)) return { text, tooDeep: undefined };
  const edits: Edit[] = [];
  let tooDeep: LimitedText["tooDeep"];
  let fence: { readonly char: string; readonly length: number } | undefined;
  let i = afterFrontmatter(text);
  while (i < text.length) {
    let end = text.indexOf("\n", i);
    if (end < 0) end = text.length;
    const lineEnd = end > i && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const prefix = scanPrefix(text, i, lineEnd);
    if (fence !== undefined) {
      const run = fenceRun(text, prefix.rest, lineEnd);
      if (
        run !== undefined &&
        run.char === fence.char &&
        run.length >= fence.length &&
        text.slice(run.end, lineEnd).trim() === ""
      )
        fence = undefined;
    } else if (prefix.markers.length > MAX_NESTING) {
      const edit = escapeFirst(text, prefix.markers);
      if (edit !== undefined) edits.push(edit);
      const at = prefix.markers[MAX_NESTING]!;
      if (edit !== undefined && tooDeep === undefined) {
        let contentEnd = lineEnd;
        while (contentEnd > at && isBlank(text.charCodeAt(contentEnd - 1))) contentEnd--;
        tooDeep = { start: at, end: contentEnd };
      }
    } else {
      const run = fenceRun(text, prefix.rest, lineEnd);
      if (run !== undefined && (run.char === "~" || !text.slice(run.end, lineEnd).includes("`")))
        fence = { char: run.char, length: run.length };
    }
    i = end + 1;
  }
  if (edits.length === 0) return { text, tooDeep: undefined };
  const parts: string[] = [];
  let from = 0;
  for (const { at, replacement } of edits) {
    parts.push(text.slice(from, at), replacement);
    from = at + replacement.length;
  }
  parts.push(text.slice(from));
  return { text: parts.join(""), tooDeep };
}

interface Prefix {
  /** Offsets of the container markers that open a level (at most `MAX_NESTING + 2`). */
  readonly markers: number[];
  /** Where the line's content after them starts. */
  readonly rest: number;
}

/**
 * The container markers at the start of the line `[start, end)`: `>` and list markers (`-`,
 * `+`, `*`, `1.`, `1)` followed by a blank), each followed by content on the same line. Stops at
 * indented code (four columns of indentation at the start, or five blanks after a marker), at a
 * thematic break and after `MAX_NESTING + 2` markers.
 */
function scanPrefix(text: string, start: number, end: number): Prefix {
  const markers: number[] = [];
  let i = start;
  let column = 0;
  while (i < end && isBlank(text.charCodeAt(i))) {
    column = advance(column, text.charCodeAt(i));
    i++;
  }
  if (column >= 4) return { markers, rest: i };
  let thematic: ThematicBreaks | undefined;
  while (i < end && markers.length < MAX_NESTING + 2) {
    const c = text.charCodeAt(i);
    let after: number;
    if (c === 62 /* > */) {
      after = i + 1;
    } else if (c === 45 /* - */ || c === 43 /* + */ || c === 42 /* * */) {
      if (!isBlank(text.charCodeAt(i + 1)) || i + 1 >= end) break;
      if (c !== 43) {
        thematic ??= new ThematicBreaks(text, start, end);
        if (thematic.startsAt(i, c)) break;
      }
      after = i + 1;
    } else if (c >= 48 && c <= 57) {
      let j = i;
      while (j < end && j - i < 10 && isDigit(text.charCodeAt(j))) j++;
      const d = text.charCodeAt(j);
      if (
        j - i > 9 ||
        (d !== 46 /* . */ && d !== 41) /* ) */ ||
        j + 1 >= end ||
        !isBlank(text.charCodeAt(j + 1))
      )
        break;
      after = j + 1;
    } else {
      break;
    }
    // The marker opens a level only when content follows it on this line; five blank columns
    // after it make that content indented code.
    let j = after;
    let blanks = 0;
    while (j < end && isBlank(text.charCodeAt(j))) {
      blanks = advance(blanks, text.charCodeAt(j));
      j++;
    }
    if (j >= end) break;
    markers.push(i);
    i = j;
    if (blanks >= 5) break;
  }
  return { markers, rest: i };
}

/** Where a line can start a thematic break of `-` or `*` (the rest is that character and blanks). */
class ThematicBreaks {
  readonly #text: string;
  readonly #end: number;
  /** The last offset of the line holding something other than the character and blanks. */
  readonly #lastOther = new Map<number, number>();
  readonly #start: number;

  constructor(text: string, start: number, end: number) {
    this.#text = text;
    this.#start = start;
    this.#end = end;
  }

  startsAt(at: number, c: number): boolean {
    let last = this.#lastOther.get(c);
    if (last === undefined) {
      last = this.#end - 1;
      while (
        last >= this.#start &&
        (this.#text.charCodeAt(last) === c || isBlank(this.#text.charCodeAt(last)))
      )
        last--;
      this.#lastOther.set(c, last);
    }
    if (at <= last) return false;
    let count = 0;
    for (let k = at; k < this.#end && count < 3; k++) if (this.#text.charCodeAt(k) === c) count++;
    return count >= 3;
  }
}

/**
 * The edit that makes marker `MAX_NESTING + 1` plain text, or the one after it when that one
 * cannot be escaped in place (a `>` followed by a letter: the block walk then flattens the one
 * level too many).
 */
function escapeFirst(text: string, markers: readonly number[]): Edit | undefined {
  for (let k = MAX_NESTING; k < markers.length; k++) {
    const edit = escapeMarker(text, markers[k]!, markers[k - 1]!);
    if (edit !== undefined) return edit;
  }
  return undefined;
}

interface Edit {
  readonly at: number;
  readonly replacement: string;
}

/**
 * The same-length edit that makes the marker at `at` plain text; `previous` is the marker before
 * it. When that is a `>` with a blank after it, the blank (optional for a `>`) becomes the
 * backslash, so the text reads as written. Otherwise the marker and the blank after it become
 * `\>`, `\-`, `1\.`, and a `>` right before punctuation (such as another marker) becomes the
 * `\` that escapes it; a `>` right before anything else cannot be escaped in place.
 */
function escapeMarker(text: string, at: number, previous: number): Edit | undefined {
  const c = text[at]!;
  const ordered = isDigit(text.charCodeAt(at));
  if (!ordered && text[previous] === ">" && at - 1 > previous && isBlank(text.charCodeAt(at - 1)))
    return { at: at - 1, replacement: "\\" };
  if (c === ">") {
    const next = text.charCodeAt(at + 1);
    if (isBlank(next)) return { at, replacement: "\\>" };
    return isAsciiPunctuation(next) ? { at, replacement: "\\" } : undefined;
  }
  if (!ordered) return { at, replacement: `\\${c}` };
  // An ordered marker `12. `: `12\.`, the blank after it giving way to the backslash.
  let j = at;
  while (isDigit(text.charCodeAt(j))) j++;
  return { at: j, replacement: `\\${text[j]!}` };
}

function fenceRun(
  text: string,
  at: number,
  end: number,
): { readonly char: string; readonly length: number; readonly end: number } | undefined {
  const c = text.charCodeAt(at);
  if (c !== 96 /* ` */ && c !== 126 /* ~ */) return undefined;
  let j = at;
  while (j < end && text.charCodeAt(j) === c) j++;
  return j - at >= 3 ? { char: text[at]!, length: j - at, end: j } : undefined;
}

/** The offset after YAML frontmatter (`---` … `---` at the very start), else 0. */
function afterFrontmatter(text: string): number {
  const open = /^\uFEFF?---[ \t]*\r?\n/.exec(text);
  if (open === null) return 0;
  const close = /^---[ \t]*$/m.exec(text.slice(open[0].length));
  if (close === null) return 0;
  const newline = text.indexOf("\n", open[0].length + close.index);
  return newline < 0 ? text.length : newline + 1;
}

function advance(column: number, c: number): number {
  return c === 9 ? column + 4 - (column % 4) : column + 1;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function isAsciiPunctuation(c: number): boolean {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
