/**
 * Finds the YAML frontmatter of an `.rllm` file: a first line `---`, the YAML, and a closing line
 * `---` (or `...`). Returns where the YAML and the body are; offsets index the source text.
 */
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";

export interface FrontmatterSplit {
  readonly yamlStart: number;
  readonly yamlEnd: number;
  /** Offset of the first character after the closing line. */
  readonly bodyStart: number;
}

const OPEN = /^---[ \t]*(?:\r\n|\n|\r|$)/;
const CLOSE = /^(?:---|\.\.\.)[ \t]*$/gm;

export function splitFrontmatter(
  file: string,
  text: string,
): { split: FrontmatterSplit | undefined; diagnostics: Diagnostic[] } {
  const open = OPEN.exec(text);
  if (open === null) {
    const end = lineEnd(text, 0);
    return {
      split: undefined,
      diagnostics: [makeDiagnostic(Diagnostics.RllmMissingFrontmatter, { file, start: 0, end }, {})],
    };
  }
  const yamlStart = open[0].length;
  CLOSE.lastIndex = yamlStart;
  for (let m = CLOSE.exec(text); m !== null; m = CLOSE.exec(text)) {
    // `^` with the m flag also matches after a lone "\r"; accept only real line starts.
    if (m.index !== yamlStart && !isLineStart(text, m.index)) continue;
    const closeEnd = m.index + m[0].length;
    const bodyStart = closeEnd + newlineLength(text, closeEnd);
    return { split: { yamlStart, yamlEnd: m.index, bodyStart }, diagnostics: [] };
  }
  return {
    split: undefined,
    diagnostics: [makeDiagnostic(Diagnostics.RllmUnclosedFrontmatter, { file, start: 0, end: 3 }, {})],
  };
}

function isLineStart(text: string, index: number): boolean {
  const c = text.charCodeAt(index - 1);
  return c === 10 || c === 13;
}

function newlineLength(text: string, at: number): number {
  if (text.startsWith("\r\n", at)) return 2;
  return text[at] === "\n" || text[at] === "\r" ? 1 : 0;
}

function lineEnd(text: string, from: number): number {
  const n = text.slice(from).search(/\r|\n/);
  return n < 0 ? text.length : from + n;
}
