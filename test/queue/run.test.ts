/**
 * `rllmc run app.rllm --batch in.jsonl --redis URL` on worker processes (docs/scale-out.md),
 * against a real redis-server and model servers on 127.0.0.1: the results are byte-identical to
 * a local `--batch` of the same inputs (a poisoned line included: its structured error, after the
 * job's retries), a line enqueued twice runs once, a worker killed with SIGKILL loses no line and
 * runs none twice, the shared token budget stops admission across workers, the llama-orch
 * capacity is shared across workers (not multiplied), and no API key is in any job.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { echoApp, idIn, parentApp } from "../support/batch-fixtures.js";
import { type LlamaOrchServer, startLlamaOrchServer } from "../support/llama-orch-server.js";
import {
  killAll,
  type RedisServer,
  runBin,
  startRedis,
  startWorker,
  type WorkerProcess,
} from "../support/queue.js";

let redis: RedisServer | undefined;
let workers: WorkerProcess[] = [];
const closers: (() => Promise<void>)[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await killAll(workers);
  workers = [];
  await redis?.stop();
  redis = undefined;
  for (const close of closers.splice(0)) await close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ENV = { RLLMC_STATS: "off", LLM_PROVIDER: "", LLM_MODEL: "", LLM_BASE_URL: "", LLM_API_KEY: "" };

interface EchoServer {
  readonly url: string;
  /** Requests by the item they asked about. */
  readonly asked: Map<string, number>;
  readonly authorizations: Set<string>;
  maxInFlight: number;
  total: number;
}

/**
 * An OpenAI-compatible server that echoes `{"id": "item-N"}` (10 prompt + 5 answer tokens a
 * call), refuses (400) the item named `poison`, and takes `latencyMs` a call.
 */
async function echoServer(options: { poison?: string; latencyMs?: number } = {}): Promise<EchoServer> {
  let inFlight = 0;
  const state = {
    asked: new Map<string, number>(),
    authorizations: new Set<string>(),
    maxInFlight: 0,
    total: 0,
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      inFlight += 1;
      state.total += 1;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      state.authorizations.add(String(req.headers.authorization ?? ""));
      const request = JSON.parse(body) as { model: string; messages: { content: string }[] };
      const id = idIn(request.messages.map((m) => m.content).join("\n"));
      state.asked.set(id, (state.asked.get(id) ?? 0) + 1);
      setTimeout(() => {
        inFlight -= 1;
        res.setHeader("content-type", "application/json");
        if (id === options.poison) {
          res.statusCode = 400;
          res.end(JSON.stringify({ error: { message: `cannot answer ${id}` } }));
          return;
        }
        res.end(
          JSON.stringify({
            id: "c",
            object: "chat.completion",
            model: request.model,
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: JSON.stringify({ id }) },
                finish_reason: "stop",
              },
            ],
            usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
          }),
        );
      }, options.latencyMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, { url: `http://127.0.0.1:${port}/v1` }) as EchoServer;
}

function setup(lines: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "rllmc-queue-run-"));
  dirs.push(dir);
  writeFileSync(join(dir, "echo.rllm"), echoApp({ maxTokens: 32 }));
  writeFileSync(join(dir, "parent.rllm"), parentApp());
  writeFileSync(join(dir, "inputs.jsonl"), `${lines.join("\n")}\n`);
  return dir;
}

const items = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ id: `item-${from + i}` }));

function workersOn(url: string, n: number, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}) {
  for (let i = 1; i <= n; i += 1) {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-queue-worker-"));
    dirs.push(dir);
    workers.push(
      startWorker(url, `w${i}`, { cwd: dir, args: ["--queues", "run", ...args], env: { ...ENV, ...env } }),
    );
  }
  return Promise.all(workers.map((w) => w.waitFor(/taking run jobs/)));
}

describe("run --batch --redis", () => {
  it("should give the local batch's bytes through 2 workers (a poisoned line's error included), and run a line enqueued twice once", async () => {
    redis = await startRedis();
    const server = await echoServer({ poison: "item-7" });
    // item-3 twice, a line that is not JSON, the poisoned item-7; a parent app with a child.
    const lines = [...items(12), JSON.stringify({ id: "item-3" }), "{not json", ...items(4, 13)];
    const dir = setup(lines);
    const common = ["--batch", "inputs.jsonl", "--base-url", server.url, "--max-retries", "0"];
    const local = await runBin(["run", "parent.rllm", ...common, "--out", "local.jsonl"], {
      cwd: dir,
      env: ENV,
    });
    expect(local.code, local.stderr).toBe(9);
    const asked = new Map(server.asked);
    server.asked.clear();
    await workersOn(redis.url, 2);
    const remote = await runBin(
      [
        "run",
        "parent.rllm",
        ...common,
        "--out",
        "remote.jsonl",
        "--redis",
        redis.url,
        "--attempts",
        "2",
        "--backoff-ms",
        "50",
      ],
      { cwd: dir, env: ENV },
    );
    expect(remote.code, remote.stderr).toBe(9);
    const bytes = readFileSync(join(dir, "remote.jsonl"), "utf8");
    expect(bytes).toBe(readFileSync(join(dir, "local.jsonl"), "utf8"));
    const records = bytes
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { line: number; ok: boolean; error?: { error_type: string } });
    expect(records).toHaveLength(18);
    expect(records[6]).toMatchObject({ line: 7, ok: false, error: { error_type: "ProviderError" } });
    expect(records[13]).toMatchObject({ line: 14, ok: false, error: { error_code: "RUN2001" } });
    // Locally item-3 runs twice (2 calls each: child and parent); on the queue its job runs once.
    expect(asked.get("item-3")).toBe(4);
    expect(server.asked.get("item-3")).toBe(2);
    // The poisoned line was tried on each of the job's 2 attempts; the others once.
    expect(server.asked.get("item-7")).toBe(2);
    expect(server.asked.get("item-1")).toBe(2);
    const log = workers.map((w) => w.log()).join("");
    expect(log).toMatch(/QUEUE_MODEL_CALL_FAILED: RUN\d+: .*; will retry/);
    expect(workers.every((w) => /: run run-[0-9a-f]{40} .*: done/.test(w.log()))).toBe(true);
    expect(remote.stderr).toMatch(/16 ok, 2 failed/);
    expect(remote.stderr).toMatch(/queue: 17 of 17 jobs finished, run by w[12] \d+/);

    // The same batch again: every job completed before is taken, no model is asked.
    server.asked.clear();
    const again = await runBin(["run", "parent.rllm", ...common, "--redis", redis.url], {
      cwd: dir,
      env: ENV,
    });
    expect(again.code, again.stderr).toBe(9);
    expect(again.stdout).toBe(bytes);
    expect([...server.asked.values()].reduce((a, b) => a + b, 0)).toBe(0);
  }, 40_000);

  it("should complete every line exactly once when a worker is killed with SIGKILL mid-batch, with no API key in any job", async () => {
    redis = await startRedis();
    const server = await echoServer({ latencyMs: 150 });
    const dir = setup(items(24));
    await workersOn(redis.url, 2, ["--concurrency", "2"], { LLM_API_KEY: "sk-worker-key-0002" });
    const submit = runBin(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        "--base-url",
        server.url,
        "--redis",
        redis.url,
        "--json",
      ],
      { cwd: dir, env: { ...ENV, LLM_API_KEY: "sk-submitter-secret-0001" } },
    );
    await workers[0]!.waitFor(/: done[\s\S]*: done/);
    workers[0]!.child.kill("SIGKILL");
    const result = await submit;
    expect(result.code, result.stderr).toBe(0);
    const records = result.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records).toEqual(
      items(24).map((text, i) => ({ line: i + 1, ok: true, output: JSON.parse(text) })),
    );
    // BullMQ completed each job once: no job is logged done by both workers.
    const done = workers.flatMap((w) =>
      [...w.log().matchAll(/: run (run-[0-9a-f]{40}) .*: done/g)].map((m) => m[1]),
    );
    expect(new Set(done).size).toBe(done.length);
    expect(workers[1]!.log()).toMatch(/stalled|done/);
    // The workers used their own key; no job, result or event in Redis holds a key.
    expect([...server.authorizations]).toEqual(["Bearer sk-worker-key-0002"]);
    const { Redis } = await import("ioredis");
    const client = new Redis(redis.url);
    try {
      let everything = "";
      for (const key of await client.keys("rllmc:*")) {
        const type = await client.type(key);
        const value =
          type === "hash"
            ? await client.hgetall(key)
            : type === "string"
              ? await client.get(key)
              : type === "list"
                ? await client.lrange(key, 0, -1)
                : type === "zset"
                  ? await client.zrange(key, 0, -1)
                  : type === "stream"
                    ? await client.xrange(key, "-", "+")
                    : [];
        everything += JSON.stringify(value);
      }
      expect(everything).toContain("item-1");
      expect(everything).not.toMatch(/sk-(worker|submitter)/);
    } finally {
      client.disconnect();
    }
  }, 40_000);

  it("should stop admission across workers at the shared token budget", async () => {
    redis = await startRedis();
    const server = await echoServer({ latencyMs: 100 });
    const dir = setup(items(20));
    await workersOn(redis.url, 2, ["--concurrency", "2"]);
    // 15 tokens a call: the budget is reached by the third call's answer.
    const result = await runBin(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        "--base-url",
        server.url,
        "--redis",
        redis.url,
        "--concurrency",
        "2",
        "--budget-tokens",
        "45",
        "--allow-over-budget",
        "--out",
        "results.jsonl",
        "--json",
      ],
      { cwd: dir, env: ENV },
    );
    expect(result.code, result.stderr).toBe(8);
    const summary = JSON.parse(result.stderr.trimEnd().split("\n").at(-1)!).summary;
    expect(summary.stopped_by).toBe("tokens");
    // A call is sent only while the finished calls' tokens are under the budget: the three that
    // reach it, and at most the one other in flight then (the capacity is 2); 5 leaves a margin.
    expect(server.total).toBeGreaterThanOrEqual(3);
    expect(server.total).toBeLessThanOrEqual(5);
    expect(summary.ok).toBe(server.total);
    expect(summary.not_run + summary.cancelled).toBe(20 - server.total);
    const records = readFileSync(join(dir, "results.jsonl"), "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(20);
    expect(records.filter((r) => !r.ok).every((r) => r.error.error_type === "BudgetExceededError")).toBe(
      true,
    );
    // The journal keeps the finished lines: --resume runs the others (their jobs were removed).
    const resumed = await runBin(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        "--base-url",
        server.url,
        "--redis",
        redis.url,
        "--out",
        "results.jsonl",
        "--resume",
      ],
      { cwd: dir, env: ENV },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(server.total).toBeLessThanOrEqual(20 + 5);
    expect(readFileSync(join(dir, "results.jsonl"), "utf8")).toBe(
      items(20)
        .map((text, i) => `${JSON.stringify({ line: i + 1, ok: true, output: JSON.parse(text) })}\n`)
        .join(""),
    );
  }, 40_000);

  it("should share llama-orch's capacity across workers, not multiply it", async () => {
    redis = await startRedis();
    const server: LlamaOrchServer = await startLlamaOrchServer({
      capacity: 3,
      latencyMs: 100,
      answer: (task) => JSON.stringify({ id: idIn(String(task.prompt)) }),
    });
    closers.push(() => server.close());
    const dir = setup(items(16));
    await workersOn(redis.url, 2, ["--concurrency", "4"]);
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
        "--redis",
        redis.url,
      ],
      { cwd: dir, env: ENV },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("at most 3 provider calls at once across them (the backend's capacity)");
    expect(result.stdout.trimEnd().split("\n")).toHaveLength(16);
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(server.stats.rejected).toBe(0);
  }, 40_000);

  it("should stop at Ctrl-C without a worker (exit 130, every line InterruptedError), and run every line on the next submit", async () => {
    redis = await startRedis();
    const server = await echoServer();
    const dir = setup(items(5));
    const args = [
      "run",
      "echo.rllm",
      "--batch",
      "inputs.jsonl",
      "--base-url",
      server.url,
      "--redis",
      redis.url,
    ];
    const { spawn } = await import("node:child_process");
    const { BIN } = await import("../support/queue.js");
    const child = spawn(process.execPath, [BIN, ...args, "--out", "results.jsonl"], {
      cwd: dir,
      env: { ...process.env, ...ENV, RLLMC_REDIS_URL: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const started = Date.now();
    while (!/5 lines to run/.test(stderr)) {
      if (Date.now() - started > 15_000) throw new Error(`the submitter did not start:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(130);
    const records = readFileSync(join(dir, "results.jsonl"), "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.error.error_type)).toEqual(Array(5).fill("InterruptedError"));
    await workersOn(redis.url, 1);
    const again = await runBin([...args, "--out", "results.jsonl", "--resume"], { cwd: dir, env: ENV });
    expect(again.code, again.stderr).toBe(0);
    expect(server.total).toBe(5);
  }, 30_000);
});
