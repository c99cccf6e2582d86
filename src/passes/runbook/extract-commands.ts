/**
 * Stage A, command steps: each command of a section's own blocks — a command line of a shell
 * code block, a `Run:` line, inline code that is a command — becomes a step: `cli` when
 * `split-command.ts` gives a plain argv and the command ontology finds no session, endless
 * command, remote command or shell state; else `manual`, showing the exact command and saying
 * why. A command typed at an interactive program's prompt, or inside a session an earlier
 * command opened, is manual too. A state-changing command needs an approval.
 *
 * Sample output (output lines after a prompt, or an output block right after the commands) is
 * attached to the step it illustrates, never executed; data in a block that could have held
 * commands is attached the same way when it follows a command, else shown, never run, and
 * `plan.data` says where it went and why.
 */

import type { CommandLine, OutputLine, TsgBlock, TsgCodeBlock } from "../../ir/nodes.js";
import { assertNever } from "../../ir/nodes.js";
import type { StepOrigin } from "../../ir/runbook-plan.js";
import { commandFacts, unwrap } from "../../lang/runbook/commands.js";
import { DEFAULT_DENY_ENV_VARS, isDeniedEnvVar, programsToAllow } from "../../lang/runbook/governance.js";
import type { CliStep, ManualStep, Step } from "../../lang/runbook/types.js";
import { useVariable } from "./extract-variables.js";
import {
  addNote,
  allocateId,
  clip,
  type Extraction,
  lineAt,
  type SectionInfo,
  titleOf,
  withSample,
} from "./extraction.js";
import { type SplitCommand, splitCommand } from "./split-command.js";

/** Languages of code blocks that show output rather than something to apply. */
const OUTPUT_LANGS = new Set([
  "",
  "text",
  "txt",
  "console",
  "output",
  "plaintext",
  "plain",
  "log",
  "logs",
  "shell-session",
]);

interface WalkState {
  /** Index (in the steps being built) of the last command step. */
  lastCommandStep: number | undefined;
  /** The block just before was a shell block (or a paragraph with commands). */
  lastShellBlock: boolean;
  /** The text of a paragraph just before, to title the next block's first command. */
  leadIn: string | undefined;
  /** A paragraph ending in `:` stands between the last commands and what comes next. */
  leadInAfterCommands: boolean;
  /** An interactive session a command of this section opened: later commands run inside it. */
  session: { reason: string; line: number } | undefined;
}

/** The command steps of a section's own blocks (not its subsections), in order. */
export function commandSteps(x: Extraction, blocks: readonly TsgBlock[], section: SectionInfo): Step[] {
  const steps: Step[] = [];
  const state: WalkState = {
    lastCommandStep: undefined,
    lastShellBlock: false,
    leadIn: undefined,
    leadInAfterCommands: false,
    session: undefined,
  };
  walkBlocks(x, blocks, section, steps, state);
  return steps;
}

function walkBlocks(
  x: Extraction,
  blocks: readonly TsgBlock[],
  section: SectionInfo,
  steps: Step[],
  state: WalkState,
): void {
  for (const block of blocks) {
    switch (block.kind) {
      case "code":
        if (block.role === "shell") shellBlock(x, block, section, steps, state);
        else literalBlock(x, block, steps, state);
        break;
      case "paragraph": {
        for (const command of block.commands) {
          const title = titleOf(block.text);
          steps.push(commandStep(x, command, section, title, command.origin).step);
        }
        // "The pool you get back looks like this:" between commands and the data they print.
        state.leadInAfterCommands =
          state.lastShellBlock && block.commands.length === 0 && /:\s*$/.test(block.text);
        state.lastShellBlock = block.commands.length > 0;
        state.lastCommandStep = block.commands.length > 0 ? steps.length - 1 : state.lastCommandStep;
        state.leadIn = block.commands.length > 0 ? undefined : block.text;
        break;
      }
      case "list":
        state.leadInAfterCommands = false;
        for (const item of block.items) walkBlocks(x, item.blocks, section, steps, state);
        state.leadIn = undefined;
        break;
      case "blockquote":
        walkBlocks(x, block.blocks, section, steps, state);
        break;
      case "table":
      case "html":
      case "thematic-break":
        state.leadIn = undefined;
        state.leadInAfterCommands = false;
        break;
      default:
        assertNever(block, "TSG block");
    }
  }
}

function shellBlock(
  x: Extraction,
  block: TsgCodeBlock,
  section: SectionInfo,
  steps: Step[],
  state: WalkState,
): void {
  let pendingComment: string | undefined;
  let last: number | undefined;
  /** The last line read was a command or its output (not a comment): output continues it. */
  let afterCommand = false;
  let sample: OutputLine[] = [];
  let data: OutputLine[] = [];
  const flushSample = () => {
    if (last !== undefined && sample.length > 0)
      steps[last] = withSample(
        x,
        steps[last]!,
        sample.map((l) => l.text),
        linesSpan(sample),
      );
    sample = [];
  };
  const flushData = () => {
    if (data.length > 0) noteDataRun(x, block, data, afterCommand ? steps[last!]?.id : undefined);
    data = [];
  };
  let first = true;
  for (const line of block.lines) {
    if (line.kind === "comment") {
      flushSample();
      flushData();
      afterCommand = false;
      pendingComment = line.text.replace(/^#+\s*/, "").trim() || undefined;
      continue;
    }
    if (line.kind === "output") {
      if (line.dataReason !== undefined) data.push(line);
      else flushData();
      if (last !== undefined && (afterCommand || line.dataReason === undefined)) sample.push(line);
      continue;
    }
    flushSample();
    flushData();
    afterCommand = true;
    x.coverage.commandLines += 1;
    const title = pendingComment ?? (first && state.leadIn !== undefined ? titleOf(state.leadIn) : undefined);
    pendingComment = undefined;
    first = false;
    const session = state.session;
    const insideSession =
      session === undefined ? undefined : `${INSIDE_SESSION} ${session.line} (${session.reason})`;
    const { step, split } = commandStep(
      x,
      line,
      section,
      title,
      "code-block",
      insideSession ?? atReplPrompt(line),
    );
    steps.push(step);
    last = steps.length - 1;
    x.coverage.covered += 1;
    const facts = split.argv === undefined ? commandFacts(split.words) : commandFacts(split.argv);
    if (/^(?:exit|logout|\\q|quit)$/.test(line.text.trim())) state.session = undefined;
    // A command that opens a session of its own ends the one before (the TSG moved on).
    else if (facts.session !== undefined)
      state.session = { reason: facts.session, line: lineAt(x, line.span.start) };
  }
  flushSample();
  flushData();
  state.lastCommandStep = last ?? state.lastCommandStep;
  state.lastShellBlock = last !== undefined;
  state.leadIn = undefined;
  state.leadInAfterCommands = false;
}

/** A run of a shell block's lines read as data: shown with the step `sampleOf`, or not run. */
function noteDataRun(
  x: Extraction,
  block: TsgCodeBlock,
  lines: readonly OutputLine[],
  sampleOf: string | undefined,
): void {
  const span = linesSpan(lines);
  const line = lineAt(x, lines[0]!.span.start);
  const endLine = lineAt(x, lines[lines.length - 1]!.span.start);
  const reason = lines[0]!.dataReason!;
  x.data.push({
    span,
    lang: block.lang,
    wholeBlock: false,
    reason,
    ...(sampleOf === undefined ? {} : { sampleOf }),
  });
  if (sampleOf === undefined)
    x.uncertainties.push({
      kind: "data",
      span,
      text: `${endLine > line ? `Lines ${line}–${endLine}` : `Line ${line}`} of a ${blockName(block)} block ${endLine > line ? "were" : "was"} read as data, not commands: ${reason}. They are not in the runbook (mapping.md lists them); if they are meant to be run, put a \`$ \` prompt before each command.`,
    });
}

function literalBlock(x: Extraction, block: TsgCodeBlock, steps: Step[], state: WalkState): void {
  const outputLike = OUTPUT_LANGS.has(block.lang) || block.dataReason !== undefined;
  let sampleOf: string | undefined;
  const follows = state.lastShellBlock || (block.dataReason !== undefined && state.leadInAfterCommands);
  if (outputLike && follows && state.lastCommandStep !== undefined) {
    const index = state.lastCommandStep;
    const step = steps[index];
    if (step !== undefined && step.type !== "group" && step.sample_output === undefined) {
      steps[index] = withSample(x, step, block.text.replace(/\n$/, "").split("\n"), block.textSpan);
      sampleOf = step.id;
    }
  }
  if (block.dataReason !== undefined)
    x.data.push({
      span: block.textSpan,
      lang: block.lang,
      wholeBlock: true,
      reason: block.dataReason,
      ...(sampleOf === undefined ? {} : { sampleOf }),
    });
  if (sampleOf !== undefined) {
    state.lastShellBlock = false;
    state.leadInAfterCommands = false;
    return;
  }
  if (block.dataReason !== undefined)
    x.uncertainties.push({
      kind: "data",
      span: block.textSpan,
      text: `A ${blockName(block)} block was read as data, not commands: ${block.dataReason}. It is not in the runbook (mapping.md lists it); if it is meant to be applied, that is a manual step.`,
    });
  else if (!outputLike || block.text.trim().length > 0) {
    x.uncertainties.push({
      kind: "literal-block",
      span: block.span,
      text: `A ${blockName(block)} code block is shown but not run; if it is meant to be applied, that is a manual step.`,
    });
  }
  state.lastShellBlock = false;
  state.leadIn = undefined;
  state.leadInAfterCommands = false;
}

/** One command as a `cli` or `manual` step, with its note, variables and uncertainties. */
function commandStep(
  x: Extraction,
  command: CommandLine,
  section: SectionInfo,
  title: string | undefined,
  origin: StepOrigin,
  forcedReason?: string,
): { step: Step; split: SplitCommand } {
  const split = splitCommand(command, x.source, (name) => isDeniedEnvVar(name, DEFAULT_DENY_ENV_VARS));
  const at = command.span;
  const facts = commandFacts(split.argv ?? split.words);
  const reason =
    (facts.session === undefined ? forcedReason : undefined) ??
    (split.secrets.length > 0
      ? `it needs the secret ${split.secrets.map((s) => `\`${s}\``).join(", ")}, which a runbook may not read`
      : undefined) ??
    split.shellReason ??
    (split.argv?.[0]?.includes("{{")
      ? `the program to run is a placeholder (${split.vars[0]?.raw ?? split.argv[0]})`
      : undefined) ??
    facts.session ??
    facts.endless ??
    facts.remote ??
    facts.shellState;

  if (split.literalTemplates && reason === undefined)
    x.uncertainties.push({
      kind: "template",
      span: at,
      text: "Go-template text in this command is kept literally (escaped), not filled in.",
    });
  const id = allocateId(x, stepIdBase(split), "step");
  const approvals = facts.mutating === undefined ? undefined : { min: 1 };
  let step: Step;
  if (reason === undefined && split.argv !== undefined) {
    for (const v of split.vars) useVariable(x.vars, v.name, v.raw, at);
    for (const program of programsToAllow(split.argv)) x.allowed.add(program);
    const cli: CliStep = {
      id,
      type: "cli",
      ...(title === undefined ? {} : { title }),
      with: { argv: split.argv },
      ...(approvals === undefined ? {} : { approvals }),
    };
    step = cli;
  } else {
    const manual: ManualStep = {
      id,
      type: "manual",
      title: title ?? `Run \`${clip(command.text, 60)}\` by hand`,
      instructions: `Run this command yourself, because ${reason ?? "it cannot be run as one program"}, and record what it printed.`,
      command: command.text,
      reason: reason ?? "it cannot be run as one program",
      required_evidence: [
        { kind: "text", name: "output", description: "What the command printed, or what you saw." },
      ],
      ...(approvals === undefined ? {} : { approvals }),
    };
    step = manual;
    x.uncertainties.push({ kind: "manual", span: at, text: `\`${id}\` is manual: ${manual.reason}.` });
  }
  if (approvals !== undefined)
    x.uncertainties.push({
      kind: "approval",
      span: at,
      text: `\`${id}\` needs an approval: ${facts.mutating}.`,
    });
  if (split.secrets.length > 0)
    x.uncertainties.push({
      kind: "secret",
      span: at,
      text: `\`${id}\` needs ${split.secrets.map((s) => `\`${s}\``).join(", ")}; secrets stay out of the runbook.`,
    });
  addNote(x, {
    id,
    type: step.type,
    origin,
    span: command.span,
    sectionTitle: section.title,
    section: section.id,
    command: command.text,
    ...(step.type === "manual" ? { manualReason: step.reason } : {}),
    ...(facts.mutating === undefined ? {} : { approvalReason: facts.mutating }),
  });
  return { step, split };
}

/** From the first of some lines of a block to the last (each a line's content, never empty). */
function linesSpan(lines: readonly OutputLine[]) {
  const first = lines[0]!.span;
  const last = lines[lines.length - 1]!.span;
  return { file: first.file, start: first.start, end: Math.max(last.end, last.start + 1) };
}

/** "plain" for an unlabelled block, else its language in backquotes. */
function blockName(block: TsgCodeBlock): string {
  return block.lang === "" ? "plain" : `\`${block.lang}\``;
}

/**
 * Why a command must be typed by hand because it is typed at an interactive program's prompt
 * (`db=#`, `gpg/card>`, or a bare `>` before text that is no shell command); undefined otherwise.
 */
/** How a manual reason starts when the command runs inside a session an earlier command opened. */
export const INSIDE_SESSION = "it runs inside the session opened on line";

function atReplPrompt(line: CommandLine): string | undefined {
  if (line.promptKind === "repl")
    return `it is typed at the \`${line.prompt}\` prompt of an interactive program, not run by a shell`;
  return undefined;
}

/** `kubectl -n {{ .NS }} get pod {{ .POD }}` → `kubectl_get_pod`. */
function stepIdBase(split: SplitCommand): string {
  const words = unwrap(split.argv ?? split.words);
  const program = (words[0] ?? "command")
    .split("/")
    .pop()!
    .replace(/\.(?:sh|py|rb)$/, "");
  const parts = [program];
  for (const word of words.slice(1)) {
    if (parts.length >= 3) break;
    if (word.startsWith("-") || word.includes("{{") || word.includes("=") || word.includes("/")) continue;
    if (!/^[A-Za-z][A-Za-z0-9_.:-]{0,24}$/.test(word)) continue;
    parts.push(word);
  }
  return parts.join("_");
}
