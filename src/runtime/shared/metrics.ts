/**
 * Where the runtime reports what it measures (issue 20, docs/observability.md): one sink per
 * process, a no-op unless the command line asked for metrics (`--metrics-port`,
 * `--metrics-file`), so a plain run pays a function call and loads no metrics library. The CLI
 * installs a Prometheus-backed sink with {@link setMetrics}; the runtime and the driver report
 * through {@link metrics}.
 */

/** One provider call, as finished (successfully or not). */
export interface CallObservation {
  readonly provider: string;
  readonly model: string;
  readonly outcome: "ok" | "error";
  /** The failure's code (a provider error code such as `QUEUE_FULL_DROP_LRU`, or the failure kind). */
  readonly errorCode?: string;
  readonly tokensIn?: number;
  readonly tokensOut?: number;
  /** From the request sent to the answer (or the failure), in seconds. */
  readonly latencySeconds: number;
  /** Time spent queued at the backend before the task ran, in seconds, when the backend says. */
  readonly queueWaitSeconds?: number;
}

export type BudgetKind = "tokens" | "cost" | "time";

export interface MetricsSink {
  /** A call was sent (the in-flight gauge goes up until {@link MetricsSink.callFinished}). */
  callStarted(provider: string, model: string): void;
  callFinished(observation: CallObservation): void;
  /** Budget used by the session so far: tokens, cost (in the price table's currency), time (s). */
  budgetSpent(kind: BudgetKind, total: number): void;
}

const NO_METRICS: MetricsSink = {
  callStarted() {},
  callFinished() {},
  budgetSpent() {},
};

let current: MetricsSink = NO_METRICS;

/** The process's sink (a no-op unless one was installed). */
export function metrics(): MetricsSink {
  return current;
}

/** Installs the process's sink; `undefined` puts the no-op back. */
export function setMetrics(sink: MetricsSink | undefined): void {
  current = sink ?? NO_METRICS;
}
