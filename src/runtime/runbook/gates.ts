/**
 * What stands between a step and its run: governance (a command refused before it runs),
 * approvals (recorded, or asked of the attendant) and evidence (recorded for a manual step, and
 * checked against what it requires). Each records what it accepts in the trace.
 */
import { governanceRefusal } from "../../lang/runbook/governance.js";
import type { Evidence, ManualStep, Runbook } from "../../lang/runbook/types.js";
import { RunbookErrors, RunbookRuntimeError, RunCodes, runError } from "./errors.js";
import { append } from "./recording.js";
import { type EvidenceInput, type LeafStep, now, type RunContext } from "./run-context.js";
import type { ApprovalRecord, EvidenceRecord, EvidenceValue, RunError } from "./state.js";

// --- governance ------------------------------------------------------------------------------

/**
 * Why governance refuses `argv` before it runs (`src/lang/runbook/governance.ts`
 * `governanceRefusal`, the rule Stage C applies at compile time): a program it runs — itself or
 * one a wrapper runs — is not allowed, is denied by the runbook, or is destructive; or what it
 * runs cannot be known with certainty.
 */
export function commandBlocked(argv: readonly string[], runbook: Runbook): RunError | undefined {
  const governance = runbook.meta.governance;
  const refusal = governanceRefusal(argv, governance);
  if (refusal === undefined) return undefined;
  switch (refusal.kind) {
    case "not-allowed": {
      const allowed = governance?.allowed_commands ?? [];
      return runError(RunbookErrors.CommandNotAllowed, {
        program: refusal.program,
        via: refusal.via,
        allowed,
      });
    }
    case "denied":
      return runError(RunbookErrors.CommandDenied, {
        program: refusal.program,
        via: refusal.via,
        entry: refusal.entry,
      });
    case "destructive":
      return runError(RunbookErrors.CommandDestructive, { reason: refusal.reason });
    case "uncertain":
      return runError(RunbookErrors.CommandUncertain, { reason: refusal.reason });
    default: {
      const never: never = refusal;
      return never;
    }
  }
}

/** Whether a step failed because governance refused its command (which `continue_on_error` does not pass over). */
export function isPolicyBlock(error: RunError | null): boolean {
  return (
    error !== null &&
    (error.code === RunCodes.CommandNotAllowed ||
      error.code === RunCodes.CommandDenied ||
      error.code === RunCodes.CommandUncertain)
  );
}

// --- approvals -------------------------------------------------------------------------------

/** Records an approval by the run's actor (with the roles given by `--role`). */
export function approve(run: RunContext, stepId: string): ApprovalRecord {
  const s = run.s;
  const planned = run.plan.find((p) => p.step.id === stepId);
  if (planned === undefined)
    throw new RunbookRuntimeError(
      runError(RunbookErrors.NoSuchStep, {
        stepId,
        needingApproval: run.plan.filter((p) => p.step.approvals).map((p) => p.step.id),
      }),
    );
  const policy = planned.step.approvals;
  if (policy === undefined)
    throw new RunbookRuntimeError(runError(RunbookErrors.NoApprovalNeeded, { stepId }));
  if (planned.index < s.current)
    throw new RunbookRuntimeError(runError(RunbookErrors.ApprovalTooLate, { stepId }));
  const list = s.approvals[stepId] ?? [];
  s.approvals[stepId] = list;
  if (list.some((a) => a.by === s.actor))
    throw new RunbookRuntimeError(runError(RunbookErrors.AlreadyApproved, { actor: s.actor, stepId }));
  if (policy.roles !== undefined && !policy.roles.some((r) => s.roles.includes(r)))
    throw new RunbookRuntimeError(
      runError(RunbookErrors.ApproverLacksRole, {
        stepId,
        roles: policy.roles,
        actor: s.actor,
        actorRoles: s.roles,
      }),
    );
  const record: ApprovalRecord = run.redactor.deep({
    by: s.actor,
    roles: [...s.roles],
    at: now(run),
  });
  list.push(record);
  append(run, { type: "approval", at: record.at, step_id: stepId, record });
  return record;
}

/** "approval of <step> (1 of 2, role DRI)" when approvals are still needed after asking the attendant. */
export async function approvalsMissing(run: RunContext, step: LeafStep): Promise<string | undefined> {
  const s = run.s;
  const policy = step.approvals;
  if (policy === undefined) return undefined;
  const have = () => s.approvals[step.id] ?? [];
  const valid = () =>
    have().filter((a) => policy.roles === undefined || policy.roles.some((r) => a.roles.includes(r)));
  const attendant = run.options.attendant;
  if (
    valid().length < policy.min &&
    attendant?.approve !== undefined &&
    !have().some((a) => a.by === s.actor)
  ) {
    const roleOk = policy.roles === undefined || policy.roles.some((r) => s.roles.includes(r));
    if (roleOk && (await attendant.approve(step, policy.min - valid().length, have()))) approve(run, step.id);
  }
  const count = valid().length;
  if (count >= policy.min) return undefined;
  const roles = policy.roles === undefined ? "" : `, role ${policy.roles.join(" or ")}`;
  return `approval of ${step.id} (${count} of ${policy.min}${roles})`;
}

// --- evidence --------------------------------------------------------------------------------

/** The evidence a manual step requires: its own list, or one text `outcome` when the policy requires evidence for every manual step. */
export function requiredEvidence(step: ManualStep, runbook: Runbook): readonly Evidence[] {
  if (step.required_evidence !== undefined && step.required_evidence.length > 0)
    return step.required_evidence;
  const policy = runbook.meta.governance?.evidence?.require_for_manual;
  return policy === false
    ? []
    : [{ kind: "text", name: "outcome", description: "What you did and what you found." }];
}

/** Records evidence for a manual step not run yet. Throws RBX7016/7017 for a wrong step, name or value. */
export function addEvidence(
  run: RunContext,
  stepId: string,
  name: string,
  input: EvidenceInput,
  reusedFrom?: string,
): EvidenceRecord {
  const planned = run.plan.find((p) => p.step.id === stepId);
  if (planned === undefined || planned.step.type !== "manual")
    throw new RunbookRuntimeError(
      runError(RunbookErrors.NotAManualStep, { stepId, manualIds: manualIds(run) }),
    );
  if (planned.index < run.s.current)
    throw new RunbookRuntimeError(runError(RunbookErrors.EvidenceAlreadyRecorded, { stepId }));
  const required = requiredEvidence(planned.step, run.options.runbook);
  const spec = required.find((e) => e.name === name);
  if (spec === undefined)
    throw new RunbookRuntimeError(runError(RunbookErrors.NoSuchEvidence, { stepId, name, required }));
  if (spec.kind !== input.kind)
    throw new RunbookRuntimeError(
      runError(RunbookErrors.EvidenceWrongKind, { stepId, spec, given: input.kind }),
    );
  const value = evidenceValue(run, spec, input);
  const record: EvidenceRecord = {
    value,
    by: run.s.actor,
    at: now(run),
    ...(reusedFrom === undefined ? {} : { reused_from: reusedFrom }),
  };
  const stored = run.redactor.deep(record);
  pendingEvidence(run, stepId)[name] = stored;
  append(run, { type: "evidence", at: stored.at, step_id: stepId, name, record: stored });
  return stored;
}

function evidenceValue(run: RunContext, spec: Evidence, input: EvidenceInput): EvidenceValue {
  if (input.kind === "text") {
    if (input.text.trim() === "")
      throw new RunbookRuntimeError(runError(RunbookErrors.EvidenceEmpty, { name: spec.name }));
    return { kind: "text", text: input.text };
  }
  if (input.kind === "checklist") {
    const items = spec.items ?? [];
    const checked = input.checked === "all" ? items.map((_, i) => i + 1) : input.checked;
    for (const n of checked)
      if (!Number.isInteger(n) || n < 1 || n > items.length)
        throw new RunbookRuntimeError(runError(RunbookErrors.ChecklistNoSuchItem, { spec, item: n }));
    return {
      kind: "checklist",
      items: items.map((item, i) => ({ item, checked: checked.includes(i + 1) })),
    };
  }
  return { kind: "attachment", attachment: run.store.attach(input.path, run.redactor) };
}

/** The evidence given so far for a step not run yet (made empty on first use). */
export function pendingEvidence(run: RunContext, stepId: string): Record<string, EvidenceRecord> {
  const map = run.s.evidence[stepId] ?? {};
  run.s.evidence[stepId] = map;
  return map;
}

function manualIds(run: RunContext): string[] {
  return run.plan.filter((p) => p.step.type === "manual").map((p) => p.step.id);
}
