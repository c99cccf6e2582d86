/**
 * Recording runs from the run path (`rllmc run`, compiled modules): {@link recordRun} writes one
 * row and never throws — stats must not fail a run. {@link recordFinishedRun} builds the row from
 * what the runtime reports when an app's run ends (compose.ts `onAppFinished`: every app of a
 * composition reports its own), {@link statsHooks} from a bare `execute`.
 *
 * The store is opened once per process and file and kept open; it is closed when the process
 * exits. When stats cannot be written (no `node:sqlite`, a file from a newer rllmc, a read-only
 * folder) every call is a no-op and the first one reports why, once.
 */
import type { AppDefinition } from "../app.js";
import type { RllmError } from "../errors.js";
import type { Attempt, RunHooks, RunResult } from "../execute.js";
import { type Env, statsDisabled, statsFile } from "./location.js";
import { type RunRecord, StatsError, StatsStore } from "./store.js";

export type RecordOutcome =
  | { readonly recorded: true; readonly file: string }
  | {
      readonly recorded: false;
      /** Why not; `disabled` when RLLMC_STATS=off. */
      readonly reason: string;
      /** True the first time this reason is given in this process: print it then, not every run. */
      readonly firstTime: boolean;
    };

const stores = new Map<string, StatsStore | StatsError>();
const reported = new Set<string>();

/** Writes one run to the stats file of `env` (location.ts). Never throws. */
export function recordRun(record: RunRecord, env: Env = process.env): RecordOutcome {
  if (statsDisabled(env)) return { recorded: false, reason: "disabled", firstTime: false };
  const file = statsFile(env);
  let store = stores.get(file);
  if (store === undefined) {
    try {
      store = StatsStore.open(file);
    } catch (error) {
      store = error instanceof StatsError ? error : new StatsError("io", String(error));
    }
    if (stores.size === 0) process.once("exit", closeStores);
    stores.set(file, store);
  }
  if (store instanceof StatsError) return notRecorded(store.message);
  try {
    store.record(record);
    return { recorded: true, file };
  } catch (error) {
    return notRecorded(`stats are not recorded: cannot write to ${file}: ${(error as Error).message}`);
  }
}

function notRecorded(reason: string): RecordOutcome {
  const firstTime = !reported.has(reason);
  reported.add(reason);
  return { recorded: false, reason, firstTime };
}

/** Closes every store this process opened (also on exit); the next record opens them again. */
export function closeStores(): void {
  for (const store of stores.values()) if (store instanceof StatsStore) store.close();
  stores.clear();
}

/** The provider and model a run actually used (after flags, env and the app's `llm`). */
export interface UsedModel {
  /** The provider's name (`ollama`, `openai`, `replay`, …). */
  readonly name: string;
  /** The model, when no attempt says which one was called (a run that failed before the model); default: the app's `llm.model`. */
  readonly model?: string;
}

/**
 * How an app's run ended, as the runtime reports it (compose.ts `AppRunReport` fits): the app,
 * the apps above it, the result or the error, and how long it took.
 */
export interface FinishedRun {
  readonly app: AppDefinition;
  /** The apps above this one, outermost first; empty for a top-level run. */
  readonly callers: readonly string[];
  readonly result?: RunResult & {
    readonly children?: readonly { readonly result: { readonly durationMs: number } }[];
  };
  readonly error?: RllmError;
  readonly durationMs: number;
  /** A failed run's attempts, when the caller collected them (`onAttempt`): its tokens and model time. */
  readonly attempts?: readonly Attempt[];
  /** When the run started; default: `durationMs` before now. */
  readonly startedAt?: Date;
  /**
   * The model the app ran on, as the runtime chose it (compose.ts): what a run that failed before
   * any call is recorded under, rather than the app's declared model.
   */
  readonly model?: string;
}

/** The row of one finished run. */
export function runRecordOf(run: FinishedRun, used: UsedModel): RunRecord {
  const definition = run.app;
  const attempts = run.result?.attempts ?? run.attempts ?? [];
  const withUsage = attempts.filter((a) => a.usage !== undefined);
  const answered = attempts.filter((a) => a.text !== undefined);
  const errorType = run.error?.payload.error_type ?? null;
  const ok = run.result !== undefined;
  return {
    app: definition.name,
    appVersion: definition.version ?? null,
    appSource: definition.source ?? null,
    provider: used.name,
    model: attempts[0]?.model ?? run.model ?? used.model ?? definition.llm.model,
    ok,
    errorType: ok ? null : (errorType ?? "InternalError"),
    inputValid: errorType !== "InputSchemaError",
    outputValid: ok
      ? true
      : errorType === "OutputSchemaError" || errorType === "RetryExhaustedError"
        ? false
        : answered.length === 0
          ? null
          : answered.at(-1)!.errors.length === 0,
    latencyMs: run.durationMs,
    modelMs: sum(attempts.map((a) => a.durationMs)),
    childrenMs: sum((run.result?.children ?? []).map((c) => c.result.durationMs)),
    promptTokens: withUsage.length === 0 ? null : sum(withUsage.map((a) => a.usage!.promptTokens)),
    completionTokens: withUsage.length === 0 ? null : sum(withUsage.map((a) => a.usage!.completionTokens)),
    estimatedPromptTokens: attempts[0]?.estimatedPromptTokens ?? null,
    attempts: attempts.length,
    retriesUsed: attempts.filter((a) => a.kind === "recovery").length,
    startedAt: (run.startedAt ?? new Date(Date.now() - run.durationMs)).toISOString(),
    parentApp: run.callers.at(-1) ?? null,
    ...backendFacts(attempts),
  };
}

/** The last call's seed, and what a scheduling backend (llama-orch) said about it (`Completion.meta`). */
function backendFacts(attempts: readonly Attempt[]): Partial<RunRecord> {
  const last = attempts.at(-1);
  if (last === undefined) return {};
  const meta = last.meta ?? {};
  return {
    seed: meta.seed ?? last.seed ?? null,
    determinism: meta.determinism ?? null,
    samplerProfile: meta.samplerProfileVersion ?? null,
    queuePosition: meta.queuePosition ?? null,
    predictedStartMs: meta.predictedStartMs ?? null,
    queueWaitMs: meta.queueWaitMs ?? null,
    decodeMs: meta.decodeMs ?? null,
    taskId: meta.taskId ?? null,
    correlationId: meta.correlationId ?? null,
  };
}

/** Records one finished run (see {@link runRecordOf}); never throws. */
export function recordFinishedRun(run: FinishedRun, used: UsedModel, env: Env = process.env): RecordOutcome {
  if (statsDisabled(env)) return { recorded: false, reason: "disabled", firstTime: false };
  return recordRun(runRecordOf(run, used), env);
}

/**
 * For compose.ts `onAppFinished`: records the run, and passes the reason it could not be recorded
 * to `warn` the first time (never for RLLMC_STATS=off). Never throws.
 */
export function recordAppRun(
  run: FinishedRun,
  used: UsedModel,
  env: Env = process.env,
  warn?: (message: string) => void,
): RecordOutcome {
  const outcome = recordFinishedRun(run, used, env);
  if (!outcome.recorded && outcome.firstTime) warn?.(outcome.reason);
  return outcome;
}

/**
 * Hooks for a bare `execute` that record the run when it ends, around the caller's own hooks
 * (which still run, first). Make them just before calling `execute`: the start time is taken
 * here. `onRecorded` sees the outcome (to print a one-time "not recorded" note).
 */
export function statsHooks(
  app: AppDefinition,
  used: UsedModel,
  hooks: RunHooks = {},
  env: Env = process.env,
  onRecorded?: (outcome: RecordOutcome) => void,
): RunHooks {
  const startedAt = new Date();
  const started = performance.now();
  const attempts: Attempt[] = [];
  return {
    ...hooks,
    onAttempt(attempt) {
      attempts.push(attempt);
      hooks.onAttempt?.(attempt);
    },
    async onFinish(outcome) {
      await hooks.onFinish?.(outcome);
      const run: FinishedRun = {
        app,
        callers: [],
        ...(outcome.result ? { result: outcome.result } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
        durationMs: outcome.result?.durationMs ?? performance.now() - started,
        attempts,
        startedAt,
      };
      onRecorded?.(recordFinishedRun(run, used, env));
    },
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
