/**
 * `rllmc compile app.rllm… --redis URL`: one job per root app, its `uses` tree's texts in the
 * payload, computed by a worker process of the built bin with a real redis-server. The examples'
 * apps through the queue are byte-identical to a local compile of the same paths and options
 * (the tree, the report and the exit code; a child shared by two roots written once), in a
 * layout whose paths climb (`..`) and with `--json`; an app with an error gives the local
 * diagnostics and exit code and writes nothing; a rerun with no worker left finishes from the
 * completed jobs.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BinResult,
  killAll,
  type RedisServer,
  ROOT,
  readTree,
  runBin,
  startRedis,
  startWorker,
  treeDifferences,
  type WorkerProcess,
} from "../support/queue.js";

const APPS = ["compose_summary_keywords.rllm", "summary.rllm", "extract_keywords.rllm"];
let dir: string;
let redis: RedisServer;
let workers: WorkerProcess[] = [];

/** A folder of its own with the examples' apps under `apps/` and a broken tree under `bad/`. */
function checkout(name: string): string {
  const at = join(dir, name);
  mkdirSync(join(at, "apps"), { recursive: true });
  mkdirSync(join(at, "bad"), { recursive: true });
  mkdirSync(join(at, "sub"), { recursive: true });
  for (const app of APPS) cpSync(join(ROOT, "examples", app), join(at, "apps", app));
  // A parent whose child has an error and whose other child is missing.
  cpSync(join(ROOT, "examples", "compose_summary_keywords.rllm"), join(at, "bad", "parent.rllm"));
  const summary = readFileSync(join(ROOT, "examples", "summary.rllm"), "utf8");
  writeFileSync(
    join(at, "bad", "summary.rllm"),
    summary.replace(/^max_context_window: .*$/m, "max_context_window: lots"),
  );
  return at;
}

/** Its stderr without the queue's progress lines (`queue: …`), which a local compile has not. */
function report(result: BinResult): string {
  return result.stderr
    .split("\n")
    .filter((line) => !line.startsWith("queue: "))
    .join("\n");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rllmc-queue-apps-"));
  redis = await startRedis();
  mkdirSync(join(dir, "worker"));
  workers = [startWorker(redis.url, "w1", { cwd: join(dir, "worker") })];
  await workers[0]!.waitFor(/taking compile/);
}, 30_000);

afterAll(async () => {
  await killAll(workers);
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("compile apps --redis", () => {
  it("should write the examples' apps byte-identical to a local compile, with the same report and exit code, and rerun from the completed jobs", async () => {
    const local = checkout("local");
    const remote = checkout("remote");
    const args = [
      "compile",
      ...APPS.map((app) => join("apps", app)),
      "--out-dir",
      "gen",
      "--runtime-import",
      "rllmc/runtime",
    ];
    const [a, b] = await Promise.all([
      runBin(args, { cwd: local }),
      runBin([...args, "--redis", redis.url], { cwd: remote }),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(a.code);
    expect(report(b)).toBe(report(a));
    expect(b.stdout).toBe(a.stdout);
    const tree = readTree(join(local, "gen"));
    expect([...tree.keys()].sort()).toEqual(
      APPS.flatMap((app) => [app.replace(".rllm", ".d.mts"), app.replace(".rllm", ".mjs")]).sort(),
    );
    expect(treeDifferences(tree, readTree(join(remote, "gen")))).toEqual([]);
    // Three roots, one of them the parent of the other two: three jobs, each module written once.
    await workers[0]!.waitFor(/(: done[\s\S]*){3}/, 5_000);
    expect(workers[0]!.log().match(/: done/g)?.length).toBe(3);

    // Paths that climb, and the JSON report.
    const climbing = ["compile", "../apps/compose_summary_keywords.rllm", "--out-dir", "../gen2", "--json"];
    const [c, d] = await Promise.all([
      runBin(climbing, { cwd: join(local, "sub") }),
      runBin([...climbing, "--redis", redis.url], { cwd: join(remote, "sub") }),
    ]);
    expect(c.code).toBe(0);
    expect(d.code).toBe(c.code);
    expect(d.stdout).toBe(c.stdout);
    expect(treeDifferences(readTree(join(local, "gen2")), readTree(join(remote, "gen2")))).toEqual([]);

    // No worker left: the same command finishes from the completed jobs.
    await killAll(workers);
    rmSync(join(remote, "gen"), { recursive: true });
    const again = await runBin([...args, "--redis", redis.url, "--idle-timeout", "5"], { cwd: remote });
    expect(again.code).toBe(0);
    expect(report(again)).toBe(report(a));
    expect(treeDifferences(tree, readTree(join(remote, "gen")))).toEqual([]);
  }, 30_000);

  it("should give an app's errors as a local compile does, exit 1 and write nothing", async () => {
    workers.push(startWorker(redis.url, "w2", { cwd: join(dir, "worker") }));
    const local = checkout("local-bad");
    const remote = checkout("remote-bad");
    const args = ["compile", "bad/parent.rllm", "apps/summary.rllm", "--out-dir", "gen"];
    const [a, b] = await Promise.all([
      runBin(args, { cwd: local }),
      runBin([...args, "--redis", redis.url], { cwd: remote }),
    ]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("RLM2108");
    expect(b.code).toBe(a.code);
    expect(report(b)).toBe(report(a));
    expect(existsSync(join(remote, "gen"))).toBe(false);
    const [c, d] = await Promise.all([
      runBin([...args, "--json"], { cwd: local }),
      runBin([...args, "--json", "--redis", redis.url], { cwd: remote }),
    ]);
    expect(d.code).toBe(c.code);
    expect(d.stdout).toBe(c.stdout);
  }, 30_000);
});
