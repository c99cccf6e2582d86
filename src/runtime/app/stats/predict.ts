/**
 * How long one app will take, from its recorded runs (summarise.ts). Two methods:
 *
 * - `tokens`, when the prompt's size is known (an input was given) and at least
 *   {@link MIN_RUNS_FOR_TOKENS} runs reported token counts: the history's ms per 1k tokens ×
 *   (the estimated prompt tokens × the history's reported/estimated ratio + the average completion
 *   tokens), plus the average time outside the model. The range uses the per-run p50 and p95 rates.
 * - `latency` otherwise: the median of the app's own latency (without children), range p50–p95.
 */
import type { ModelStats } from "./summarise.js";

/** Runs with token counts needed before predicting by tokens. */
export const MIN_RUNS_FOR_TOKENS = 3;

export interface Prediction {
  readonly method: "tokens" | "latency";
  readonly ms: number;
  readonly low_ms: number;
  readonly high_ms: number;
  /** Runs the prediction rests on. */
  readonly runs: number;
  /** Tokens method: the tokens predicted (prompt as calibrated + average completion). */
  readonly tokens?: number;
  readonly prompt_tokens?: number;
  readonly completion_tokens?: number;
  readonly ms_per_1k_tokens?: number;
  readonly overhead_ms?: number;
  /** Why the latency method was used although a prompt size was given. */
  readonly fallback_reason?: string;
}

/**
 * Predicts the app's own time (children excluded) from `stats`; `estimatedPromptTokens` is the
 * runtime's estimate of the first prompt for the input at hand, when there is one. Null when
 * there is no successful run to go by.
 */
export function predictOwnTime(stats: ModelStats, estimatedPromptTokens?: number): Prediction | null {
  const rate = stats.ms_per_1k_tokens;
  const completion = stats.avg_completion_tokens;
  if (estimatedPromptTokens !== undefined) {
    if (stats.runs_with_usage >= MIN_RUNS_FOR_TOKENS && rate !== null && completion !== null) {
      const prompt = estimatedPromptTokens * (stats.prompt_token_ratio ?? 1);
      const tokens = prompt + completion;
      const overhead = Math.max(0, stats.avg_overhead_ms ?? 0);
      const at = (msPer1k: number) => (msPer1k * tokens) / 1000 + overhead;
      const ms = at(rate);
      return {
        method: "tokens",
        ms,
        low_ms: Math.min(ms, at(stats.ms_per_1k_tokens_p50 ?? rate)),
        high_ms: Math.max(ms, at(stats.ms_per_1k_tokens_p95 ?? rate)),
        runs: stats.runs_with_usage,
        tokens,
        prompt_tokens: prompt,
        completion_tokens: completion,
        ms_per_1k_tokens: rate,
        overhead_ms: overhead,
      };
    }
  }
  const own = stats.own_latency_ms;
  if (own === null) return null;
  return {
    method: "latency",
    ms: own.p50,
    low_ms: own.p50,
    high_ms: own.p95,
    runs: own.count,
    ...(estimatedPromptTokens === undefined
      ? {}
      : {
          fallback_reason: `only ${stats.runs_with_usage} run${stats.runs_with_usage === 1 ? "" : "s"} with token counts (${MIN_RUNS_FOR_TOKENS} needed to predict by tokens)`,
        }),
  };
}

/** Providers whose timings say nothing about a real model. */
const OFFLINE_PROVIDERS = new Set(["replay", "null"]);

/**
 * The history to predict with, among an app's per-model stats: the given model (or the app's
 * declared one), preferring the declared provider, then real providers over replay, then the
 * most runs. Without `modelFlag`, any model is a last resort, with a note saying so.
 */
export function chooseStats(
  all: readonly ModelStats[],
  declared: { readonly provider: string; readonly model: string } | undefined,
  modelFlag?: string,
): { readonly stats: ModelStats; readonly note?: string } | undefined {
  const rank = (list: readonly ModelStats[]) =>
    [...list].sort(
      (a, b) =>
        Number(b.provider === declared?.provider) - Number(a.provider === declared?.provider) ||
        Number(OFFLINE_PROVIDERS.has(a.provider)) - Number(OFFLINE_PROVIDERS.has(b.provider)) ||
        b.successes - a.successes,
    )[0];
  const wanted = modelFlag ?? declared?.model;
  const exact = rank(all.filter((s) => s.model === wanted && s.successes > 0));
  if (exact !== undefined) return { stats: exact };
  if (modelFlag !== undefined) return undefined;
  const other = rank(all.filter((s) => s.successes > 0));
  if (other === undefined) return undefined;
  return {
    stats: other,
    note: `no runs with the declared model ${wanted ?? "(none)"}; using those with ${other.model} via ${other.provider}`,
  };
}
