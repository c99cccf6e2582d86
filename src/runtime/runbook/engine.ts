/**
 * The runbook engine: a deterministic state machine over a runbook's leaf steps, in order. For
 * each step it renders the templates, enforces governance (allowed and denied commands) before
 * anything runs, gathers approvals and evidence (pausing when a person has not given them),
 * hands the prepared input to the step's provider, evaluates captures and assertions, and
 * records the result — redacted — in the trace and a snapshot before it moves on. Providers
 * return data only: flow, state and policy stay here. See docs/runbook-runtime.md.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DENY_ENV_VARS, governanceRefusal, isDeniedEnvVar } from "../../lang/runbook/governance.js";
import type { Capture, CliStep, Evidence, ManualStep, Runbook, Step } from "../../lang/runbook/types.js";
import { RunbookErrors, RunbookRuntimeError, RunCodes, runError } from "./errors.js";
import { groupAlive, RunLock, stopProcessGroup } from "./lock.js";
import { digestMatches, headOf, type ManifestFiles, ManifestWriter, readManifest } from "./manifest.js";
import { RunRedactor } from "./redaction.js";
import { captureValue, checkAssertion } from "./results.js";
import type {
  ApprovalRecord,
  AssertionOutcome,
  Binding,
  CaptureRecord,
  ChainedEvent,
  EvidenceRecord,
  EvidenceValue,
  NewEvent,
  PlanEntry,
  RunError,
  RunMode,
  RunState,
  StepResult,
  StepState,
  StepStatus,
  StoredText,
} from "./state.js";
import { SNAPSHOT_EVERY } from "./state.js";
import {
  type CommandResult,
  type CommandRunner,
  cliProvider,
  manualProvider,
  type ScenarioVerdict,
} from "./step-providers.js";
import { RunStore } from "./store.js";
import { GENESIS, readTrace, sha256, TraceWriter } from "./trace.js";
import { render, renderArgv, resolveVariables, templateError } from "./values.js";

export const ENGINE_VERSION = "rllmc-runbook/0";
const DEFAULT_TIMEOUT_SECONDS = 600;
const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
const PREVIEW_CHARS = 400;

export type LeafStep = CliStep | ManualStep;

export interface PlannedStep {
  readonly index: number;
  readonly step: LeafStep;
  readonly groups: readonly string[];
}

/** The runbook's leaf steps in run order, with the groups around each. */
export function planSteps(
  steps: readonly Step[],
  groups: readonly string[] = [],
  out: PlannedStep[] = [],
): PlannedStep[] {
  for (const step of steps) {
    if (step.type === "group") planSteps(step.steps, [...groups, step.id], out);
    else out.push({ index: out.length, step, groups });
  }
  return out;
}

/** What a person gives the engine: evidence, approvals, confirmation. */
export interface Attendant {
  /** Asked for each piece of evidence still missing; undefined = not now (the run pauses). */
  evidence?(step: ManualStep, item: Evidence): Promise<EvidenceInput | undefined>;
  /** Asked when a step still needs approvals; true = the run's actor approves it. */
  approve?(step: LeafStep, needed: number, have: readonly ApprovalRecord[]): Promise<boolean>;
}

/** Evidence as a person gives it: text, ticked checklist items (1-based numbers or `all`), a file path. */
export type EvidenceInput =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "checklist"; readonly checked: "all" | readonly number[] }
  | { readonly kind: "attachment"; readonly path: string };

export interface EngineOptions {
  readonly runbook: Runbook;
  readonly runbookPath: string;
  /** The runbook file's bytes, for the hash the run is bound to. */
  readonly runbookText: string;
  readonly mode: Exclude<RunMode, "dry-run">;
  readonly runner: CommandRunner;
  readonly replayEngine?: "builtin" | "cli-replay";
  readonly scenario?: Binding;
  /** Where `.runbook/` lives. */
  readonly root: string;
  readonly actor: string;
  readonly roles?: readonly string[];
  readonly vars?: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly attendant?: Attendant;
  /** Evidence recorded by an earlier run, for manual steps with `replay_mode: reuse_evidence`. */
  readonly recordedEvidence?: {
    readonly runId: string;
    readonly dir: string;
    readonly evidence: Readonly<Record<string, Readonly<Record<string, EvidenceRecord>>>>;
  };
  readonly clock?: () => Date;
  /** Working directory of real commands. */
  readonly cwd?: string;
  /** The key of the manifest's HMAC (RUNBOOK_TRACE_KEY); without one the manifest has a plain digest. */
  readonly traceKey?: Uint8Array;
}

export type StepOutcome =
  | { readonly kind: "step"; readonly result: StepResult }
  | { readonly kind: "paused"; readonly step: PlannedStep; readonly waitingFor: readonly string[] }
  | { readonly kind: "finished"; readonly status: "passed" | "failed"; readonly scenario?: ScenarioVerdict };

interface Mutable {
  status: RunState["status"];
  current: number;
  vars: Record<string, string>;
  captures: Record<string, CaptureRecord>;
  values: Record<string, string>;
  history: StepResult[];
  /** Each result of `history` as JSON, kept so a snapshot serialises its tail only once. */
  historyJson: string[];
  /** How many results of `history` the trace has (as `step` events); a snapshot holds the rest. */
  traced: number;
  evidence: Record<string, Record<string, EvidenceRecord>>;
  approvals: Record<string, ApprovalRecord[]>;
  waitingFor: string[] | undefined;
  actor: string;
  roles: readonly string[];
}

export class RunbookEngine {
  readonly plan: readonly PlannedStep[];
  readonly redactor: RunRedactor;
  private readonly clock: () => Date;
  private readonly storeFull: boolean;
  private readonly s: Mutable;
  private readonly childEnv: Record<string, string>;
  private finished = false;

  private constructor(
    private readonly options: EngineOptions,
    readonly store: RunStore,
    private readonly trace: TraceWriter,
    private readonly frozen: Omit<
      RunState,
      | "status"
      | "current_step_index"
      | "vars"
      | "captures"
      | "history"
      | "pending"
      | "replay_state"
      | "waiting_for"
      | "trace"
      | "actor"
    >,
    state: Mutable,
    private readonly lock: RunLock,
    private readonly manifest: ManifestWriter,
  ) {
    this.plan = planSteps(options.runbook.steps);
    this.redactor = new RunRedactor(options.runbook.meta.governance, options.env);
    this.clock = options.clock ?? (() => new Date());
    this.storeFull = options.runbook.meta.governance?.evidence?.store_full_stdout === true;
    this.s = state;
    const denied = options.runbook.meta.governance?.deny_env_vars ?? DEFAULT_DENY_ENV_VARS;
    this.childEnv = {};
    for (const [name, value] of Object.entries(options.env))
      if (value !== undefined && !isDeniedEnvVar(name, denied)) this.childEnv[name] = value;
    delete this.childEnv.RUNBOOK_TRACE_KEY;
  }

  /** Starts a new run: checks the variables and providers, creates the run folder, writes `run_started` and the first snapshot. */
  static start(options: EngineOptions & { readonly runId: string }): RunbookEngine {
    const plan = planSteps(options.runbook.steps);
    const { vars, unset } = resolveVariables(options.runbook, options.env, options.vars ?? {});
    const needed = unset.filter((name) => plan.some((p) => p.step.type === "cli" && usesName(p.step, name)));
    if (needed.length > 0)
      throw new RunbookRuntimeError(runError(RunbookErrors.VariablesUnset, { names: needed }));
    for (const p of plan) {
      const problems = p.step.type === "cli" ? cliProvider.validate(p.step) : manualProvider.validate(p.step);
      if (problems.length > 0)
        throw new RunbookRuntimeError(runError(RunbookErrors.StepCannotRun, { stepId: p.step.id, problems }));
    }
    const store = RunStore.under(options.root, options.runId);
    store.create();
    // The lock first, then the check: of two runs started with one id, one gets the lock and the
    // other is refused; a later one finds the trace.
    const lock = RunLock.acquire(store.dir, options.runId);
    if (existsSync(store.tracePath)) {
      lock.release();
      throw new RunbookRuntimeError(
        runError(RunbookErrors.RunExists, { runId: options.runId, dir: store.dir }),
      );
    }
    try {
      return RunbookEngine.begin(options, store, lock, plan, vars);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  private static begin(
    options: EngineOptions & { readonly runId: string },
    store: RunStore,
    lock: RunLock,
    plan: readonly PlannedStep[],
    vars: Record<string, string>,
  ): RunbookEngine {
    const trace = new TraceWriter(store.tracePath, "0".repeat(64), 0);
    const clock = options.clock ?? (() => new Date());
    const redactor = new RunRedactor(options.runbook.meta.governance, options.env);
    const policy_sha256 = sha256(JSON.stringify(options.runbook.meta.governance ?? {}));
    const frozen = {
      format: "runbook-run/v0" as const,
      run_id: options.runId,
      runbook_path: options.runbookPath,
      runbook_sha256: sha256(options.runbookText),
      ...(options.scenario === undefined ? {} : { scenario: options.scenario }),
      policy_sha256,
      mode: options.mode,
      ...(options.mode === "replay" ? { replay_engine: options.replayEngine ?? "builtin" } : {}),
      started_at: clock().toISOString(),
    };
    const manifest = new ManifestWriter(
      store.dir,
      options.runId,
      manifestFiles(frozen),
      options.traceKey,
      headOf([]),
    );
    const engine = new RunbookEngine(
      options,
      store,
      trace,
      frozen,
      {
        status: "running",
        current: 0,
        vars,
        captures: {},
        values: { ...vars },
        history: [],
        historyJson: [],
        traced: 0,
        evidence: {},
        approvals: {},
        waitingFor: undefined,
        actor: options.actor,
        roles: options.roles ?? [],
      },
      lock,
      manifest,
    );
    engine.append({
      type: "run_started",
      at: frozen.started_at,
      run_id: options.runId,
      mode: options.mode,
      actor: options.actor,
      runbook: { path: options.runbookPath, sha256: frozen.runbook_sha256, name: options.runbook.meta.name },
      ...(options.scenario === undefined ? {} : { scenario: options.scenario }),
      policy_sha256,
      engine: ENGINE_VERSION,
      vars: redactor.deep(vars),
      plan: plan.map(planEntry),
    });
    engine.writeSnapshot(`step-${pad(0)}.json`);
    return engine;
  }

  /**
   * Continues a run from its newest snapshot: checks the trace's chain, re-appends a finished
   * step whose trace line a crash cut off, and notes a step that had started but not finished
   * (it runs again; one that needs approval needs it again).
   */
  static resume(options: EngineOptions & { readonly runId: string }, existing: RunStore): RunbookEngine {
    const lock = RunLock.acquire(existing.dir, options.runId);
    try {
      return RunbookEngine.continueRun(options, existing, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  private static continueRun(
    options: EngineOptions & { readonly runId: string },
    existing: RunStore,
    lock: RunLock,
  ): RunbookEngine {
    const read = readTrace(existing.tracePath);
    if (read.problems.length > 0)
      throw new RunbookRuntimeError(
        runError(RunbookErrors.ResumeTraceTampered, {
          runId: options.runId,
          problem: read.problems[0]?.message,
          dir: existing.dir,
        }),
      );
    checkManifestForResume(existing, read.events, options);
    const latest = existing.latestState(read.events);
    if (latest === undefined)
      throw new RunbookRuntimeError(runError(RunbookErrors.NoSnapshotToResume, { runId: options.runId }));
    const saved = latest.state;
    if (saved.status === "passed" || saved.status === "failed")
      throw new RunbookRuntimeError(
        runError(RunbookErrors.RunFinished, { runId: options.runId, status: saved.status }),
      );
    if (saved.runbook_sha256 !== sha256(options.runbookText))
      throw new RunbookRuntimeError(
        runError(RunbookErrors.RunbookChanged, { runbookPath: options.runbookPath, runId: options.runId }),
      );
    if (Object.keys(options.vars ?? {}).length > 0)
      throw new RunbookRuntimeError(runError(RunbookErrors.VariablesFixed, {}));
    // A step of the crashed run still running in its own process group would overlap its rerun.
    const stray = lock.previous?.step_pgid;
    let stopped: number | undefined;
    if (stray !== undefined && groupAlive(stray)) {
      if (!stopProcessGroup(stray))
        throw new RunbookRuntimeError(
          runError(RunbookErrors.StepStillRunning, {
            stepId: lock.previous?.step_id,
            runId: options.runId,
            pgid: stray,
          }),
        );
      stopped = stray;
    }
    const stepEvents = read.events.filter((e) => e.type === "step");
    const trace = new TraceWriter(existing.tracePath, read.head, read.events.length);
    const values: Record<string, string> = { ...saved.vars };
    for (const [name, record] of Object.entries(saved.captures))
      if (record.value !== undefined) values[name] = record.value;
    const approvals: Record<string, ApprovalRecord[]> = {};
    for (const [id, list] of Object.entries(saved.pending.approvals)) approvals[id] = [...list];
    const evidence: Record<string, Record<string, EvidenceRecord>> = {};
    for (const [id, map] of Object.entries(saved.pending.evidence)) evidence[id] = { ...map };
    const {
      status: _s,
      current_step_index,
      vars,
      captures,
      history,
      pending: _p,
      replay_state: _r,
      waiting_for: _w,
      trace: _t,
      actor: _a,
      ...frozen
    } = saved;
    // The manifest follows the chain: one a crash left behind is rewritten with the next event.
    const manifest = new ManifestWriter(
      existing.dir,
      options.runId,
      manifestFiles(frozen),
      options.traceKey,
      headOf(read.events),
    );
    const engine = new RunbookEngine(
      options,
      existing,
      trace,
      frozen,
      {
        status: "running",
        current: current_step_index,
        vars: { ...vars },
        captures: { ...captures },
        values,
        history: [...history],
        historyJson: history.map((r) => JSON.stringify(r)),
        traced: stepEvents.length,
        evidence,
        approvals,
        waitingFor: undefined,
        actor: options.actor,
        roles: options.roles ?? [],
      },
      lock,
      manifest,
    );
    // A step the snapshot has but the trace lost (killed between the two writes) is re-appended, not re-run.
    for (const result of history.slice(stepEvents.length))
      engine.append({
        type: "step",
        at: result.ended_at,
        result,
        snapshot: { path: latest.name, sha256: latest.sha256 },
      });
    const started = read.events.filter((e) => e.type === "step_started").at(-1);
    const interrupted =
      started !== undefined && started.type === "step_started" && started.index === current_step_index
        ? engine.plan[current_step_index]
        : undefined;
    if (interrupted !== undefined && interrupted.step.approvals !== undefined)
      delete engine.s.approvals[interrupted.step.id];
    engine.append({
      type: "resumed",
      at: engine.now(),
      from_snapshot: latest.from,
      actor: options.actor,
      ...(interrupted === undefined ? {} : { interrupted_step: interrupted.step.id }),
      ...(stopped === undefined ? {} : { stopped_process_group: stopped }),
    });
    return engine;
  }

  get runId(): string {
    return this.frozen.run_id;
  }

  get done(): boolean {
    return this.finished;
  }

  get current(): PlannedStep | undefined {
    return this.plan[this.s.current];
  }

  /** The run's state as a snapshot holds it (redacted). */
  get state(): RunState {
    return this.snapshotState();
  }

  /** The variables and the captures so far, redacted, for printing. */
  get values(): { vars: Record<string, string>; captures: Record<string, CaptureRecord> } {
    return { vars: this.redactor.deep(this.s.vars), captures: this.redactor.deep(this.s.captures) };
  }

  get history(): readonly StepResult[] {
    return this.s.history;
  }

  get actor(): string {
    return this.s.actor;
  }

  get roles(): readonly string[] {
    return this.s.roles;
  }

  setActor(actor: string, roles: readonly string[]): void {
    this.s.actor = actor;
    this.s.roles = roles;
  }

  /** Records evidence for a manual step not run yet. Throws RBX7016/7017 for a wrong step, name or value. */
  addEvidence(stepId: string, name: string, input: EvidenceInput, reusedFrom?: string): EvidenceRecord {
    const planned = this.plan.find((p) => p.step.id === stepId);
    if (planned === undefined || planned.step.type !== "manual")
      throw new RunbookRuntimeError(
        runError(RunbookErrors.NotAManualStep, { stepId, manualIds: this.manualIds() }),
      );
    if (planned.index < this.s.current)
      throw new RunbookRuntimeError(runError(RunbookErrors.EvidenceAlreadyRecorded, { stepId }));
    const required = requiredEvidence(planned.step, this.options.runbook);
    const spec = required.find((e) => e.name === name);
    if (spec === undefined)
      throw new RunbookRuntimeError(runError(RunbookErrors.NoSuchEvidence, { stepId, name, required }));
    if (spec.kind !== input.kind)
      throw new RunbookRuntimeError(
        runError(RunbookErrors.EvidenceWrongKind, { stepId, spec, given: input.kind }),
      );
    const value = this.evidenceValue(spec, input);
    const record: EvidenceRecord = {
      value,
      by: this.s.actor,
      at: this.now(),
      ...(reusedFrom === undefined ? {} : { reused_from: reusedFrom }),
    };
    const stored = this.redactor.deep(record);
    this.pendingEvidence(stepId)[name] = stored;
    this.append({ type: "evidence", at: stored.at, step_id: stepId, name, record: stored });
    return stored;
  }

  /** Records an approval by the run's actor (with the roles given by `--role`). */
  approve(stepId: string): ApprovalRecord {
    const planned = this.plan.find((p) => p.step.id === stepId);
    if (planned === undefined)
      throw new RunbookRuntimeError(
        runError(RunbookErrors.NoSuchStep, {
          stepId,
          needingApproval: this.plan.filter((p) => p.step.approvals).map((p) => p.step.id),
        }),
      );
    const policy = planned.step.approvals;
    if (policy === undefined)
      throw new RunbookRuntimeError(runError(RunbookErrors.NoApprovalNeeded, { stepId }));
    if (planned.index < this.s.current)
      throw new RunbookRuntimeError(runError(RunbookErrors.ApprovalTooLate, { stepId }));
    const list = this.s.approvals[stepId] ?? [];
    this.s.approvals[stepId] = list;
    if (list.some((a) => a.by === this.s.actor))
      throw new RunbookRuntimeError(runError(RunbookErrors.AlreadyApproved, { actor: this.s.actor, stepId }));
    if (policy.roles !== undefined && !policy.roles.some((r) => this.s.roles.includes(r)))
      throw new RunbookRuntimeError(
        runError(RunbookErrors.ApproverLacksRole, {
          stepId,
          roles: policy.roles,
          actor: this.s.actor,
          actorRoles: this.s.roles,
        }),
      );
    const record: ApprovalRecord = this.redactor.deep({
      by: this.s.actor,
      roles: [...this.s.roles],
      at: this.now(),
    });
    list.push(record);
    this.append({ type: "approval", at: record.at, step_id: stepId, record });
    return record;
  }

  /** Writes a snapshot now (the debugger's `snapshot`). */
  snapshot(): Binding {
    const binding = this.writeSnapshot(this.extraName());
    this.append({ type: "snapshot", at: this.now(), snapshot: binding });
    return binding;
  }

  /** Runs the current step. */
  async next(): Promise<StepOutcome> {
    if (this.finished) return { kind: "finished", status: this.runStatus() };
    const planned = this.plan[this.s.current];
    if (planned === undefined) return this.finish();
    this.s.status = "running";
    const result =
      planned.step.type === "cli"
        ? await this.runCli(planned, planned.step)
        : await this.runManual(planned, planned.step);
    if ("waitingFor" in result) return this.pause(planned, result.waitingFor);
    this.record(result);
    if (
      result.status === "failed" &&
      !(
        planned.step.type === "cli" &&
        planned.step.continue_on_error === true &&
        !isPolicyBlock(result.error)
      )
    ) {
      this.skipRest(planned, result);
      return this.finish();
    }
    return { kind: "step", result };
  }

  /** Runs steps until the run finishes or pauses; `onStep` sees every step recorded, skipped ones included. */
  async continue(onStep?: (result: StepResult) => void): Promise<StepOutcome> {
    for (;;) {
      const seen = this.s.history.length;
      const outcome = await this.next();
      for (const result of this.s.history.slice(seen)) onStep?.(result);
      if (outcome.kind !== "step") return outcome;
    }
  }

  /** Closes the trace; a finished run also ends its replay session (a paused one keeps it for --resume). */
  async close(): Promise<void> {
    this.trace.close();
    this.manifest.close();
    this.lock.release();
    if (this.finished) await this.options.runner.close?.();
  }

  // --- steps ---------------------------------------------------------------------------------

  private async runCli(planned: PlannedStep, step: CliStep): Promise<StepResult | { waitingFor: string[] }> {
    const started = this.now();
    const missing = this.unstoredCaptures(step);
    if (missing !== undefined) return this.failed(planned, started, missing);
    const rendered = renderArgv(step.with.argv, this.s.values);
    if (!rendered.ok) return this.failed(planned, started, templateError(rendered.message));
    let stdin: string | undefined;
    if (step.with.stdin !== undefined) {
      const value = render(step.with.stdin, this.s.values);
      if (!value.ok) return this.failed(planned, started, templateError(value.message));
      stdin = value.value;
    }
    const argv = rendered.argv;
    const blocked = this.blocked(argv);
    if (blocked !== undefined) return this.failed(planned, started, blocked, argv);
    const waiting = await this.approvalsMissing(step);
    if (waiting !== undefined) return { waitingFor: [waiting] };
    this.append({
      type: "step_started",
      at: started,
      step_id: step.id,
      index: planned.index,
      argv: this.redactor.deep(argv),
    });
    const output = await cliProvider.execute(
      step,
      Object.freeze({
        call: Object.freeze({
          argv: Object.freeze([...argv]),
          ...(stdin === undefined ? {} : { stdin }),
          timeoutMs: (step.with.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
          maxOutputBytes: step.with.max_output_bytes ?? DEFAULT_MAX_OUTPUT_BYTES,
          env: this.childEnv,
          onSpawn: (pid: number) => this.lock.recordStep(step.id, pid),
        }),
        runner: this.options.runner,
      }),
    );
    this.lock.clearStep();
    return this.cliResult(planned, step, started, argv, output);
  }

  private cliResult(
    planned: PlannedStep,
    step: CliStep,
    started: string,
    argv: readonly string[],
    output: CommandResult,
  ): StepResult {
    const assertions: AssertionOutcome[] =
      output.error === undefined ? (step.assertions ?? []).map((a) => checkAssertion(a, output)) : [];
    let error: RunError | null = output.error ?? null;
    if (error === null && output.timedOut)
      error = runError(RunbookErrors.TimedOut, {
        program: argv[0],
        seconds: step.with.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS,
      });
    const failedAssertion = assertions.find((a) => !a.passed);
    const checksExit = (step.assertions ?? []).some((a) => a.exit_code !== undefined);
    if (error === null && failedAssertion !== undefined)
      error = runError(RunbookErrors.AssertionFailed, { detail: failedAssertion.detail });
    if (error === null && output.exitCode !== 0 && !checksExit)
      error = runError(RunbookErrors.ExitStatus, {
        program: argv[0],
        status: output.exitCode,
        stderr: output.stderr,
      });
    const captures: Record<string, CaptureRecord> = {};
    if (error === null)
      for (const [name, capture] of Object.entries(step.capture ?? {})) {
        const value = captureValue(capture, output);
        if (!value.ok) {
          error = runError(RunbookErrors.CaptureFailed, { name, detail: value.message });
          break;
        }
        this.s.values[name] = value.value;
        captures[name] = this.captureRecord(capture, value.value);
      }
    const result: StepResult = {
      run_id: this.runId,
      step_id: step.id,
      index: planned.index,
      type: "cli",
      status: error === null ? "passed" : "failed",
      actor: "engine",
      started_at: started,
      ended_at: this.now(),
      argv,
      exit_code: output.exitCode,
      stdout: this.stored(output.stdout, output.truncated?.includes("stdout")),
      stderr: this.stored(output.stderr, output.truncated?.includes("stderr")),
      captures,
      assertions,
      evidence: {},
      approvals: this.s.approvals[step.id] ?? [],
      error,
    };
    if (result.status === "passed") Object.assign(this.s.captures, this.redactor.deep(captures));
    return this.redactor.deep(result);
  }

  private async runManual(
    planned: PlannedStep,
    step: ManualStep,
  ): Promise<StepResult | { waitingFor: string[] }> {
    const started = this.now();
    const required = requiredEvidence(step, this.options.runbook);
    const given = this.pendingEvidence(step.id);
    const recorded = this.options.recordedEvidence;
    if (this.options.mode === "replay" && step.replay_mode === "reuse_evidence" && recorded !== undefined)
      for (const spec of required) {
        const old = recorded.evidence[step.id]?.[spec.name];
        if (given[spec.name] === undefined && old !== undefined) {
          // An attachment is copied into this run, so the run stands on its own.
          const value: EvidenceValue =
            old.value.kind === "attachment"
              ? {
                  kind: "attachment",
                  attachment: this.store.attach(join(recorded.dir, old.value.attachment.path), this.redactor),
                }
              : old.value;
          const record: EvidenceRecord = { ...old, value, reused_from: recorded.runId };
          given[spec.name] = record;
          this.append({ type: "evidence", at: this.now(), step_id: step.id, name: spec.name, record });
        }
      }
    for (const spec of required)
      if (given[spec.name] === undefined && this.options.attendant?.evidence !== undefined) {
        const input = await this.options.attendant.evidence(step, spec);
        if (input !== undefined) this.addEvidence(step.id, spec.name, input);
      }
    const outcome = await manualProvider.execute(
      step,
      Object.freeze({ evidence: Object.freeze({ ...given }), required }),
    );
    if (outcome.missing.length > 0)
      return { waitingFor: outcome.missing.map((name) => `evidence ${step.id}.${name}`) };
    const waiting = await this.approvalsMissing(step);
    if (waiting !== undefined) return { waitingFor: [waiting] };
    const error =
      outcome.unchecked.length > 0
        ? runError(RunbookErrors.ChecklistIncomplete, { unchecked: outcome.unchecked })
        : null;
    const status: StepStatus = error === null ? "passed" : "failed";
    delete this.s.evidence[step.id];
    return this.redactor.deep({
      run_id: this.runId,
      step_id: step.id,
      index: planned.index,
      type: "manual",
      status,
      actor: "human",
      started_at: started,
      ended_at: this.now(),
      captures: {},
      assertions: [],
      evidence: given,
      approvals: this.s.approvals[step.id] ?? [],
      error,
    } satisfies StepResult);
  }

  /** "approval of <step> (1 of 2, role DRI)" when approvals are still needed after asking the attendant. */
  private async approvalsMissing(step: LeafStep): Promise<string | undefined> {
    const policy = step.approvals;
    if (policy === undefined) return undefined;
    const have = () => this.s.approvals[step.id] ?? [];
    const valid = () =>
      have().filter((a) => policy.roles === undefined || policy.roles.some((r) => a.roles.includes(r)));
    if (
      valid().length < policy.min &&
      this.options.attendant?.approve !== undefined &&
      !have().some((a) => a.by === this.s.actor)
    ) {
      const roleOk = policy.roles === undefined || policy.roles.some((r) => this.s.roles.includes(r));
      if (roleOk && (await this.options.attendant.approve(step, policy.min - valid().length, have())))
        this.approve(step.id);
    }
    const count = valid().length;
    if (count >= policy.min) return undefined;
    const roles = policy.roles === undefined ? "" : `, role ${policy.roles.join(" or ")}`;
    return `approval of ${step.id} (${count} of ${policy.min}${roles})`;
  }

  private blocked(argv: readonly string[]): RunError | undefined {
    return commandBlocked(argv, this.options.runbook);
  }

  private unstoredCaptures(step: CliStep): RunError | undefined {
    for (const element of [...step.with.argv, step.with.stdin ?? ""]) {
      for (const [name, record] of Object.entries(this.s.captures))
        if (record.value === undefined && this.s.values[name] === undefined && element.includes(name))
          return runError(RunbookErrors.CaptureNotStored, { name });
    }
    return undefined;
  }

  private failed(
    planned: PlannedStep,
    started: string,
    error: RunError,
    argv?: readonly string[],
  ): StepResult {
    return this.redactor.deep({
      run_id: this.runId,
      step_id: planned.step.id,
      index: planned.index,
      type: planned.step.type,
      status: "failed",
      actor: "engine",
      started_at: started,
      ended_at: this.now(),
      ...(argv === undefined ? {} : { argv }),
      captures: {},
      assertions: [],
      evidence: {},
      approvals: [],
      error,
    } satisfies StepResult);
  }

  private skipRest(failed: PlannedStep, result: StepResult): void {
    for (const planned of this.plan.slice(failed.index + 1)) {
      const at = this.now();
      this.record(
        {
          run_id: this.runId,
          step_id: planned.step.id,
          index: planned.index,
          type: planned.step.type,
          status: "skipped",
          actor: "engine",
          started_at: at,
          ended_at: at,
          captures: {},
          assertions: [],
          evidence: {},
          approvals: [],
          error: runError(RunbookErrors.StepNotRun, { failedStep: result.step_id }),
        },
        false,
      );
    }
  }

  // --- recording -----------------------------------------------------------------------------

  /**
   * Moves past a step. Most steps write one trace line that carries the state the trace holds
   * nowhere else; every SNAPSHOT_EVERY-th step, and a step that failed (the one an investigator
   * reads first, and a witness `verify` holds the trace to), writes a snapshot first (so a crash
   * between the two writes loses nothing), then the trace line naming it.
   */
  private record(result: StepResult, snapshot = true): void {
    this.s.history.push(result);
    this.s.historyJson.push(JSON.stringify(result));
    this.s.current = result.index + 1;
    delete this.s.approvals[result.step_id];
    if (!snapshot) {
      this.append({ type: "step", at: result.ended_at, result });
      return;
    }
    if (this.s.current % SNAPSHOT_EVERY !== 0 && result.status !== "failed") {
      this.append({ type: "step", at: result.ended_at, result, state: this.stepState() });
      return;
    }
    const binding = this.writeSnapshot(`step-${pad(this.s.current)}.json`);
    this.append({ type: "step", at: result.ended_at, result, snapshot: binding });
  }

  private pause(planned: PlannedStep, waitingFor: readonly string[]): StepOutcome {
    this.s.status = "paused";
    this.s.waitingFor = [...waitingFor];
    this.append({ type: "paused", at: this.now(), step_id: planned.step.id, waiting_for: waitingFor });
    this.writeSnapshot(this.extraName());
    return { kind: "paused", step: planned, waitingFor };
  }

  private async finish(): Promise<StepOutcome> {
    if (this.finished) return { kind: "finished", status: this.runStatus() };
    const scenario =
      this.options.runner.finish === undefined ? undefined : await this.options.runner.finish();
    const status = this.runStatus(scenario);
    this.s.status = status;
    this.s.waitingFor = undefined;
    const count = (st: StepStatus) => this.s.history.filter((r) => r.status === st).length;
    this.append({
      type: "run_finished",
      at: this.now(),
      status,
      steps: { passed: count("passed"), failed: count("failed"), skipped: count("skipped") },
      ...(scenario === undefined ? {} : { scenario_verify: this.redactor.deep(scenario) }),
    });
    this.writeSnapshot(this.extraName());
    this.finished = true;
    return { kind: "finished", status, ...(scenario === undefined ? {} : { scenario }) };
  }

  private runStatus(scenario?: ScenarioVerdict): "passed" | "failed" {
    const stepsOk = this.s.history.every(
      (r) => r.status === "passed" || (r.status === "failed" && this.continued(r)),
    );
    const complete = this.s.history.length === this.plan.length;
    return stepsOk && complete && (scenario === undefined || scenario.passed) ? "passed" : "failed";
  }

  private continued(result: StepResult): boolean {
    const step = this.plan[result.index]?.step;
    return step?.type === "cli" && step.continue_on_error === true && !isPolicyBlock(result.error);
  }

  private append(event: NewEvent): void {
    const full = this.trace.append(event);
    if (full.type === "step") this.s.traced += 1;
    this.manifest.appended(full, this.trace.events, this.trace.lastHash);
  }

  /** The part of the state a `step` event without a snapshot carries (state.ts `StepState`). */
  private stepState(): StepState {
    const pending =
      Object.keys(this.s.evidence).length + Object.keys(this.s.approvals).length > 0
        ? { evidence: this.s.evidence, approvals: this.s.approvals }
        : undefined;
    const replay = this.options.runner.state?.();
    return {
      ...(pending === undefined ? {} : { pending }),
      ...(replay === undefined ? {} : { replay_state: replay }),
    };
  }

  /** Writes the state without the history the trace holds (state.ts `RunSnapshot`). */
  private writeSnapshot(name: string): Binding {
    const { history: _, format: _f, ...rest } = this.snapshotState();
    // The tail goes last, spliced in from the results serialised once each.
    const head = JSON.stringify({ format: "runbook-snapshot/v1", ...rest });
    return this.store.writeSnapshot(
      name,
      `${head.slice(0, -1)},"tail":[${this.s.historyJson.slice(this.s.traced).join(",")}]}\n`,
    );
  }

  private extraName(): string {
    // Named after the trace position: unique across resumes, and sorted after the step's own snapshot.
    return `step-${pad(this.s.current)}.s${String(this.trace.events).padStart(6, "0")}.json`;
  }

  private snapshotState(): RunState {
    return {
      ...this.frozen,
      actor: this.s.actor,
      status: this.s.status,
      current_step_index: this.s.current,
      vars: this.redactor.deep(this.s.vars),
      captures: this.s.captures,
      history: this.s.history,
      pending: { evidence: this.s.evidence, approvals: this.s.approvals },
      ...(this.options.runner.state === undefined ? {} : { replay_state: this.options.runner.state() }),
      ...(this.s.waitingFor === undefined ? {} : { waiting_for: this.s.waitingFor }),
      trace: { events: this.trace.events, head: this.trace.lastHash },
    };
  }

  // --- values --------------------------------------------------------------------------------

  private stored(text: string, truncated: boolean | undefined): StoredText {
    const clean = this.redactor.text(text);
    const bytes = Buffer.byteLength(clean);
    const base = { sha256: sha256(clean), bytes, ...(truncated ? { truncated } : {}) };
    if (this.storeFull) return { ...base, text: clean };
    return clean.length <= PREVIEW_CHARS
      ? { ...base, preview: clean }
      : { ...base, preview: `${clean.slice(0, PREVIEW_CHARS)}…` };
  }

  private captureRecord(capture: Capture, value: string): CaptureRecord {
    const whole = capture === "stdout" || capture === "stderr";
    if (!whole || this.storeFull) return { value };
    const clean = this.redactor.text(value);
    return { sha256: sha256(clean), bytes: Buffer.byteLength(clean), preview: clean.slice(0, PREVIEW_CHARS) };
  }

  private evidenceValue(spec: Evidence, input: EvidenceInput): EvidenceValue {
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
    return { kind: "attachment", attachment: this.store.attach(input.path, this.redactor) };
  }

  private pendingEvidence(stepId: string): Record<string, EvidenceRecord> {
    const map = this.s.evidence[stepId] ?? {};
    this.s.evidence[stepId] = map;
    return map;
  }

  private manualIds(): string[] {
    return this.plan.filter((p) => p.step.type === "manual").map((p) => p.step.id);
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

/** The evidence a manual step requires: its own list, or one text `outcome` when the policy requires evidence for every manual step. */
export function requiredEvidence(step: ManualStep, runbook: Runbook): readonly Evidence[] {
  if (step.required_evidence !== undefined && step.required_evidence.length > 0)
    return step.required_evidence;
  const policy = runbook.meta.governance?.evidence?.require_for_manual;
  return policy === false
    ? []
    : [{ kind: "text", name: "outcome", description: "What you did and what you found." }];
}

export function planEntry(p: PlannedStep): PlanEntry {
  const step = p.step;
  return {
    index: p.index,
    id: step.id,
    type: step.type,
    ...(p.groups.length > 0 ? { groups: p.groups } : {}),
    ...(step.type === "manual"
      ? {
          evidence: (step.required_evidence ?? []).map((e) => ({
            name: e.name,
            kind: e.kind,
            ...(e.items ? { items: e.items.length } : {}),
          })),
        }
      : {}),
    ...(step.approvals === undefined
      ? {}
      : {
          approvals: {
            min: step.approvals.min,
            ...(step.approvals.roles ? { roles: step.approvals.roles } : {}),
          },
        }),
    ...(step.type === "cli" && step.assertions !== undefined ? { assertions: step.assertions.length } : {}),
    ...(step.type === "cli" && step.continue_on_error === true ? { continue_on_error: true } : {}),
  };
}

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

function isPolicyBlock(error: RunError | null): boolean {
  return (
    error !== null &&
    (error.code === RunCodes.CommandNotAllowed ||
      error.code === RunCodes.CommandDenied ||
      error.code === RunCodes.CommandUncertain)
  );
}

function usesName(step: CliStep, name: string): boolean {
  const re = new RegExp(`\\.${name}\\b`);
  return (
    step.with.argv.some((a) => a.includes("{{") && re.test(a)) ||
    (step.with.stdin?.includes("{{") === true && re.test(step.with.stdin))
  );
}

function manifestFiles(frozen: {
  readonly runbook_sha256: string;
  readonly scenario?: Binding;
  readonly policy_sha256: string;
}): ManifestFiles {
  return {
    runbook_sha256: frozen.runbook_sha256,
    ...(frozen.scenario === undefined ? {} : { scenario_sha256: frozen.scenario.sha256 }),
    policy_sha256: frozen.policy_sha256,
  };
}

/**
 * Before a resume appends anything: the manifest must not be ahead of the trace (a cut tail) nor
 * disagree with it where they overlap; one behind it (a crash between the two writes) is fine.
 */
function checkManifestForResume(
  store: RunStore,
  events: readonly ChainedEvent[],
  options: EngineOptions & { readonly runId: string },
): void {
  const recorded = readManifest(store.dir);
  if (recorded === "missing") return;
  const runId = options.runId;
  if (recorded === "unreadable")
    throw new RunbookRuntimeError(runError(RunbookErrors.ResumeManifestUnreadable, { runId }));
  if (recorded.digest.algorithm === "hmac-sha256" && options.traceKey === undefined)
    throw new RunbookRuntimeError(runError(RunbookErrors.ResumeKeyMissing, { runId }));
  if (!digestMatches(recorded, recorded.digest.algorithm === "sha256" ? undefined : options.traceKey))
    throw new RunbookRuntimeError(runError(RunbookErrors.ResumeManifestDigest, { runId }));
  if (recorded.events > events.length)
    throw new RunbookRuntimeError(
      runError(RunbookErrors.ResumeTraceCut, { runId, events: events.length, recorded: recorded.events }),
    );
  const at = recorded.events === 0 ? GENESIS : events[recorded.events - 1]?.hash;
  if (at !== recorded.head)
    throw new RunbookRuntimeError(
      runError(RunbookErrors.ResumeManifestHead, { runId, event: recorded.events }),
    );
}

function pad(n: number): string {
  return String(n).padStart(4, "0");
}
