/**
 * `rllmc stats` and `rllmc exectime` end to end through the compiled bin, against a stats file in
 * a temp RLLMC_HOME (never the real one): no history, a known history, --json, usage errors, a
 * file from a newer rllmc, and a real `rllmc run` adding a row.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/runtime/app/stats/migrations.js";
import { StatsStore } from "../../src/runtime/app/stats/store.js";
import { record } from "./fixtures/runs.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The compiled bin; RLLMC_TEST_BIN points at another build (one compiled to a private folder). */
const BIN = process.env.RLLMC_TEST_BIN ?? join(ROOT, "dist/src/cli/main.js");

function rllmc(args: string[], home: string, env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LLM_|OLLAMA_HOST|RLLMC_)/.test(k)),
  );
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...clean, RLLMC_HOME: home, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  expect(result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    json: () => JSON.parse(result.stdout),
  };
}

function home(): string {
  return mkdtempSync(join(tmpdir(), "rllmc-stats-cli-"));
}

/** A home whose stats file holds three runs of summary and two of extract_keywords. */
function withHistory(): string {
  const dir = home();
  const store = StatsStore.open(join(dir, "stats.sqlite"));
  for (const ms of [1000, 2000, 3000]) store.record(record({ latencyMs: ms, modelMs: ms - 100 }));
  store.record(
    record({ ok: false, errorType: "RetryExhaustedError", outputValid: false, retriesUsed: 2, attempts: 3 }),
  );
  for (const ms of [500, 700]) store.record(record({ app: "extract_keywords", latencyMs: ms }));
  store.close();
  return dir;
}

describe("rllmc stats", () => {
  it("should say there is no history yet, and exit 0", () => {
    const dir = home();
    const run = rllmc(["stats", "examples/summary.rllm"], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `no runs recorded yet for summary (stats file: ${join(dir, "stats.sqlite")})`,
    );
    expect(run.stdout).toContain("rllmc run examples/summary.rllm");
  });

  it("should print the figures per model as text and as JSON", () => {
    const dir = withHistory();
    const text = rllmc(["stats", "examples/summary.rllm"], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("llama3.2:3b via ollama");
    expect(text.stdout).toMatch(/runs\s+4: 3 ok, 1 failed \(RetryExhaustedError 1\)/);
    expect(text.stdout).toMatch(/latency\s+avg 2\.00 s, p50 2\.00 s, p95 3\.00 s, max 3\.00 s/);
    const json = rllmc(["stats", "examples/summary.rllm", "--json"], dir).json();
    expect(json).toMatchObject({ app: "summary", model: null, recording: true });
    expect(json.models[0]).toMatchObject({ runs: 4, successes: 3, failures: 1, output_compliance_pct: 75 });
  });

  it("should filter by --model and name the models that have runs", () => {
    const run = rllmc(["stats", "examples/summary.rllm", "--model", "gpt-4o"], withHistory());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("no runs recorded yet for summary with model gpt-4o");
    expect(run.stdout).toContain("it has runs with: llama3.2:3b");
  });

  it("should refuse a stats file from a newer rllmc with a clear message", () => {
    const dir = home();
    StatsStore.open(join(dir, "stats.sqlite"), {
      migrations: [...MIGRATIONS, { version: 99, description: "future", statements: [] }],
    }).close();
    const run = rllmc(["stats", "examples/summary.rllm"], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/schema version 99, written by a newer rllmc/);
  });

  it.each([
    [["stats"], "expected exactly one .rllm file"],
    [["stats", "examples/summary.rllm", "--modle", "x"], "unknown option '--modle'"],
    [["exectime", "examples/summary.rllm", "--input", "a", "--input-file", "b"], "at most one of --input"],
  ])("should exit 2 on the usage error of %j", (args, message) => {
    const run = rllmc(args, home());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it("should exit 1 for a file that cannot be read", () => {
    expect(rllmc(["stats", "examples/nope.rllm"], home()).code).toBe(1);
  });
});

describe("rllmc exectime", () => {
  it("should say the prediction is unavailable without history, and exit 0", () => {
    const run = rllmc(["exectime", "examples/summary.rllm"], home());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("summary with llama3.2:3b: no prediction — no runs recorded yet");
  });

  it("should predict from the median latency, and by tokens with an input", () => {
    const dir = withHistory();
    const plain = rllmc(["exectime", "examples/summary.rllm"], dir);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("summary with llama3.2:3b: about 2.00 s (range 2.00 s–3.00 s)");
    expect(plain.stdout).toContain("median latency of 3 runs");
    const json = rllmc(
      ["exectime", "examples/summary.rllm", "--input-file", "examples/summary.input.json", "--json"],
      dir,
    ).json();
    expect(json.own).toMatchObject({ method: "tokens", runs: 4 });
    expect(json.estimated_prompt_tokens).toBeGreaterThan(100);
  });

  it("should show a composition as a tree with a partial total", () => {
    const run = rllmc(["exectime", "examples/compose_summary_keywords.rllm"], withHistory());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("├─ compose_summary_keywords itself: no history");
    expect(run.stdout).toContain("├─ summary: 2.00 s");
    expect(run.stdout).toContain("└─ keywords (extract_keywords): 500 ms (range 500 ms–700 ms)");
    expect(run.stdout).toContain("partial: no history for compose_summary_keywords (llama3.2:3b)");
  });

  it("should exit 4 when the input does not fit the app", () => {
    const run = rllmc(["exectime", "examples/summary.rllm", "--input", '{"txt": "x"}'], withHistory());
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("does not match input_schema");
  });
});

describe("recording", () => {
  it("should record a row for every rllmc run, and none with RLLMC_STATS=off", () => {
    const dir = home();
    const args = [
      "run",
      "examples/summary.rllm",
      "--provider",
      "replay",
      "--input-file",
      "examples/summary.input.json",
    ];
    expect(rllmc(args, dir, { RLLMC_STATS: "off" }).code).toBe(0);
    expect(rllmc(["stats", "examples/summary.rllm"], dir).stdout).toContain("no runs recorded yet");
    expect(rllmc(args, dir).code).toBe(0);
    const json = rllmc(["stats", "examples/summary.rllm", "--json"], dir).json();
    expect(json.models).toHaveLength(1);
    expect(json.models[0]).toMatchObject({ provider: "replay", runs: 1, successes: 1, avg_retries: 1 });
  });
});
