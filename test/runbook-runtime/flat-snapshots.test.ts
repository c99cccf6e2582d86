/**
 * Snapshots that stay flat (issue 16, section 2): a snapshot refers to the trace for the history
 * (by event index and head hash) and holds only its tail, the results the trace does not have
 * yet; resume and `runbook verify` rebuild the history from both, and a run from before
 * (`runbook-run/v0` snapshots with the whole history) still resumes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunbookEngine } from "../../src/runtime/runbook/engine.js";
import { RealRunner } from "../../src/runtime/runbook/real-runner.js";
import { ReplayRunner } from "../../src/runtime/runbook/replay-runners.js";
import type { RunSnapshot, RunState } from "../../src/runtime/runbook/state.js";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { readTrace } from "../../src/runtime/runbook/trace.js";
import { verifyRun } from "../../src/runtime/runbook/verify.js";
import { manual, nodeStep, runbookOf, startEngine, tempDir } from "./helpers.js";

const snapshotOf = (store: RunStore, name: string) =>
  JSON.parse(readFileSync(join(store.dir, "snapshots", name), "utf8")) as RunSnapshot;

/** A run of `steps` replayed steps, finished. */
async function replayedRun(steps: number): Promise<RunStore> {
  const root = tempDir("rb-flat-");
  const runbook = {
    apiVersion: "runbook/v0" as const,
    meta: { name: "flat", governance: { allowed_commands: ["kubectl"] } },
    steps: Array.from({ length: steps }, (_, i) => ({
      id: `s${i}`,
      type: "cli" as const,
      with: { argv: ["kubectl", "get", "pod", `p${i}`] },
    })),
  };
  const scenario = {
    meta: { name: "flat" },
    steps: Array.from({ length: steps }, (_, i) => ({
      match: { argv: ["kubectl", "get", "pod", `p${i}`] },
      respond: { stdout: `p${i} Running\n` },
    })),
  };
  const engine = startEngine(runbook, root, {
    mode: "replay",
    runner: new ReplayRunner(scenario, { baseDir: root, env: {} }),
  });
  expect(await engine.continue()).toMatchObject({ kind: "finished", status: "passed" });
  await engine.close();
  return RunStore.under(root, "run-1");
}

describe("flat snapshots", () => {
  it("should hold only the step the trace does not have yet, at a trace position verify checks", async () => {
    const store = await replayedRun(60);
    const events = readTrace(store.tracePath).events;
    const first = snapshotOf(store, "step-0001.json");
    const last = snapshotOf(store, "step-0060.json");
    expect(first.format).toBe("runbook-snapshot/v1");
    expect("history" in last).toBe(false);
    expect(last.tail.map((r) => r.step_id)).toEqual(["s59"]);
    expect(last.current_step_index).toBe(60);
    // Taken before the step's own trace line: its position is the event before it.
    const stepEvent = events.findIndex((e) => e.type === "step" && e.result.step_id === "s59");
    expect(last.trace).toEqual({ events: stepEvent, head: events[stepEvent - 1]?.hash });
    // The replay counts are run-length encoded: 60 steps called once is one run.
    expect(last.replay_state).toMatchObject({ runs: [1, 60] });
    // Flat: the 60th step's snapshot is about the size of the first's.
    const size = (name: string) => readFileSync(join(store.dir, "snapshots", name)).length;
    expect(size("step-0060.json")).toBeLessThan(size("step-0001.json") * 1.2);
    expect(verifyRun(store).problems).toEqual([]);
    // The state rebuilt from the newest snapshot and the trace has every step.
    expect(store.latestSnapshot()?.state.history.map((r) => r.step_id)).toEqual(
      Array.from({ length: 60 }, (_, i) => `s${i}`),
    );
  });

  it("should fail RBX7115 when a snapshot's tail, step index or head differs from the trace", async () => {
    const store = await replayedRun(3);
    const path = join(store.dir, "snapshots", "step-0002.json");
    const saved = snapshotOf(store, "step-0002.json");
    const edited = (snapshot: RunSnapshot) => {
      writeFileSync(path, JSON.stringify(snapshot));
      return verifyRun(store)
        .problems.filter((p) => p.code === "RBX7115")
        .map((p) => p.message);
    };
    const [result] = saved.tail;
    if (result === undefined) throw new Error("no tail");
    expect(edited({ ...saved, tail: [{ ...result, exit_code: 9 }] })).toEqual([
      "snapshots/step-0002.json records step 's1' differently from the trace",
    ]);
    expect(edited({ ...saved, current_step_index: 3 })).toEqual([
      "snapshots/step-0002.json is at step 3, but the trace and its tail hold 2 steps",
    ]);
    expect(edited({ ...saved, trace: { ...saved.trace, head: "f".repeat(64) } })).toEqual([
      `snapshots/step-0002.json was written after trace event ${saved.trace.events}, whose hash is now different: the trace was rewritten after it`,
    ]);
  });

  it("should resume a paused run whose newest snapshot is in the older format, and verify warn of it", async () => {
    const root = tempDir("rb-flat-old-");
    const runbook = runbookOf([
      nodeStep("before", "process.stdout.write('one')"),
      manual("check", { approvals: { min: 1 } }),
      nodeStep("after", "process.stdout.write('two')"),
    ]);
    const first = startEngine(runbook, root);
    expect(await first.continue()).toMatchObject({ kind: "paused" });
    await first.close();
    const store = RunStore.under(root, "run-1");
    // What the old code wrote: the whole history, no tail.
    const names = store.snapshotNames();
    const newest = names.at(-1) as string;
    const rebuilt = store.latestSnapshot()?.state as RunState;
    expect(rebuilt.history.map((r) => r.step_id)).toEqual(["before"]);
    writeFileSync(join(store.dir, "snapshots", newest), JSON.stringify(rebuilt));
    expect(verifyRun(store).warnings.join("\n")).toMatch(/older format \(runbook-run\/v0/);
    const second = RunbookEngine.resume(
      {
        runbook,
        runbookPath: "runbook.yaml",
        runbookText: JSON.stringify(runbook),
        mode: "real",
        runner: new RealRunner(root),
        root,
        env: { PATH: process.env.PATH },
        runId: "run-1",
        actor: "alice",
      },
      store,
    );
    second.approve("check");
    second.addEvidence("check", "outcome", { kind: "text", text: "looked fine" });
    expect(await second.continue()).toMatchObject({ kind: "finished", status: "passed" });
    await second.close();
    expect(second.history.map((r) => r.step_id)).toEqual(["before", "check", "after"]);
    // The snapshots written after the resume are flat again.
    expect(snapshotOf(store, store.snapshotNames().at(-1) as string).format).toBe("runbook-snapshot/v1");
  });
});
