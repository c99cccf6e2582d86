/**
 * The pieces under `run --batch`: the price table (lookup by prefix and fallback, an override
 * file, its mistakes as usage errors, the built-in table valid against its schema), the budget
 * (reached at or over a limit, cost from prices, the time limit, estimated usage when none is
 * reported), durations, and the journal (fsynced records, a torn last line after a crash, another
 * input's results refused).
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { Budget, parseDuration } from "../../src/driver/batch/budget.js";
import {
  inputHash,
  Journal,
  type LineRecord,
  readDone,
  writeResults,
} from "../../src/driver/batch/journal.js";
import { costOf, loadPrices, priceOf } from "../../src/driver/batch/prices.js";
import { UsageError } from "../../src/driver/usage-error.js";
import type { Completion } from "../../src/runtime/app/provider.js";
import { setMetrics } from "../../src/runtime/shared/metrics.js";

const ROOT = new URL("../../", import.meta.url);
const dir = () => mkdtempSync(join(tmpdir(), "rllmc-batch-unit-"));
const completion = (prompt: number, answer: number): Completion => ({
  text: "x",
  usage: { promptTokens: prompt, completionTokens: answer },
  model: "m",
  finishReason: "stop",
  raw: {},
});

describe("the price table", () => {
  it("should be valid against grammar/schemas/prices.schema.json", () => {
    const schema = JSON.parse(readFileSync(new URL("grammar/schemas/prices.schema.json", ROOT), "utf8"));
    const table = JSON.parse(readFileSync(new URL("grammar/llm/prices.json", ROOT), "utf8"));
    const validate = new Ajv2020({ strict: true }).compile(schema);
    expect(validate(table), JSON.stringify(validate.errors)).toBe(true);
  });

  it("should find a model exactly, by the longest prefix, or by the provider's fallback; never guess", () => {
    const prices = loadPrices();
    expect(priceOf(prices, "openai", "gpt-4o-mini-2024-07-18")).toEqual({ input: 0.15, output: 0.6 });
    expect(priceOf(prices, "openai", "gpt-4o-2024-08-06")).toEqual({ input: 2.5, output: 10 });
    expect(priceOf(prices, "ollama", "llama3.2:3b")).toEqual({ input: 0, output: 0 });
    expect(priceOf(prices, "openai", "some-new-model")).toBeUndefined();
    expect(priceOf(prices, "openai-compatible", "anything")).toBeUndefined();
    expect(costOf({ input: 2, output: 10 }, { promptTokens: 1_000_000, completionTokens: 500_000 })).toBe(7);
  });

  it("should take entries from --prices over the built-in ones, model by model", () => {
    const file = join(dir(), "prices.json");
    writeFileSync(
      file,
      JSON.stringify({
        providers: {
          openai: { "gpt-4o*": { input: 1, output: 1 } },
          "openai-compatible": { "*": { input: 0.5, output: 0.5 } },
        },
      }),
    );
    const prices = loadPrices(file);
    expect(priceOf(prices, "openai", "gpt-4o-x")).toEqual({ input: 1, output: 1 });
    expect(priceOf(prices, "openai", "gpt-4o-mini")).toEqual({ input: 0.15, output: 0.6 });
    expect(priceOf(prices, "openai-compatible", "mine")).toEqual({ input: 0.5, output: 0.5 });
    // Saved with a byte-order mark.
    writeFileSync(
      file,
      `\uFEFF${JSON.stringify({ providers: { ollama: { "*": { input: 1, output: 2 } } } })}`,
    );
    expect(priceOf(loadPrices(file), "ollama", "any")).toEqual({ input: 1, output: 2 });
  });

  it.each([
    ["not json", "is not JSON"],
    ['{"providers": []}', "'providers' must be an object"],
    ['{"providers": {"x": {"m": {"input": -1, "output": 0}}}}', "providers.x.m.input must be a number ≥ 0"],
    ['{"providers": {"x": {"m": 3}}}', 'providers.x.m must be {"input": N, "output": N}'],
  ])("should refuse a --prices file %j as a usage error", (text, message) => {
    const file = join(dir(), "prices.json");
    writeFileSync(file, text);
    expect(() => loadPrices(file)).toThrow(UsageError);
    expect(() => loadPrices(file)).toThrow(message);
  });
});

describe("Budget", () => {
  it("should be reached when the tokens spent are at or over the limit, once", () => {
    const budget = new Budget({ tokens: 100 }, loadPrices(), "null");
    const reached: string[] = [];
    budget.onReached((k) => reached.push(k));
    budget.record({ model: "m", messages: [] }, completion(60, 30));
    expect(budget.reached).toBeUndefined();
    budget.record({ model: "m", messages: [] }, completion(5, 5));
    budget.record({ model: "m", messages: [] }, completion(5, 5));
    expect(budget.reached).toBe("tokens");
    expect(reached).toEqual(["tokens"]);
    expect(budget.spent()).toMatchObject({ tokens: 110, promptTokens: 70, completionTokens: 40, cost: 0 });
  });

  it("should price each call by the requested model, and reach a cost budget", () => {
    const budget = new Budget({ cost: 1 }, loadPrices(), "openai");
    budget.record({ model: "gpt-4o", messages: [] }, completion(200_000, 40_000));
    expect(budget.spent().cost).toBeCloseTo(0.9, 10);
    expect(budget.reached).toBeUndefined();
    budget.record({ model: "gpt-4o", messages: [] }, completion(40_000, 0));
    expect(budget.reached).toBe("cost");
  });

  it("should report what it spent to the metrics sink", () => {
    const seen: [string, number][] = [];
    setMetrics({
      callStarted() {},
      callFinished() {},
      budgetSpent: (kind, total) => seen.push([kind, total]),
    });
    try {
      const budget = new Budget({}, loadPrices(), "openai");
      budget.record({ model: "gpt-4o", messages: [] }, completion(1_000_000, 0));
      expect(seen.filter(([k]) => k !== "time")).toEqual([
        ["tokens", 1_000_000],
        ["cost", 2.5],
      ]);
      expect(seen.some(([k]) => k === "time")).toBe(true);
    } finally {
      setMetrics(undefined);
    }
  });

  it("should estimate a call whose usage the provider did not report", () => {
    const budget = new Budget({}, loadPrices(), "null");
    budget.record(
      { model: "m", messages: [{ role: "user", content: "abcdef" }] },
      { ...completion(0, 0), usage: undefined, text: "abc" },
    );
    expect(budget.spent()).toMatchObject({ promptTokens: 6, completionTokens: 1, estimatedCalls: 1 });
  });

  it("should be reached when the time budget runs out", async () => {
    const budget = new Budget({ timeMs: 30 }, loadPrices(), "null");
    const reached = new Promise((resolve) => budget.onReached(resolve));
    expect(await reached).toBe("time");
    budget.close();
  });

  it.each([
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["2.5", 2500],
    ["soon", undefined],
    ["10x", undefined],
    ["", undefined],
  ])("should read the duration %j", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe("the journal", () => {
  const ok = (line: number): LineRecord => ({ line, ok: true, output: { n: line } });
  const inputs = new Map([
    [1, '{"n":1}'],
    [2, '{"n":2}'],
    [3, '{"n":3}'],
  ]);

  it("should give back every final record, and cut a line torn by a crash", () => {
    const out = join(dir(), "results.jsonl");
    const journal = new Journal(`${out}.journal`);
    journal.append(ok(1), inputs.get(1)!);
    journal.append(ok(3), inputs.get(3)!);
    journal.close();
    appendFileSync(`${out}.journal`, '{"line": 2, "inp');
    expect([...readDone(out, inputs).keys()]).toEqual([1, 3]);
    // Reopened, the torn line is cut before the next record.
    const again = new Journal(`${out}.journal`);
    again.append(ok(2), inputs.get(2)!);
    again.close();
    expect([...readDone(out, inputs).keys()].sort()).toEqual([1, 2, 3]);
    expect(readFileSync(`${out}.journal`, "utf8").split("\n").filter(Boolean)).toHaveLength(3);
  });

  it("should refuse the journal of another input file", () => {
    const out = join(dir(), "results.jsonl");
    const journal = new Journal(`${out}.journal`);
    journal.append(ok(1), '{"n":"other"}');
    journal.close();
    expect(() => readDone(out, inputs)).toThrow("belong to another input file");
    expect(inputHash("a")).toHaveLength(16);
  });

  it("should refuse the journal of another app, and take one that names none (an older journal)", () => {
    const out = join(dir(), "results.jsonl");
    const journal = new Journal(`${out}.journal`, "summary");
    journal.append(ok(1), inputs.get(1)!);
    journal.close();
    expect(readFileSync(`${out}.journal`, "utf8")).toContain('"app":"summary"');
    expect([...readDone(out, inputs, "summary").keys()]).toEqual([1]);
    expect(() => readDone(out, inputs, "extract_keywords")).toThrow(
      "holds the results of the app 'summary', not 'extract_keywords'",
    );
    const older = join(dir(), "older.jsonl");
    const unnamed = new Journal(`${older}.journal`);
    unnamed.append(ok(2), inputs.get(2)!);
    unnamed.close();
    expect([...readDone(older, inputs, "summary").keys()]).toEqual([2]);
  });

  it("should refuse a journal or results line edited into something that is not a record, as a usage error", () => {
    const hash = inputHash(inputs.get(1)!);
    for (const record of [
      '{"line":1,"ok":false}',
      "5",
      "null",
      '{"line":2,"ok":true,"output":1}',
      '{"line":1,"ok":false,"error":{}}',
    ]) {
      const out = join(dir(), "results.jsonl");
      writeFileSync(
        `${out}.journal`,
        `{"line":1,"input":"${hash}","record":${record}}\n{"line":3,"input":"x","record":{}}\n`,
      );
      expect(() => readDone(out, inputs), record).toThrow(/journal:1 is not a journal line/);
      if (record.startsWith('{"line":2')) continue; // a fine result line, for line 2
      const results = join(dir(), "results.jsonl");
      writeFileSync(results, `${record}\n`);
      expect(() => readDone(results, inputs), record).toThrow(/results.jsonl:1 is not a result line/);
    }
  });

  it("should read a finished results file without a journal, and leave not-run lines to run", () => {
    const out = join(dir(), "results.jsonl");
    writeResults(out, [
      ok(1),
      { line: 2, ok: false, error: { error_code: "RUN6001", error_type: "BudgetExceededError" } as never },
      { line: 3, ok: false, error: { error_code: "RUN3002", error_type: "RetryExhaustedError" } as never },
    ]);
    expect([...readDone(out, inputs).keys()]).toEqual([1, 3]);
  });
});
