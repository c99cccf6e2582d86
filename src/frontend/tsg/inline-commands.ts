/**
 * Commands given inside a paragraph rather than in a code block:
 *
 * - a run line: `Run:`, `Run the following:`, `Execute this command:`, `Command:` … directly
 *   followed by inline code (`Run: \`kubectl get pods\``), or by the rest of the line when that
 *   looks like a command (`Run: kubectl get pods`) → `origin: "run-line"`;
 * - inline code whose first word (after `NAME=value` prefixes and a `$ ` prompt) is a known
 *   command-line tool and that has at least one argument (`\`kubectl -n x get pods\``, not
 *   `\`kubectl\``) → `origin: "inline-code"`.
 *
 * Spans point at the code's text without the backticks.
 */
import type { CommandLine } from "../../ir/nodes.js";
import { makeCommandLine } from "./command-line.js";
import { commandWord, KNOWN_COMMANDS, looksLikeCommand } from "./known-commands.js";
import { MappedTextBuilder, type SourceLine, sourceOffsetIn } from "./mapped-text.js";
import type { MarkdownContext } from "./markdown-context.js";

/** Inline code of a paragraph, with its value mapped to the source. */
export interface InlineCodeSource {
  readonly line: SourceLine;
  /** Source offset where the code node (its opening backticks) starts. */
  readonly nodeStart: number;
}

/** The last sentence before the code must read like an instruction to run it. */
const RUN_BEFORE_CODE =
  /^(?:(?:then|and|now|next|first|finally)\b,?\s+)?(?:run|execute|exec)\b[^:`]{0,60}:$|^(?:the\s+)?command:$/i;
/** A whole line `Run: command` with no inline code. */
const RUN_LINE = /^[ \t>*_]*(?:run|execute)\b[^:`\n]{0,60}:[ \t]*(\S[^\n]*)$/i;
const PROMPT = /^(?:\$|%)[ \t]+/;
/** How far back from inline code a run-line prefix (`Run the following command:`) is looked for. */
const MAX_PREFIX = 200;

export function inlineCommands(
  paragraphStart: number,
  paragraphEnd: number,
  codes: readonly InlineCodeSource[],
  ctx: MarkdownContext,
): CommandLine[] {
  const { text } = ctx;
  const out: CommandLine[] = [];
  for (const code of codes) {
    const lineStart = lineStartBefore(
      text,
      code.nodeStart,
      Math.max(paragraphStart, code.nodeStart - MAX_PREFIX),
    );
    const prefix = lastSentence(text.slice(lineStart, code.nodeStart).replace(/[*_>]/g, "").trim());
    if (RUN_BEFORE_CODE.test(prefix)) {
      const command = commandFrom(code.line, "run-line", ctx);
      if (command !== undefined) out.push(command);
      continue;
    }
    const body = code.line.text.replace(PROMPT, "");
    const word = commandWord(body);
    if (word?.hasArguments && KNOWN_COMMANDS.has(word.word)) {
      const command = commandFrom(code.line, "inline-code", ctx);
      if (command !== undefined) out.push(command);
    }
  }
  // Run lines written without backticks.
  let lineStart = paragraphStart;
  while (lineStart < paragraphEnd) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline < 0 || newline > paragraphEnd ? paragraphEnd : newline;
    const line = text.slice(lineStart, lineEnd);
    const m = RUN_LINE.exec(line);
    const rest = m === null ? "" : m[1]!.trimEnd();
    if (rest !== "" && !rest.includes("`") && looksLikeCommand(rest)) {
      const restStart = lineStart + line.length - m![1]!.length;
      const command = commandFrom({ text: rest, start: restStart }, "run-line", ctx);
      if (command !== undefined) out.push(command);
    }
    lineStart = lineEnd + 1;
  }
  if (out.length > 1) out.sort((a, b) => a.span.start - b.span.start);
  return out;
}

/** The start of the line holding `offset`, looking back no further than `floor`. */
function lineStartBefore(text: string, offset: number, floor: number): number {
  let i = offset;
  while (i > floor && text[i - 1] !== "\n") i--;
  return i;
}

function lastSentence(text: string): string {
  const parts = text.split(/[.!?]\s+/);
  return parts[parts.length - 1] ?? "";
}

function commandFrom(
  line: SourceLine,
  origin: CommandLine["origin"],
  ctx: MarkdownContext,
): CommandLine | undefined {
  const prompt = PROMPT.exec(line.text);
  const from = prompt === null ? 0 : prompt[0].length;
  let to = line.text.length;
  while (to > from && /\s/.test(line.text[to - 1]!)) to--;
  if (to <= from) return undefined;
  // Inline code may wrap: a line ending (with a `\` before it, and the next line's indentation)
  // reads as one space.
  const builder = new MappedTextBuilder();
  let segment = from;
  while (segment < to) {
    const newline = line.text.indexOf("\n", segment);
    if (newline < 0 || newline >= to) {
      builder.appendLine(line, segment, to);
      break;
    }
    let end = newline;
    while (end > segment && /[\s\\]/.test(line.text[end - 1]!)) end--;
    builder.appendLine(line, segment, end);
    builder.appendSynthetic(" ");
    segment = newline + 1;
    while (segment < to && /[ \t>]/.test(line.text[segment]!)) segment++;
  }
  const start = sourceOffsetIn(line, 0);
  const end = sourceOffsetIn(line, to - 1) + 1;
  return makeCommandLine({
    file: ctx.file,
    span: ctx.span(start, end),
    text: builder.build(),
    origin,
    prompt: prompt === null ? undefined : prompt[0].trim(),
  });
}
