/**
 * Splits the lines of a `shell` code block into commands, sample output and comments.
 *
 * - Blank lines are skipped; a lone prompt (`$`) is skipped.
 * - A line with a shell or root prompt starts a command: the prompt is removed and kept in
 *   `prompt`, then the command runs on while the shell would keep reading it: `\` continuations
 *   (joined with one space), an open quote, `$(…)`, a compound command (`for … done`), a
 *   trailing `|`/`&&`/`||` (joined with a newline, as written), and heredoc bodies up to and
 *   including their delimiter line. Continuation lines of a prompted command may carry a `> `
 *   secondary prompt, which is removed. If such a multi-line construct is still open at the end
 *   of the block (or runs into another prompt, or past 100 lines), it was not one: the command
 *   is read again with only `\` continuations and heredocs.
 * - A line with a REPL prompt (`db=#`, `irb>`, `10.0.0.1:6379>`) or a bare `> ` is a one-line
 *   command: it runs inside an interactive program opened by an earlier command.
 * - A whole-line `#` comment is a comment (see `line-facts.ts` for `# ` root prompts).
 * - In a block with no prompt at all, a line starts a command only when it could be one
 *   (`dataLineReason` in `data-text.ts`: its first word is a program name, and it does not
 *   start like a log line or a query); a line that could not is data, with the reason kept.
 *   After the block's first command, a line that could be one is still output when it does not
 *   look like a known command (`looksLikeCommand`) and it is shaped like output (it starts with
 *   a capitalised word or a digit: `NAME  READY`, `WARNING: …`, `3 rows`), is a table row
 *   (three or more columns apart by runs of spaces), is a lone word, or follows output (the rows of a table
 *   whose header was output: `kube-system  kube-dns-5c4  3m  44Mi`). After a command that opens
 *   an interactive session (`gitlab-rails console`, `psql`; the command ontology decides), lines
 *   are what is typed into it, up to `exit`: they are read as commands unless shaped like output.
 * - In a block with prompts, a line without one is output — except, outside transcript
 *   languages (`console`, …), a line before the first prompt that looks like a command.
 * - `...` and `…` lines are output (an elision), and so are lines no command starts with
 *   (`| table |`, `+---+`, `-rw-r--r--`, `└─`, `=> result`, `ls -l`'s `total 24K`), even in a
 *   block without prompts.
 *
 * PowerShell blocks continue lines with a trailing backtick and have no heredocs.
 */

import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { ShellLine } from "../../ir/nodes.js";
import type { Span } from "../../ir/span.js";
import { commandFacts } from "../../lang/runbook/commands.js";
import { POWERSHELL_LANGUAGES, SESSION_LANGUAGES } from "./code-block-role.js";
import { makeCommandLine } from "./command-line.js";
import { dataLineReason, TABLE_ROW } from "./data-text.js";
import { looksLikeCommand } from "./known-commands.js";
import type { BlockFacts } from "./line-facts.js";
import { MappedTextBuilder, type SourceLine, sourceOffsetIn } from "./mapped-text.js";
import type { BodyRange } from "./placeholders.js";
import { type PromptMatch, secondaryPromptLength } from "./prompts.js";
import { type HeredocOperator, type LineScan, ShellScanner } from "./shell-scanner.js";

/** Longest multi-line construct (other than `\` and heredocs) one command may span. */
const MAX_STRUCTURAL_LINES = 100;
const ELLIPSIS = /^\s*(?:\.\.\.|…|\[\.\.\.\]|<snip>)\s*$/;
/**
 * Lines no command starts with: table rows and borders (`| a |`, `+---+`), `ls -l` modes
 * (`-rw-r--r--`), box drawing (`└─`), irb results (`=> x`).
 */
const NOT_A_COMMAND = /^\s*(?:\||\+[-=]|[-dlcbps][r-][w-][xsStT-][r-][w-]|[\u2500-\u257f]|=>|total \d)/;
/** The shape of a line of output: a capitalised word (`NAME`, `WARNING:`, `Error`) or a number. */
const OUTPUT_SHAPE = /^\s*(?:[A-Z][A-Za-z0-9_-]*(?::|\s|$)|\d)/;
/** A line that ends an interactive session. */
const SESSION_END = /^\s*(?:exit|logout|quit|\\q)\s*$/;

/** True when the command `text` opens an interactive session (the command ontology's verdict). */
function opensSession(text: string): boolean {
  return commandFacts(text.split(/\s+/).filter((w) => w !== "")).session !== undefined;
}

/**
 * A lone word with no argument (`options`): after a command, output unless it is a known
 * command or one of the shell's own words that stand alone (`exit`, `logout`, `history`).
 */
const LONE_WORD =
  /^\s*(?!(?:exit|logout|quit|history|clear|reset|jobs|fg|bg|w|who|last|sync|true|false|reboot|halt)\s*$)[A-Za-z][\w.-]*\s*$/;

export interface ShellBlock {
  readonly file: string;
  readonly lang: string;
  readonly lines: readonly SourceLine[];
  readonly facts: BlockFacts;
}

export function splitShellLines(block: ShellBlock, diagnostics: Diagnostic[]): ShellLine[] {
  return new Splitter(block, diagnostics).run();
}

interface ReadResult {
  readonly line: ShellLine;
  readonly next: number;
  readonly diagnostics: readonly Diagnostic[];
}

class Splitter {
  readonly #file: string;
  readonly #lines: readonly SourceLine[];
  readonly #facts: BlockFacts;
  readonly #powershell: boolean;
  readonly #session: boolean;
  readonly #diagnostics: Diagnostic[];
  /** Structural continuation lines this block may still use: keeps the work linear. */
  #budget: number;

  constructor(block: ShellBlock, diagnostics: Diagnostic[]) {
    this.#file = block.file;
    this.#lines = block.lines;
    this.#facts = block.facts;
    this.#powershell = POWERSHELL_LANGUAGES.has(block.lang);
    this.#session = SESSION_LANGUAGES.has(block.lang) && block.facts.prompted;
    this.#diagnostics = diagnostics;
    this.#budget = 2 * block.lines.length + 200;
  }

  run(): ShellLine[] {
    const out: ShellLine[] = [];
    const lines = this.#lines;
    const facts = this.#facts.lines;
    const prompted = this.#facts.prompted;
    let seenPrompt = false;
    let seenCommand = false;
    /** The last line read (blank lines aside) was output. */
    let afterOutput = false;
    /** A command of this (prompt-less) block opened an interactive session that is still open. */
    let inSession = false;
    let i = 0;
    while (i < lines.length) {
      const fact = facts[i]!;
      const line = lines[i]!;
      if (fact.blank) {
        i++;
        continue;
      }
      const prompt = fact.prompt;
      if (prompt !== undefined) {
        seenPrompt = true;
        const rest = line.text.slice(prompt.textStart).trimEnd();
        if (rest === "") {
          i++;
        } else if (rest.startsWith("#")) {
          out.push({ kind: "comment", span: this.#lineSpan(line, prompt.textStart), text: rest });
          i++;
        } else if (prompt.kind === "repl" || prompt.kind === "gt") {
          out.push(this.#oneLine(line, prompt));
          i++;
        } else {
          i = this.#command(i, prompt.textStart, prompt, out);
        }
        continue;
      }
      if (fact.comment) {
        const start = firstNonBlank(line.text);
        out.push({ kind: "comment", span: this.#lineSpan(line, start), text: line.text.trim() });
        afterOutput = false;
        i++;
        continue;
      }
      let dataReason: string | undefined;
      let isCommand = !ELLIPSIS.test(line.text) && !NOT_A_COMMAND.test(line.text);
      if (isCommand && prompted) isCommand = !seenPrompt && !this.#session && looksLikeCommand(line.text);
      else if (isCommand && inSession) {
        // Typed into the program a command of this block opened (`gitlab-rails console`):
        // the program's own language, read as before there was a data rule.
        isCommand = !OUTPUT_SHAPE.test(line.text) || looksLikeCommand(line.text);
      } else if (isCommand) {
        const known = looksLikeCommand(line.text);
        const outputShaped = OUTPUT_SHAPE.test(line.text);
        // The reason is kept only for a line that reads as a command but for it (ordinary
        // output stays ordinary output).
        const reason = dataLineReason(line.text);
        if (!seenCommand || known || !outputShaped) dataReason = reason;
        isCommand =
          reason === undefined &&
          (!seenCommand ||
            known ||
            !(afterOutput || outputShaped || TABLE_ROW.test(line.text) || LONE_WORD.test(line.text)));
      }
      if (!isCommand) {
        const text = line.text.trimEnd();
        const span = this.#lineSpan(line, 0);
        out.push(
          dataReason === undefined
            ? { kind: "output", span, text }
            : { kind: "output", span, text, dataReason },
        );
        afterOutput = true;
        i++;
        continue;
      }
      seenCommand = true;
      afterOutput = false;
      i = this.#command(i, firstNonBlank(line.text), undefined, out);
      const text = (out[out.length - 1] as { text: string }).text;
      if (SESSION_END.test(text)) inSession = false;
      else if (!inSession && opensSession(text)) inSession = true;
    }
    return out;
  }

  /** Reads the command starting at line `index`, column `column`; returns the next line index. */
  #command(index: number, column: number, prompt: PromptMatch | undefined, out: ShellLine[]): number {
    const result =
      (!this.#powershell && this.#budget > 0 ? this.#read(index, column, prompt, true) : undefined) ??
      this.#read(index, column, prompt, false)!;
    out.push(result.line);
    for (const d of result.diagnostics) this.#diagnostics.push(d);
    return result.next;
  }

  /**
   * One attempt at reading a command. With `structural`, open quotes, brackets, compound
   * commands and trailing operators continue it; undefined when such a construct never closes.
   */
  #read(
    index: number,
    column: number,
    prompt: PromptMatch | undefined,
    structural: boolean,
  ): ReadResult | undefined {
    const lines = this.#lines;
    const file = this.#file;
    const stripSecondary = prompt !== undefined;
    const scanner = new ShellScanner();
    const builder = new MappedTextBuilder();
    const heredocs: string[] = [];
    const bodies: BodyRange[] = [];
    const diagnostics: Diagnostic[] = [];
    let pending: { operator: HeredocOperator; line: SourceLine }[] = [];
    let structuralLines = 0;
    let li = index;
    let col = column;
    let joiner = "";
    let end = 0;
    for (;;) {
      const line = lines[li]!;
      const scan = this.#powershell ? powerShellScan(line.text, col) : scanner.scanLine(line.text, col);
      for (const operator of scan.heredocs) pending.push({ operator, line });
      let to = scan.continuation >= 0 ? scan.continuation : line.text.length;
      while (to > col && isSpace(line.text.charCodeAt(to - 1))) to--;
      if (joiner !== "") builder.appendSynthetic(joiner);
      builder.appendLine(line, col, to);
      end = lineContentEnd(line);

      if (scan.continuation < 0 && pending.length > 0) {
        for (const { operator, line: opLine } of pending) {
          const bodyStart = builder.length + 1;
          let found = false;
          for (let k = li + 1; k < lines.length; k++) {
            const body = lines[k]!;
            const skip = stripSecondary ? secondaryPromptLength(body.text) : 0;
            builder.appendSynthetic("\n");
            builder.appendLine(body, skip, trimmedEnd(body.text, skip));
            // A structural attempt may be thrown away: charge what it reads to the budget.
            if (structural) this.#budget--;
            li = k;
            end = lineContentEnd(body);
            if (isDelimiter(body.text.slice(skip), operator)) {
              found = true;
              break;
            }
          }
          bodies.push({
            start: Math.min(bodyStart, builder.length),
            end: builder.length,
            quoted: operator.quoted,
          });
          heredocs.push(operator.delimiter);
          if (!found) {
            const span = this.#span(opLine, operator.start, operator.end);
            diagnostics.push(
              makeDiagnostic(Diagnostics.TsgUnterminatedHeredoc, span, { delimiter: operator.delimiter }),
            );
          }
        }
        pending = [];
      }

      if (scan.continuation >= 0) {
        if (li + 1 < lines.length) {
          li++;
          const nextText = lines[li]!.text;
          col = stripSecondary ? secondaryPromptLength(nextText) : 0;
          while (col < nextText.length && isSpace(nextText.charCodeAt(col))) col++;
          joiner = " ";
          continue;
        }
        const span = this.#span(line, scan.continuation, scan.continuation + 1);
        diagnostics.push(makeDiagnostic(Diagnostics.TsgUnterminatedContinuation, span, {}));
        break;
      }
      if (structural && scanner.open) {
        const next = li + 1;
        if (next >= lines.length || structuralLines >= MAX_STRUCTURAL_LINES || this.#budget <= 0)
          return undefined;
        const nextPrompt = this.#facts.lines[next]!.prompt;
        if (nextPrompt !== undefined && nextPrompt.kind !== "gt") return undefined;
        structuralLines++;
        this.#budget--;
        li = next;
        col = stripSecondary ? secondaryPromptLength(lines[li]!.text) : 0;
        joiner = "\n";
        continue;
      }
      break;
    }
    const first = lines[index]!;
    const start = sourceOffsetIn(first, prompt === undefined ? column : prompt.promptStart);
    const line = makeCommandLine({
      file,
      span: { file, start, end: Math.max(start, end) },
      text: builder.build(),
      origin: "code-block",
      prompt: prompt?.prompt,
      promptKind: prompt?.kind,
      heredocs,
      bodies,
    });
    return { line, next: li + 1, diagnostics };
  }

  #oneLine(line: SourceLine, prompt: PromptMatch): ShellLine {
    const builder = new MappedTextBuilder();
    builder.appendLine(line, prompt.textStart, trimmedEnd(line.text, prompt.textStart));
    const start = sourceOffsetIn(line, prompt.promptStart);
    const text = builder.build();
    return makeCommandLine({
      file: this.#file,
      span: { file: this.#file, start, end: Math.max(start, lineContentEnd(line)) },
      text,
      origin: "code-block",
      prompt: prompt.prompt,
      // A bare `>` before text that is no shell command is an interactive program's prompt.
      promptKind: prompt.kind === "gt" && !looksLikeCommand(text.text) ? "repl" : prompt.kind,
    });
  }

  #lineSpan(line: SourceLine, from: number): Span {
    const start = sourceOffsetIn(line, from);
    return { file: this.#file, start, end: Math.max(start, lineContentEnd(line)) };
  }

  #span(line: SourceLine, from: number, to: number): Span {
    const start = sourceOffsetIn(line, from);
    return {
      file: this.#file,
      start,
      end: Math.max(start, sourceOffsetIn(line, Math.max(from, to - 1)) + 1),
    };
  }
}

/** PowerShell: a trailing backtick continues the line. */
function powerShellScan(text: string, from: number): LineScan {
  const end = trimmedEnd(text, from);
  return { continuation: end > from && text[end - 1] === "`" ? end - 1 : -1, heredocs: [] };
}

function isDelimiter(text: string, operator: HeredocOperator): boolean {
  const line = operator.stripTabs ? text.replace(/^\t+/, "") : text;
  return line === operator.delimiter || line.trim() === operator.delimiter;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

function trimmedEnd(text: string, from: number): number {
  let to = text.length;
  while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
  return to;
}

function firstNonBlank(text: string): number {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Source offset just after the last non-blank character of the line (its start when blank). */
function lineContentEnd(line: SourceLine): number {
  const to = trimmedEnd(line.text, 0);
  return to === 0 ? sourceOffsetIn(line, 0) : sourceOffsetIn(line, to - 1) + 1;
}
