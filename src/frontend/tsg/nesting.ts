/**
 * The nesting limit of a TSG: at most `MAX_NESTING` levels of block quotes and list items (each
 * `>` and each list item is one level). Real guides use a handful; a document nested deeper is
 * still read as a guide, with TSG3005 (reported once, at the first place too deep), and what
 * lies deeper than the limit is kept as plain text.
 *
 * Two places enforce it:
 * - `limitNesting`, before remark-parse, follows CommonMark's containers line by line: the
 *   block quotes and list items a line continues (by `>` or by indentation, or lazily, as a
 *   paragraph's continuation), and those its markers open. A marker that would open level
 *   `MAX_NESTING + 1` is made plain text in place, without changing the text's length
 *   (`escapeMarker`), so remark-parse nests no line deeper than the limit — whether the nesting
 *   is on one line (`> > > … text`, `- - - … text`) or builds up over many (a list indented
 *   one more step per line).
 *   That alone does not keep remark-parse fast: micromark continues every open container on
 *   every line, and a line also pays for its indentation, so a list indented 2 columns more per
 *   line takes time cubic in its depth (through the CLI, 400 levels took 3 s and 800 took
 *   23 s). Once the limit was passed, a line at the deepest level that continues a paragraph is
 *   therefore handed to remark-parse without its container prefix and indentation: a lazy
 *   continuation line, which is the same paragraph text (CommonMark drops a continuation line's
 *   leading blanks) and costs no container work. A line indented further than the deepest level
 *   that continues no paragraph (a loose list, after a blank line) loses the extra indentation,
 *   and starts a paragraph at the deepest level instead of indented code. Those removed
 *   characters are the only change of length; `restoreOffsets` maps the tree's offsets back to
 *   the input's. Lines and line numbers are never removed.
 * - the block walk (`build-blocks.ts`), for nesting that `limitNesting` left alone (its model
 *   errs towards leaving lines alone): a block quote or list at level `MAX_NESTING + 1` becomes
 *   a paragraph with the plain text of everything in it. No walk of the tree recurses deeper.
 *
 * `limitNesting` only runs on a document that has a line that could be nested that deep (many
 * markers or a wide prefix on one line); any other document is handed on untouched. Its model
 * is an approximation that, where unsure, reads a line as closing containers rather than
 * continuing them (so it escapes and removes less, never more): it never touches YAML
 * frontmatter or lines in a fence, stops at indented code (four columns) and thematic breaks
 * (`- - -`), opens no item for a marker with nothing after it on its line, and knows which
 * lines can interrupt a paragraph (an ordered list only from 1).
 */
import type { Nodes, Root } from "mdast";

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
  /**
   * Where `text` is shorter than the input: the offsets in `text` after which characters of the
   * input were removed, ascending, and how many had been removed up to each (cumulative).
   * Absent when `text` has the input's offsets.
   */
  readonly removed?: { readonly at: readonly number[]; readonly total: readonly number[] };
}

/**
 * A line that could open more than `MAX_NESTING` containers on its own: a superset of what the
 * model counts (it ignores code indentation, fences, thematic breaks and tab widths).
 */
const CANDIDATE = new RegExp(
  `^[ \\t]{0,3}(?:(?:>|(?:[-+*]|\\d{1,9}[.)])[ \\t])[ \\t]*){${MAX_NESTING + 1}}(?=\\S)`,
  "m",
);

/**
 * A line whose prefix is wide enough to sit more than `MAX_NESTING` levels deep by continuing
 * containers opened on earlier lines: each level takes at least two columns of it (a list item's
 * marker and blank, or their indentation; a `>` and its blank), and a tab is at most four.
 */
const WIDE_PREFIX = new RegExp(`^[ \\t>*+\\-.)0-9]{${Math.ceil((2 * (MAX_NESTING + 1)) / 4)},}`, "m");

/** An open container of the model: a block quote, or a list item and the width of its prefix. */
interface Open {
  readonly quote: boolean;
  /** A list item's content column, relative to where the item starts. */
  readonly width: number;
}

export function limitNesting(text: string): LimitedText {
  if (!CANDIDATE.test(text) && !WIDE_PREFIX.test(text)) return { text, tooDeep: undefined };
  const model = new ContainerModel(text);
  let i = afterFrontmatter(text);
  while (i < text.length) {
    let end = text.indexOf("\n", i);
    if (end < 0) end = text.length;
    const lineEnd = end > i && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    model.line(i, lineEnd);
    i = end + 1;
  }
  return model.result();
}

/** The model's walk over the lines: containers, paragraph and fence state, and the edits. */
class ContainerModel {
  readonly #text: string;
  readonly #stack: Open[] = [];
  /** Whether the innermost open block is a paragraph (a next line can continue it lazily). */
  #paragraph = false;
  #fence: { readonly char: string; readonly length: number } | undefined;
  readonly #escapes: Edit[] = [];
  /** Ranges of the input left out of remark-parse's text, ascending, disjoint. */
  readonly #cuts: { readonly from: number; readonly to: number }[] = [];
  #tooDeep: LimitedText["tooDeep"];

  constructor(text: string) {
    this.#text = text;
  }

  line(start: number, end: number): void {
    const text = this.#text;
    const cursor = new LineCursor(text, start, end);
    const blank = cursor.blankRest();
    // Continue the open containers.
    let matched = 0;
    for (const open of this.#stack) {
      if (open.quote) {
        if (!cursor.quote()) break;
      } else if (!blank) {
        if (cursor.indent() < open.width) break;
        cursor.consume(open.width);
      }
      matched++;
    }
    if (this.#fence !== undefined) {
      if (matched === this.#stack.length) {
        const run = cursor.indent() <= 3 ? fenceRun(text, cursor.next(), end) : undefined;
        if (
          run !== undefined &&
          run.char === this.#fence.char &&
          run.length >= this.#fence.length &&
          text.slice(run.end, end).trim() === ""
        )
          this.#fence = undefined;
        return;
      }
      // A container the fence is in ended: so did the fence.
      this.#fence = undefined;
      this.#paragraph = false;
    }
    if (blank) {
      this.#stack.length = matched;
      this.#paragraph = false;
      return;
    }
    const lazy = matched < this.#stack.length && this.#paragraph && !this.#interrupts(cursor);
    if (matched < this.#stack.length && !lazy) {
      this.#stack.length = matched;
      this.#paragraph = false;
    }
    const continues = this.#paragraph && (lazy || !this.#interrupts(cursor));
    const past = this.#tooDeep !== undefined && this.#stack.length >= MAX_NESTING;
    if (continues) {
      // Past the limit, a continuation line at the deepest level goes without its prefix.
      if (past) this.#cut(start, cursor.next(), end);
      return;
    }
    if (past && cursor.indent() >= 4) {
      // Past the limit, a line indented further than the deepest level (a list that went on
      // nesting, after a blank line) is read as a paragraph there: its extra indentation is left
      // out (spaces only), as plain text is what lies deeper.
      const content = cursor.next();
      const from = content - cursor.indent();
      if (/^ *$/.test(text.slice(from, content)) && this.#cut(from, content, end)) {
        this.#paragraph = true;
        return;
      }
    }
    // Open the containers this line's markers start.
    const opensFrom = this.#stack.length;
    const paragraphBefore = this.#paragraph;
    let previous = -1;
    let escaped = false;
    let beyond = -1;
    while (cursor.indent() <= 3) {
      const at = cursor.next();
      if (at >= end) break;
      const c = text.charCodeAt(at);
      let quote = false;
      let width = 0;
      let after = 0;
      if (c === 62 /* > */) {
        quote = true;
      } else {
        const marker = listMarker(text, at, end);
        if (marker === undefined || marker.contentAt >= end) break;
        if (!marker.ordered && new ThematicBreaks(text, at, end).startsAt(at, c)) break;
        if (this.#paragraph && marker.ordered && marker.number !== 1) break;
        after = marker.end;
        width = marker.width;
      }
      if (this.#stack.length + 1 > MAX_NESTING && !escaped) {
        if (beyond < 0) beyond = at;
        // With nothing opened before it on this line and a paragraph open, the line continues
        // that paragraph once its marker is plain: it goes without its prefix (#cut). Else the
        // marker is escaped in place.
        const continuation = paragraphBefore && opensFrom === this.#stack.length;
        const cut = continuation && this.#cut(start, at, end);
        const edit = cut ? undefined : escapeMarker(text, at, previous < 0 ? at : previous);
        if (edit !== undefined) this.#escapes.push(edit);
        if (cut || edit !== undefined) {
          escaped = true;
          this.#noteTooDeep(beyond, end);
          break;
        }
      }
      // Open it (past the limit too when its marker cannot be escaped in place: the block
      // walk then flattens it).
      if (quote) cursor.quote();
      else cursor.item(after, width);
      this.#stack.push({ quote, width: quote ? 0 : cursor.lastWidth });
      this.#paragraph = false;
      previous = at;
      if (!quote && cursor.codeAfterMarker) break;
    }
    // What the line's content starts.
    const at = cursor.next();
    if (at >= end) {
      this.#paragraph = false;
      return;
    }
    if (cursor.indent() >= 4 && !escaped) {
      // Indented code (a paragraph was not open: it would have continued above).
      this.#paragraph = false;
      return;
    }
    const run = fenceRun(text, at, end);
    if (run !== undefined && !escaped && (run.char === "~" || !text.slice(run.end, end).includes("`"))) {
      this.#fence = { char: run.char, length: run.length };
      this.#paragraph = false;
      return;
    }
    const c = text.charCodeAt(at);
    const heading = c === 35 /* # */ && /^#{1,6}(?:[ \t]|$)/.test(text.slice(at, Math.min(end, at + 8)));
    const rule = (c === 45 || c === 42 || c === 95) /* - * _ */ && isThematicBreak(text, at, end, c);
    this.#paragraph = escaped || !(heading || rule);
  }

  /** Whether the line's content, where the cursor is, would interrupt a paragraph. */
  #interrupts(cursor: LineCursor): boolean {
    if (cursor.indent() >= 4) return false;
    const text = this.#text;
    const at = cursor.next();
    const c = text.charCodeAt(at);
    if (c === 92 /* \ */) return false;
    if (isDigit(c)) {
      const marker = listMarker(text, at, cursor.end);
      return marker !== undefined && marker.number === 1 && marker.contentAt < cursor.end;
    }
    // A letter (or any other character that starts no block) continues the paragraph. Where
    // unsure, say it interrupts: the model then closes containers, which errs towards leaving
    // lines alone.
    return !/[\p{L}\p{N}]/u.test(String.fromCodePoint(text.codePointAt(at) ?? 32));
  }

  /**
   * Leaves the prefix of a paragraph's continuation line, `[start, content)`, out of the text
   * remark-parse reads: the same paragraph text, without the work of continuing every container
   * (nesting.ts's header says why). At column 0 the content must start no block: ASCII
   * punctuation (a list marker, `>`, `#`, a fence, …) gets the prefix's last character as the
   * backslash that escapes it, so it reads as written; an ordered marker is escaped in place
   * (`1\.`). False when the content is punctuation right at the line's start.
   */
  #cut(start: number, content: number, end: number): boolean {
    const text = this.#text;
    const c = text.charCodeAt(content);
    let to = content;
    if (isAsciiPunctuation(c)) {
      to = content - 1;
      if (to < start) return false;
      this.#escapes.push({ at: to, replacement: "\\" });
    } else if (isDigit(c)) {
      const marker = listMarker(text, content, end);
      if (marker !== undefined && marker.end < end)
        this.#escapes.push({ at: marker.end - 1, replacement: `\\${text[marker.end - 1]!}` });
    }
    if (to > start) this.#cuts.push({ from: start, to });
    return true;
  }

  #noteTooDeep(at: number, end: number): void {
    if (this.#tooDeep !== undefined) return;
    let contentEnd = end;
    while (contentEnd > at && isBlank(this.#text.charCodeAt(contentEnd - 1))) contentEnd--;
    this.#tooDeep = { start: at, end: contentEnd };
  }

  result(): LimitedText {
    const text = this.#text;
    if (this.#escapes.length === 0 && this.#cuts.length === 0) return { text, tooDeep: undefined };
    // Escapes (same length) first, then the cuts; both are ascending and never overlap.
    const escapes = [...this.#escapes].sort((a, b) => a.at - b.at);
    const parts: string[] = [];
    let from = 0;
    for (const { at, replacement } of escapes) {
      parts.push(text.slice(from, at), replacement);
      from = at + replacement.length;
    }
    parts.push(text.slice(from));
    const escaped = parts.join("");
    if (this.#cuts.length === 0) return { text: escaped, tooDeep: this.#tooDeep };
    const kept: string[] = [];
    const at: number[] = [];
    const total: number[] = [];
    let removed = 0;
    let next = 0;
    for (const cut of this.#cuts) {
      kept.push(escaped.slice(next, cut.from));
      removed += cut.to - cut.from;
      at.push(cut.from - (removed - (cut.to - cut.from)));
      total.push(removed);
      next = cut.to;
    }
    kept.push(escaped.slice(next));
    return { text: kept.join(""), tooDeep: this.#tooDeep, removed: { at, total } };
  }
}

/**
 * Gives the tree parsed from `limited.text` the offsets of the input it was made from (a no-op
 * when no character was removed). Walks with a stack: no recursion.
 */
export function restoreOffsets(tree: Root, limited: LimitedText, base = 0): void {
  const removed = limited.removed;
  if (removed === undefined) return;
  const original = (offset: number): number => {
    const index = offset + base;
    let lo = 0;
    let hi = removed.at.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (removed.at[mid]! <= index) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? offset : offset + removed.total[found]!;
  };
  const stack: Nodes[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const position = node.position;
    if (position !== undefined) {
      if (position.start.offset !== undefined) position.start.offset = original(position.start.offset);
      if (position.end.offset !== undefined) position.end.offset = original(position.end.offset);
    }
    if ("children" in node) for (const child of node.children) stack.push(child);
  }
}

/**
 * A cursor over one line's container prefix, in columns (a tab advances to the next multiple of
 * four, and a container can take part of one, as CommonMark says): `consume` takes columns of
 * indentation, `quote` a `>` and the blank after it, `item` a list marker and its blanks.
 */
class LineCursor {
  /** The column the next container starts at. */
  #column = 0;
  /** The first character not passed yet, and its column. */
  #at: number;
  #atColumn = 0;
  /** The width of the last item opened (its content column relative to where it started). */
  lastWidth = 0;
  /** Whether the last item's content is indented code (five blanks or more after its marker). */
  codeAfterMarker = false;

  constructor(
    private readonly text: string,
    start: number,
    readonly end: number,
  ) {
    this.#at = start;
  }

  #skipped: { readonly from: number; readonly at: number; readonly column: number } | undefined;

  /** The first non-blank character from here, and its column (kept until the cursor moves). */
  #skip(): { readonly at: number; readonly column: number } {
    if (this.#skipped?.from === this.#at) return this.#skipped;
    let at = this.#at;
    let column = this.#atColumn;
    while (at < this.end && isBlank(this.text.charCodeAt(at))) {
      column = advance(column, this.text.charCodeAt(at));
      at++;
    }
    this.#skipped = { from: this.#at, at, column };
    return this.#skipped;
  }

  blankRest(): boolean {
    return this.#skip().at >= this.end;
  }

  /** Columns of indentation before the next non-blank character, relative to the container. */
  indent(): number {
    return this.#skip().column - this.#column;
  }

  /** Where the content after the prefix starts. */
  next(): number {
    return this.#skip().at;
  }

  consume(columns: number): void {
    this.#column += columns;
  }

  /** Takes `>` (after at most three columns) and one blank after it; false when there is none. */
  quote(): boolean {
    const { at, column } = this.#skip();
    if (at >= this.end || this.text.charCodeAt(at) !== 62 || column - this.#column > 3) return false;
    this.#at = at + 1;
    this.#atColumn = column + 1;
    this.#column = column + 1;
    if (this.#at < this.end && isBlank(this.text.charCodeAt(this.#at))) this.#column += 1;
    return true;
  }

  /** Takes the list marker ending at `after` and the blanks after it (up to four columns). */
  item(after: number, markerWidth: number): void {
    const { column } = this.#skip();
    const start = this.#column;
    const markerEnd = column + markerWidth;
    this.#at = after;
    this.#atColumn = markerEnd;
    const content = this.#skip();
    const blanks = content.column - markerEnd;
    this.codeAfterMarker = blanks >= 5;
    this.#column = blanks >= 5 ? markerEnd + 1 : content.column;
    this.lastWidth = this.#column - start;
  }
}

/** A list marker at `at` (`-`, `+`, `*`, or up to nine digits and `.` or `)`) followed by a blank. */
function listMarker(
  text: string,
  at: number,
  end: number,
):
  | {
      readonly ordered: boolean;
      readonly number: number;
      readonly end: number;
      readonly width: number;
      readonly contentAt: number;
    }
  | undefined {
  const c = text.charCodeAt(at);
  let j = at;
  let ordered = false;
  if (c === 45 || c === 43 || c === 42) j = at + 1;
  else if (isDigit(c)) {
    while (j < end && j - at <= 9 && isDigit(text.charCodeAt(j))) j++;
    const d = text.charCodeAt(j);
    if (j - at > 9 || (d !== 46 && d !== 41)) return undefined;
    j++;
    ordered = true;
  } else return undefined;
  if (j < end && !isBlank(text.charCodeAt(j))) return undefined;
  let contentAt = j;
  while (contentAt < end && isBlank(text.charCodeAt(contentAt))) contentAt++;
  return {
    ordered,
    number: ordered ? Number(text.slice(at, j - 1)) : 0,
    end: j,
    width: j - at,
    contentAt,
  };
}

function isThematicBreak(text: string, at: number, end: number, c: number): boolean {
  let count = 0;
  for (let k = at; k < end; k++) {
    const d = text.charCodeAt(k);
    if (d === c) count++;
    else if (!isBlank(d)) return false;
  }
  return count >= 3;
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
