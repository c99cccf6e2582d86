/**
 * An mdast `code` node → `TsgCodeBlock`: language and meta from the info string, the lines
 * mapped back to the source (Markdown strips list indentation and `>` markers from them), the
 * role (`code-block-role.ts`), the shell lines (`shell-lines.ts`), and TSG3001 for a fence that
 * is never closed.
 */
import type { Code } from "mdast";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { ShellLine, TsgCodeBlock } from "../../ir/nodes.js";
import { readCodeBlock } from "./code-block-role.js";
import { analyseLines, type BlockFacts } from "./line-facts.js";
import { alignText, type SourceLine, sourceOffsetIn } from "./mapped-text.js";
import type { MarkdownContext } from "./markdown-context.js";
import { splitShellLines } from "./shell-lines.js";

const LINE_BREAK = /\r\n|\r|\n/;

export function buildCodeBlock(node: Code, ctx: MarkdownContext): TsgCodeBlock {
  const { text } = ctx;
  const start = ctx.start(node);
  const end = ctx.end(node);
  const fence = openingFence(text, start);
  const fenced = fence !== undefined;
  const lang = (node.lang ?? "").toLowerCase();
  const meta = node.meta ?? "";
  const startLine = (node.position?.start.line ?? 1) - 1;
  const lines = sourceLines(node.value, fenced ? startLine + 1 : startLine, ctx);

  if (fence !== undefined && !closesFence(text, ctx, startLine, node, start, end, fence)) {
    const fenceEnd = lineEnd(text, ctx.lineStarts, startLine);
    ctx.diagnostics.push(
      makeDiagnostic(Diagnostics.TsgUnclosedFence, ctx.span(start, Math.min(fenceEnd, end)), {}),
    );
  }

  const texts = lines.map((l) => l.text);
  let facts: BlockFacts | undefined;
  const getFacts = (): BlockFacts => {
    facts ??= analyseLines(texts);
    return facts;
  };
  const { role, dataReason } = readCodeBlock(lang, texts, getFacts);
  const shellLines: ShellLine[] =
    role === "shell"
      ? splitShellLines({ file: ctx.file, lang, lines, facts: getFacts() }, ctx.diagnostics)
      : [];

  const first = lines[0];
  const last = lines[lines.length - 1];
  const contentStart =
    first !== undefined ? sourceOffsetIn(first, 0) : Math.min(end, ctx.lineStarts[startLine + 1] ?? end);
  const contentEnd = last !== undefined ? sourceOffsetIn(last, last.text.length) : contentStart;
  return {
    kind: "code",
    span: ctx.span(start, end),
    lang,
    meta,
    fenced,
    role,
    ...(dataReason === undefined ? {} : { dataReason }),
    text: node.value,
    textSpan: ctx.span(contentStart, contentEnd),
    lines: shellLines,
  };
}

interface Fence {
  readonly char: string;
  readonly length: number;
}

/** The opening fence at `start` (after at most three spaces), or undefined for indented code. */
function openingFence(text: string, start: number): Fence | undefined {
  let i = start;
  while (i < start + 3 && text[i] === " ") i++;
  const char = text[i];
  if (char !== "`" && char !== "~") return undefined;
  let length = 0;
  while (text[i + length] === char) length++;
  return length >= 3 ? { char, length } : undefined;
}

/** True when the node's last line is a closing fence (and not its own opening line). */
function closesFence(
  text: string,
  ctx: MarkdownContext,
  startLine: number,
  node: Code,
  start: number,
  end: number,
  fence: Fence,
): boolean {
  const endLine = (node.position?.end.line ?? 1) - 1;
  if (endLine <= startLine) return false;
  const from = Math.max(start, ctx.lineStarts[endLine] ?? start);
  const last = text.slice(from, end);
  const m = /^[ \t>]*(`{3,}|~{3,})[ \t]*$/.exec(last);
  return m !== null && m[1]![0] === fence.char && m[1]!.length >= fence.length;
}

/**
 * The lines of a code node's value, each mapped to the source: value line `i` is the tail of
 * source line `firstLine + i` (Markdown only removes container prefixes and indentation from
 * the front); when a tab was partly consumed the line is aligned character by character.
 */
function sourceLines(value: string, firstLine: number, ctx: MarkdownContext): SourceLine[] {
  if (value === "") return [];
  const { text, lineStarts } = ctx;
  const parts = value.split(LINE_BREAK);
  const out: SourceLine[] = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const k = firstLine + i;
    const lineStart = lineStarts[k] ?? text.length;
    const end = lineEnd(text, lineStarts, k);
    if (end - part.length >= lineStart && text.endsWith(part, end)) {
      out[i] = { text: part, start: end - part.length };
    } else {
      const map = alignText(part, text, lineStart, end);
      out[i] = { text: part, start: map[0] ?? lineStart, map };
    }
  }
  return out;
}

/** Offset of the end of line `k` (0-based), before its line ending. */
function lineEnd(text: string, lineStarts: readonly number[], k: number): number {
  let end = lineStarts[k + 1] ?? text.length;
  if (end > (lineStarts[k] ?? 0) && text.charCodeAt(end - 1) === 10) end--;
  if (end > (lineStarts[k] ?? 0) && text.charCodeAt(end - 1) === 13) end--;
  return end;
}
