/**
 * The logic of `rllmc stats` and `rllmc exectime` without spawning: the text reports, and the
 * prediction tree of the bundled composition example over a known history.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatPrediction, mapInputs, predictTree } from "../../src/cli/commands/exectime.js";
import { duration, formatStats, readStats } from "../../src/cli/commands/stats.js";
import { StatsStore } from "../../src/runtime/app/stats/store.js";
import { summariseApp } from "../../src/runtime/app/stats/summarise.js";
import { record } from "./fixtures/runs.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

let dir: string;
let store: StatsStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rllmc-exectime-"));
  for (const name of ["summary.rllm", "extract_keywords.rllm", "compose_summary_keywords.rllm"])
    copyFileSync(join(EXAMPLES, name), join(dir, name));
  store = StatsStore.open(join(dir, "stats.sqlite"));
});

afterEach(() => store.close());

const history = (app: string) => summariseApp(store, app);

/** `n` successful runs of `app` with llama3.2:3b taking `ms` each, 1 ms per token. */
function runs(app: string, n: number, ms: number, extra: Parameters<typeof record>[0] = {}) {
  for (let i = 0; i < n; i++)
    store.record(
      record({
        app,
        latencyMs: ms,
        modelMs: ms,
        promptTokens: ms / 2,
        completionTokens: ms / 2,
        estimatedPromptTokens: ms / 2,
        ...extra,
      }),
    );
}

describe("formatStats", () => {
  const report = {
    app: "summary",
    file: "examples/summary.rllm",
    stats_file: "/h/stats.sqlite",
    model: null,
    recording: true,
  };

  it("should say there is no history and how to get some", () => {
    expect(formatStats({ ...report, models: [] })).toBe(
      "no runs recorded yet for summary (stats file: /h/stats.sqlite)\n" +
        "Every 'rllmc run examples/summary.rllm --input …' (and every call of its compiled module) records one.\n",
    );
  });

  it("should name the models that have runs when --model matches none", () => {
    const text = formatStats({ ...report, model: "gpt", models: [] }, { otherModels: ["llama3.2:3b"] });
    expect(text).toContain("no runs recorded yet for summary with model gpt");
    expect(text).toContain("it has runs with: llama3.2:3b");
  });

  it("should print a block per model", () => {
    runs("summary", 3, 1000);
    store.record(
      record({
        ok: false,
        errorType: "ProviderError",
        outputValid: null,
        promptTokens: null,
        completionTokens: null,
      }),
    );
    const text = formatStats({ ...report, models: summariseApp(store, "summary") });
    expect(text).toContain("llama3.2:3b via ollama (version 1.0.0)");
    expect(text).toMatch(/runs\s+4: 3 ok, 1 failed \(ProviderError 1\)/);
    expect(text).toMatch(/input schema\s+100\.0 % compliant \(4 of 4\)/);
    expect(text).toMatch(/output schema\s+100\.0 % compliant \(3 of 3 that got an answer\)/);
    expect(text).toMatch(
      /latency\s+avg 1\.00 s, p50 1\.00 s, p95 1\.00 s, max 1\.00 s \(3 successful runs\)/,
    );
    expect(text).toMatch(/speed\s+1000\.0 ms per 1k tokens \(3 runs with token counts\)/);
  });

  it("should read no history from a stats file that does not exist", () => {
    expect(readStats(join(dir, "none", "stats.sqlite"), "summary", undefined)).toEqual({
      models: [],
      allModels: [],
    });
  });
});

describe("duration", () => {
  it.each([
    [0.4, "0 ms"],
    [850, "850 ms"],
    [1234, "1.23 s"],
    [12_345, "12.3 s"],
    [125_000, "2 min 05 s"],
  ])("should print %d ms as %s", (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});

describe("predictTree", () => {
  it("should say which apps have no history when none has", async () => {
    const tree = await predictTree(join(dir, "compose_summary_keywords.rllm"), { history });
    expect(tree.total).toBeNull();
    expect(tree.missing).toEqual([
      "compose_summary_keywords (llama3.2:3b)",
      "summary (llama3.2:3b)",
      "extract_keywords (llama3.2:3b)",
    ]);
    const text = formatPrediction({ ...tree, stats_file: "/h/stats.sqlite" });
    expect(text).toContain("compose_summary_keywords with llama3.2:3b: no prediction — no runs recorded yet");
    expect(text).toContain("no history for: compose_summary_keywords (llama3.2:3b), summary (llama3.2:3b)");
  });

  it("should sum a composition's own time and its children's medians", async () => {
    runs("compose_summary_keywords", 3, 500, { latencyMs: 3500, childrenMs: 3000 });
    runs("summary", 3, 2000);
    runs("extract_keywords", 3, 1000);
    const tree = await predictTree(join(dir, "compose_summary_keywords.rllm"), { history });
    expect(tree.own).toMatchObject({ method: "latency", ms: 500, runs: 3 });
    expect(tree.children.map((c) => [c.name, c.app, c.total?.ms])).toEqual([
      ["summary", "summary", 2000],
      ["keywords", "extract_keywords", 1000],
    ]);
    expect(tree.total).toEqual({ ms: 3500, low_ms: 3500, high_ms: 3500 });
    expect(tree.missing).toEqual([]);
    const text = formatPrediction({ ...tree, stats_file: "/h/stats.sqlite" });
    expect(text).toContain(
      "compose_summary_keywords with llama3.2:3b: about 3.50 s (range 3.50 s–3.50 s), children run one after another",
    );
    expect(text).toContain("├─ compose_summary_keywords itself: 500 ms");
    expect(text).toContain("├─ summary: 2.00 s");
    expect(text).toContain("└─ keywords (extract_keywords): 1.00 s");
  });

  it("should give a partial total that says what is missing", async () => {
    runs("compose_summary_keywords", 3, 500, { latencyMs: 3500, childrenMs: 3000 });
    runs("summary", 3, 2000);
    const tree = await predictTree(join(dir, "compose_summary_keywords.rllm"), { history });
    expect(tree.total?.ms).toBe(2500);
    expect(tree.missing).toEqual(["extract_keywords (llama3.2:3b)"]);
    const text = formatPrediction({ ...tree, stats_file: "/h/stats.sqlite" });
    expect(text).toContain("└─ keywords (extract_keywords): no history with llama3.2:3b");
    expect(text).toContain("partial: no history for extract_keywords (llama3.2:3b); the total leaves it out");
  });

  it("should predict by tokens from an input, passing mapped inputs to the children", async () => {
    runs("compose_summary_keywords", 3, 500, { latencyMs: 3500, childrenMs: 3000 });
    runs("summary", 3, 2000);
    runs("extract_keywords", 3, 1000);
    const text = "word ".repeat(300);
    const tree = await predictTree(join(dir, "compose_summary_keywords.rllm"), {
      history,
      input: { text: JSON.stringify({ text }) },
    });
    const summary = tree.children[0]!;
    expect(summary.own?.method).toBe("tokens");
    expect(summary.estimated_prompt_tokens).toBeGreaterThan(500);
    // 1 ms per token: the prompt as estimated plus the average answer of 1000 tokens.
    expect(summary.own!.ms).toBeCloseTo(summary.estimated_prompt_tokens! + 1000, 5);
    // The parent's prompt counts its children's average answers in.
    expect(tree.own?.method).toBe("tokens");
    expect(tree.total!.ms).toBeCloseTo(sumOwn(tree), 5);
  });

  it("should predict a single app from its median, and by tokens for an input", async () => {
    runs("summary", 3, 2000);
    const path = join(dir, "summary.rllm");
    const plain = await predictTree(path, { history });
    expect(plain.own).toMatchObject({ method: "latency", ms: 2000 });
    const text = formatPrediction({ ...plain, stats_file: "/h/stats.sqlite" });
    expect(text).toContain(
      "summary with llama3.2:3b: about 2.00 s (range 2.00 s–2.00 s)\n  median latency of 3 runs\n  from the runs of llama3.2:3b via ollama",
    );
    const byTokens = await predictTree(path, { history, input: { text: "A short text." } });
    expect(byTokens.own?.method).toBe("tokens");
    expect(formatPrediction({ ...byTokens, stats_file: "/h/stats.sqlite" })).toMatch(
      /by tokens: 1\.0 ms per 1k tokens|by tokens: 1000\.0 ms per 1k tokens/,
    );
  });

  it("should apply --model to every app", async () => {
    runs("summary", 3, 2000, { model: "fast" });
    const tree = await predictTree(join(dir, "summary.rllm"), { history, model: "fast" });
    expect(tree.model).toBe("fast");
    expect((await predictTree(join(dir, "summary.rllm"), { history, model: "slow" })).total).toBeNull();
  });
});

describe("mapInputs", () => {
  it("should read dotted paths from the parent's input and list the unknown ones", () => {
    expect(
      mapInputs({ a: "text", b: "doc.body", c: "summary.title" }, { text: "t", doc: { body: "b" } }),
    ).toEqual({
      value: { a: "t", b: "b" },
      unknown: ["summary.title"],
    });
  });
});

function sumOwn(node: Awaited<ReturnType<typeof predictTree>>): number {
  return (node.own?.ms ?? 0) + node.children.reduce((total, child) => total + sumOwn(child), 0);
}
