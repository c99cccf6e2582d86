/**
 * Aggregates over the raw runs of one app, per provider and model. Counts, averages and maxima
 * are SQL aggregates; percentiles are read from the sorted values of the group (nearest rank).
 *
 * Which runs each figure is over:
 * - runs, successes, failures, input compliance: every run;
 * - output compliance and average retries: the runs that got an answer from the model
 *   (`output_valid` not null);
 * - latency (whole run, and own = without time in children): successful runs only, since a run
 *   that fails on its input ends in a millisecond and would say nothing about how long one takes;
 * - tokens: the runs whose provider reported usage;
 * - ms per 1k tokens: Σ model_ms / Σ (prompt + completion tokens) × 1000 over those runs — a
 *   ratio of sums, so a few tiny runs do not dominate.
 */
import type { StatsStore } from "./store.js";

export interface ModelStats {
  readonly app: string;
  readonly provider: string;
  readonly model: string;
  /** App versions seen, oldest first. */
  readonly versions: readonly string[];
  readonly runs: number;
  readonly successes: number;
  readonly failures: number;
  /** Failures by error class, most frequent first. */
  readonly failures_by_type: Readonly<Record<string, number>>;
  readonly input_valid: number;
  /** Percent of runs whose input matched input_schema. */
  readonly input_compliance_pct: number;
  /** Runs that got an answer from the model. */
  readonly reached_model: number;
  readonly output_valid: number;
  /** Percent of those whose final answer matched output_schema; null when none did reach it. */
  readonly output_compliance_pct: number | null;
  readonly latency_ms: Distribution | null;
  /** Latency minus time spent in `uses` children: what this app itself takes. */
  readonly own_latency_ms: Distribution | null;
  /** Own latency minus model time, averaged: rendering, validation, code blocks. */
  readonly avg_overhead_ms: number | null;
  readonly avg_prompt_tokens: number | null;
  readonly avg_completion_tokens: number | null;
  readonly max_completion_tokens: number | null;
  /** Runs with reported usage, which the token figures rest on. */
  readonly runs_with_usage: number;
  readonly ms_per_1k_tokens: number | null;
  /** p50 and p95 of the per-run ms per 1k tokens, for a prediction's range. */
  readonly ms_per_1k_tokens_p50: number | null;
  readonly ms_per_1k_tokens_p95: number | null;
  /** Σ reported prompt tokens / Σ estimated first-prompt tokens: calibrates the estimator (retries included). */
  readonly prompt_token_ratio: number | null;
  readonly avg_retries: number | null;
  readonly first_run: string;
  readonly last_run: string;
}

export interface Distribution {
  /** Values it is over. */
  readonly count: number;
  readonly avg: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export interface SummaryFilter {
  readonly model?: string;
}

/** The stats of `app`, one entry per provider and model, most runs first. */
export function summariseApp(store: StatsStore, app: string, filter: SummaryFilter = {}): ModelStats[] {
  const where = ["app = ?"];
  const params: (string | number)[] = [app];
  if (filter.model !== undefined) {
    where.push("model = ?");
    params.push(filter.model);
  }
  const groups = store.all(
    `SELECT provider, model,
       COUNT(*) AS runs,
       SUM(ok) AS successes,
       SUM(input_valid) AS input_valid,
       COUNT(output_valid) AS reached_model,
       COALESCE(SUM(output_valid), 0) AS output_valid,
       AVG(CASE WHEN ok = 1 THEN latency_ms - children_ms - model_ms END) AS avg_overhead_ms,
       AVG(prompt_tokens) AS avg_prompt_tokens,
       AVG(completion_tokens) AS avg_completion_tokens,
       MAX(completion_tokens) AS max_completion_tokens,
       COUNT(CASE WHEN prompt_tokens IS NOT NULL AND completion_tokens IS NOT NULL THEN 1 END) AS runs_with_usage,
       SUM(CASE WHEN prompt_tokens IS NOT NULL AND completion_tokens IS NOT NULL THEN model_ms END) AS usage_ms,
       SUM(CASE WHEN prompt_tokens IS NOT NULL AND completion_tokens IS NOT NULL
                THEN prompt_tokens + completion_tokens END) AS usage_tokens,
       SUM(CASE WHEN prompt_tokens IS NOT NULL AND estimated_prompt_tokens > 0 THEN prompt_tokens END) AS calibrated_prompt,
       SUM(CASE WHEN prompt_tokens IS NOT NULL AND estimated_prompt_tokens > 0 THEN estimated_prompt_tokens END) AS calibrated_estimate,
       AVG(CASE WHEN output_valid IS NOT NULL THEN retries_used END) AS avg_retries,
       MIN(started_at) AS first_run,
       MAX(started_at) AS last_run
     FROM runs WHERE ${where.join(" AND ")}
     GROUP BY provider, model
     ORDER BY runs DESC, provider, model`,
    ...params,
  );
  return groups.map((g) => {
    const provider = String(g.provider);
    const model = String(g.model);
    const key = [app, provider, model] as const;
    const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
    const runs = Number(g.runs);
    const successes = Number(g.successes);
    const reached = Number(g.reached_model);
    const usageMs = num(g.usage_ms);
    const usageTokens = num(g.usage_tokens);
    const calibratedPrompt = num(g.calibrated_prompt);
    const calibratedEstimate = num(g.calibrated_estimate);
    const latencies = column(store, "latency_ms", key);
    const own = column(store, "latency_ms - children_ms", key);
    const rates = store
      .all(
        `SELECT model_ms * 1000.0 / (prompt_tokens + completion_tokens) AS v FROM runs
         WHERE app = ? AND provider = ? AND model = ? AND prompt_tokens + completion_tokens > 0
         ORDER BY v`,
        ...key,
      )
      .map((row) => Number(row.v));
    const failuresByType = Object.fromEntries(
      store
        .all(
          `SELECT error_type, COUNT(*) AS n FROM runs WHERE app = ? AND provider = ? AND model = ? AND ok = 0
           GROUP BY error_type ORDER BY n DESC, error_type`,
          ...key,
        )
        .map((row) => [String(row.error_type), Number(row.n)]),
    );
    const versions = store
      .all(
        `SELECT app_version FROM runs WHERE app = ? AND provider = ? AND model = ? AND app_version IS NOT NULL
         GROUP BY app_version ORDER BY MIN(started_at)`,
        ...key,
      )
      .map((row) => String(row.app_version));
    return {
      app,
      provider,
      model,
      versions,
      runs,
      successes,
      failures: runs - successes,
      failures_by_type: failuresByType,
      input_valid: Number(g.input_valid),
      input_compliance_pct: percent(Number(g.input_valid), runs) ?? 0,
      reached_model: reached,
      output_valid: Number(g.output_valid),
      output_compliance_pct: percent(Number(g.output_valid), reached),
      latency_ms: distribution(latencies),
      own_latency_ms: distribution(own),
      avg_overhead_ms: num(g.avg_overhead_ms),
      avg_prompt_tokens: num(g.avg_prompt_tokens),
      avg_completion_tokens: num(g.avg_completion_tokens),
      max_completion_tokens: num(g.max_completion_tokens),
      runs_with_usage: Number(g.runs_with_usage),
      ms_per_1k_tokens:
        usageMs !== null && usageTokens !== null && usageTokens > 0 ? (usageMs / usageTokens) * 1000 : null,
      ms_per_1k_tokens_p50: rates.length === 0 ? null : percentile(rates, 50),
      ms_per_1k_tokens_p95: rates.length === 0 ? null : percentile(rates, 95),
      prompt_token_ratio:
        calibratedPrompt !== null && calibratedEstimate !== null && calibratedEstimate > 0
          ? calibratedPrompt / calibratedEstimate
          : null,
      avg_retries: num(g.avg_retries),
      first_run: String(g.first_run),
      last_run: String(g.last_run),
    };
  });
}

/** The values of `expression` over the successful runs of one group, sorted. */
function column(store: StatsStore, expression: string, key: readonly [string, string, string]): number[] {
  return store
    .all(
      `SELECT ${expression} AS v FROM runs WHERE app = ? AND provider = ? AND model = ? AND ok = 1 ORDER BY v`,
      ...key,
    )
    .map((row) => Number(row.v));
}

function distribution(sorted: readonly number[]): Distribution | null {
  if (sorted.length === 0) return null;
  return {
    count: sorted.length,
    avg: sorted.reduce((total, value) => total + value, 0) / sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1)!,
  };
}

/** Nearest-rank percentile of sorted values: the smallest value with at least p% at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : (part / whole) * 100;
}

/** Apps with any recorded run, for listings. */
export function recordedApps(store: StatsStore): string[] {
  return store.all("SELECT DISTINCT app FROM runs ORDER BY app").map((row) => String(row.app));
}
