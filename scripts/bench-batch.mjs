#!/usr/bin/env node
// Section 14 of `npm run bench` (scripts/bench.mjs), also runnable alone after a build
// (`node scripts/bench-batch.mjs`): the batch scheduler of `rllmc run --batch` (docs/batch.md).
//   (a) Scheduler overhead per task: 2,000 calls to an instant provider through the whole batch
//       path in process (BatchRun: p-queue, the observing provider wrapper, the budget, records
//       handed back in input order) against the same 2,000 calls made one after another
//       directly, both through the runtime's callWithRetries. Goal ≤ 0.5 ms a task.
//   (b) Throughput: `rllmc run app.rllm --batch` of 200 inputs through the built bin against the
//       test suite's llama-orch server (capacity 8, 100 ms a task, discovery on), the batch's own
//       elapsed time (its `--json` summary) over the ideal ⌈200 / 8⌉ × 100 ms. Goal ≤ 1.3×.
// Medians of interleaved rounds.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Budget } from "../dist/src/driver/batch/budget.js";
import { observeProvider } from "../dist/src/driver/batch/observe-provider.js";
import { loadPrices } from "../dist/src/driver/batch/prices.js";
import { BatchRun } from "../dist/src/driver/batch/run-batch.js";
import { Scheduler } from "../dist/src/driver/batch/scheduler.js";
import { callWithRetries, DEFAULT_RETRY_POLICY } from "../dist/src/runtime/app/call.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const TASKS = 2000;
const LINES = 200;
const CAPACITY = 8;
const LATENCY_MS = 100;
const GOAL_OVERHEAD_MS = 0.5;
const GOAL_RATIO = 1.3;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const instant = {
  name: "instant",
  async complete(request) {
    return {
      text: "{}",
      usage: { promptTokens: 10, completionTokens: 2 },
      model: request.model,
      finishReason: "stop",
      raw: {},
    };
  },
};
const request = { model: "m", messages: [{ role: "user", content: "hi" }], params: {} };
const options = { policy: DEFAULT_RETRY_POLICY };

async function direct() {
  const started = performance.now();
  for (let i = 0; i < TASKS; i++) await callWithRetries(instant, request, options);
  return performance.now() - started;
}

async function scheduled() {
  const started = performance.now();
  const scheduler = new Scheduler({ concurrency: CAPACITY });
  const budget = new Budget({ tokens: Number.MAX_SAFE_INTEGER }, loadPrices(), "null");
  const provider = observeProvider(instant, { scheduler, budget, priority: "batch" });
  const lines = Array.from({ length: TASKS }, (_, i) => ({ line: i + 1, text: "{}" }));
  let emitted = 0;
  const run = new BatchRun({
    lines,
    scheduler,
    budget,
    budgetMode: "cancel",
    run: async (line, signal) => {
      const outcome = await callWithRetries(provider, request, { ...options, signal });
      return { line: line.line, ok: true, output: outcome.completion.text };
    },
    notRun: () => {
      throw new Error("every task runs");
    },
    emit: () => {
      emitted += 1;
    },
  });
  await run.done;
  if (emitted !== TASKS) throw new Error(`${emitted} of ${TASKS} records`);
  return performance.now() - started;
}

const APP = `---
name: echo
description: Echo an id.
version: 1.0.0
author: bench
max_context_window: 2048
input_schema:
  type: object
  required: [id]
  properties:
    id: { type: string }
output_schema:
  type: object
  required: [id]
  properties:
    id: { type: string }
llm: { provider: openai-compatible, model: bench-model }
llm_params: { max_tokens: 32 }
---
Echo the id {{id}} as JSON.
`;

function runBin(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, RLLMC_STATS: "off" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function throughput(server, dir) {
  const result = await runBin(
    [
      "run",
      "echo.rllm",
      "--batch",
      "inputs.jsonl",
      "--provider",
      "llama-orch",
      "--base-url",
      server.url,
      "--json",
      "--quiet",
    ],
    dir,
  );
  if (result.code !== 0) throw new Error(`the batch failed (exit ${result.code}): ${result.stderr}`);
  const summary = JSON.parse(result.stderr.trim().split("\n").at(-1)).summary;
  if (summary.ok !== LINES) throw new Error(`${summary.ok} of ${LINES} lines ok`);
  return { elapsedMs: summary.elapsed_ms, maxInFlight: summary.max_in_flight };
}

export async function benchBatch({ rounds = 3 } = {}) {
  // Warm both paths (JIT, the retry module) before measuring.
  await direct();
  await scheduled();
  const directMs = [];
  const scheduledMs = [];
  for (let r = 0; r < rounds; r++) {
    directMs.push(await direct());
    scheduledMs.push(await scheduled());
  }
  const { startLlamaOrchServer } = await import("../test/support/llama-orch-server.ts");
  const dir = mkdtempSync(join(tmpdir(), "rllmc-bench-batch-"));
  writeFileSync(join(dir, "echo.rllm"), APP);
  writeFileSync(
    join(dir, "inputs.jsonl"),
    Array.from({ length: LINES }, (_, i) => `${JSON.stringify({ id: `item-${i + 1}` })}\n`).join(""),
  );
  const runs = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const server = await startLlamaOrchServer({
        capacity: CAPACITY,
        latencyMs: LATENCY_MS,
        answer: (task) => JSON.stringify({ id: String(task.prompt).match(/item-\d+/)?.[0] ?? "?" }),
      });
      try {
        runs.push({ ...(await throughput(server, dir)), serverMax: server.stats.maxInFlight });
      } finally {
        await server.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const idealMs = Math.ceil(LINES / CAPACITY) * LATENCY_MS;
  const elapsedMs = median(runs.map((r) => r.elapsedMs));
  return {
    directMs: median(directMs),
    scheduledMs: median(scheduledMs),
    overheadPerTaskMs: (median(scheduledMs) - median(directMs)) / TASKS,
    elapsedMs,
    idealMs,
    ratio: elapsedMs / idealMs,
    maxInFlight: Math.max(...runs.map((r) => r.serverMax)),
  };
}

/** The bench's table rows for these results. */
export function batchBenchRows(result) {
  return [
    [
      `batch scheduler, ${TASKS} instant calls, overhead per task`,
      `${result.overheadPerTaskMs.toFixed(4)} ms`,
      `goal ≤ ${GOAL_OVERHEAD_MS} ms (${result.scheduledMs.toFixed(0)} ms scheduled, ${result.directMs.toFixed(0)} ms direct)`,
    ],
    [
      `run --batch, ${LINES} inputs, llama-orch capacity ${CAPACITY}, ${LATENCY_MS} ms a task`,
      `${result.elapsedMs.toFixed(0)} ms`,
      `ideal ⌈${LINES}/${CAPACITY}⌉ × ${LATENCY_MS} = ${result.idealMs} ms; at most ${result.maxInFlight} in flight`,
    ],
    ["  ÷ the ideal", `${result.ratio.toFixed(3)}×`, `goal ≤ ${GOAL_RATIO}×`],
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = batchBenchRows(await benchBatch({ rounds: Number(process.env.BENCH_ROUNDS ?? 3) }));
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}
