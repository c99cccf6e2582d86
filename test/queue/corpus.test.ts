/**
 * `rllmc compile --redis` over the whole TSG corpus (523 files) with worker processes of the
 * built bin and a real redis-server: the outputs are byte-identical to a local compile, with
 * the same summary line and exit code; a rerun takes every result from the finished jobs; a
 * worker killed with SIGKILL mid-batch loses no job and completes none twice; Redis restarted
 * mid-batch (its data gone: no persistence) and the batch still completes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BinResult,
  CORPUS,
  doneJobs,
  killAll,
  lastLine,
  type RedisServer,
  readTree,
  runBin,
  startRedis,
  startWorker,
  treeDifferences,
  type WorkerProcess,
} from "../support/queue.js";

const CORPUS_FILES = 523;
let dir: string;
let local: BinResult;
let localTree: Map<string, Buffer>;
let redis: RedisServer | undefined;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rllmc-queue-corpus-"));
  local = await runBin(["compile", CORPUS, "--out-dir", "local", "--no-cache"], { cwd: dir });
  localTree = readTree(join(dir, "local"));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await killAll(workers);
  workers = [];
  await redis?.stop();
  redis = undefined;
});

async function threeWorkers(url: string): Promise<WorkerProcess[]> {
  workers = ["w1", "w2", "w3"].map((name) => startWorker(url, name, { cwd: dir }));
  await Promise.all(workers.map((w) => w.waitFor(/taking compile(, run)? jobs/)));
  return workers;
}

/** Resolves once the workers together have completed `n` jobs. */
async function untilDone(n: number): Promise<void> {
  const started = Date.now();
  while (workers.reduce((sum, w) => sum + doneJobs(w.log()).length, 0) < n) {
    if (Date.now() - started > 60_000) throw new Error(`fewer than ${n} jobs done in 60 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function expectSameAsLocal(remote: BinResult, out: string): void {
  expect(remote.code).toBe(local.code);
  expect(lastLine(remote.stderr)).toBe(lastLine(local.stderr));
  const tree = readTree(join(dir, out));
  expect(tree.size).toBe(2 * CORPUS_FILES);
  expect(treeDifferences(localTree, tree)).toEqual([]);
}

/** No job completed twice, across every worker's log. */
function expectNoJobDoneTwice(): string[] {
  const all = workers.flatMap((w) => doneJobs(w.log()));
  expect(new Set(all).size).toBe(all.length);
  return all;
}

describe("compile --redis over the TSG corpus", () => {
  it("should compile the 523 TSGs on 3 workers into the local compile's bytes, then take a rerun from the finished jobs", async () => {
    expect(local.code).toBe(0);
    expect(lastLine(local.stderr)).toMatch(/^Compiled 523 of 523 files: /);
    redis = await startRedis();
    await threeWorkers(redis.url);
    const remote = await runBin(["compile", CORPUS, "--out-dir", "remote", "--redis", redis.url], {
      cwd: dir,
    });
    expectSameAsLocal(remote, "remote");
    const done = expectNoJobDoneTwice();
    expect(done).toHaveLength(CORPUS_FILES);
    // Every worker took a share, and the progress said so.
    for (const w of workers) expect(doneJobs(w.log()).length).toBeGreaterThan(0);
    expect(remote.stderr).toMatch(/queue: 523\/523 done, 0 failed · \d workers? \(w\d \d+/);

    // A rerun (another, sibling output folder: the same placements) computes nothing.
    const rerun = await runBin(["compile", CORPUS, "--out-dir", "rerun", "--redis", redis.url], { cwd: dir });
    expect(rerun.code).toBe(0);
    expect(lastLine(rerun.stderr)).toBe(
      lastLine(local.stderr).replace("523 files:", "523 files (523 unchanged, from the cache):"),
    );
    expect(treeDifferences(localTree, readTree(join(dir, "rerun")))).toEqual([]);
    expect(workers.flatMap((w) => doneJobs(w.log()))).toHaveLength(CORPUS_FILES);
  }, 180_000);

  it("should lose no job and complete none twice when a worker is killed with SIGKILL mid-batch", async () => {
    redis = await startRedis();
    await threeWorkers(redis.url);
    const submit = runBin(["compile", CORPUS, "--out-dir", "killed", "--redis", redis.url, "--json"], {
      cwd: dir,
    });
    await untilDone(60);
    const victim = workers[1]!;
    victim.child.kill("SIGKILL");
    expect(await victim.exited).toBeNull();
    const remote = await submit;
    expect(remote.code).toBe(0);
    const tree = readTree(join(dir, "killed"));
    expect(treeDifferences(localTree, tree)).toEqual([]);
    // The submitter wrote each file's outputs once: one entry per file in its report.
    const report = JSON.parse(remote.stdout) as {
      files: { path: string; runbook?: string }[];
      summary: { compiled: number };
    };
    expect(report.summary.compiled).toBe(CORPUS_FILES);
    expect(new Set(report.files.map((f) => f.path)).size).toBe(CORPUS_FILES);
    expect(report.files.every((f) => f.runbook !== undefined)).toBe(true);
    expectNoJobDoneTwice();
    // The survivors finished the batch after the kill. The log lines miss at most the victim's
    // jobs in hand (2, its concurrency) that it completed in Redis but was killed before logging.
    const survivors = [workers[0]!, workers[2]!].flatMap((w) => doneJobs(w.log()));
    expect(survivors.length + doneJobs(victim.log()).length).toBeGreaterThanOrEqual(CORPUS_FILES - 2);
    const status = await runBin(["queue", "status", "--redis", redis.url, "--json"], { cwd: dir });
    const counts = JSON.parse(status.stdout) as {
      queues: { completed: number; failed: number; active: number }[];
    };
    expect(counts.queues[0]).toMatchObject({ completed: CORPUS_FILES, failed: 0, active: 0 });
  }, 180_000);

  it("should finish the batch when Redis restarts mid-batch with its data gone", async () => {
    redis = await startRedis();
    await threeWorkers(redis.url);
    const submit = runBin(["compile", CORPUS, "--out-dir", "restarted", "--redis", redis.url], { cwd: dir });
    await untilDone(100);
    redis = await redis.restart();
    const remote = await submit;
    expectSameAsLocal(remote, "restarted");
    expect(remote.stderr).toMatch(/jobs? (was|were) gone from Redis \(restarted\?\); enqueued again/);
    // The workers reconnected and kept working after the restart.
    expect(workers.some((w) => /Redis connection lost/.test(w.log()))).toBe(true);
  }, 180_000);
});
