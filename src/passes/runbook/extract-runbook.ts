/**
 * Stage A of `runbook compile`: the deterministic extraction of a runbook from a TSG's IR, with
 * no model involved. Its rules (docs/runbook-spec.md, "How a TSG becomes a runbook"):
 *
 * - each section with steps becomes a `group` (a single top-level `# Title` section is the
 *   runbook itself, not a group);
 * - each command — a command line of a shell code block, a `Run:` line, inline code that is a
 *   command — becomes a step: `cli` when it needs no shell and opens no session, else `manual`
 *   showing the exact command and saying why;
 * - a command that changes state needs an approval, whatever its step type;
 * - sample output (output lines after a prompt, or an output block right after the commands)
 *   is attached to the step it illustrates, never executed;
 * - data in a block that could have held commands (YAML, JSON, logs, queries: the frontend's
 *   `dataReason`) is attached as sample output when it follows a command, else shown, never
 *   run; `plan.data` says where each such block or run of lines went and why;
 * - a command typed at an interactive program's prompt (`db=#`, `gpg/card>`, a bare `>` before
 *   text that is no shell command) is a `manual` step: it runs inside that program;
 * - a section whose prose gives instructions but no command becomes a `manual` step, its list
 *   items a checklist;
 * - placeholders of `cli` steps become `meta.vars` entries with a TODO (a manual step shows
 *   its command exactly as the source wrote it, never rendered); secrets are never read into
 *   a template: a command that needs one is manual.
 *
 * Nothing is invented: every argv is the split of a command in the source, and every step
 * records the lines it came from.
 */
import { createHash } from "node:crypto";
import { basename, extname } from "node:path";
import { commandFacts, unwrap } from "../../../grammar/runbook/commands.js";
import {
  DEFAULT_DENY_ENV_VARS,
  DEFAULT_REDACT,
  isDeniedEnvVar,
  programsToAllow,
} from "../../../grammar/runbook/governance.js";
import {
  type CliStep,
  type Evidence,
  type GroupStep,
  type ManualStep,
  RUNBOOK_API_VERSION,
  type Runbook,
  type Source,
  type Step,
  type VarSpec,
} from "../../../grammar/runbook/types.js";
import type {
  CommandLine,
  OutputLine,
  TsgBlock,
  TsgCodeBlock,
  TsgModule,
  TsgParagraph,
  TsgSection,
} from "../../ir/nodes.js";
import { assertNever } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import type { DataNote, RunbookPlan, StepNote, StepOrigin, Uncertainty, VarNote } from "./plan.js";
import { linesOf, sourceOf } from "./provenance.js";
import { type SplitCommand, splitCommand } from "./split-command.js";

/** Section titles that describe rather than instruct: their prose never becomes a step. */
const DESCRIPTIVE_TITLES =
  /^(?:meaning|impact|summary|overview|background|description|about|context|symptoms?|references?|related(?: \w+)*|see also|links?|resources|glossary|(?:table of )?contents|toc|notes?|faq|introduction|intro|alert (?:details|definition|description)|details|changelog|history|owners?|ownership|dashboards?|graphs?|metrics|purpose|scope|audience|terminology|definitions?)\b/i;
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
const MAX_SAMPLE_LINES = 40;
const MAX_TITLE = 100;
const MAX_CHECKLIST = 25;
const MAX_INSTRUCTIONS = 4000;

export interface ExtractOptions {
  /** The path written into `source.file` (defaults to the source's path). */
  readonly file?: string;
}

export function extractRunbook(
  module: TsgModule,
  source: SourceFile,
  options: ExtractOptions = {},
): RunbookPlan {
  return new Extraction(module, source, options.file ?? source.path).run();
}

interface SectionInfo {
  readonly id: string;
  readonly title: string;
}

class Extraction {
  readonly #ids = new Set<string>();
  readonly #nextSuffix = new Map<string, number>();
  /** Index in `#notes` of each step's note. */
  readonly #noteIndex = new Map<string, number>();
  readonly #notes: StepNote[] = [];
  readonly #vars = new Map<string, VarNote & { written: string[]; uses: number }>();
  readonly #uncertainties: Uncertainty[] = [];
  readonly #data: DataNote[] = [];
  #commandLines = 0;
  #covered = 0;
  readonly #missing: number[] = [];
  readonly #allowed = new Set<string>();

  constructor(
    readonly module: TsgModule,
    readonly source: SourceFile,
    readonly file: string,
  ) {}

  run(): RunbookPlan {
    const { module } = this;
    const roots = module.sections;
    const single = roots.length === 1 && roots[0]!.depth === 1 ? roots[0]! : undefined;
    const description =
      firstParagraph([...module.preamble, ...(single?.blocks ?? [])]) ?? this.describedBy(roots);
    let steps: Step[];
    if (single !== undefined) {
      const info = { id: single.id, title: single.title };
      steps = [
        ...this.blockSteps(single.blocks, info, single),
        ...single.children.flatMap((c) => this.sectionStep(c)),
      ];
    } else {
      steps = [
        ...this.blockSteps(module.preamble, { id: "", title: module.title }, undefined),
        ...roots.flatMap((s) => this.sectionStep(s)),
      ];
    }
    const vars: Record<string, VarSpec> = {};
    for (const note of [...this.#vars.values()].sort(
      (a, b) => a.firstLine - b.firstLine || compare(a.name, b.name),
    )) {
      vars[note.name] = {
        todo: `set the value of ${note.written.join(" / ")} (first used on line ${note.firstLine})`,
        source: { file: this.file, line: note.firstLine },
      };
      this.#uncertainties.push({
        kind: "variable",
        line: note.firstLine,
        text: `Set \`${note.name}\`: the source leaves ${note.written.map((w) => `\`${w}\``).join(", ")} for the operator to fill in.`,
      });
    }
    const runbook: Runbook = {
      apiVersion: RUNBOOK_API_VERSION,
      meta: {
        name: runbookName(this.file, module.title),
        title: module.title,
        ...(description === undefined ? {} : { description }),
        source: { file: this.file, sha256: createHash("sha256").update(this.source.text).digest("hex") },
        ...(this.#vars.size > 0 ? { vars } : {}),
        governance: {
          allowed_commands: [...this.#allowed].sort(compare),
          deny_env_vars: [...DEFAULT_DENY_ENV_VARS],
          redact: DEFAULT_REDACT.map((r) => ({ ...r })),
          evidence: { require_for_manual: true, store_full_stdout: false },
        },
      },
      steps,
    };
    return {
      runbook,
      file: this.file,
      title: module.title,
      steps: this.#notes,
      vars: [...this.#vars.values()].map(({ name, written, firstLine, uses }) => ({
        name,
        written,
        firstLine,
        uses,
      })),
      uncertainties: [...this.#uncertainties].sort((a, b) => a.line - b.line),
      data: this.#data,
      coverage: { commandLines: this.#commandLines, covered: this.#covered, missingLines: this.#missing },
      interpretation: { kind: "none" },
    };
  }

  /** The first paragraph of a "Meaning"/"Summary"/"Overview"/"Description" section. */
  describedBy(sections: readonly TsgSection[]): string | undefined {
    for (const section of walkSections(sections)) {
      if (/^(?:meaning|summary|overview|description|about|purpose)\b/i.test(section.title)) {
        const text = firstParagraph(section.blocks);
        if (text !== undefined) return text;
      }
    }
    return undefined;
  }

  /** A section as a group of its steps, or nothing when it has none. */
  sectionStep(section: TsgSection): Step[] {
    const info = { id: section.id, title: section.title };
    const steps = [
      ...this.blockSteps(section.blocks, info, section),
      ...section.children.flatMap((c) => this.sectionStep(c)),
    ];
    if (steps.length === 0) return [];
    const id = this.allocateId(section.id || "section", "section");
    const group: GroupStep = {
      id,
      type: "group",
      title: section.title,
      steps,
      source: this.sourceOf(section.span, info),
    };
    this.note({ id, type: "group", origin: "section", span: section.span, sectionTitle: section.title });
    return [group];
  }

  /** The steps of a section's own blocks (not its subsections). */
  blockSteps(blocks: readonly TsgBlock[], section: SectionInfo, owner: TsgSection | undefined): Step[] {
    const steps: Step[] = [];
    this.#session = undefined;
    const state: WalkState = {
      lastCommandStep: undefined,
      lastShellBlock: false,
      leadIn: undefined,
      leadInAfterCommands: false,
    };
    this.walkBlocks(blocks, section, steps, state);
    const hasCommands = steps.length > 0;
    if (owner === undefined) return steps;
    const prose = proseOf(blocks);
    if (
      !hasCommands &&
      prose.instructions &&
      prose.text.length >= 20 &&
      !DESCRIPTIVE_TITLES.test(owner.title.trim())
    ) {
      steps.push(this.proseStep(owner, section, blocks, prose));
    } else if (
      hasCommands &&
      prose.instructionsBesideCommands &&
      !DESCRIPTIVE_TITLES.test(owner.title.trim())
    ) {
      this.#uncertainties.push({
        kind: "prose",
        line: this.line(owner.titleSpan.start),
        text: `Section "${owner.title}" also gives instructions in prose that are not steps: read it beside the steps.`,
      });
    }
    return steps;
  }

  walkBlocks(blocks: readonly TsgBlock[], section: SectionInfo, steps: Step[], state: WalkState): void {
    for (const block of blocks) {
      switch (block.kind) {
        case "code":
          if (block.role === "shell") this.shellBlock(block, section, steps, state);
          else this.literalBlock(block, steps, state);
          break;
        case "paragraph": {
          for (const command of block.commands) {
            const title = titleOf(block.text);
            steps.push(this.commandStep(command, section, title, command.origin));
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
          for (const item of block.items) this.walkBlocks(item.blocks, section, steps, state);
          state.leadIn = undefined;
          break;
        case "blockquote":
          this.walkBlocks(block.blocks, section, steps, state);
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

  shellBlock(block: TsgCodeBlock, section: SectionInfo, steps: Step[], state: WalkState): void {
    let pendingComment: string | undefined;
    let last: number | undefined;
    /** The last line read was a command or its output (not a comment): output continues it. */
    let afterCommand = false;
    let sample: string[] = [];
    let sampleStart = 0;
    let data: OutputLine[] = [];
    const flushSample = () => {
      if (last !== undefined && sample.length > 0)
        steps[last] = this.withSample(steps[last]!, sample, sampleStart);
      sample = [];
    };
    const flushData = () => {
      if (data.length > 0) this.noteDataRun(block, data, afterCommand ? steps[last!]?.id : undefined);
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
        if (last !== undefined && (afterCommand || line.dataReason === undefined)) {
          if (sample.length === 0) sampleStart = line.span.start;
          sample.push(line.text);
        }
        continue;
      }
      flushSample();
      flushData();
      afterCommand = true;
      this.#commandLines += 1;
      const title =
        pendingComment ?? (first && state.leadIn !== undefined ? titleOf(state.leadIn) : undefined);
      pendingComment = undefined;
      first = false;
      const session = this.#session;
      const insideSession =
        session === undefined
          ? undefined
          : `it runs inside the session opened on line ${session.line} (${session.reason})`;
      const step = this.commandStep(line, section, title, "code-block", insideSession ?? atReplPrompt(line));
      steps.push(step);
      last = steps.length - 1;
      this.#covered += 1;
      const split = this.#lastSplit;
      const facts = split?.argv === undefined ? commandFacts(split?.words ?? []) : commandFacts(split.argv);
      if (/^(?:exit|logout|\\q|quit)$/.test(line.text.trim())) this.#session = undefined;
      // A command that opens a session of its own ends the one before (the TSG moved on).
      else if (facts.session !== undefined)
        this.#session = { reason: facts.session, line: this.line(line.span.start) };
    }
    flushSample();
    flushData();
    state.lastCommandStep = last ?? state.lastCommandStep;
    state.lastShellBlock = last !== undefined;
    state.leadIn = undefined;
    state.leadInAfterCommands = false;
  }

  /** A run of a shell block's lines read as data: shown with the step `sampleOf`, or not run. */
  noteDataRun(block: TsgCodeBlock, lines: readonly OutputLine[], sampleOf: string | undefined): void {
    const line = this.line(lines[0]!.span.start);
    const endLine = this.line(lines[lines.length - 1]!.span.start);
    const reason = lines[0]!.dataReason!;
    this.#data.push({
      line,
      endLine,
      lang: block.lang,
      wholeBlock: false,
      reason,
      ...(sampleOf === undefined ? {} : { sampleOf }),
    });
    if (sampleOf === undefined)
      this.#uncertainties.push({
        kind: "data",
        line,
        text: `${endLine > line ? `Lines ${line}–${endLine}` : `Line ${line}`} of a ${blockName(block)} block ${endLine > line ? "were" : "was"} read as data, not commands: ${reason}. They are not in the runbook (mapping.md lists them); if they are meant to be run, put a \`$ \` prompt before each command.`,
      });
  }

  literalBlock(block: TsgCodeBlock, steps: Step[], state: WalkState): void {
    const outputLike = OUTPUT_LANGS.has(block.lang) || block.dataReason !== undefined;
    let sampleOf: string | undefined;
    const follows = state.lastShellBlock || (block.dataReason !== undefined && state.leadInAfterCommands);
    if (outputLike && follows && state.lastCommandStep !== undefined) {
      const index = state.lastCommandStep;
      const step = steps[index];
      if (step !== undefined && step.type !== "group" && step.sample_output === undefined) {
        steps[index] = this.withSample(step, block.text.replace(/\n$/, "").split("\n"), block.textSpan.start);
        sampleOf = step.id;
      }
    }
    if (block.dataReason !== undefined)
      this.#data.push({
        line: this.line(block.textSpan.start),
        endLine: this.line(Math.max(block.textSpan.start, block.textSpan.end - 1)),
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
      this.#uncertainties.push({
        kind: "data",
        line: this.line(block.textSpan.start),
        text: `A ${blockName(block)} block was read as data, not commands: ${block.dataReason}. It is not in the runbook (mapping.md lists it); if it is meant to be applied, that is a manual step.`,
      });
    else if (!outputLike || block.text.trim().length > 0) {
      this.#uncertainties.push({
        kind: "literal-block",
        line: this.line(block.span.start),
        text: `A ${blockName(block)} code block is shown but not run; if it is meant to be applied, that is a manual step.`,
      });
    }
    state.lastShellBlock = false;
    state.leadIn = undefined;
    state.leadInAfterCommands = false;
  }

  #lastSplit: SplitCommand | undefined;
  /** An interactive session a command of this section opened: later commands run inside it. */
  #session: { reason: string; line: number } | undefined;

  commandStep(
    command: CommandLine,
    section: SectionInfo,
    title: string | undefined,
    origin: StepOrigin,
    forcedReason?: string,
  ): Step {
    const split = splitCommand(command, this.source, (name) => isDeniedEnvVar(name, DEFAULT_DENY_ENV_VARS));
    this.#lastSplit = split;
    const line = this.line(command.span.start);
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
      this.#uncertainties.push({
        kind: "template",
        line,
        text: "Go-template text in this command is kept literally (escaped), not filled in.",
      });
    const base = stepIdBase(split);
    const id = this.allocateId(base, "step");
    const src = this.sourceOf(command.span, section);
    const approvals = facts.mutating === undefined ? undefined : { min: 1 };
    let step: Step;
    if (reason === undefined && split.argv !== undefined) {
      for (const v of split.vars) this.useVar(v.name, v.raw, line);
      for (const program of programsToAllow(split.argv)) this.#allowed.add(program);
      const cli: CliStep = {
        id,
        type: "cli",
        ...(title === undefined ? {} : { title }),
        with: { argv: split.argv },
        ...(approvals === undefined ? {} : { approvals }),
        source: src,
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
        source: src,
      };
      step = manual;
      this.#uncertainties.push({ kind: "manual", line, text: `\`${id}\` is manual: ${manual.reason}.` });
    }
    if (approvals !== undefined)
      this.#uncertainties.push({
        kind: "approval",
        line,
        text: `\`${id}\` needs an approval: ${facts.mutating}.`,
      });
    if (split.secrets.length > 0)
      this.#uncertainties.push({
        kind: "secret",
        line,
        text: `\`${id}\` needs ${split.secrets.map((s) => `\`${s}\``).join(", ")}; secrets stay out of the runbook.`,
      });
    this.note({
      id,
      type: step.type,
      origin,
      span: command.span,
      sectionTitle: section.title,
      command: command.text,
      ...(step.type === "manual" ? { manualReason: step.reason } : {}),
      ...(facts.mutating === undefined ? {} : { approvalReason: facts.mutating }),
    });
    return step;
  }

  proseStep(owner: TsgSection, section: SectionInfo, blocks: readonly TsgBlock[], prose: Prose): ManualStep {
    const id = this.allocateId(`${owner.id}_manual`, "manual");
    const evidence: Evidence[] =
      prose.items.length > 0
        ? [{ kind: "checklist", name: "done", items: prose.items.slice(0, MAX_CHECKLIST) }]
        : [{ kind: "text", name: "outcome", description: "What you did and what you found." }];
    const first = blocks[0]!;
    const lastBlock = blocks[blocks.length - 1]!;
    const span = { file: first.span.file, start: first.span.start, end: lastBlock.span.end };
    const reason = "the section gives instructions in prose, with no command";
    const step: ManualStep = {
      id,
      type: "manual",
      title: owner.title.trim() || `Section at line ${this.line(owner.span.start)}`,
      instructions: clip(prose.text, MAX_INSTRUCTIONS),
      reason,
      required_evidence: evidence,
      source: this.sourceOf(span, section),
    };
    const line = this.line(span.start);
    this.note({ id, type: "manual", origin: "prose", span, sectionTitle: owner.title, manualReason: reason });
    this.#uncertainties.push({ kind: "manual", line, text: `\`${id}\` is manual: ${reason}.` });
    return step;
  }

  withSample(step: Step, lines: readonly string[], start: number): Step {
    if (step.type === "group") return step;
    const shown =
      lines.length > MAX_SAMPLE_LINES
        ? [...lines.slice(0, MAX_SAMPLE_LINES), `… (${lines.length - MAX_SAMPLE_LINES} more lines)`]
        : lines;
    const text = shown.join("\n");
    const index = this.#noteIndex.get(step.id) ?? -1;
    if (index >= 0) this.#notes[index] = { ...this.#notes[index]!, sampleLine: this.line(start) };
    return { ...step, sample_output: text };
  }

  useVar(name: string, raw: string, line: number): void {
    const existing = this.#vars.get(name);
    if (existing === undefined) this.#vars.set(name, { name, written: [raw], firstLine: line, uses: 1 });
    else {
      existing.uses += 1;
      if (!existing.written.includes(raw)) existing.written.push(raw);
    }
  }

  allocateId(base: string, fallback: string): string {
    let id = base
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, "_")
      .replace(/_+/g, "_")
      .replace(/^_|_$/g, "")
      .slice(0, 48)
      .replace(/_$/, "");
    if (!/^[a-z]/.test(id)) id = id === "" ? fallback : `${fallback}_${id}`.slice(0, 48);
    // The next suffix to try per base id: a TSG that repeats one command thousands of times
    // must not scan `_2, _3, …` from the start each time.
    let n = this.#nextSuffix.get(id) ?? 2;
    let candidate = this.#ids.has(id) ? `${id}_${n}` : id;
    while (this.#ids.has(candidate)) candidate = `${id}_${++n}`;
    if (candidate !== id) this.#nextSuffix.set(id, n + 1);
    this.#ids.add(candidate);
    return candidate;
  }

  note(note: Omit<StepNote, "line" | "endLine">): void {
    this.#noteIndex.set(note.id, this.#notes.length);
    this.#notes.push({ ...note, ...linesOf(note.span, this.source) });
  }

  sourceOf(span: Span, section: SectionInfo): Source {
    return sourceOf(span, this.source, this.file, section.id);
  }

  line(offset: number): number {
    return this.source.lineCol(offset).line;
  }
}

interface WalkState {
  /** Index (in the steps being built) of the last command step. */
  lastCommandStep: number | undefined;
  /** The block just before was a shell block (or a paragraph with commands). */
  lastShellBlock: boolean;
  /** The text of a paragraph just before, to title the next block's first command. */
  leadIn: string | undefined;
  /** A paragraph ending in `:` stands between the last commands and what comes next. */
  leadInAfterCommands: boolean;
}

interface Prose {
  readonly text: string;
  readonly items: readonly string[];
  /** It reads like instructions: it has a list or an imperative sentence. */
  readonly instructions: boolean;
  /** The same, leaving out lead-ins (`Check the pods:`), which title the commands after them. */
  readonly instructionsBesideCommands: boolean;
}

const IMPERATIVE =
  /(?:^|[.!:]\s+|\n)(?:check|verify|ensure|make sure|confirm|look|open|go to|navigate|run|restart|delete|scale|contact|escalate|page|notify|ask|talk|review|inspect|find|identify|increase|decrease|add|remove|update|upgrade|rollback|roll back|follow|use|try|consider|wait|monitor|compare|investigate|fix|apply|set|disable|enable|create|edit|change|silence|acknowledge|reach out|file|open an?|raise|login|log in|ssh)\b/i;

function proseOf(blocks: readonly TsgBlock[]): Prose {
  const lines: string[] = [];
  const items: string[] = [];
  const besides: string[] = [];
  let hasList = false;
  const visit = (list: readonly TsgBlock[], indent: string, topLevel: boolean) => {
    for (const block of list) {
      switch (block.kind) {
        case "paragraph":
          lines.push(indent + withUrls(block).replace(/\n/g, `\n${indent}`));
          if (block.commands.length === 0 && !/:\s*$/.test(block.text)) besides.push(block.text);
          break;
        case "list":
          hasList = true;
          block.items.forEach((item, i) => {
            const marker = block.ordered ? `${i + 1}. ` : "- ";
            const first = item.blocks[0];
            const head = first?.kind === "paragraph" ? first.text.split("\n").join(" ") : "";
            if (topLevel && head.trim() !== "") items.push(clip(head.trim(), 200));
            if (head !== "") lines.push(`${indent}${marker}${head}`);
            visit(first?.kind === "paragraph" ? item.blocks.slice(1) : item.blocks, `${indent}  `, false);
          });
          break;
        case "blockquote":
          visit(block.blocks, `${indent}> `, topLevel);
          break;
        case "code":
          lines.push(
            `${indent}\`\`\`${block.lang}`,
            ...block.text
              .replace(/\n$/, "")
              .split("\n")
              .map((l) => indent + l),
            `${indent}\`\`\``,
          );
          break;
        case "table":
          lines.push(
            `${indent}${block.header.join(" | ")}`,
            ...block.rows.map((r) => indent + r.join(" | ")),
          );
          break;
        case "html":
        case "thematic-break":
          break;
        default:
          assertNever(block, "TSG block");
      }
    }
  };
  visit(blocks, "", true);
  const text = lines.join("\n\n").trim();
  return {
    text,
    items,
    instructions: hasList || IMPERATIVE.test(text),
    instructionsBesideCommands: IMPERATIVE.test(besides.join("\n")),
  };
}

/** A paragraph's text with each link's address after its text: `Debugging Pods (https://…)`. */
function withUrls(paragraph: TsgParagraph): string {
  let text = paragraph.text;
  let from = 0;
  for (const link of paragraph.links) {
    if (link.image || link.url === "" || link.url === link.text) continue;
    const at = text.indexOf(link.text, from);
    if (at < 0) continue;
    const replacement = `${link.text} (${link.url})`;
    text = text.slice(0, at) + replacement + text.slice(at + link.text.length);
    from = at + replacement.length;
  }
  return text;
}

function firstParagraph(blocks: readonly TsgBlock[]): string | undefined {
  for (const block of blocks)
    if (block.kind === "paragraph" && block.text.trim() !== "")
      return clip(block.text.replace(/\s*\n\s*/g, " ").trim(), 500);
  return undefined;
}

function* walkSections(sections: readonly TsgSection[]): Generator<TsgSection> {
  for (const section of sections) {
    yield section;
    yield* walkSections(section.children);
  }
}

/** "plain" for an unlabelled block, else its language in backquotes. */
function blockName(block: TsgCodeBlock): string {
  return block.lang === "" ? "plain" : `\`${block.lang}\``;
}

/**
 * Why a command must be typed by hand because it is typed at an interactive program's prompt
 * (`db=#`, `gpg/card>`, or a bare `>` before text that is no shell command); undefined otherwise.
 */
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

/** The file's stem, or the title's slug when the stem says nothing (`input.md`, `README.md`). */
function runbookName(file: string, title: string): string {
  const slug = (text: string) =>
    text
      .replace(/[^A-Za-z0-9_.-]+/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "")
      .replace(/-+$/, "");
  const stem = slug(basename(file, extname(file)));
  const generic = /^(?:input|index|_index|readme|runbook|tsg|main|doc)$/i.test(stem);
  return ((generic ? slug(title) : stem) || stem || "runbook").slice(0, 128);
}

/** A title from prose: its first sentence, on one line, without a closing colon. */
function titleOf(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const sentence = /^(.{12,}?[.!?])(?:\s|$)/.exec(flat)?.[1] ?? flat;
  return clip(sentence.replace(/[:.]\s*$/, ""));
}

function clip(text: string, max = MAX_TITLE): string {
  const flat = text.trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
