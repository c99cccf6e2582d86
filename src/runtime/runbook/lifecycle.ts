/**
 * Opening a run: started (variables and providers checked, the run folder and its lock taken,
 * `run_started` and the first snapshot written) or resumed from its newest snapshot (the trace's
 * chain and the manifest checked, a stray step's process group stopped, a step the trace lost
 * re-appended). Either gives the `RunContext` the rest of the engine works on; step-loop.ts
 * moves it on.
 */
import { existsSync } from "node:fs";
import type { CliStep } from "../../lang/runbook/types.js";
import { RunbookErrors, RunbookRuntimeError, runError } from "./errors.js";
import { groupAlive, RunLock, stopProcessGroup } from "./lock.js";
import { digestMatches, headOf, type ManifestFiles, ManifestWriter, readManifest } from "./manifest.js";
import { append, pad, writeSnapshot } from "./recording.js";
import { RunRedactor } from "./redaction.js";
import {
  createContext,
  type EngineOptions,
  now,
  type PlannedStep,
  planSteps,
  type RunContext,
} from "./run-context.js";
import type { ApprovalRecord, Binding, ChainedEvent, EvidenceRecord, PlanEntry } from "./state.js";
import { cliProvider, manualProvider } from "./step-providers.js";
import { RunStore } from "./store.js";
import { GENESIS, readTrace, sha256, TraceWriter } from "./trace.js";
import { resolveVariables } from "./values.js";

export const ENGINE_VERSION = "rllmc-runbook/0";

type RunOptions = EngineOptions & { readonly runId: string };

// --- start -----------------------------------------------------------------------------------

/** Starts a new run: checks the variables and providers, creates the run folder, writes `run_started` and the first snapshot. */
export function startRun(options: RunOptions): RunContext {
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
    return begin(options, store, lock, plan, vars);
  } catch (error) {
    lock.release();
    throw error;
  }
}

function begin(
  options: RunOptions,
  store: RunStore,
  lock: RunLock,
  plan: readonly PlannedStep[],
  vars: Record<string, string>,
): RunContext {
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
  const run = createContext(
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
  append(run, {
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
  writeSnapshot(run, `step-${pad(0)}.json`);
  return run;
}

// --- resume ----------------------------------------------------------------------------------

/**
 * Continues a run from its newest snapshot: checks the trace's chain, re-appends a finished
 * step whose trace line a crash cut off, and notes a step that had started but not finished
 * (it runs again; one that needs approval needs it again).
 */
export function resumeRun(options: RunOptions, existing: RunStore): RunContext {
  const lock = RunLock.acquire(existing.dir, options.runId);
  try {
    return continueRun(options, existing, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

function continueRun(options: RunOptions, existing: RunStore, lock: RunLock): RunContext {
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
  const run = createContext(
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
    append(run, {
      type: "step",
      at: result.ended_at,
      result,
      snapshot: { path: latest.name, sha256: latest.sha256 },
    });
  const started = read.events.filter((e) => e.type === "step_started").at(-1);
  const interrupted =
    started !== undefined && started.type === "step_started" && started.index === current_step_index
      ? run.plan[current_step_index]
      : undefined;
  if (interrupted !== undefined && interrupted.step.approvals !== undefined)
    delete run.s.approvals[interrupted.step.id];
  append(run, {
    type: "resumed",
    at: now(run),
    from_snapshot: latest.from,
    actor: options.actor,
    ...(interrupted === undefined ? {} : { interrupted_step: interrupted.step.id }),
    ...(stopped === undefined ? {} : { stopped_process_group: stopped }),
  });
  return run;
}

/**
 * Before a resume appends anything: the manifest must not be ahead of the trace (a cut tail) nor
 * disagree with it where they overlap; one behind it (a crash between the two writes) is fine.
 */
function checkManifestForResume(store: RunStore, events: readonly ChainedEvent[], options: RunOptions): void {
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

// --- helpers ---------------------------------------------------------------------------------

/** A planned step as `run_started` lists it. */
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
