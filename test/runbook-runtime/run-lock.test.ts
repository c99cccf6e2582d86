/**
 * One writer per run (issue 16, section 0b), with real processes: two `exec --run-id X` at once,
 * reusing the id of a finished run, two `--resume` of one crashed run, a lock from another host,
 * a step's process group that outlives a kill -9, and a kill -9 between the trace append and the
 * manifest write (the manifest is repaired from the chain on --resume). Uses the built CLI.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { headOf, type Manifest, readManifest, writeManifest } from "../../src/runtime/runbook/manifest.js";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { readTrace } from "../../src/runtime/runbook/trace.js";
import { verifyRun } from "../../src/runtime/runbook/verify.js";
import { NODE, tempDir } from "./helpers.js";

const CLI = join(process.cwd(), "dist", "src", "cli", "main.js");

interface Done {
  readonly status: number | null;
  readonly stderr: string;
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { RUNBOOK_TRACE_KEY: _k, ...env } = process.env;
  return { ...env, ...extra };
}

function run(args: string[], env = cleanEnv()): Promise<Done> & { child: ChildProcess } {
  const child = spawn(NODE, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const done = new Promise<Done>((resolve) => child.on("close", (status) => resolve({ status, stderr })));
  return Object.assign(done, { child });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A runbook of `n` steps, each logging its id to `log` and taking `ms`. */
function setup(n: number, ms: number): { root: string; file: string; log: string; common: string[] } {
  const root = tempDir("rb-lock-");
  const log = join(root, "side-effects.log");
  const script = (id: string) =>
    `require('fs').appendFileSync(${JSON.stringify(log)}, ${JSON.stringify(`${id}\n`)}); setTimeout(() => {}, ${ms})`;
  const runbook = {
    apiVersion: "runbook/v0",
    meta: { name: "lock", governance: { allowed_commands: [NODE] } },
    steps: Array.from({ length: n }, (_, i) => ({
      id: `s${i + 1}`,
      type: "cli",
      with: { argv: [NODE, "-e", script(`s${i + 1}`)] },
    })),
  };
  const file = join(root, "runbook.yaml");
  writeFileSync(file, JSON.stringify(runbook, null, 2));
  return { root, file, log, common: ["--run-dir", root, "--no-input", "--quiet"] };
}

function counts(log: string): Map<string, number> {
  const map = new Map<string, number>();
  if (!existsSync(log)) return map;
  for (const id of readFileSync(log, "utf8").split("\n").filter(Boolean)) map.set(id, (map.get(id) ?? 0) + 1);
  return map;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!existsSync(CLI))("one writer per run", () => {
  it("should run every step once when two exec --run-id X start at once, and refuse the second", async () => {
    const { root, file, log, common } = setup(4, 150);
    const args = ["exec", file, "--mode", "real", "--run-id", "twin", ...common];
    const [a, b] = await Promise.all([run(args), run(args)]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([0, 1]);
    const refused = a.status === 1 ? a : b;
    expect(refused.stderr).toMatch(/RBX7022: run 'twin' is in use by process \d+ on host|RBX7023/);
    for (const [id, count] of counts(log)) expect(count, id).toBe(1);
    const trace = readTrace(RunStore.under(root, "twin").tracePath);
    expect(trace.events.filter((e) => e.type === "run_started")).toHaveLength(1);
    expect(verifyRun(RunStore.under(root, "twin")).passed).toBe(true);
    expect(existsSync(join(root, ".runbook", "runs", "twin", "run.lock"))).toBe(false);
  }, 30_000);

  it("should refuse the id of a finished run (RBX7023) and leave it verifying", async () => {
    const { root, file, log, common } = setup(2, 10);
    const args = ["exec", file, "--mode", "real", "--run-id", "done", ...common];
    expect((await run(args)).status).toBe(0);
    const again = await run(args);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("RBX7023: run 'done' already exists");
    expect(again.stderr).toContain("--resume done");
    expect([...counts(log).values()]).toEqual([1, 1]);
    const store = RunStore.under(root, "done");
    expect(readTrace(store.tracePath).events.filter((e) => e.type === "run_started")).toHaveLength(1);
    expect(verifyRun(store).passed).toBe(true);
  }, 30_000);

  it("should let one of two --resume of a crashed run go on and refuse the other", async () => {
    const { root, file, log, common } = setup(8, 200);
    const first = run(["exec", file, "--mode", "real", "--run-id", "crashed", ...common]);
    await sleep(900);
    first.child.kill("SIGKILL");
    await first;
    // The crashed run's lock is left behind: stale, since its process is gone.
    expect(existsSync(join(root, ".runbook", "runs", "crashed", "run.lock"))).toBe(true);
    expect(verifyRun(RunStore.under(root, "crashed")).warnings.join("\n")).toContain(
      "a process holds run.lock",
    );
    const resume = ["exec", "--resume", "crashed", ...common];
    const [a, b] = await Promise.all([run(resume), run(resume)]);
    expect([a.status, b.status].sort()).toEqual([0, 1]);
    expect((a.status === 1 ? a : b).stderr).toMatch(/RBX7022: run 'crashed' is in use by process \d+/);
    const store = RunStore.under(root, "crashed");
    const trace = readTrace(store.tracePath);
    const interrupted = trace.events.flatMap((e) =>
      e.type === "resumed" && e.interrupted_step ? [e.interrupted_step] : [],
    );
    for (const [id, count] of counts(log)) {
      expect(count, id).toBeLessThanOrEqual(2);
      if (count === 2) expect(interrupted).toContain(id);
    }
    expect(verifyRun(store).passed).toBe(true);
  }, 30_000);

  it("should refuse a lock from another host, naming it, and never take it over", async () => {
    const { root, file, common } = setup(1, 10);
    const dir = join(root, ".runbook", "runs", "remote");
    const first = run(["exec", file, "--mode", "real", "--run-id", "remote", ...common]);
    expect((await first).status).toBe(0);
    writeFileSync(
      join(root, ".runbook", "runs", "remote", "run.lock"),
      JSON.stringify({ pid: 1, host: "build-box-7", started: "2026-01-01T00:00:00.000Z" }),
    );
    const refused = await run(["exec", file, "--mode", "real", "--run-id", "remote", ...common]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("RBX7022: run 'remote' is in use by process 1 on host 'build-box-7'");
    expect(refused.stderr).toContain(`remove ${join(dir, "run.lock")} by hand`);
    expect(existsSync(join(dir, "run.lock"))).toBe(true);
  }, 30_000);

  it("should stop a crashed step's process group before running the step again", async () => {
    const root = tempDir("rb-lock-pg-");
    const log = join(root, "ticks.log");
    // Logs "<pid> tick" every 50 ms for 4 s, to a file (its stdout dies with the engine).
    const script = `const fs=require('fs');const t=Date.now();const i=setInterval(()=>{fs.appendFileSync(${JSON.stringify(log)}, process.pid+' tick\\n'); if(Date.now()-t>4000){clearInterval(i)}},50)`;
    const runbook = {
      apiVersion: "runbook/v0",
      meta: { name: "group", governance: { allowed_commands: [NODE] } },
      steps: [{ id: "long", type: "cli", with: { argv: [NODE, "-e", script] } }],
    };
    const file = join(root, "runbook.yaml");
    writeFileSync(file, JSON.stringify(runbook));
    const common = ["--run-dir", root, "--no-input", "--quiet"];
    const first = run(["exec", file, "--mode", "real", "--run-id", "pg", ...common]);
    for (let i = 0; i < 100 && !existsSync(log); i++) await sleep(50);
    first.child.kill("SIGKILL");
    await first;
    const old = Number(readFileSync(log, "utf8").split(" ")[0]);
    expect(alive(old)).toBe(true);
    const lock = JSON.parse(readFileSync(join(root, ".runbook", "runs", "pg", "run.lock"), "utf8"));
    expect(lock).toMatchObject({ step_id: "long", step_pgid: old });
    const resumed = await run(["exec", "--resume", "pg", ...common]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(alive(old)).toBe(false);
    const pids = readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => Number(line.split(" ")[0]));
    const firstNew = pids.findIndex((pid) => pid !== old);
    expect(firstNew).toBeGreaterThan(0);
    // No tick of the old process after the new one started: they never overlapped.
    expect(pids.slice(firstNew).includes(old)).toBe(false);
    const trace = readTrace(RunStore.under(root, "pg").tracePath);
    expect(trace.events.find((e) => e.type === "resumed")).toMatchObject({
      interrupted_step: "long",
      stopped_process_group: old,
    });
  }, 30_000);

  it("should stop the running step and release the lock on SIGTERM, and resume from there", async () => {
    const root = tempDir("rb-lock-term-");
    const log = join(root, "ticks.log");
    const script = `const fs=require('fs');fs.appendFileSync(${JSON.stringify(log)}, process.pid+'\\n');setTimeout(()=>{},3000)`;
    const runbook = {
      apiVersion: "runbook/v0",
      meta: { name: "term", governance: { allowed_commands: [NODE] } },
      steps: [{ id: "slow", type: "cli", with: { argv: [NODE, "-e", script] } }],
    };
    const file = join(root, "runbook.yaml");
    writeFileSync(file, JSON.stringify(runbook));
    const common = ["--run-dir", root, "--no-input", "--quiet"];
    const first = run(["exec", file, "--mode", "real", "--run-id", "t", ...common]);
    for (let i = 0; i < 100 && !existsSync(log); i++) await sleep(50);
    first.child.kill("SIGTERM");
    expect((await first).status).toBe(143);
    const child = Number(readFileSync(log, "utf8").trim());
    // Killed with its group; once orphaned, init reaps it.
    for (let i = 0; i < 40 && alive(child); i++) await sleep(50);
    expect(alive(child)).toBe(false);
    expect(existsSync(join(root, ".runbook", "runs", "t", "run.lock"))).toBe(false);
    const resumed = await run(["exec", "--resume", "t", ...common]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(verifyRun(RunStore.under(root, "t")).passed).toBe(true);
  }, 30_000);

  it.each([
    ["without a key", {}],
    ["with RUNBOOK_TRACE_KEY", { RUNBOOK_TRACE_KEY: "s3cret-trace-key-for-tests" }],
  ] as const)(
    "should repair a manifest left one event behind on --resume (%s)",
    async (_, extra) => {
      const root = tempDir("rb-lock-manifest-");
      const runbook = {
        apiVersion: "runbook/v0",
        meta: { name: "repair", governance: { allowed_commands: [NODE] } },
        steps: [
          { id: "s1", type: "cli", with: { argv: [NODE, "-e", "1"] } },
          { id: "check", type: "manual", title: "Check", instructions: "Look." },
        ],
      };
      const file = join(root, "runbook.yaml");
      writeFileSync(file, JSON.stringify(runbook));
      const env = cleanEnv(extra);
      const common = ["--run-dir", root, "--no-input", "--quiet"];
      expect((await run(["exec", file, "--mode", "real", "--run-id", "m", ...common], env)).status).toBe(4);
      const store = RunStore.under(root, "m");
      // What a kill -9 between the trace append and the manifest write leaves: the manifest one behind.
      const manifest = readManifest(store.dir) as Manifest;
      const key = "RUNBOOK_TRACE_KEY" in extra ? Buffer.from(extra.RUNBOOK_TRACE_KEY) : undefined;
      const events = readTrace(store.tracePath).events;
      writeManifest(store.dir, "m", headOf(events.slice(0, -1)), manifest.files, key);
      const before = spawnSync(NODE, [CLI, "verify", "m", "--run-dir", root, "--format", "json"], {
        encoding: "utf8",
        env,
      });
      expect(before.status).toBe(1);
      expect(before.stdout).toContain("RBX7112");
      const resumed = await run(
        ["exec", "--resume", "m", "--evidence", "check.outcome=fine", ...common],
        env,
      );
      expect(resumed.status, resumed.stderr).toBe(0);
      const after = spawnSync(NODE, [CLI, "verify", "m", "--run-dir", root, "--format", "json"], {
        encoding: "utf8",
        env,
        cwd: root,
      });
      expect(after.status, after.stdout).toBe(0);
      expect(JSON.parse(after.stdout).manifest).toEqual({
        digest: key === undefined ? "sha256" : "hmac-sha256",
        verified: true,
      });
    },
    30_000,
  );
});
