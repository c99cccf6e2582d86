#!/usr/bin/env node
// Section 15 of `npm run bench` (scripts/bench.mjs), also runnable alone after a build
// (`node scripts/bench-queue.mjs`): `rllmc compile --redis` (docs/scale-out.md) against the local
// in-process compile, over the whole TSG corpus (no LLM), with a throwaway redis-server
// (scripts/redis-server.mjs) and worker processes of the built bin (`rllmc worker`). Measured in
// one run, medians of interleaved rounds, Redis flushed before each queue round (no result is
// reused):
//   (a) local: the compile command's loop in process — compileFile (no result cache) and the
//       atomic writes of both outputs, for every file;
//   (b) the queue with 1 worker and (c) with 2: the submitter in process (read, hash, enqueue,
//       watch, collect, write the same files) while the workers compute;
//   (d) a rerun of (b)'s corpus with every job already completed: results from Redis, no worker;
//   (e) the run path: `run --batch --provider null` locally and with --redis on 1 worker.
// Per-job queue overhead = ((b) − (a)) ÷ files: what the queue adds to each job over computing it
// in process. Goal (issue 21): ≤ 2 ms a job over the job itself. (Σ the jobs' own time on the
// worker is shown too; with the worker's default concurrency of 2 two jobs' times overlap.)
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { compileFile, readTsg } from "../dist/src/driver/compile-runbooks.js";
import { commonDirectory, outputStem } from "../dist/src/driver/output-paths.js";
import { parseRedisUrl } from "../dist/src/driver/queue/connection.js";
import { jobId } from "../dist/src/driver/queue/job-id.js";
import { submitAndCollect } from "../dist/src/driver/queue/submit.js";
import { runbookPlacement } from "../dist/src/driver/regenerate.js";
import { version } from "../dist/src/driver/version.js";
import { writeAtomic } from "../dist/src/driver/write-atomic.js";
import { startRedis } from "./redis-server.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const CORPUS = fileURLToPath(new URL("../../shared/corpus/tsg", import.meta.url));

function corpusFiles() {
  return readdirSync(CORPUS, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".md"))
    .map((e) => relative(process.cwd(), join(e.parentPath, e.name)))
    .sort();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Where the compile command puts a file's outputs, and their placement. */
function placed(files, outDir) {
  const base = commonDirectory(files);
  return files.map((path) => {
    const folder = outputStem(path, /\.[^./\\]*$/, { base, outDir });
    const outputs = { runbook: join(folder, "runbook.yaml"), mapping: join(folder, "mapping.md") };
    return { path, folder, outputs, placement: runbookPlacement(path, outputs, { mode: "off" }) };
  });
}

async function localCompile(files, outDir) {
  const started = performance.now();
  const sources = [];
  for (const { path, outputs, placement } of placed(files, outDir)) {
    const result = await compileFile(path, "off", undefined, undefined, "llm=off", sources, placement);
    if (result.yaml === undefined) continue;
    writeAtomic(outputs.runbook, result.yaml);
    writeAtomic(outputs.mapping, result.mapping);
  }
  return performance.now() - started;
}

async function queueCompile(target, files, outDir) {
  const started = performance.now();
  const sources = [];
  const targets = placed(files, outDir);
  const items = [];
  for (const t of targets) {
    const read = readTsg(t.path, sources);
    if ("result" in read) continue;
    const payload = {
      v: 1,
      rllmc: version(),
      path: t.path,
      text: read.source.text,
      placement: t.placement,
      llm: { mode: "off", frozen: false },
    };
    items.push({ id: jobId("compile", payload), name: t.path, payload, t });
  }
  let jobMs = 0;
  const progress = await submitAndCollect(target, items, {
    queue: "compile",
    onSettled: (i, outcome) => {
      if (outcome.kind !== "done")
        throw new Error(`job of ${items[i].name} failed: ${outcome.error.message}`);
      const r = outcome.result;
      jobMs += r.ms ?? 0;
      if (r.yaml === undefined) return;
      writeAtomic(items[i].t.outputs.runbook, r.yaml);
      writeAtomic(items[i].t.outputs.mapping, r.mapping);
    },
  });
  return { ms: performance.now() - started, jobMs, cached: progress.cached, files: items.length };
}

function startWorkerProcess(url, name, cwd) {
  // In the bench's temp folder: a run job writes its app there (--cache-dir) and its run cache.
  const child = spawn(process.execPath, [BIN, "worker", "--redis", url, "--name", name], {
    cwd,
    env: { ...process.env, RLLMC_CACHE_DIR: join(cwd, "run-cache") },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr.setEncoding("utf8").on("data", (c) => {
    log += c;
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (/taking compile(, run)? jobs/.test(log)) {
        clearInterval(timer);
        resolve();
      }
      if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`worker ${name} exited: ${log}`));
      }
    }, 20);
  });
  return { child, ready };
}

/** Runs the bin to its end; its wall-clock time in ms. */
function timeBin(args, cwd) {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, RLLMC_STATS: "off", HOME: cwd, XDG_CACHE_HOME: join(cwd, ".cache") },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (c) => {
    err += c;
  });
  return new Promise((resolve, reject) =>
    child.on("close", (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`rllmc ${args[0]} exited ${code}: ${err}`)),
    ),
  );
}

/**
 * The run path: `run examples/summary.rllm --provider null --batch` of RUN_LINES lines, locally
 * and with `--redis` on 1 worker (Redis flushed before: no result reused). Both are the bin, start
 * to end; (remote − local) ÷ lines is what the queue adds to each line (enqueue, a job on the
 * worker, the shared budget and capacity round trips, the result back).
 */
const RUN_LINES = 300;
async function benchRunPath(redisUrl, admin, tmp, rounds) {
  const dir = join(tmp, "run-path");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "in.jsonl"),
    Array.from(
      { length: RUN_LINES },
      (_, i) => `${JSON.stringify({ text: `Line ${i + 1}: logs explain failures.` })}\n`,
    ).join(""),
  );
  const app = join(ROOT, "examples/summary.rllm");
  const args = ["run", app, "--provider", "null", "--batch", "in.jsonl", "--quiet"];
  await timeBin(args, dir);
  await admin.flushall();
  await timeBin([...args, "--redis", redisUrl], dir);
  const local = [];
  const remote = [];
  for (let round = 0; round < rounds; round++) {
    local.push(await timeBin(args, dir));
    await admin.flushall();
    remote.push(await timeBin([...args, "--redis", redisUrl], dir));
  }
  return { runLines: RUN_LINES, runLocalMs: median(local), runRemoteMs: median(remote) };
}

export async function benchQueue({ rounds = 3 } = {}) {
  const files = corpusFiles();
  const tmp = mkdtempSync(join(tmpdir(), "rllmc-bench-queue-"));
  const redis = await startRedis();
  const target = parseRedisUrl(redis.url);
  const admin = new Redis(redis.url);
  const workers = [];
  try {
    // Warm-up: modules loaded in this process and in each worker before anything is timed.
    await localCompile(files, join(tmp, "warm-local"));
    workers.push(startWorkerProcess(redis.url, "bench-1", tmp));
    await workers[0].ready;
    await queueCompile(target, files, join(tmp, "warm-1"));
    const second = startWorkerProcess(redis.url, "bench-2", tmp);
    await second.ready;
    second.child.kill("SIGSTOP"); // Paused until the 2-worker rounds.
    const local = [];
    const one = [];
    const two = [];
    const rerun = [];
    const jobMs = [];
    const memory = [];
    for (let round = 0; round < rounds; round++) {
      rmSync(join(tmp, "out"), { recursive: true, force: true });
      local.push(await localCompile(files, join(tmp, "out", "local")));
      await admin.flushall();
      const q1 = await queueCompile(target, files, join(tmp, "out", "q1"));
      one.push(q1.ms);
      jobMs.push(q1.jobMs);
      memory.push(Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1] ?? 0));
      const again = await queueCompile(target, files, join(tmp, "out", "q1"));
      if (again.cached !== again.files)
        throw new Error(`the rerun computed ${again.files - again.cached} jobs`);
      rerun.push(again.ms);
      await admin.flushall();
      second.child.kill("SIGCONT");
      const q2 = await queueCompile(target, files, join(tmp, "out", "q2"));
      second.child.kill("SIGSTOP");
      two.push(q2.ms);
    }
    // The run path on 1 worker (the second stays paused until it is done).
    const runPath = await benchRunPath(redis.url, admin, tmp, rounds);
    second.child.kill("SIGCONT");
    workers.push(second);
    const n = files.length;
    return {
      ...runPath,
      runOverheadPerLineMs: (runPath.runRemoteMs - runPath.runLocalMs) / runPath.runLines,
      files: n,
      cpus: cpus().length,
      localMs: median(local),
      oneMs: median(one),
      twoMs: median(two),
      rerunMs: median(rerun),
      jobMs: median(jobMs),
      overheadPerJobMs: (median(one) - median(jobMs)) / n,
      redisBytesPerJob: median(memory) / n,
      overheadOverLocalPerJobMs: (median(one) - median(local)) / n,
    };
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    admin.disconnect();
    await redis.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function queueBenchRows(r) {
  return [
    [
      `compile --redis, corpus (${r.files} TSGs), 1 worker`,
      `${(r.oneMs / 1000).toFixed(2)} s`,
      `${(r.oneMs / r.localMs).toFixed(2)}× the local in-process compile (${(r.localMs / 1000).toFixed(2)} s)`,
    ],
    [
      "  2 workers",
      `${(r.twoMs / 1000).toFixed(2)} s`,
      `${(r.twoMs / r.localMs).toFixed(2)}× local; ${(r.oneMs / r.twoMs).toFixed(2)}× faster than 1 worker (${r.cpus} CPUs here)`,
    ],
    [
      "  queue overhead per job",
      `${r.overheadOverLocalPerJobMs.toFixed(2)} ms`,
      `(1 worker − local) ÷ files; goal ≤ 2 ms (Σ of the jobs' own time on the worker ${(r.jobMs / 1000).toFixed(2)} s)`,
    ],
    [
      "  rerun, every job completed before",
      `${(r.rerunMs / 1000).toFixed(2)} s`,
      `${(r.rerunMs / r.localMs).toFixed(2)}× local; no worker computes; Redis holds ${(r.redisBytesPerJob / 1024).toFixed(1)} KiB a completed job`,
    ],
    [
      `run --batch --redis, ${r.runLines} lines (--provider null), 1 worker`,
      `${(r.runRemoteMs / 1000).toFixed(2)} s`,
      `${(r.runRemoteMs / r.runLocalMs).toFixed(2)}× the local run --batch (${(r.runLocalMs / 1000).toFixed(2)} s); both the bin, start to end`,
    ],
    [
      "  queue overhead per line",
      `${r.runOverheadPerLineMs.toFixed(2)} ms`,
      "(remote − local) ÷ lines: the job, the shared budget and capacity in Redis, the result back",
    ],
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchQueue({ rounds: Number(process.env.ROUNDS ?? 3) });
  const rows = queueBenchRows(result);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
  console.log(JSON.stringify(result));
}
