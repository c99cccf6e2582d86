/**
 * What the engine writes for a run: trace events (and the manifest that follows the chain), the
 * step results in order, and snapshots. Most steps write one trace line carrying the state the
 * trace holds nowhere else; a snapshot holds the state without the history the trace has.
 */
import { now, type RunContext } from "./run-context.js";
import type { Binding, NewEvent, RunState, StepResult, StepState } from "./state.js";
import { SNAPSHOT_EVERY } from "./state.js";

/** Appends an event to the trace, and tells the manifest. */
export function append(run: RunContext, event: NewEvent): void {
  const full = run.trace.append(event);
  if (full.type === "step") run.s.traced += 1;
  run.manifest.appended(full, run.trace.events, run.trace.lastHash);
}

/**
 * Moves past a step. Most steps write one trace line that carries the state the trace holds
 * nowhere else; every SNAPSHOT_EVERY-th step, and a step that failed (the one an investigator
 * reads first, and a witness `verify` holds the trace to), writes a snapshot first (so a crash
 * between the two writes loses nothing), then the trace line naming it.
 */
export function record(run: RunContext, result: StepResult, snapshot = true): void {
  const s = run.s;
  s.history.push(result);
  s.historyJson.push(JSON.stringify(result));
  s.current = result.index + 1;
  delete s.approvals[result.step_id];
  if (!snapshot) {
    append(run, { type: "step", at: result.ended_at, result });
    return;
  }
  if (s.current % SNAPSHOT_EVERY !== 0 && result.status !== "failed") {
    append(run, { type: "step", at: result.ended_at, result, state: stepState(run) });
    return;
  }
  const binding = writeSnapshot(run, `step-${pad(s.current)}.json`);
  append(run, { type: "step", at: result.ended_at, result, snapshot: binding });
}

/** The part of the state a `step` event without a snapshot carries (state.ts `StepState`). */
function stepState(run: RunContext): StepState {
  const s = run.s;
  const pending =
    Object.keys(s.evidence).length + Object.keys(s.approvals).length > 0
      ? { evidence: s.evidence, approvals: s.approvals }
      : undefined;
  const replay = run.options.runner.state?.();
  return {
    ...(pending === undefined ? {} : { pending }),
    ...(replay === undefined ? {} : { replay_state: replay }),
  };
}

/** Writes the state without the history the trace holds (state.ts `RunSnapshot`). */
export function writeSnapshot(run: RunContext, name: string): Binding {
  const { history: _, format: _f, ...rest } = snapshotState(run);
  // The tail goes last, spliced in from the results serialised once each.
  const head = JSON.stringify({ format: "runbook-snapshot/v1", ...rest });
  return run.store.writeSnapshot(
    name,
    `${head.slice(0, -1)},"tail":[${run.s.historyJson.slice(run.s.traced).join(",")}]}\n`,
  );
}

/** The name of a snapshot taken between steps (a pause, the end, the debugger's `snapshot`). */
export function extraName(run: RunContext): string {
  // Named after the trace position: unique across resumes, and sorted after the step's own snapshot.
  return `step-${pad(run.s.current)}.s${String(run.trace.events).padStart(6, "0")}.json`;
}

/** The run's state as a snapshot holds it (redacted). */
export function snapshotState(run: RunContext): RunState {
  const s = run.s;
  return {
    ...run.frozen,
    actor: s.actor,
    status: s.status,
    current_step_index: s.current,
    vars: run.redactor.deep(s.vars),
    captures: s.captures,
    history: s.history,
    pending: { evidence: s.evidence, approvals: s.approvals },
    ...(run.options.runner.state === undefined ? {} : { replay_state: run.options.runner.state() }),
    ...(s.waitingFor === undefined ? {} : { waiting_for: s.waitingFor }),
    trace: { events: run.trace.events, head: run.trace.lastHash },
  };
}

/** A step number as snapshot names write it. */
export function pad(n: number): string {
  return String(n).padStart(4, "0");
}

/** Writes a snapshot now (the debugger's `snapshot`) and says so in the trace. */
export function snapshotNow(run: RunContext): Binding {
  const binding = writeSnapshot(run, extraName(run));
  append(run, { type: "snapshot", at: now(run), snapshot: binding });
  return binding;
}
