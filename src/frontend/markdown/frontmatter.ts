/**
 * YAML frontmatter at the start of a file: a first line `---`, the YAML, and a closing line
 * `---` (or `...`). One implementation for `.rllm` files and task files; any line ending
 * (`\n`, `\r\n`, lone `\r`) is accepted. (TSGs get theirs from remark-frontmatter, whose rules
 * are the same for the `---` form.)
 */
export interface Frontmatter {
  readonly yamlStart: number;
  readonly yamlEnd: number;
  /** Offset of the first character after the closing line. */
  readonly bodyStart: number;
}

export type FrontmatterSearch =
  | { readonly found: "none" }
  | { readonly found: "unclosed" }
  | ({ readonly found: "closed" } & Frontmatter);

const OPEN = /^---[ \t]*(?:\r\n|\n|\r|$)/;
const CLOSE = /^(?:---|\.\.\.)[ \t]*$/gm;

export function findFrontmatter(text: string): FrontmatterSearch {
  const open = OPEN.exec(text);
  if (open === null) return { found: "none" };
  const yamlStart = open[0].length;
  CLOSE.lastIndex = yamlStart;
  for (let m = CLOSE.exec(text); m !== null; m = CLOSE.exec(text)) {
    // With the m flag `$` matches before "\n" only: a close line must also end at a terminator.
    if (m.index !== yamlStart && !isLineStart(text, m.index)) continue;
    const closeEnd = m.index + m[0].length;
    if (closeEnd < text.length && text[closeEnd] !== "\n" && text[closeEnd] !== "\r") continue;
    const bodyStart = closeEnd + newlineLength(text, closeEnd);
    return { found: "closed", yamlStart, yamlEnd: m.index, bodyStart };
  }
  return { found: "unclosed" };
}

function isLineStart(text: string, index: number): boolean {
  const c = text.charCodeAt(index - 1);
  return c === 10 || c === 13;
}

function newlineLength(text: string, at: number): number {
  if (text.startsWith("\r\n", at)) return 2;
  return text[at] === "\n" || text[at] === "\r" ? 1 : 0;
}
