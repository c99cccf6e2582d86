/**
 * The nesting limit of a TSG: at most `MAX_NESTING` levels of block quotes and list items (each
 * `>` and each list item is one level). Real guides use a handful; a document nested deeper is
 * still read as a guide, with TSG3005, and what lies deeper than the limit is kept as plain text.
 *
 * Two places enforce it:
 * - `limitNesting`, before remark-parse: a line that opens more than `MAX_NESTING` containers
 *   (`> > > … text`, `- - - … text`) has the marker of level `MAX_NESTING + 1` escaped (`> ` →
 *   `\>`, `- ` → `\-`, `1. ` → `1\.`, a `>` followed by another marker → `\`), in place and
 *   without changing the text's length, so every offset stays valid. remark-parse then nests at
 *   most `MAX_NESTING` levels deep on that line and reads the rest of the line as the text of a
 *   paragraph. This also keeps remark-parse fast: it needs time quadratic in the nesting of one
 *   line (3,000 nested list markers take it seconds).
 * - the block walk (`build-blocks.ts`), for nesting that builds up over several lines
 *   (indentation): a block quote or list at level `MAX_NESTING + 1` becomes a paragraph with the
 *   plain text of everything in it.
 *
 * `limitNesting` is a cheap over-approximation of CommonMark's container parsing, so it errs
 * towards leaving lines alone: lines inside a fence (any line whose container prefix is followed
 * by a backtick or tilde fence toggles it, as in `safeCuts`), lines indented four columns or
 * more, YAML frontmatter, a list marker that starts a thematic break (`- - -`) and a marker with
 * nothing after it on its line are never touched. A line it leaves alone is still caught by
 * the block walk.
 */

/** How many levels of block quotes and list items a guide may nest. */
export const MAX_NESTING = 100;

export interface LimitedText {
  /** The text for remark-parse: the input itself unless some line nests too deeply. */
  readonly text: string;
  /** Where the first escaped marker is, to the end of its line's content. */
  readonly tooDeep: { readonly start: number; readonly end: number } | undefined;
}

/**
 * A line that could open more than `MAX_NESTING` containers: a superset of what `markers`
 * counts (it ignores code indentation, fences, thematic breaks and tab widths).
 */
const CANDIDATE = new RegExp(
  `^[ \\t]{0,3}(?:(?:>|(?:[-+*]|\\d{1,9}[.)])[ \\t])[ \\t]*){${MAX_NESTING + 1}}(?=\\S)`,
  "m",
);

export function limitNesting(text: string): LimitedText {
  if (!CANDIDATE.test(text)) return { text, tooDeep: undefined };
  const edits: { readonly at: number; readonly replacement: string }[] = [];
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
      const at = prefix.markers[MAX_NESTING]!;
      edits.push(escapeMarker(text, at));
      if (tooDeep === undefined) {
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
  /** Offsets of the container markers that open a level (at most `MAX_NESTING + 1`). */
  readonly markers: number[];
  /** Where the line's content after them starts. */
  readonly rest: number;
}

/**
 * The container markers at the start of the line `[start, end)`: `>` and list markers (`-`,
 * `+`, `*`, `1.`, `1)` followed by a blank), each followed by content on the same line. Stops at
 * indented code (four columns of indentation at the start, or five blanks after a marker), at a
 * thematic break and after `MAX_NESTING + 1` markers.
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
  while (i < end && markers.length <= MAX_NESTING) {
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
      if (j - i > 9 || (d !== 46 /* . */ && d !== 41) /* ) */ || j + 1 >= end || !isBlank(text.charCodeAt(j + 1)))
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
    column += j - i;
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
      while (last >= this.#start && (this.#text.charCodeAt(last) === c || isBlank(this.#text.charCodeAt(last))))
        last--;
      this.#lastOther.set(c, last);
    }
    if (at <= last) return false;
    let count = 0;
    for (let k = at; k < this.#end && count < 3; k++) if (this.#text.charCodeAt(k) === c) count++;
    return count >= 3;
  }
}

/** The same-length edit that makes the marker at `at` plain text. */
function escapeMarker(text: string, at: number): { at: number; replacement: string } {
  const c = text[at]!;
  if (c === ">") return isBlank(text.charCodeAt(at + 1)) ? { at, replacement: "\\>" } : { at, replacement: "\\" };
  if (c === "-" || c === "+" || c === "*") return { at, replacement: `\\${c}` };
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
  const close = /^---[ \t]*$/m;
  close.lastIndex = 0;
  const rest = text.slice(open[0].length);
  const m = close.exec(rest);
  if (m === null) return 0;
  const after = open[0].length + m.index + m[0].length;
  return text.indexOf("\n", after) < 0 ? text.length : text.indexOf("\n", after) + 1;
}

function advance(column: number, c: number): number {
  return c === 9 ? column + 4 - (column % 4) : column + 1;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
