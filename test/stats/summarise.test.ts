/** Aggregates and predictions over known rows: every figure checked by hand. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chooseStats, predictOwnTime } from "../../src/runtime/app/stats/predict.js";
import { type RunRecord, StatsStore } from "../../src/runtime/app/stats/store.js";
import { type ModelStats, percentile, summariseApp } from "../../src/runtime/app/stats/summarise.js";
import { record } from "./fixtures/runs.js";

/** Four runs of `summary` with one model, hand-computed below. */
const KNOWN_RUNS: readonly RunRecord[] = [
  record({ latencyMs: 100, modelMs: 80, promptTokens: 100, completionTokens: 50, estimatedPromptTokens: 80 }),
  record({
    latencyMs: 200,
    modelMs: 150,
    promptTokens: 200,
    completionTokens: 100,
    estimatedPromptTokens: 160,
    attempts: 2,
    retriesUsed: 1,
    appVersion: "1.1.0",
    startedAt: "2025-01-03T00:00:00.000Z",
  }),
  record({
    ok: false,
    errorType: "RetryExhaustedError",
    outputValid: false,
    latencyMs: 300,
    modelMs: 250,
    promptTokens: 300,
    completionTokens: 150,
    estimatedPromptTokens: 240,
    attempts: 3,
    retriesUsed: 2,
    startedAt: "2025-01-01T00:00:00.000Z",
  }),
  record({
    ok: false,
    errorType: "InputSchemaError",
    inputValid: false,
    outputValid: null,
    latencyMs: 1,
    modelMs: 0,
    promptTokens: null,
    completionTokens: null,
    estimatedPromptTokens: null,
    attempts: 0,
  }),
];

let store: StatsStore;

beforeEach(() => {
  store = StatsStore.open(join(mkdtempSync(join(tmpdir(), "rllmc-stats-")), "stats.sqlite"));
  for (const run of KNOWN_RUNS) store.record(run);
  store.record(record({ model: "other", latencyMs: 5000 }));
  store.record(record({ app: "another-app" }));
});

afterEach(() => store.close());

describe("summariseApp", () => {
  it("should aggregate one app per model, most runs first", () => {
    const all = summariseApp(store, "summary");
    expect(all.map((s) => [s.model, s.runs])).toEqual([
      ["llama3.2:3b", 4],
      ["other", 1],
    ]);
  });

  it("should compute every figure of the known runs", () => {
    const [s] = summariseApp(store, "summary", { model: "llama3.2:3b" });
    expect(s).toMatchObject({
      app: "summary",
      provider: "ollama",
      model: "llama3.2:3b",
      versions: ["1.0.0", "1.1.0"],
      runs: 4,
      successes: 2,
      failures: 2,
      failures_by_type: { InputSchemaError: 1, RetryExhaustedError: 1 },
      input_valid: 3,
      input_compliance_pct: 75,
      reached_model: 3,
      output_valid: 2,
      latency_ms: { count: 2, avg: 150, p50: 100, p95: 200, max: 200 },
      own_latency_ms: { count: 2, avg: 150, p50: 100, p95: 200, max: 200 },
      avg_overhead_ms: 35,
      avg_prompt_tokens: 200,
      avg_completion_tokens: 100,
      max_completion_tokens: 150,
      runs_with_usage: 3,
      prompt_token_ratio: 1.25,
      avg_retries: 1,
      first_run: "2025-01-01T00:00:00.000Z",
      last_run: "2025-01-03T00:00:00.000Z",
    });
    expect(s!.output_compliance_pct).toBeCloseTo(66.667, 2);
    // (80 + 150 + 250) ms over (150 + 300 + 450) tokens.
    expect(s!.ms_per_1k_tokens).toBeCloseTo(533.333, 2);
    // Per-run rates: 533.3, 500, 555.6 → sorted 500, 533.3, 555.6.
    expect(s!.ms_per_1k_tokens_p50).toBeCloseTo(533.333, 2);
    expect(s!.ms_per_1k_tokens_p95).toBeCloseTo(555.556, 2);
  });

  it("should subtract time in children from the own latency", () => {
    store.record(record({ app: "parent", latencyMs: 1000, childrenMs: 700, modelMs: 250 }));
    const [s] = summariseApp(store, "parent");
    expect(s!.latency_ms!.avg).toBe(1000);
    expect(s!.own_latency_ms!.avg).toBe(300);
    expect(s!.avg_overhead_ms).toBe(50);
  });

  it("should return nothing for an app or model without runs", () => {
    expect(summariseApp(store, "nobody")).toEqual([]);
    expect(summariseApp(store, "summary", { model: "nope" })).toEqual([]);
  });
});

describe("percentile", () => {
  it.each([
    [[1], 50, 1],
    [[1], 95, 1],
    [[1, 2], 50, 1],
    [[1, 2], 95, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95, 10],
    [Array.from({ length: 100 }, (_, i) => i + 1), 95, 95],
  ])("should take the nearest rank of %j at p%d as %d", (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe("predictOwnTime", () => {
  const stats = () => summariseApp(store, "summary", { model: "llama3.2:3b" })[0]!;

  it("should predict by tokens when the prompt is known and there are enough runs with counts", () => {
    const p = predictOwnTime(stats(), 400)!;
    // 400 estimated × 1.25 calibration = 500 prompt + 100 completion = 600 tokens.
    expect(p).toMatchObject({
      method: "tokens",
      runs: 3,
      prompt_tokens: 500,
      completion_tokens: 100,
      tokens: 600,
    });
    expect(p.ms).toBeCloseTo((533.333 * 600) / 1000 + 35, 1);
    expect(p.low_ms).toBeLessThanOrEqual(p.ms);
    expect(p.high_ms).toBeCloseTo((555.556 * 600) / 1000 + 35, 1);
  });

  it("should fall back to the median latency without a prompt size", () => {
    expect(predictOwnTime(stats())).toEqual({
      method: "latency",
      ms: 100,
      low_ms: 100,
      high_ms: 200,
      runs: 2,
    });
  });

  it("should fall back to the median latency, saying why, with too few runs with token counts", () => {
    const few: ModelStats = { ...stats(), runs_with_usage: 2 };
    expect(predictOwnTime(few, 400)).toMatchObject({
      method: "latency",
      fallback_reason: "only 2 runs with token counts (3 needed to predict by tokens)",
    });
  });

  it("should not predict without a successful run", () => {
    expect(predictOwnTime({ ...stats(), own_latency_ms: null })).toBeNull();
  });
});

describe("chooseStats", () => {
  const base = () => summariseApp(store, "summary", { model: "llama3.2:3b" })[0]!;
  const s = (provider: string, model: string, successes: number): ModelStats => ({
    ...base(),
    provider,
    model,
    successes,
  });

  it("should prefer the declared model and provider, then real providers, then most runs", () => {
    const all = [s("replay", "m", 50), s("openai", "m", 3), s("ollama", "m", 2), s("ollama", "x", 90)];
    expect(chooseStats(all, { provider: "ollama", model: "m" })?.stats).toBe(all[2]);
    expect(chooseStats(all, { provider: "anthropic", model: "m" })?.stats).toBe(all[1]);
    expect(chooseStats(all, { provider: "ollama", model: "m" }, "x")?.stats).toBe(all[3]);
  });

  it("should use another model with a note only when no --model was given", () => {
    const all = [s("ollama", "x", 4)];
    expect(chooseStats(all, { provider: "ollama", model: "m" })).toMatchObject({
      stats: all[0],
      note: "no runs with the declared model m; using those with x via ollama",
    });
    expect(chooseStats(all, { provider: "ollama", model: "m" }, "m")).toBeUndefined();
  });
});
