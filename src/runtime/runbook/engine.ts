/**
 * The runbook engine: a deterministic state machine over a runbook's leaf steps, in order. For
 * each step it renders the templates, enforces governance (allowed and denied commands) before
 * anything runs, gathers approvals and evidence (pausing when a person has not given them),
 * hands the prepared input to the step's provider, evaluates captures and assertions, and
 * records the result — redacted — in the trace and a snapshot before it moves on. Providers
 * return data only: flow, state and policy stay here. See docs/runbook-runtime.md.
 *
 * This class is the façade; the work is done by modules of functions over one `RunContext`
 * (run-context.ts): lifecycle.ts (start, resume), step-loop.ts (a step, pause, finish), cli-step.ts and
 * manual-step.ts (one step of each type), gates.ts (governance, approvals, evidence) and
 * recording.ts (trace events, results, snapshots).
 */

import { addEvidence, approve } from "./gates.js";
import { resumeRun, startRun } from "./lifecycle.js";
import { snapshotNow, snapshotState } from "./recording.js";
import type { RunRedactor } from "./redaction.js";
import type { EngineOptions, EvidenceInput, PlannedStep, RunContext, StepOutcome } from "./run-context.js";
import type {
  ApprovalRecord,
  Binding,
  CaptureRecord,
  EvidenceRecord,
  RunState,
  StepResult,
} from "./state.js";
import { closeRun, nextStep } from "./step-loop.js";
import type { RunStore } from "./store.js";

export { commandBlocked, requiredEvidence } from "./gates.js";
export { ENGINE_VERSION, planEntry } from "./lifecycle.js";
export {
  type Attendant,
  type EngineOptions,
  type EvidenceInput,
  type LeafStep,
  type PlannedStep,
  planSteps,
  type StepOutcome,
} from "./run-context.js";

export class RunbookEngine {
  private constructor(private readonly run: RunContext) {}

  /** Starts a new run: checks the variables and providers, creates the run folder, writes `run_started` and the first snapshot. */
  static start(options: EngineOptions & { readonly runId: string }): RunbookEngine {
    return new RunbookEngine(startRun(options));
  }

  /**
   * Continues a run from its newest snapshot: checks the trace's chain, re-appends a finished
   * step whose trace line a crash cut off, and notes a step that had started but not finished
   * (it runs again; one that needs approval needs it again).
   */
  static resume(options: EngineOptions & { readonly runId: string }, existing: RunStore): RunbookEngine {
    return new RunbookEngine(resumeRun(options, existing));
  }

  get plan(): readonly PlannedStep[] {
    return this.run.plan;
  }

  get redactor(): RunRedactor {
    return this.run.redactor;
  }

  get store(): RunStore {
    return this.run.store;
  }

  get runId(): string {
    return this.run.frozen.run_id;
  }

  get done(): boolean {
    return this.run.finished;
  }

  get current(): PlannedStep | undefined {
    return this.run.plan[this.run.s.current];
  }

  /** The run's state as a snapshot holds it (redacted). */
  get state(): RunState {
    return snapshotState(this.run);
  }

  /** The variables and the captures so far, redacted, for printing. */
  get values(): { vars: Record<string, string>; captures: Record<string, CaptureRecord> } {
    const { redactor, s } = this.run;
    return { vars: redactor.deep(s.vars), captures: redactor.deep(s.captures) };
  }

  get history(): readonly StepResult[] {
    return this.run.s.history;
  }

  get actor(): string {
    return this.run.s.actor;
  }

  get roles(): readonly string[] {
    return this.run.s.roles;
  }

  setActor(actor: string, roles: readonly string[]): void {
    this.run.s.actor = actor;
    this.run.s.roles = roles;
  }

  /** Records evidence for a manual step not run yet. Throws RBX7016/7017 for a wrong step, name or value. */
  addEvidence(stepId: string, name: string, input: EvidenceInput, reusedFrom?: string): EvidenceRecord {
    return addEvidence(this.run, stepId, name, input, reusedFrom);
  }

  /** Records an approval by the run's actor (with the roles given by `--role`). */
  approve(stepId: string): ApprovalRecord {
    return approve(this.run, stepId);
  }

  /** Writes a snapshot now (the debugger's `snapshot`). */
  snapshot(): Binding {
    return snapshotNow(this.run);
  }

  /** Runs the current step. */
  next(): Promise<StepOutcome> {
    return nextStep(this.run);
  }

  /** Runs steps until the run finishes or pauses; `onStep` sees every step recorded, skipped ones included. */
  async continue(onStep?: (result: StepResult) => void): Promise<StepOutcome> {
    for (;;) {
      const seen = this.run.s.history.length;
      const outcome = await this.next();
      for (const result of this.run.s.history.slice(seen)) onStep?.(result);
      if (outcome.kind !== "step") return outcome;
    }
  }

  /** Closes the trace; a finished run also ends its replay session (a paused one keeps it for --resume). */
  close(): Promise<void> {
    return closeRun(this.run);
  }
}
