/**
 * LLM proposals (issue 19, the tiers `llm-metadata` and `llm-promote` of `rllmc review`): the
 * runbook compiler's interpretation pass (Stage B, through the host's answer cache) refines each
 * candidate runbook's TSG (drift.ts: outputs as their TSG makes them today), and what the checked
 * answer says differently from the runbook on disk becomes changes a person or `--auto` decides:
 *
 * - one `metadata` change per runbook: the runbook's title and description, variables'
 *   descriptions and values (a value resolves the variable's TODO), steps' titles and
 *   descriptions, manual steps' instructions — steps matched to the answer's by the TSG span
 *   they came from, so an id the model renamed still matches;
 * - one `promote_step` change per `manual` step that shows a command the answer runs as a `cli`
 *   step (Stage B already refused anything it may not automate: sessions, endless or remote
 *   commands, a lost approval). It cites the TSG lines of the command, quoting it, for the
 *   evidence gate; its argv, captures and assertions are the answer's, its id and `source` the
 *   runbook's, and `allowed_commands` gains its programs.
 *
 * Confidence: `high` when the answer was accepted with no Stage B warning (every command of the
 * TSG kept), else `medium`; a promotion of a state-changing step (one with an approval) is
 * `medium` at most: automating a change is for a person to decide unless told otherwise.
 *
 * Each change is a patch of the runbook (and its mapping) against the tree. The changes of one
 * runbook compose: {@link ProposalGroup.render} prints the runbook with any subset of them, so a
 * session applying several writes each file once. The printed runbook says what a model changed
 * in a `# Reviewed:` header line, and drift.ts leaves such a runbook alone (a plain recompile
 * would undo the accepted changes) until its TSG changes.
 */
import { readFileSync } from "node:fs";
import { basename, relative, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import { buildPatch } from "../../backend/patch.js";
import { readSource } from "../../frontend/read-source.js";
import { sizeLimit } from "../../frontend/size-limits.js";
import type { RunbookPlan, StepNote } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import { programsToAllow } from "../../lang/runbook/governance.js";
import { allSteps, type CliStep, type Runbook, type Step, type VarSpec } from "../../lang/runbook/types.js";
import { INSIDE_SESSION } from "../../passes/runbook/extract-commands.js";
import type { Interpreter } from "../../passes/runbook/interpret-request.js";
import { linesOf } from "../../passes/runbook/provenance.js";
import { compilePlan, namingSource, printPlan } from "../compile-runbooks.js";
import type { Change, StagedFile } from "./change-set.js";
import type { RunbookCandidate } from "./drift.js";
import { validateGate } from "./gates.js";

/** The changes proposed for one runbook, printed together in any combination. */
export interface ProposalGroup {
  /** The runbook, repo-relative. */
  readonly target: string;
  /** The runbook (and its mapping) with the changes of `ids` (of this group) applied. */
  render(ids: readonly string[]): Promise<readonly StagedFile[]>;
}

export interface Proposals {
  readonly changes: Change[];
  /** Each proposed change's group, by the change's id. */
  readonly groups: ReadonlyMap<string, ProposalGroup>;
  /** Runbooks the model was asked about but that got no proposal, and why. */
  readonly notProposed: { readonly output: string; readonly reason: string }[];
}

/** One edit of a runbook: a metadata field, or a promotion. */
type Edit = (runbook: MutableRunbook) => void;

interface MutableRunbook {
  meta: Record<string, unknown> & { vars?: Record<string, unknown>; governance?: Record<string, unknown> };
  steps: Step[];
  [key: string]: unknown;
}

const MAX_LISTED = 12;

export async function proposeChanges(
  repo: string,
  candidates: readonly RunbookCandidate[],
  interpreter: Interpreter,
): Promise<Proposals> {
  const changes: Change[] = [];
  const groups = new Map<string, ProposalGroup>();
  const notProposed: { output: string; reason: string }[] = [];
  const rel = (file: string) => relative(repo, file).split(sep).join("/");
  for (const candidate of candidates) {
    const target = rel(candidate.output);
    const refuse = (reason: string) => notProposed.push({ output: target, reason });
    const source = readSource(candidate.source, sizeLimit("tsg")).source;
    if (source === undefined) {
      refuse("its TSG cannot be read");
      continue;
    }
    const draft = (await compilePlan(source, undefined)).plan;
    const refined = await compilePlan(source, interpreter);
    if (draft === undefined) continue;
    const error = refined.diagnostics.find((d) => d.severity === "error");
    if (refined.plan === undefined || error !== undefined) {
      refuse(
        error === undefined
          ? "the model's answer was rejected"
          : `${error.code}: ${firstLine(error.message)}`,
      );
      continue;
    }
    if (refined.plan.interpretation.kind !== "llm") continue;
    const current = readRunbook(candidate.output);
    if (current === undefined) {
      refuse("it cannot be read as a runbook");
      continue;
    }
    const clean = !refined.diagnostics.some((d) => d.code.startsWith("RBK62"));
    const model = refined.plan.interpretation.model;
    const proposal = compare(current.runbook, draft, refined.plan);
    if (proposal.metadata.length === 0 && proposal.promotions.length === 0) continue;

    const edits = new Map<string, Edit[]>();
    const tsg = rel(candidate.source);
    const mappingPath = candidate.mapping === undefined ? undefined : rel(candidate.mapping);
    const mappingText = candidate.mapping === undefined ? undefined : readText(candidate.mapping);
    // The runbook as the plan holds it: the TSG named by its file name, no step sources.
    const base = namingSource(stripSources(current.runbook), candidate.placement.file, basename(source.path));
    const render = async (ids: readonly string[]): Promise<StagedFile[]> => {
      const edited = structuredClone(base) as unknown as MutableRunbook;
      for (const id of ids) for (const edit of edits.get(id) ?? []) edit(edited);
      const printed = await printEdited(edited as unknown as Runbook, draft, source, candidate, model);
      return [
        { path: target, before: current.text, after: printed.yaml },
        ...(mappingPath === undefined
          ? []
          : [{ path: mappingPath, before: mappingText, after: printed.mapping }]),
      ];
    };
    const group: ProposalGroup = { target, render };
    const propose = async (change: Omit<Change, "patch">, edit: Edit[]) => {
      edits.set(change.id, edit);
      const files = (await render([change.id])).filter((f) => f.before !== f.after);
      if (files.length === 0) return;
      // A change the runbook checks would refuse is not worth a person's time.
      const failed = await validateGate(files, repo);
      if (failed.length > 0) {
        refuse(`${change.id}: ${failed[0]!.reason}`);
        return;
      }
      changes.push({ ...change, patch: buildPatch(files) });
      groups.set(change.id, group);
    };

    if (proposal.metadata.length > 0)
      await propose(
        {
          id: `llm-metadata:${target}`,
          kind: "metadata",
          target,
          tier: "llm-metadata",
          // A value for what the TSG leaves open is the model's choice: a person decides it.
          confidence: clean && !proposal.metadata.some((m) => m.value) ? "high" : "medium",
          rationale: `${model} proposes, from ${tsg}: ${listed(proposal.metadata.map((m) => m.what))}`,
          evidence_citations: [{ path: tsg }],
        },
        proposal.metadata.map((m) => m.edit),
      );
    for (const promotion of proposal.promotions) {
      const { line, endLine } = linesOf(promotion.note.span, source);
      const chosen = modelInputs(promotion.step, refined.plan.runbook.meta.vars ?? {}, current.runbook);
      // The TSG runs it inside a session (on a bastion, in a container): as a cli step it runs
      // where the runbook runs, which is the model's judgement, not the TSG's.
      const moved = promotion.note.manualReason?.startsWith(INSIDE_SESSION) === true;
      await propose(
        {
          id: `llm-promote:${target}#${promotion.id}`,
          kind: "promote_step",
          target,
          tier: "llm-promote",
          confidence:
            clean && promotion.step.approvals === undefined && chosen.length === 0 && !moved
              ? "high"
              : "medium",
          rationale: [
            `${model} proposes to run \`${promotion.id}\` as a cli step: ${promotion.step.with.argv.join(" ")}`,
            `It is manual now because ${promotion.reason}.`,
            ...(promotion.step.approvals === undefined
              ? []
              : [`It changes state and keeps its approval (at least ${promotion.step.approvals.min}).`]),
            ...(moved
              ? ["As a cli step it runs where the runbook runs, not inside that session: check that it may."]
              : []),
            ...chosen.map((what) => `The model chose ${what}: the TSG does not say it.`),
          ].join("\n"),
          evidence_citations: [
            {
              path: tsg,
              line,
              ...(endLine > line ? { end_line: endLine } : {}),
              quote: promotion.note.command ?? "",
            },
          ],
        },
        [promotion.edit],
      );
    }
  }
  return { changes, groups, notProposed };
}

interface Comparison {
  /** `value`: it gives a variable the TSG leaves open a value (the model's choice, not the TSG's). */
  readonly metadata: { readonly what: string; readonly edit: Edit; readonly value?: true }[];
  readonly promotions: {
    readonly id: string;
    readonly note: StepNote;
    readonly step: CliStep;
    readonly reason: string;
    readonly edit: Edit;
  }[];
}

/**
 * What the refined plan says differently from the runbook on disk. Steps are matched through
 * the deterministic plan (the runbook's ids are its ids) by the TSG span each came from. Only
 * text still as the compiler made it is proposed: what an earlier session took (from a model,
 * or as a person edited it) is left alone, or each session would propose the model's text over
 * the person's.
 */
function compare(current: Runbook, draft: RunbookPlan, refined: RunbookPlan): Comparison {
  const metadata: Comparison["metadata"][number][] = [];
  const promotions: Comparison["promotions"][number][] = [];
  const answer = refined.runbook;
  const compiled = draft.runbook;
  for (const field of ["title", "description"] as const) {
    const value = field === "title" ? oneLine(answer.meta[field]) : answer.meta[field];
    if (current.meta[field] !== compiled.meta[field]) continue;
    if (value !== undefined && value !== "" && value !== current.meta[field])
      metadata.push({
        what: `the runbook's ${field} ${JSON.stringify(clip(value))}`,
        edit: (r) => {
          r.meta[field] = value;
        },
      });
  }
  for (const [name, spec] of Object.entries(current.meta.vars ?? {})) {
    const proposed = answer.meta.vars?.[name];
    if (proposed === undefined || typeof proposed === "string" || typeof spec === "string") continue;
    const was = compiled.meta.vars?.[name];
    if (
      proposed.description !== undefined &&
      proposed.description !== spec.description &&
      typeof was === "object" &&
      was.description === spec.description
    )
      metadata.push({
        what: `a description of the variable ${name}`,
        edit: (r) => {
          (r.meta.vars?.[name] as { description?: string }).description = proposed.description;
        },
      });
    if (proposed.value !== undefined && spec.value === undefined)
      metadata.push({
        what: `the value ${JSON.stringify(clip(proposed.value))} of ${name} (resolves its TODO)`,
        value: true,
        edit: (r) => {
          const v = r.meta.vars?.[name] as { value?: string; todo?: string } & VarSpec;
          v.value = proposed.value;
          delete v.todo;
        },
      });
  }

  const answerSteps = new Map([...allSteps(answer.steps)].map((s) => [s.id, s]));
  const answerAt = new Map<number, { note: StepNote; step: Step }>();
  for (const note of refined.steps) {
    const step = answerSteps.get(note.id);
    if (step !== undefined && !answerAt.has(note.span.start)) answerAt.set(note.span.start, { note, step });
  }
  const draftNotes = new Map(draft.steps.map((n) => [n.id, n]));
  const compiledSteps = new Map([...allSteps(compiled.steps)].map((s) => [s.id, s]));
  const text = (step: Step | undefined, field: "title" | "description" | "instructions") =>
    (step as { [k in typeof field]?: string } | undefined)?.[field];
  for (const step of allSteps(current.steps)) {
    const note = draftNotes.get(step.id);
    const other = note === undefined ? undefined : answerAt.get(note.span.start);
    if (note === undefined || other === undefined) continue;
    const id = step.id;
    if (step.type === "manual" && step.command !== undefined && other.step.type === "cli") {
      const proposed = other.step;
      promotions.push({
        id,
        note,
        step: proposed,
        reason: step.reason ?? note.manualReason ?? "Stage A could not run it unattended",
        edit: (r) => promote(r, id, proposed, answer.meta.vars ?? {}),
      });
      continue;
    }
    if (other.step.type !== step.type) continue;
    const was = compiledSteps.get(id);
    for (const field of ["title", "description"] as const) {
      const given = text(other.step, field);
      const value = field === "title" ? oneLine(given) : given;
      if (text(step, field) !== text(was, field)) continue;
      if (value !== undefined && value !== "" && value !== text(step, field))
        metadata.push({
          what: `the ${field} ${JSON.stringify(clip(value))} of step ${id}`,
          edit: (r) => updateStep(r, id, (s) => ({ ...s, [field]: value })),
        });
    }
    if (step.type === "manual" && other.step.type === "manual") {
      const instructions = other.step.instructions;
      if (
        instructions !== "" &&
        instructions !== step.instructions &&
        step.instructions === text(was, "instructions")
      )
        metadata.push({
          what: `instructions for step ${id}`,
          edit: (r) => updateStep(r, id, (s) => ({ ...s, instructions })),
        });
    }
  }
  return { metadata, promotions };
}

/**
 * What a promotion takes from the model beyond the TSG's command: the value of a variable its
 * argv uses that the runbook lacks (the TSG left it a placeholder), and a stdin (Stage A never
 * makes one). Said in the rationale; such a promotion is `medium` at most.
 */
function modelInputs(
  step: CliStep,
  answerVars: Readonly<Record<string, string | VarSpec>>,
  current: Runbook,
): string[] {
  const out: string[] = [];
  for (const name of usedVariables(step)) {
    const spec = answerVars[name];
    const value = typeof spec === "string" ? spec : spec?.value;
    if (value !== undefined && !(name in (current.meta.vars ?? {})))
      out.push(`the value ${JSON.stringify(clip(value))} of ${name}`);
  }
  if (step.with.stdin !== undefined) out.push(`its stdin ${JSON.stringify(clip(step.with.stdin))}`);
  return out;
}

/** The variables a cli step's argv and stdin use, in order, once each. */
function usedVariables(step: CliStep): string[] {
  const names = new Set<string>();
  for (const text of [...step.with.argv, step.with.stdin ?? ""])
    for (const [, name] of text.matchAll(/\{\{-?\s*\.([A-Za-z_][A-Za-z0-9_]*)/g))
      if (name !== undefined) names.add(name);
  return [...names];
}

/**
 * The manual step `id` becomes the answer's cli step, keeping its id; the variables its argv
 * uses that the runbook lacks come from the answer (a manual step's placeholders make none).
 */
function promote(
  runbook: MutableRunbook,
  id: string,
  proposed: CliStep,
  answerVars: Readonly<Record<string, string | VarSpec>>,
): void {
  // Its `source` comes from the TSG span it was made from when the runbook is printed.
  const { id: _id, source: _source, title, ...rest } = proposed;
  const line = oneLine(title);
  updateStep(
    runbook,
    id,
    () => ({ id, ...(line === undefined || line === "" ? {} : { title: line }), ...rest }) as Step,
  );
  for (const name of usedVariables(proposed)) {
    if (answerVars[name] === undefined || name in (runbook.meta.vars ?? {})) continue;
    runbook.meta.vars = { ...runbook.meta.vars, [name]: answerVars[name] };
  }
  runbook.meta.governance ??= {};
  const governance = runbook.meta.governance as { allowed_commands?: string[] };
  const allowed = new Set(governance.allowed_commands ?? []);
  for (const program of programsToAllow(proposed.with.argv)) allowed.add(program);
  governance.allowed_commands = [...allowed].sort();
}

function updateStep(runbook: MutableRunbook, id: string, update: (step: Step) => Step): void {
  const visit = (steps: Step[]): Step[] =>
    steps.map((step) =>
      step.id === id
        ? update(step)
        : step.type === "group"
          ? ({ ...step, steps: visit([...step.steps]) } as Step)
          : step,
    );
  runbook.steps = visit(runbook.steps);
}

/**
 * The edited runbook and its mapping as the compiler prints them: the mapping from the
 * deterministic plan with the edited runbook's step types, and both with a `Reviewed:` line
 * saying what came from the model (computed from what differs from the deterministic plan, so
 * it stays true over several sessions).
 */
async function printEdited(
  edited: Runbook,
  draft: RunbookPlan,
  source: SourceFile,
  candidate: RunbookCandidate,
  model: string,
): Promise<{ readonly yaml: string; readonly mapping: string }> {
  const steps = new Map([...allSteps(edited.steps)].map((s) => [s.id, s]));
  const draftSteps = new Map([...allSteps(draft.runbook.steps)].map((s) => [s.id, s]));
  const promoted = draft.steps.filter((n) => n.type === "manual" && steps.get(n.id)?.type === "cli");
  const retyped = new Set(promoted.map((n) => n.id));
  const notes = draft.steps.map((note): StepNote => {
    if (!retyped.has(note.id)) return note;
    const { manualReason: _reason, ...rest } = note;
    return { ...rest, type: "cli" };
  });
  const text = (step: Step | undefined) =>
    step === undefined
      ? undefined
      : JSON.stringify([
          step.title,
          (step as { description?: string }).description,
          step.type === "manual" ? step.instructions : undefined,
        ]);
  const metadataChanged =
    edited.meta.title !== draft.runbook.meta.title ||
    edited.meta.description !== draft.runbook.meta.description ||
    JSON.stringify(edited.meta.vars) !== JSON.stringify(draft.runbook.meta.vars) ||
    [...steps.values()].some((s) => !retyped.has(s.id) && text(s) !== text(draftSteps.get(s.id)));
  const parts = [
    ...(promoted.length === 0
      ? []
      : [
          `${promoted.length === 1 ? "a promotion" : "promotions"} to cli (${promoted.map((n) => `\`${n.id}\``).join(", ")})`,
        ]),
    ...(metadataChanged ? ["new titles, descriptions or values"] : []),
  ];
  const reviewed =
    parts.length === 0
      ? undefined
      : `rllmc review accepted ${parts.join(" and ")} from ${model}. A plain recompile would undo this (docs/review.md).`;
  // "X is manual" no longer holds for a promoted step.
  const promotedAt = new Set(promoted.map((n) => n.span.start));
  const uncertainties = draft.uncertainties.filter(
    (u) => !(u.kind === "manual" && promotedAt.has(u.span.start)),
  );
  return printPlan(
    { ...draft, runbook: edited, steps: notes, uncertainties },
    source,
    candidate.placement,
    reviewed,
  );
}

function stripSources(runbook: Runbook): Runbook {
  const strip = (step: Step): Step => {
    const { source: _source, ...rest } = step as Step & { source?: unknown };
    return (rest.type === "group" ? { ...rest, steps: rest.steps.map(strip) } : rest) as Step;
  };
  return { ...runbook, steps: runbook.steps.map(strip) };
}

function readRunbook(file: string): { text: string; runbook: Runbook } | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    const runbook = parseYaml(text) as Runbook;
    return runbook !== null && typeof runbook === "object" && Array.isArray(runbook.steps)
      ? { text, runbook }
      : undefined;
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function listed(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED);
  const more = items.length - shown.length;
  return `${shown.join("; ")}${more > 0 ? `; and ${more} more` : ""}.`;
}

function clip(text: string): string {
  const line = firstLine(text);
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/**
 * A title as one line: a step's title heads a line wherever it is shown (`exec`'s plan, the
 * debugger), so a model's line breaks and control characters in one become spaces.
 */
function oneLine(text: string | undefined): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced.
  return text?.replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
