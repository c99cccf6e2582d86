/**
 * Stage B of `runbook compile`: the optional LLM interpretation. The model is sent the TSG's IR
 * (sections, prose, commands with their line numbers — not the raw text), the Stage A draft,
 * the runbook/v0 schema and the rules, and answers with a whole runbook. It may refine — titles,
 * instructions, checklists, captures, assertions, variable descriptions, grouping — but only
 * within what the source says. Its answer is checked, and rejected with a diagnostic (never
 * silently kept) when:
 *
 * - it is not a JSON/YAML document, or not a runbook/v0 document (RBK6201, RBK6202);
 * - a `cli` argv, or a manual step's `command`, is not a command of the TSG (RBK6203);
 * - a state-changing command lost its approval (RBK6204), or governance changed (RBK6208).
 *
 * Accepted answers get their provenance from the compiler, not the model: each command step's
 * `source` is the line of the TSG command it matched, governance and `meta.source` are the
 * draft's, and `allowed_commands` is recomputed. Commands the model left out are reported
 * (RBK6207) and lower the coverage figure.
 *
 * The pass never calls a model itself: it builds the request and hands it to the host's
 * `Interpreter`, which answers from the content-addressed cache or asks the configured provider.
 */
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml } from "yaml";
import { commandFacts } from "../../../grammar/runbook/commands.js";
import {
  DEFAULT_DENY_ENV_VARS,
  isDeniedEnvVar,
  programsToAllow,
} from "../../../grammar/runbook/governance.js";
import type { Runbook, Source, Step } from "../../../grammar/runbook/types.js";
import RUNBOOK_SCHEMA from "../../../grammar/schemas/runbook-v0.schema.json" with { type: "json" };
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { CommandLine, TsgBlock, TsgModule, TsgSection } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import type { RunbookPlan, StepNote, Uncertainty } from "./plan.js";
import { linesOf, sourceOf } from "./provenance.js";
import { splitCommand } from "./split-command.js";
import { schemaProblems } from "./validate-runbook.js";

/** Bump when the prompt or the answer's contract changes: it is part of every cache key. */
export const PROMPT_VERSION = "runbook-interpret/2";

export interface InterpretRequest {
  readonly promptVersion: string;
  readonly messages: readonly { readonly role: "system" | "user"; readonly content: string }[];
}

export type InterpretAnswer =
  | {
      readonly ok: true;
      readonly text: string;
      readonly model: string;
      readonly key: string;
      readonly fromCache: boolean;
      readonly where: string;
    }
  | {
      readonly ok: false;
      readonly reason: "not-cached" | "call-failed";
      readonly detail: string;
      readonly key: string;
      readonly where: string;
    };

/** The host's side of Stage B: answers a request from the cache or a model. */
export interface Interpreter {
  ask(request: InterpretRequest): Promise<InterpretAnswer>;
  /** Called once an answer passed every check, so the host may keep it. */
  accept?(answer: InterpretAnswer & { ok: true }): void;
  /** Called when an answer was rejected, so the host may keep it for inspection (never for reuse). */
  rejected?(answer: InterpretAnswer & { ok: true }): void;
}

const RULES = `You refine a draft runbook compiled from a troubleshooting guide (TSG).
Answer with exactly one JSON object: the complete runbook, valid against the JSON Schema below. No prose around it.
Rules:
1. Never invent a command. Every cli step's with.argv, and every manual step's command must be a TSG command: cli argv exactly as the draft splits it (placeholders as {{ .VAR }}), manual commands exactly as written. You may drop none of them.
2. If running a command automatically is unsafe or ambiguous, make it a manual step. Never turn a manual step back into a cli step unless the draft's argv for that command exists.
3. Keep every approval the draft has; keep meta.governance, meta.name and meta.source exactly as in the draft.
4. Variables the TSG leaves open stay in meta.vars with a todo; you may add a description taken from the TSG's words. Never invent a value or a credential.
5. You may: improve titles and instructions using the TSG's own words; turn prose into checklist evidence; add captures and assertions only when the TSG states the expected result; regroup steps by the TSG's sections; set replay_mode on manual steps.
6. Go-template text inside commands stays exactly as the draft escapes it.`;

export async function interpretRunbook(
  draft: RunbookPlan,
  module: TsgModule,
  source: SourceFile,
  interpreter: Interpreter,
): Promise<{ plan: RunbookPlan | undefined; diagnostics: Diagnostic[] }> {
  const at = { ...module.span, end: module.span.start };
  const request = interpretRequest(draft, module, source);
  const answer = await interpreter.ask(request);
  if (!answer.ok) {
    const diagnostic =
      answer.reason === "not-cached"
        ? makeDiagnostic(Diagnostics.LlmNotCached, at, { key: answer.key, cache: answer.where })
        : makeDiagnostic(Diagnostics.LlmCallFailed, at, { detail: answer.detail });
    return { plan: undefined, diagnostics: [diagnostic] };
  }
  const checked = checkAnswer(answer, draft, module, source);
  if (checked.plan === undefined) interpreter.rejected?.(answer);
  else interpreter.accept?.(answer);
  return checked;
}

/** What the model is sent: the rules and the schema, then the TSG's IR and the Stage A draft. */
export function interpretRequest(
  draft: RunbookPlan,
  module: TsgModule,
  source: SourceFile,
): InterpretRequest {
  return {
    promptVersion: PROMPT_VERSION,
    messages: [
      { role: "system", content: `${RULES}\n\nJSON Schema (runbook/v0):\n${JSON.stringify(RUNBOOK_SCHEMA)}` },
      { role: "user", content: JSON.stringify({ tsg: projectTsg(module, source), draft: draft.runbook }) },
    ],
  };
}

/** The model's answer, checked; no plan when any check rejected it. */
function checkAnswer(
  answer: InterpretAnswer & { ok: true },
  draft: RunbookPlan,
  module: TsgModule,
  source: SourceFile,
): { plan: RunbookPlan | undefined; diagnostics: Diagnostic[] } {
  const at = { ...module.span, end: module.span.start };
  const diagnostics: Diagnostic[] = [];
  const reject = (d: Diagnostic) => diagnostics.push(d);
  let value: unknown;
  try {
    value = parseYaml(stripFences(answer.text), { maxAliasCount: 100 });
  } catch (error) {
    reject(
      makeDiagnostic(Diagnostics.LlmAnswerUnreadable, at, {
        detail: firstLine((error as Error).message),
        cache: answer.where,
      }),
    );
    return { plan: undefined, diagnostics };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    reject(
      makeDiagnostic(Diagnostics.LlmAnswerUnreadable, at, {
        detail: "it is not an object",
        cache: answer.where,
      }),
    );
    return { plan: undefined, diagnostics };
  }
  const problems = schemaProblems(value);
  if (problems.length > 0) {
    for (const problem of problems) reject(makeDiagnostic(Diagnostics.LlmAnswerSchema, at, problem));
    return { plan: undefined, diagnostics };
  }
  const proposed = value as Runbook;

  const governance = draft.runbook.meta.governance ?? {};
  const theirs = proposed.meta.governance ?? {};
  for (const field of ["denied_commands", "deny_env_vars", "redact", "evidence"] as const)
    if (!isDeepStrictEqual(theirs[field], governance[field]))
      reject(makeDiagnostic(Diagnostics.LlmGovernanceChanged, at, { field }));

  const index = new CommandIndex(module, source);
  const used = new Set<CommandLine>();
  const notes: StepNote[] = [];
  const allowed = new Set<string>();
  const file = draft.file;
  const sectionAt = sectionLocator(module);
  /** The commands that start on the line a step of the answer names, if it names one. */
  const namedLine = (named: Source | undefined) =>
    named?.line === undefined
      ? undefined
      : (command: CommandLine) => source.lineCol(command.span.start).line === named.line;
  const draftVars = new Set(Object.keys(draft.runbook.meta.vars ?? {}));

  const rebuild = (steps: readonly Step[]): Step[] =>
    steps.map((step): Step => {
      switch (step.type) {
        case "group": {
          const inner = rebuild(step.steps);
          const span = spanOfSource(step.source, source, at);
          notes.push(
            note(step.id, "group", "section", span, source, sectionAt(span.start)?.title ?? step.title ?? ""),
          );
          return { ...step, steps: inner, source: sourceOf(span, source, file, sectionAt(span.start)?.id) };
        }
        case "cli": {
          const match = index.matchArgv(step.with.argv, used, namedLine(step.source));
          if (match === undefined) {
            reject(
              makeDiagnostic(Diagnostics.LlmInventedCommand, at, {
                id: step.id,
                command: step.with.argv.join(" "),
              }),
            );
            return step;
          }
          used.add(match.command);
          const facts = commandFacts(step.with.argv);
          const mustBeManual = facts.session ?? facts.endless ?? facts.remote ?? facts.shellState;
          if (mustBeManual !== undefined)
            reject(
              makeDiagnostic(Diagnostics.LlmAutomatedManual, match.command.span, {
                id: step.id,
                why: mustBeManual,
              }),
            );
          if (facts.mutating !== undefined && step.approvals === undefined)
            reject(
              makeDiagnostic(Diagnostics.LlmDroppedApproval, match.command.span, {
                id: step.id,
                why: facts.mutating,
              }),
            );
          for (const program of programsToAllow(step.with.argv)) allowed.add(program);
          const sampleLine = draft.steps.find((n) => n.span.start === match.command.span.start)?.sampleLine;
          notes.push({
            ...note(step.id, "cli", match.origin, match.command.span, source, match.section),
            command: match.command.text,
            ...(sampleLine === undefined ? {} : { sampleLine }),
            ...(facts.mutating === undefined ? {} : { approvalReason: facts.mutating }),
          });
          return { ...step, source: sourceOf(match.command.span, source, file, match.sectionId) };
        }
        case "manual": {
          if (step.command === undefined) {
            const span = spanOfSource(step.source, source, at);
            notes.push({
              ...note(step.id, "manual", "prose", span, source, sectionAt(span.start)?.title ?? step.title),
              manualReason: step.reason ?? "the model made it manual",
            });
            return { ...step, source: sourceOf(span, source, file, sectionAt(span.start)?.id) };
          }
          const match = index.matchText(step.command, used, namedLine(step.source));
          if (match === undefined) {
            reject(
              makeDiagnostic(Diagnostics.LlmInventedCommand, at, { id: step.id, command: step.command }),
            );
            return step;
          }
          used.add(match.command);
          const facts = commandFacts(match.words);
          if (facts.mutating !== undefined && step.approvals === undefined)
            reject(
              makeDiagnostic(Diagnostics.LlmDroppedApproval, match.command.span, {
                id: step.id,
                why: facts.mutating,
              }),
            );
          notes.push({
            ...note(step.id, "manual", match.origin, match.command.span, source, match.section),
            command: match.command.text,
            manualReason: step.reason ?? "the model made it manual",
            ...(facts.mutating === undefined ? {} : { approvalReason: facts.mutating }),
          });
          return { ...step, source: sourceOf(match.command.span, source, file, match.sectionId) };
        }
        default: {
          const never: never = step;
          return never;
        }
      }
    });
  const steps = rebuild(proposed.steps);
  if (diagnostics.length > 0) return { plan: undefined, diagnostics };

  const missing = index.codeBlockCommands
    .filter((c) => !used.has(c))
    .map((c) => source.lineCol(c.span.start).line);
  if (missing.length > 0)
    diagnostics.push(
      makeDiagnostic(Diagnostics.LlmDroppedCommands, at, {
        count: missing.length,
        lines: missing.join(", "),
      }),
    );

  const vars = proposed.meta.vars ?? {};
  const uncertainties: Uncertainty[] = [
    ...draft.uncertainties.filter((u) => u.kind === "variable" && Object.hasOwn(vars, varOf(u.text) ?? "")),
    ...Object.entries(vars)
      .filter(([name, spec]) => typeof spec === "object" && spec.todo !== undefined && !draftVars.has(name))
      .map(([name, spec]) => ({
        kind: "variable" as const,
        line: (spec as { source?: Source }).source?.line ?? 1,
        text: `Set \`${name}\`: ${(spec as { todo: string }).todo}.`,
      })),
    ...notes
      .filter((n) => n.type === "manual")
      .map((n) => ({
        kind: "manual" as const,
        line: n.line,
        text: `\`${n.id}\` is manual: ${n.manualReason}.`,
      })),
    ...notes
      .filter((n) => n.approvalReason !== undefined)
      .map((n) => ({
        kind: "approval" as const,
        line: n.line,
        text: `\`${n.id}\` needs an approval: ${n.approvalReason}.`,
      })),
    ...draft.uncertainties.filter(
      (u) =>
        u.kind === "literal-block" ||
        u.kind === "data" ||
        u.kind === "prose" ||
        u.kind === "template" ||
        u.kind === "secret",
    ),
    {
      kind: "llm" as const,
      line: 1,
      text: `Refined by ${answer.model}: check titles, instructions, captures and assertions against the TSG.`,
    },
  ].sort((a, b) => a.line - b.line);

  // The model names the TSG as it saw it; every `source.file` is the compiler's, as for steps.
  const rebasedVars =
    proposed.meta.vars === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(proposed.meta.vars).map(([name, spec]) => [
            name,
            typeof spec === "object" && spec.source !== undefined
              ? { ...spec, source: { ...spec.source, file } }
              : spec,
          ]),
        );
  const runbook: Runbook = {
    apiVersion: proposed.apiVersion,
    meta: {
      ...proposed.meta,
      ...(rebasedVars === undefined ? {} : { vars: rebasedVars }),
      name: draft.runbook.meta.name,
      ...(draft.runbook.meta.source === undefined ? {} : { source: draft.runbook.meta.source }),
      governance: { ...governance, allowed_commands: [...allowed].sort() },
    },
    steps,
  };
  const codeBlockTotal = index.codeBlockCommands.length;
  return {
    plan: {
      ...draft,
      runbook,
      steps: notes,
      uncertainties,
      coverage: {
        commandLines: codeBlockTotal,
        covered: codeBlockTotal - missing.length,
        missingLines: missing,
      },
      interpretation: { kind: "llm", model: answer.model, cacheKey: answer.key, fromCache: answer.fromCache },
    },
    diagnostics,
  };
}

interface CommandMatch {
  readonly command: CommandLine;
  readonly origin: "code-block" | "run-line" | "inline-code";
  readonly section: string;
  readonly sectionId: string | undefined;
  readonly words: readonly string[];
}

/** Every command of the TSG, split as Stage A splits it, to trace a model's steps back to one. */
/**
 * The TSG's commands by argv and by text. One argv can stand on several lines (the same check
 * before and after a fix): a step takes the first such command no earlier step took, preferring
 * the line the model's step names, so each step keeps its own provenance.
 */
class CommandIndex {
  readonly codeBlockCommands: CommandLine[] = [];
  readonly #byArgv = new Map<string, CommandMatch[]>();
  readonly #byText = new Map<string, CommandMatch[]>();

  constructor(module: TsgModule, source: SourceFile) {
    const push = (map: Map<string, CommandMatch[]>, key: string, match: CommandMatch) => {
      const list = map.get(key);
      if (list === undefined) map.set(key, [match]);
      else if (!list.includes(match)) list.push(match);
    };
    const add = (command: CommandLine, section: TsgSection | undefined) => {
      const split = splitCommand(command, source, (name) => isDeniedEnvVar(name, DEFAULT_DENY_ENV_VARS));
      const match: CommandMatch = {
        command,
        origin: command.origin,
        section: section?.title ?? module.title,
        sectionId: section?.id,
        words: split.argv ?? split.words,
      };
      if (split.argv !== undefined) push(this.#byArgv, argvKey(split.argv), match);
      for (const text of [split.templated, command.text]) push(this.#byText, textKey(text), match);
    };
    const visitBlocks = (blocks: readonly TsgBlock[], section: TsgSection | undefined) => {
      for (const block of blocks) {
        if (block.kind === "code")
          for (const line of block.lines) {
            if (line.kind !== "command") continue;
            this.codeBlockCommands.push(line);
            add(line, section);
          }
        else if (block.kind === "paragraph") for (const command of block.commands) add(command, section);
        else if (block.kind === "list") for (const item of block.items) visitBlocks(item.blocks, section);
        else if (block.kind === "blockquote") visitBlocks(block.blocks, section);
      }
    };
    visitBlocks(module.preamble, undefined);
    const visitSections = (sections: readonly TsgSection[]) => {
      for (const section of sections) {
        visitBlocks(section.blocks, section);
        visitSections(section.children);
      }
    };
    visitSections(module.sections);
  }

  matchArgv(argv: readonly string[], used: ReadonlySet<CommandLine>, line?: Line): CommandMatch | undefined {
    return pick(this.#byArgv.get(argvKey(argv)), used, line);
  }

  matchText(text: string, used: ReadonlySet<CommandLine>, line?: Line): CommandMatch | undefined {
    return pick(this.#byText.get(textKey(text)), used, line);
  }
}

/** Whether a command stands on the line a step of the answer names. */
type Line = (command: CommandLine) => boolean;

function pick(
  matches: readonly CommandMatch[] | undefined,
  used: ReadonlySet<CommandLine>,
  named: Line | undefined,
): CommandMatch | undefined {
  if (matches === undefined) return undefined;
  const free = matches.filter((m) => !used.has(m.command));
  return (named === undefined ? undefined : free.find((m) => named(m.command))) ?? free[0] ?? matches[0];
}

/** Variable names do not matter for tracing (`{{ .pod }}` = `{{ .POD_NAME }}`); words do. */
function argvKey(argv: readonly string[]): string {
  return JSON.stringify(
    argv.map((word) => word.replace(/\{\{\s*\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}/g, "\u0000")),
  );
}

function textKey(text: string): string {
  return text
    .replace(/\{\{\s*\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}/g, "\u0000")
    .replace(/\s+/g, " ")
    .trim();
}

/** The TSG as the model sees it: structure, prose and commands with their lines. */
function projectTsg(module: TsgModule, source: SourceFile): unknown {
  const line = (span: Span) => source.lineCol(span.start).line;
  const blocks = (list: readonly TsgBlock[]): unknown[] =>
    list.flatMap((block): unknown[] => {
      switch (block.kind) {
        case "paragraph":
          return [
            {
              line: line(block.span),
              text: block.text,
              ...(block.commands.length > 0
                ? { commands: block.commands.map((c) => ({ line: line(c.span), text: c.text })) }
                : {}),
            },
          ];
        case "code":
          return block.role === "shell"
            ? [
                {
                  line: line(block.span),
                  shell: block.lines.map((l) => ({ line: line(l.span), [l.kind]: l.text })),
                },
              ]
            : [{ line: line(block.span), literal: block.lang, text: block.text }];
        case "list":
          return [{ line: line(block.span), list: block.items.map((item) => blocks(item.blocks)) }];
        case "blockquote":
          return [{ line: line(block.span), quote: blocks(block.blocks) }];
        case "table":
          return [{ line: line(block.span), table: [block.header, ...block.rows] }];
        default:
          return [];
      }
    });
  const sections = (list: readonly TsgSection[]): unknown[] =>
    list.map((s) => ({
      id: s.id,
      title: s.title,
      line: line(s.span),
      blocks: blocks(s.blocks),
      sections: sections(s.children),
    }));
  return { title: module.title, preamble: blocks(module.preamble), sections: sections(module.sections) };
}

/** The deepest section holding an offset: a step's section comes from its lines, not the model's word. */
function sectionLocator(module: TsgModule): (offset: number) => TsgSection | undefined {
  return (offset) => {
    let found: TsgSection | undefined;
    let level = module.sections;
    for (;;) {
      const inside = level.find((s) => s.span.start <= offset && offset < s.span.end);
      if (inside === undefined) return found;
      found = inside;
      level = inside.children;
    }
  };
}

/** The span of a model-given `source` (lines clamped to the file), else the document start. */
function spanOfSource(given: Source | undefined, source: SourceFile, fallback: Span): Span {
  if (given === undefined) return fallback;
  const starts = source.lineStarts;
  const first = Math.min(Math.max(given.line, 1), starts.length);
  const last = Math.min(Math.max(given.end_line ?? given.line, first), starts.length);
  const end = last < starts.length ? starts[last]! : source.text.length;
  return { file: fallback.file, start: starts[first - 1]!, end: Math.max(starts[first - 1]!, end) };
}

function note(
  id: string,
  type: StepNote["type"],
  origin: StepNote["origin"],
  span: Span,
  source: SourceFile,
  sectionTitle: string,
): StepNote {
  return { id, type, origin, span, ...linesOf(span, source), sectionTitle };
}

function varOf(text: string): string | undefined {
  return /^Set `([^`]+)`/.exec(text)?.[1];
}

/** The document in a model's answer: inside a code fence, or the outermost braces of prose around it. */
function stripFences(text: string): string {
  const fenced = /```[A-Za-z]*[ \t]*\r?\n([\s\S]*?)```/.exec(text);
  if (fenced !== null) return fenced[1]!.trim();
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("apiVersion")) return trimmed;
  const first = trimmed.indexOf("{");
  const last = trimmed.lastIndexOf("}");
  return first >= 0 && last > first ? trimmed.slice(first, last + 1) : trimmed;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!;
}
