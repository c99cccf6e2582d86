/**
 * A light scanner for top-level fenced code blocks and ATX headings, used to find a task block
 * and to tell tasks from TSGs without building a full Markdown tree. Follows CommonMark for
 * fences: up to three spaces of indent, ``` or ~~~ of length ≥ 3, closed by a fence of the same
 * character at least as long. An HTML comment block (`<!--` … `-->`) hides what it contains,
 * as it does when the Markdown is rendered.
 */
export interface Fence {
  /** Info string's first word, lower-cased. */
  readonly lang: string;
  readonly start: number;
  readonly end: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly closed: boolean;
}

export interface MarkdownOutline {
  readonly fences: readonly Fence[];
  /** Text of the first level-1 ATX heading outside fences. */
  readonly firstHeading: string | undefined;
}

const OPEN = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\r\n]*)$/;
const HEADING = /^ {0,3}#[ \t]+(.*?)[ \t]*#*[ \t]*$/;

export function scanOutline(text: string, from = 0): MarkdownOutline {
  const fences: Fence[] = [];
  let firstHeading: string | undefined;
  let open: { char: string; length: number; lang: string; start: number; contentStart: number } | undefined;
  let inComment = false;
  let lineStart = from;
  while (lineStart <= text.length) {
    let lineEnd = lineStart;
    while (lineEnd < text.length && text[lineEnd] !== "\n" && text[lineEnd] !== "\r") lineEnd++;
    const next = text.startsWith("\r\n", lineEnd) ? lineEnd + 2 : lineEnd + 1;
    const line = text.slice(lineStart, lineEnd);
    if (open === undefined && (inComment || /^ {0,3}<!--/.test(line))) {
      inComment = !line.includes("-->");
    } else if (open === undefined) {
      const m = OPEN.exec(line);
      if (m !== null && !(m[1]![0] === "`" && m[2]!.includes("`"))) {
        open = {
          char: m[1]![0]!,
          length: m[1]!.length,
          lang: (m[2]!.trim().split(/[\s{]/)[0] ?? "").toLowerCase(),
          start: lineStart,
          contentStart: Math.min(next, text.length),
        };
      } else if (firstHeading === undefined) {
        const h = HEADING.exec(line);
        if (h !== null) firstHeading = h[1];
      }
    } else {
      const trimmed = line.replace(/^ {0,3}/, "").trimEnd();
      if (trimmed.length >= open.length && [...trimmed].every((c) => c === open!.char)) {
        fences.push({
          lang: open.lang,
          start: open.start,
          end: lineEnd,
          contentStart: open.contentStart,
          contentEnd: lineStart,
          closed: true,
        });
        open = undefined;
      }
    }
    if (next > text.length) break;
    lineStart = next;
  }
  if (open !== undefined) {
    fences.push({
      lang: open.lang,
      start: open.start,
      end: text.length,
      contentStart: open.contentStart,
      contentEnd: text.length,
      closed: false,
    });
  }
  return { fences, firstHeading };
}
