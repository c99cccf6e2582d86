/**
 * Stage B, the answer: a model's runbook is read and checked, and rejected with diagnostics
 * (never silently kept) when:
 *
 * - it is not a JSON/YAML document, or not a runbook/v0 document (RBK6201, RBK6202);
 * - governance changed (RBK6208);
 * - a `cli` argv, or a manual step's `command`, is not a command of the TSG (RBK6203), a command
 *   that must be typed by hand was automated, or a state-changing command lost its approval
 *   (`trace-answer.ts`).
 *
 * Accepted answers get their provenance from the compiler, not the model: each command step's
 * `source` is the line of the TSG command it matched, governance and `meta.source` are the
 * draft's, and `allowed_commands` is recomputed. Commands the model left out are reported
 * (RBK6207) and lower the coverage figure.
 */
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml } from "yaml";
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { CommandLine, TsgModule } from "../../ir/nodes.js";
import type { RunbookPlan, StepNote, Uncertainty } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import type { Runbook, Source, Step } from "../../lang/runbook/types.js";
import { CommandIndex } from "./command-index.js";
import type { InterpretAnswer } from "./interpret-request.js";
import { spanOfSource, traceSteps } from "./trace-answer.js";
import { schemaProblems } from "./validate-runbook.js";

export interface CheckedAnswer {
  /** Undefined when a check rejected the answer. */
  readonly plan: RunbookPlan | undefined;
  readonly diagnostics: Diagnostic[];
}

/** The model's answer, checked; no plan when any check rejected it. */
export function checkAnswer(
  answer: InterpretAnswer & { ok: true },
  draft: RunbookPlan,
  module: TsgModule,
  source: SourceFile,
): CheckedAnswer {
  const at = { ...module.span, end: module.span.start };
  const read = readAnswer(answer, at);
  if (!read.ok) return { plan: undefined, diagnostics: read.diagnostics };
  const proposed = read.runbook;

  const diagnostics = checkGovernance(proposed, draft, at);
  const index = new CommandIndex(module, source);
  const traced = traceSteps(proposed.steps, draft, module, source, index);
  diagnostics.push(...traced.diagnostics);
  if (diagnostics.length > 0) return { plan: undefined, diagnostics };

  const missing = index.codeBlockCommands.filter((c) => !traced.used.has(c));
  const dropped = droppedCommands(missing, source, at);
  if (dropped !== undefined) diagnostics.push(dropped);

  const codeBlockTotal = index.codeBlockCommands.length;
  return {
    plan: {
      ...draft,
      runbook: acceptedRunbook(proposed, draft, traced.steps, traced.allowed),
      steps: traced.notes,
      uncertainties: answerUncertainties(proposed, draft, traced.notes, answer.model, module, source),
      coverage: {
        commandLines: codeBlockTotal,
        covered: codeBlockTotal - missing.length,
        missing: missing.map((c) => c.span),
      },
      interpretation: { kind: "llm", model: answer.model, cacheKey: answer.key, fromCache: answer.fromCache },
    },
    diagnostics,
  };
}

type ReadAnswer = { ok: true; runbook: Runbook } | { ok: false; diagnostics: Diagnostic[] };

/** RBK6201, RBK6202: the answer is a YAML/JSON object, and a runbook/v0 document. */
function readAnswer(answer: InterpretAnswer & { ok: true }, at: Span): ReadAnswer {
  let value: unknown;
  try {
    value = parseYaml(stripFences(answer.text), { maxAliasCount: 100 });
  } catch (error) {
    const detail = firstLine((error as Error).message);
    return {
      ok: false,
      diagnostics: [makeDiagnostic(Diagnostics.LlmAnswerUnreadable, at, { detail, cache: answer.where })],
    };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const detail = "it is not an object";
    return {
      ok: false,
      diagnostics: [makeDiagnostic(Diagnostics.LlmAnswerUnreadable, at, { detail, cache: answer.where })],
    };
  }
  const problems = schemaProblems(value);
  if (problems.length > 0)
    return {
      ok: false,
      diagnostics: problems.map((problem) => makeDiagnostic(Diagnostics.LlmAnswerSchema, at, problem)),
    };
  return { ok: true, runbook: value as Runbook };
}

/** RBK6208: the answer keeps the draft's governance (denied commands, env vars, redaction, evidence). */
function checkGovernance(proposed: Runbook, draft: RunbookPlan, at: Span): Diagnostic[] {
  const governance = draft.runbook.meta.governance ?? {};
  const theirs = proposed.meta.governance ?? {};
  const out: Diagnostic[] = [];
  for (const field of ["denied_commands", "deny_env_vars", "redact", "evidence"] as const)
    if (!isDeepStrictEqual(theirs[field], governance[field]))
      out.push(makeDiagnostic(Diagnostics.LlmGovernanceChanged, at, { field }));
  return out;
}

/** RBK6207: command lines of the TSG's shell code blocks that no step of the answer was traced to. */
function droppedCommands(
  missing: readonly CommandLine[],
  source: SourceFile,
  at: Span,
): Diagnostic | undefined {
  if (missing.length === 0) return undefined;
  return makeDiagnostic(Diagnostics.LlmDroppedCommands, at, {
    count: missing.length,
    lines: missing.map((c) => source.lineCol(c.span.start).line).join(", "),
  });
}

/**
 * What stays uncertain after the model: the draft's variables it kept and those it added with a
 * TODO, its manual steps and approvals, what the draft read as data, prose, templates and
 * secrets, and a note that a model refined it — in the order of their lines.
 */
function answerUncertainties(
  proposed: Runbook,
  draft: RunbookPlan,
  notes: readonly StepNote[],
  model: string,
  module: TsgModule,
  source: SourceFile,
): Uncertainty[] {
  const vars = proposed.meta.vars ?? {};
  const draftVars = new Set(Object.keys(draft.runbook.meta.vars ?? {}));
  const documentStart: Span = { file: module.span.file, start: 0, end: 0 };
  const line = (u: Uncertainty) => u.line ?? source.lineCol(u.span.start).line;
  return [
    ...draft.uncertainties.filter((u) => u.kind === "variable" && Object.hasOwn(vars, varOf(u.text) ?? "")),
    ...Object.entries(vars)
      .filter(([name, spec]) => typeof spec === "object" && spec.todo !== undefined && !draftVars.has(name))
      .map(([name, spec]): Uncertainty => {
        const given = (spec as { source?: Source }).source;
        return {
          kind: "variable",
          span: spanOfSource(given, source, documentStart),
          text: `Set \`${name}\`: ${(spec as { todo: string }).todo}.`,
          ...(given !== undefined && given.line > source.lineStarts.length ? { line: given.line } : {}),
        };
      }),
    ...notes
      .filter((n) => n.type === "manual")
      .map((n) => ({
        kind: "manual" as const,
        span: n.span,
        text: `\`${n.id}\` is manual: ${n.manualReason}.`,
      })),
    ...notes
      .filter((n) => n.approvalReason !== undefined)
      .map((n) => ({
        kind: "approval" as const,
        span: n.span,
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
      span: documentStart,
      text: `Refined by ${model}: check titles, instructions, captures and assertions against the TSG.`,
    },
  ].sort((a, b) => line(a) - line(b));
}

/** The answer's runbook with the compiler's provenance: name, `meta.source`, governance and every `source.file`. */
function acceptedRunbook(
  proposed: Runbook,
  draft: RunbookPlan,
  steps: Step[],
  allowed: ReadonlySet<string>,
): Runbook {
  const file = draft.file;
  const governance = draft.runbook.meta.governance ?? {};
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
  return {
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
