/**
 * The stats store: where it lives, what a row holds, schema migrations and the refusal of a newer
 * schema, RLLMC_STATS=off, and several processes writing at once.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import type { AppDefinition } from "../../src/runtime/app/app.js";
import { RllmError } from "../../src/runtime/app/errors.js";
import type { Attempt, RunResult } from "../../src/runtime/app/execute.js";
import { dataDir, statsDisabled, statsFile } from "../../src/runtime/app/stats/location.js";
import { MIGRATIONS, type Migration, SCHEMA_VERSION } from "../../src/runtime/app/stats/migrations.js";
import {
  closeStores,
  recordAppRun,
  recordRun,
  runRecordOf,
  statsHooks,
} from "../../src/runtime/app/stats/record-run.js";
import { StatsError, StatsStore } from "../../src/runtime/app/stats/store.js";
import { record } from "./fixtures/runs.js";

const run = promisify(execFile);

function tempHome(): string {
  return mkdtempSync(join(tmpdir(), "rllmc-stats-"));
}

const V2: Migration = {
  version: 2,
  description: "cost of a run",
  statements: ["ALTER TABLE runs ADD COLUMN cost_usd REAL"],
};

afterEach(() => closeStores());

describe("stats location", () => {
  it.each([
    [{ RLLMC_HOME: "/h" }, "linux", "/h"],
    [{ XDG_DATA_HOME: "/xdg" }, "linux", "/xdg/rllmc"],
    [{}, "linux", "/home/u/.local/share/rllmc"],
    [{}, "darwin", "/home/u/Library/Application Support/rllmc"],
    [{ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "win32", "C:\\Users\\u\\AppData\\Local\\rllmc"],
    [{ RLLMC_HOME: "/h", XDG_DATA_HOME: "/xdg" }, "linux", "/h"],
  ] as const)("should use %j on %s as %s", (env, platform, dir) => {
    expect(dataDir(env, platform, "/home/u")).toBe(dir);
  });

  it("should name the file stats.sqlite in that folder", () => {
    expect(statsFile({ RLLMC_HOME: "/h" }, "linux")).toBe("/h/stats.sqlite");
  });

  it.each([
    ["off", true],
    ["OFF", true],
    ["0", true],
    ["on", false],
    [undefined, false],
  ])("should read RLLMC_STATS=%s as disabled=%s", (value, disabled) => {
    expect(statsDisabled({ RLLMC_STATS: value })).toBe(disabled);
  });
});

describe("StatsStore", () => {
  it("should number its migrations 1, 2, 3 … without gaps", () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it("should create missing folders and store a run as one row", () => {
    const file = join(tempHome(), "a", "b", "stats.sqlite");
    const store = StatsStore.open(file);
    store.record(record());
    store.record(
      record({
        ok: false,
        errorType: "InputSchemaError",
        inputValid: false,
        outputValid: null,
        promptTokens: null,
        completionTokens: null,
        parentApp: "parent",
        childrenMs: 5,
      }),
    );
    const rows = store.all("SELECT * FROM runs ORDER BY id");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      app: "summary",
      app_version: "1.0.0",
      ok: 1,
      error_type: null,
      input_valid: 1,
      output_valid: 1,
      latency_ms: 1200,
      prompt_tokens: 300,
      estimated_prompt_tokens: 400,
      children_ms: 0,
      parent_app: null,
    });
    expect(rows[1]).toMatchObject({
      ok: 0,
      error_type: "InputSchemaError",
      input_valid: 0,
      output_valid: null,
      prompt_tokens: null,
      parent_app: "parent",
      children_ms: 5,
    });
    expect(store.version).toBe(SCHEMA_VERSION);
    store.close();
  });

  it("should migrate a v1 database to a newer schema, keeping its rows", () => {
    const file = join(tempHome(), "stats.sqlite");
    const v1 = StatsStore.open(file, { migrations: MIGRATIONS.slice(0, 1) });
    v1.record(record());
    v1.close();
    const v2 = StatsStore.open(file, { migrations: [...MIGRATIONS.slice(0, 1), V2] });
    expect(v2.version).toBe(2);
    expect(v2.all("PRAGMA user_version")).toEqual([{ user_version: 2 }]);
    expect(v2.all("SELECT app, cost_usd FROM runs")).toEqual([{ app: "summary", cost_usd: null }]);
    v2.record(record({ app: "after" }));
    expect(v2.all("SELECT COUNT(*) AS n FROM runs")).toEqual([{ n: 2 }]);
    v2.close();
  });

  it("should refuse a database from a newer rllmc and leave it untouched", () => {
    const home = tempHome();
    const file = join(home, "stats.sqlite");
    const newer = StatsStore.open(file, {
      migrations: [...MIGRATIONS.slice(0, 1), V2, { ...V2, version: 3, statements: [] }],
    });
    newer.record(record());
    newer.close();
    let error: unknown;
    try {
      StatsStore.open(file, { migrations: MIGRATIONS.slice(0, 1) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StatsError);
    expect((error as StatsError).kind).toBe("newer-schema");
    expect((error as StatsError).message).toMatch(
      /schema version 3, written by a newer rllmc; this rllmc knows versions up to 1/,
    );
    const again = StatsStore.open(file, {
      migrations: [...MIGRATIONS.slice(0, 1), V2, { ...V2, version: 3, statements: [] }],
    });
    expect(again.all("SELECT COUNT(*) AS n FROM runs")).toEqual([{ n: 1 }]);
    again.close();
  });
});

describe("recordRun", () => {
  it("should write to $RLLMC_HOME/stats.sqlite", () => {
    const home = tempHome();
    expect(recordRun(record(), { RLLMC_HOME: home })).toEqual({
      recorded: true,
      file: join(home, "stats.sqlite"),
    });
    closeStores();
    const store = StatsStore.open(join(home, "stats.sqlite"));
    expect(store.all("SELECT COUNT(*) AS n FROM runs")).toEqual([{ n: 1 }]);
    store.close();
  });

  it("should write nothing, not even the file, when RLLMC_STATS=off", () => {
    const home = tempHome();
    expect(recordRun(record(), { RLLMC_HOME: home, RLLMC_STATS: "off" })).toMatchObject({
      recorded: false,
      reason: "disabled",
    });
    expect(existsSync(join(home, "stats.sqlite"))).toBe(false);
  });

  it("should be a no-op that says why once when the file is from a newer rllmc", () => {
    const home = tempHome();
    const newer = StatsStore.open(join(home, "stats.sqlite"), {
      migrations: [...MIGRATIONS, { ...V2, version: 99 }],
    });
    newer.close();
    const first = recordRun(record(), { RLLMC_HOME: home });
    const second = recordRun(record(), { RLLMC_HOME: home });
    expect(first).toMatchObject({ recorded: false, firstTime: true });
    expect(first.recorded ? "" : first.reason).toMatch(/newer rllmc/);
    expect(second).toMatchObject({ recorded: false, firstTime: false });
  });

  it("should lose no row when several processes record at once", async () => {
    const home = tempHome();
    const script = fileURLToPath(new URL("./fixtures/record-runs.mjs", import.meta.url));
    const workers = [1, 2, 3, 4].map((w) =>
      run(process.execPath, [script, String(w), "50"], { env: { ...process.env, RLLMC_HOME: home } }),
    );
    const outputs = await Promise.all(workers);
    expect(outputs.map((o) => o.stdout.trim())).toEqual(["50", "50", "50", "50"]);
    const store = StatsStore.open(join(home, "stats.sqlite"));
    expect(store.all("SELECT COUNT(*) AS n FROM runs")).toEqual([{ n: 200 }]);
    expect(store.all("SELECT model, COUNT(*) AS n FROM runs GROUP BY model ORDER BY model")).toEqual(
      [1, 2, 3, 4].map((w) => ({ model: `worker-${w}`, n: 50 })),
    );
    store.close();
  });
});

const APP: AppDefinition = {
  name: "summary",
  version: "1.0.0",
  source: "/apps/summary.rllm",
  prompt: "{{text}}",
  inputSchema: {},
  outputSchema: {},
  llm: { provider: "ollama", model: "llama3.2:3b" },
  llmParams: {},
  maxContextWindow: 8192,
};

function attempt(n: number, overrides: Partial<Attempt> = {}): Attempt {
  return {
    number: n,
    kind: n === 1 ? "initial" : "recovery",
    provider: "ollama",
    model: "llama3.2:3b",
    params: {},
    seed: undefined,
    estimatedPromptTokens: 100 * n,
    messages: [],
    text: "{}",
    usage: { promptTokens: 80 * n, completionTokens: 20 },
    finishReason: "stop",
    durationMs: 500,
    failedTries: [],
    repairs: [],
    errors: [],
    ...overrides,
  };
}

describe("runRecordOf", () => {
  const used = { name: "ollama", model: "llama3.2:3b" };

  it("should sum tokens and model time over attempts and count retries, for a success", () => {
    const bad = attempt(1, { errors: [{ pointer: "", message: "x", keyword: "json", schemaPath: "" }] });
    const result: RunResult & { children: { result: { durationMs: number } }[] } = {
      output: {},
      attempts: [bad, attempt(2)],
      usage: { promptTokens: 240, completionTokens: 40 },
      durationMs: 1500,
      children: [{ result: { durationMs: 300 } }],
    };
    const row = runRecordOf({ app: APP, callers: ["parent"], result, durationMs: 1500 }, used);
    expect(row).toMatchObject({
      app: "summary",
      appVersion: "1.0.0",
      provider: "ollama",
      ok: true,
      errorType: null,
      inputValid: true,
      outputValid: true,
      latencyMs: 1500,
      modelMs: 1000,
      childrenMs: 300,
      promptTokens: 240,
      completionTokens: 40,
      estimatedPromptTokens: 100,
      attempts: 2,
      retriesUsed: 1,
      parentApp: "parent",
    });
  });

  it.each([
    ["InputSchemaError", [], false, null],
    ["RetryExhaustedError", [attempt(1)], true, false],
    ["ProviderError", [], true, null],
  ] as const)(
    "should record a %s with input_valid %s and output_valid %s",
    (type, attempts, inputValid, outputValid) => {
      const error = new RllmError(type, { message: "failed" });
      const row = runRecordOf({ app: APP, callers: [], error, durationMs: 10, attempts }, used);
      expect(row).toMatchObject({ ok: false, errorType: type, inputValid, outputValid, parentApp: null });
      expect(row.promptTokens).toBe(attempts.length === 0 ? null : 80);
    },
  );

  it("should record the model the attempts called, else the given one, else llm.model", () => {
    const result = {
      output: {},
      attempts: [attempt(1, { model: "called" })],
      usage: { promptTokens: 0, completionTokens: 0 },
      durationMs: 1,
    };
    expect(
      runRecordOf({ app: APP, callers: [], result, durationMs: 1 }, { name: "p", model: "given" }).model,
    ).toBe("called");
    const error = new RllmError("InputSchemaError", { message: "x" });
    expect(
      runRecordOf({ app: APP, callers: [], error, durationMs: 1 }, { name: "p", model: "given" }).model,
    ).toBe("given");
    expect(runRecordOf({ app: APP, callers: [], error, durationMs: 1 }, { name: "p" }).model).toBe(
      "llama3.2:3b",
    );
  });

  it("should warn once through recordAppRun when it cannot record, and never for RLLMC_STATS=off", () => {
    const home = tempHome();
    StatsStore.open(join(home, "stats.sqlite"), {
      migrations: [...MIGRATIONS, { ...V2, version: 42 }],
    }).close();
    const warnings: string[] = [];
    const warn = (message: string) => warnings.push(message);
    const report = {
      app: APP,
      callers: [],
      error: new RllmError("ProviderError", { message: "x" }),
      durationMs: 1,
    };
    recordAppRun(report, { name: "ollama" }, { RLLMC_HOME: home }, warn);
    recordAppRun(report, { name: "ollama" }, { RLLMC_HOME: home }, warn);
    recordAppRun(report, { name: "ollama" }, { RLLMC_HOME: home, RLLMC_STATS: "off" }, warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/schema version 42, written by a newer rllmc/);
  });

  it("should record a run through execute's hooks, after the caller's own", async () => {
    const home = tempHome();
    const seen: string[] = [];
    const hooks = statsHooks(
      APP,
      used,
      { onAttempt: () => seen.push("attempt") },
      { RLLMC_HOME: home },
      (o) => seen.push(o.recorded ? "recorded" : "not"),
    );
    hooks.onAttempt?.(attempt(1));
    await hooks.onFinish?.({
      result: {
        output: {},
        attempts: [attempt(1)],
        usage: { promptTokens: 80, completionTokens: 20 },
        durationMs: 700,
      },
    });
    expect(seen).toEqual(["attempt", "recorded"]);
    closeStores();
    const store = StatsStore.open(join(home, "stats.sqlite"));
    expect(store.all("SELECT ok, latency_ms, model_ms, prompt_tokens FROM runs")).toEqual([
      { ok: 1, latency_ms: 700, model_ms: 500, prompt_tokens: 80 },
    ]);
    store.close();
  });
});
