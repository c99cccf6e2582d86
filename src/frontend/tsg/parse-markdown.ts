/**
 * The Markdown parser for TSGs: CommonMark (remark-parse) plus YAML frontmatter
 * (remark-frontmatter) and GitHub tables — nothing else from GFM (no autolink literals,
 * strikethrough or footnotes), so the tree stays close to what CommonMark renders.
 *
 * Speed:
 * - Each extension costs micromark time on every line, so it is only switched on when the text
 *   could use it: frontmatter only when the text starts with `---` (the only place it is
 *   recognised), tables only when some line looks like a table's delimiter row. The tree is
 *   the same as with both always on.
 * - micromark slows down more than linearly on very large documents (its event arrays grow),
 *   so a document over `CHUNK_THRESHOLD` is cut into chunks of about `CHUNK_TARGET` at safe
 *   places — before a top-level ATX heading that follows a blank line, outside any fence or
 *   HTML comment — where CommonMark's block state is known to be empty. The chunks are parsed
 *   apart and their trees joined with positions shifted back. The one difference from a
 *   single parse: a reference link whose definition is in another chunk stays plain text.
 *   Every real TSG is far below the threshold.
 */
import type { Nodes, Root, RootContent } from "mdast";
import { gfmTableFromMarkdown } from "mdast-util-gfm-table";
import { gfmTable } from "micromark-extension-gfm-table";
import remarkFrontmatter from "remark-frontmatter";
import remarkParse from "remark-parse";
import { type Processor, unified } from "unified";

/** Documents longer than this are parsed in chunks. */
export const CHUNK_THRESHOLD = 256 * 1024;
/** The size a chunk grows to before the next safe place ends it. */
export const CHUNK_TARGET = 64 * 1024;

/** A unified plugin that adds GFM tables only. */
function remarkGfmTable(this: Processor): void {
  const data = this.data();
  data.micromarkExtensions = [...(data.micromarkExtensions ?? []), gfmTable()];
  data.fromMarkdownExtensions = [...(data.fromMarkdownExtensions ?? []), gfmTableFromMarkdown()];
}

const plain = unified().use(remarkParse).freeze();
const withFrontmatter = unified().use(remarkParse).use(remarkFrontmatter, ["yaml"]).freeze();
const withTables = unified().use(remarkParse).use(remarkGfmTable).freeze();
const withBoth = unified().use(remarkParse).use(remarkFrontmatter, ["yaml"]).use(remarkGfmTable).freeze();

/**
 * A line that could be a table's delimiter row: only `|`, `-`, `:` and blanks, with at least one
 * `|` and one `-` (GFM needs a pipe in the delimiter row of any table).
 */
const DELIMITER_ROW = /^[ \t>]*(?:\|[ \t]*:?-|:?-+:?[ \t]*\|)[ \t|:-]*$/m;

/**
 * Parses `text` into mdast. Positions are those of a single parse of `text`; as with
 * micromark, offsets do not count a leading byte-order mark.
 */
export function parseMarkdown(text: string): Root {
  const cuts = text.length > CHUNK_THRESHOLD ? safeCuts(text) : [];
  if (cuts.length === 0) return parseChunk(text);
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const children: RootContent[] = [];
  let first: Root | undefined;
  let last: Root | undefined;
  let start = 0;
  let lines = 0;
  for (const end of [...cuts, text.length]) {
    const chunk = text.slice(start, end);
    const tree = parseChunk(chunk);
    if (start > 0) shift(tree, start - bom, lines);
    for (const child of tree.children) children.push(child);
    first ??= tree;
    last = tree;
    lines += countLineEndings(chunk);
    start = end;
  }
  const position =
    first?.position && last?.position ? { start: first.position.start, end: last.position.end } : undefined;
  return position === undefined ? { type: "root", children } : { type: "root", children, position };
}

function parseChunk(text: string): Root {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const frontmatter = text.startsWith("---", start);
  const tables = DELIMITER_ROW.test(text);
  const processor = frontmatter ? (tables ? withBoth : withFrontmatter) : tables ? withTables : plain;
  return processor.parse(text);
}

const FENCE = /^[ \t>]*(`{3,}|~{3,})(.*)$/;
const HEADING = /^#{1,6}(?:[ \t]|$)/;

/**
 * Offsets of the line starts where the document can be cut: a top-level ATX heading right after
 * a blank line, outside fences (any `` ``` `` or `~~~` line, at any indentation, is counted, so
 * the guess errs towards "inside") and HTML comments, at least `CHUNK_TARGET` after the last cut.
 */
export function safeCuts(text: string): number[] {
  const cuts: number[] = [];
  let fence: { char: string; length: number } | undefined;
  let comment = false;
  let previousBlank = true;
  let last = 0;
  let i = 0;
  while (i < text.length) {
    let end = text.indexOf("\n", i);
    if (end < 0) end = text.length;
    const line = text.slice(i, end).replace(/\r$/, "");
    const blank = line.trim() === "";
    const f = FENCE.exec(line);
    if (f !== null) {
      const run = f[1]!;
      if (fence === undefined) fence = { char: run[0]!, length: run.length };
      else if (run[0] === fence.char && run.length >= fence.length && f[2]!.trim() === "") fence = undefined;
    } else if (fence === undefined) {
      if (comment) comment = !line.includes("-->");
      else if (line.includes("<!--") && !line.slice(line.indexOf("<!--")).includes("-->")) comment = true;
      else if (previousBlank && i - last >= CHUNK_TARGET && HEADING.test(line)) {
        cuts.push(i);
        last = i;
      }
    }
    previousBlank = blank;
    i = end + 1;
  }
  return cuts;
}

/** Line endings as micromark counts them: `\r\n`, `\r` and `\n` each end one line. */
function countLineEndings(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) count++;
    else if (c === 13) {
      count++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return count;
}

/** Moves a node parsed from a chunk to where the chunk sits in the document (with a stack: no recursion). */
function shift(root: Nodes, offset: number, lines: number): void {
  const stack: Nodes[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const position = node.position;
    if (position !== undefined) {
      if (position.start.offset !== undefined) position.start.offset += offset;
      if (position.end.offset !== undefined) position.end.offset += offset;
      position.start.line += lines;
      position.end.line += lines;
    }
    if ("children" in node) for (const child of node.children) stack.push(child);
  }
}
