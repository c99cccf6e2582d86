/**
 * Stage B, tracing a model's steps: each `cli` argv and each manual step's `command` is traced to
 * a command of the TSG (else RBK6203), and the step gets its provenance from that command, not
 * from the model: its note (span and section) says where it came from, and the model's
 * `source` is dropped (`runbookWithSources` prints the note's lines). On the way, each traced step is
 * checked: a command that must be typed by hand is not automated (RBK6205), and a state-changing
 * command keeps its approval (RBK6204).
 */

import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { CommandLine, TsgModule, TsgSection } from "../../ir/nodes.js";
import type { RunbookPlan, StepNote } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import { commandFacts } from "../../lang/runbook/commands.js";
import { programsToAllow } from "../../lang/runbook/governance.js";
import type { CliStep, GroupStep, ManualStep, Source, Step } from "../../lang/runbook/types.js";
import type { CommandIndex, CommandMatch, Line } from "./command-index.js";

export interface TracedSteps {
  readonly steps: Step[];
  /** In the order the steps end (a group after its steps). */
  readonly notes: readonly StepNote[];
  /** The programs the traced `cli` steps run, for `allowed_commands`. */
  readonly allowed: ReadonlySet<string>;
  /** The TSG commands some step was traced to. */
  readonly used: ReadonlySet<CommandLine>;
  /** Why the answer is rejected, in the order of its steps; none when every step traced. */
  readonly diagnostics: readonly Diagnostic[];
}

interface Tracing {
  readonly draft: RunbookPlan;
  readonly module: TsgModule;
  readonly source: SourceFile;
  readonly index: CommandIndex;
  /** The start of the document, where a finding with no command is reported. */
  readonly at: Span;
  readonly used: Set<CommandLine>;
  readonly notes: StepNote[];
  readonly allowed: Set<string>;
  readonly diagnostics: Diagnostic[];
  readonly sectionAt: (offset: number) => TsgSection | undefined;
}

export function traceSteps(
  steps: readonly Step[],
  draft: RunbookPlan,
  module: TsgModule,
  source: SourceFile,
  index: CommandIndex,
): TracedSteps {
  const tracing: Tracing = {
    draft,
    module,
    source,
    index,
    at: { ...module.span, end: module.span.start },
    used: new Set(),
    notes: [],
    allowed: new Set(),
    diagnostics: [],
    sectionAt: sectionLocator(module),
  };
  const traced = traceList(steps, tracing);
  const { notes, allowed, used, diagnostics } = tracing;
  return { steps: traced, notes, allowed, used, diagnostics };
}

function traceList(steps: readonly Step[], tracing: Tracing): Step[] {
  return steps.map((step): Step => {
    switch (step.type) {
      case "group":
        return traceGroup(step, tracing);
      case "cli":
        return traceCli(step, tracing);
      case "manual":
        return step.command === undefined
          ? traceProse(step, tracing)
          : traceManualCommand(step, step.command, tracing);
      default: {
        const never: never = step;
        return never;
      }
    }
  });
}

/** A group: its steps traced, its section the one its lines fall in. */
function traceGroup(step: GroupStep, tracing: Tracing): Step {
  const { source, at, sectionAt } = tracing;
  const inner = traceList(step.steps, tracing);
  const span = spanOfSource(step.source, source, at);
  const section = sectionAt(span.start);
  tracing.notes.push({
    ...note(step.id, "group", "section", span, section?.title ?? step.title ?? ""),
    ...sectionOf(section?.id),
  });
  return { ...withoutSource(step), steps: inner };
}

/** A `cli` step: its argv is a TSG command's, may run unattended, and keeps its approval. */
function traceCli(step: CliStep, tracing: Tracing): Step {
  const match = tracing.index.matchArgv(step.with.argv, tracing.used, namedLine(step.source, tracing.source));
  if (match === undefined) {
    tracing.diagnostics.push(
      makeDiagnostic(Diagnostics.LlmInventedCommand, tracing.at, {
        id: step.id,
        command: step.with.argv.join(" "),
      }),
    );
    return step;
  }
  tracing.used.add(match.command);
  // Stage A never gives a command a stdin: one in the answer is the model's text, fed to a command.
  if (step.with.stdin !== undefined)
    tracing.diagnostics.push(
      makeDiagnostic(Diagnostics.LlmInventedStdin, match.command.span, { id: step.id }),
    );
  const facts = commandFacts(step.with.argv);
  checkRunsUnattended(
    step,
    match,
    facts.session ?? facts.endless ?? facts.remote ?? facts.shellState,
    tracing,
  );
  checkKeepsApproval(step, match, facts.mutating, tracing);
  for (const program of programsToAllow(step.with.argv)) tracing.allowed.add(program);
  const sample = tracing.draft.steps.find((n) => n.span.start === match.command.span.start)?.sample;
  tracing.notes.push({
    ...note(step.id, "cli", match.origin, match.command.span, match.section),
    ...sectionOf(match.sectionId),
    command: match.command.text,
    ...(sample === undefined ? {} : { sample }),
    ...(facts.mutating === undefined ? {} : { approvalReason: facts.mutating }),
  });
  return withoutSource(step);
}

/** A manual step with no command (prose): its section the one its lines fall in. */
function traceProse(step: ManualStep, tracing: Tracing): Step {
  const { source, at, sectionAt } = tracing;
  const span = spanOfSource(step.source, source, at);
  const section = sectionAt(span.start);
  tracing.notes.push({
    ...note(step.id, "manual", "prose", span, section?.title ?? step.title),
    ...sectionOf(section?.id),
    manualReason: step.reason ?? "the model made it manual",
  });
  return withoutSource(step);
}

/** A manual step showing a command: the command is a TSG command's, and keeps its approval. */
function traceManualCommand(step: ManualStep, command: string, tracing: Tracing): Step {
  const match = tracing.index.matchText(command, tracing.used, namedLine(step.source, tracing.source));
  if (match === undefined) {
    tracing.diagnostics.push(
      makeDiagnostic(Diagnostics.LlmInventedCommand, tracing.at, { id: step.id, command }),
    );
    return step;
  }
  tracing.used.add(match.command);
  const facts = commandFacts(match.words);
  checkKeepsApproval(step, match, facts.mutating, tracing);
  tracing.notes.push({
    ...note(step.id, "manual", match.origin, match.command.span, match.section),
    ...sectionOf(match.sectionId),
    command: match.command.text,
    manualReason: step.reason ?? "the model made it manual",
    ...(facts.mutating === undefined ? {} : { approvalReason: facts.mutating }),
  });
  return withoutSource(step);
}

/** RBK6205: a command that opens a session, never ends, runs remotely or changes the shell stays manual. */
function checkRunsUnattended(
  step: CliStep,
  match: CommandMatch,
  mustBeManual: string | undefined,
  tracing: Tracing,
): void {
  if (mustBeManual !== undefined)
    tracing.diagnostics.push(
      makeDiagnostic(Diagnostics.LlmAutomatedManual, match.command.span, { id: step.id, why: mustBeManual }),
    );
}

/** RBK6204: a state-changing command keeps its approval. */
function checkKeepsApproval(
  step: CliStep | ManualStep,
  match: CommandMatch,
  mutating: string | undefined,
  tracing: Tracing,
): void {
  if (mutating !== undefined && step.approvals === undefined)
    tracing.diagnostics.push(
      makeDiagnostic(Diagnostics.LlmDroppedApproval, match.command.span, { id: step.id, why: mutating }),
    );
}

/** The commands that start on the line a step of the answer names, if it names one. */
function namedLine(named: Source | undefined, source: SourceFile): Line | undefined {
  return named?.line === undefined
    ? undefined
    : (command: CommandLine) => source.lineCol(command.span.start).line === named.line;
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

/** The span of a model-given `source` (lines clamped to the file), else the fallback. */
export function spanOfSource(given: Source | undefined, source: SourceFile, fallback: Span): Span {
  if (given === undefined) return fallback;
  const starts = source.lineStarts;
  const first = Math.min(Math.max(given.line, 1), starts.length);
  const last = Math.min(Math.max(given.end_line ?? given.line, first), starts.length);
  const end = last < starts.length ? starts[last]! : source.text.length;
  return { file: fallback.file, start: starts[first - 1]!, end: Math.max(starts[first - 1]!, end) };
}

/** The step without the model's `source`: its note holds where it came from. */
function withoutSource<S extends Step>(step: S): S {
  const { source: _given, ...rest } = step;
  return rest as S;
}

/** A note's section: the id of the section a step's command or lines are in, if any. */
function sectionOf(id: string | undefined): { section?: string } {
  return id === undefined ? {} : { section: id };
}

function note(
  id: string,
  type: StepNote["type"],
  origin: StepNote["origin"],
  span: Span,
  sectionTitle: string,
): StepNote {
  return { id, type, origin, span, sectionTitle };
}
