/**
 * A `manual` step: the evidence it requires gathered (reused from an earlier run in replay with
 * `replay_mode: reuse_evidence`, asked of the attendant, or recorded before), its approvals, and
 * its result; it waits, and the run pauses, while evidence or approvals are missing.
 */
import { join } from "node:path";
import type { ManualStep } from "../../lang/runbook/types.js";
import { RunbookErrors, runError } from "./errors.js";
import { addEvidence, approvalsMissing, pendingEvidence, requiredEvidence } from "./gates.js";
import { append } from "./recording.js";
import { now, type PlannedStep, type RunContext } from "./run-context.js";
import type { EvidenceRecord, EvidenceValue, StepResult, StepStatus } from "./state.js";
import { manualProvider } from "./step-providers.js";

/** Runs a `manual` step: its result, or what it waits for (evidence, approvals). */
export async function runManual(
  run: RunContext,
  planned: PlannedStep,
  step: ManualStep,
): Promise<StepResult | { waitingFor: string[] }> {
  const started = now(run);
  const required = requiredEvidence(step, run.options.runbook);
  const given = pendingEvidence(run, step.id);
  const recorded = run.options.recordedEvidence;
  if (run.options.mode === "replay" && step.replay_mode === "reuse_evidence" && recorded !== undefined)
    for (const spec of required) {
      const old = recorded.evidence[step.id]?.[spec.name];
      if (given[spec.name] === undefined && old !== undefined) {
        // An attachment is copied into this run, so the run stands on its own.
        const value: EvidenceValue =
          old.value.kind === "attachment"
            ? {
                kind: "attachment",
                attachment: run.store.attach(join(recorded.dir, old.value.attachment.path), run.redactor),
              }
            : old.value;
        const record: EvidenceRecord = { ...old, value, reused_from: recorded.runId };
        given[spec.name] = record;
        append(run, { type: "evidence", at: now(run), step_id: step.id, name: spec.name, record });
      }
    }
  const attendant = run.options.attendant;
  for (const spec of required)
    if (given[spec.name] === undefined && attendant?.evidence !== undefined) {
      const input = await attendant.evidence(step, spec);
      if (input !== undefined) addEvidence(run, step.id, spec.name, input);
    }
  const outcome = await manualProvider.execute(
    step,
    Object.freeze({ evidence: Object.freeze({ ...given }), required }),
  );
  if (outcome.missing.length > 0)
    return { waitingFor: outcome.missing.map((name) => `evidence ${step.id}.${name}`) };
  const waiting = await approvalsMissing(run, step);
  if (waiting !== undefined) return { waitingFor: [waiting] };
  const error =
    outcome.unchecked.length > 0
      ? runError(RunbookErrors.ChecklistIncomplete, { unchecked: outcome.unchecked })
      : null;
  const status: StepStatus = error === null ? "passed" : "failed";
  delete run.s.evidence[step.id];
  return run.redactor.deep({
    run_id: run.frozen.run_id,
    step_id: step.id,
    index: planned.index,
    type: "manual",
    status,
    actor: "human",
    started_at: started,
    ended_at: now(run),
    captures: {},
    assertions: [],
    evidence: given,
    approvals: run.s.approvals[step.id] ?? [],
    error,
  } satisfies StepResult);
}
