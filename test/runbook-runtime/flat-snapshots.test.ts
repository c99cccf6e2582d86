/**
 * Snapshots that stay flat (issue 16, section 2): a snapshot refers to the trace for the history
 * (by event index and head hash) and holds only its tail, the results the trace does not have
 * yet; resume and `runbook verify` rebuild the history from both, and a run from before
 * (`runbook-run/v0` snapshots with the whole history) still resumes. A snapshot file is written
 * every SNAPSHOT_EVERY steps; the steps between carry their state in their trace line, and a run
 * resumes from whichever is newer.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunbookEngine } from "../../src/runtime/runbook/engine.js";
import { RealRunner } from "../../src/runtime/runbook/real-runner.js";
import { ReplayRunner } from "../../src/runtime/runbook/replay-runners.js";
import { type RunSnapshot, type RunState, SNAPSHOT_EVERY } from "../../src/runtime/runbook/state.js";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { readTrace } from "../../src/runtime/runbook/trace.js";
import { verifyRun } from "../../src/runtime/runbook/verify.js";
import { manual, nodeStep, runbookOf, startEngine, tempDir } from "./helpers.js";

const snapshotOf = (store: RunStore, name: string) =>
  JSON.parse(readFileSync(join(store.dir, "snapshots", name), "utf8")) as RunSnapshot;

/** `steps` replayed steps; step 5 captures its pod's name, which the last step uses. */
const replayRunbook = (steps: number, approveAt?: number) => ({
  apiVersion: "runbook/v0" as const,
  meta: { name: "flat", governance: { allowed_commands: ["kubectl"] } },
  steps: Array.from({ length: steps }, (_, i) => ({
    id: `s${i}`,
    type: "cli" as const,
    with: { argv: ["kubectl", "get", "pod", i === steps - 1 ? "{{ .pod5 }}" : `p${i}`] },
    ...(i === 5 ? { capture: { pod5: { from: "stdout" as const, regex: "^(\\S+)" } } } : {}),
    ...(i === approveAt ? { approvals: { min: 1 } } : {}),
  })),
});
const replayScenario = (steps: number) => ({
  meta: { name: "flat" },
  steps: Array.from({ length: steps }, (_, i) => ({
    match: { argv: ["kubectl", "get", "pod", i === steps - 1 ? "p5" : `p${i}`] },
    respond: { stdout: `p${i} Running\n` },
  })),
});

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
  it("should write a snapshot every SNAPSHOT_EVERY steps, holding only the step the trace does not have yet", async () => {
    expect(SNAPSHOT_EVERY).toBe(100);
    const store = await replayedRun(250);
    const events = readTrace(store.tracePath).events;
    // The start, steps 100 and 200, and the end.
    expect(store.snapshotNames()).toEqual([
      "step-0000.json",
      "step-0100.json",
      "step-0200.json",
      expect.stringMatching(/^step-0250\.s\d{6}\.json$/),
    ]);
    const first = snapshotOf(store, "step-0100.json");
    const last = snapshotOf(store, "step-0200.json");
    expect(first.format).toBe("runbook-snapshot/v1");
    expect("history" in last).toBe(false);
    expect(last.tail.map((r) => r.step_id)).toEqual(["s199"]);
    expect(last.current_step_index).toBe(200);
    // Taken before the step's own trace line: its position is the event before it.
    const stepEvent = events.findIndex((e) => e.type === "step" && e.result.step_id === "s199");
    expect(last.trace).toEqual({ events: stepEvent, head: events[stepEvent - 1]?.hash });
    expect(events[stepEvent]).toMatchObject({ snapshot: { path: "snapshots/step-0200.json" } });
    // The replay counts are run-length encoded: 200 steps called once is one run.
    expect(last.replay_state).toMatchObject({ runs: [1, 200, 0, 50] });
    // Flat: the 200th step's snapshot is about the size of the 100th's.
    const size = (name: string) => readFileSync(join(store.dir, "snapshots", name)).length;
    expect(size("step-0200.json")).toBeLessThan(size("step-0100.json") * 1.2);
    // The steps between carry the state the trace holds nowhere else in their own line.
    const between = events.find((e) => e.type === "step" && e.result.step_id === "s150");
    expect(between).toMatchObject({ state: { replay_state: { runs: [1, 151, 0, 99] } } });
    expect(between && "snapshot" in between).toBe(false);
    expect(verifyRun(store).problems).toEqual([]);
    // The state rebuilt from the newest snapshot and the trace has every step.
    expect(store.latestState()?.state.history.map((r) => r.step_id)).toEqual(
      Array.from({ length: 250 }, (_, i) => `s${i}`),
    );
  });

  it("should resume from the state a step's trace line carries when it is newer than the last snapshot", async () => {
    const root = tempDir("rb-flat-resume-");
    const runbook = replayRunbook(150, 140);
    const options = {
      runbook,
      runbookPath: "runbook.yaml",
      runbookText: JSON.stringify(runbook),
      mode: "replay" as const,
      root,
      env: {},
      runId: "run-1",
      actor: "alice",
    };
    const first = RunbookEngine.start({
      ...options,
      runner: new ReplayRunner(replayScenario(150), { baseDir: root, env: {} }),
    });
    // An approval given ahead of its step is state only the engine knows until the step runs.
    first.approve("s140");
    for (let i = 0; i < 130; i += 1) expect(await first.next()).toMatchObject({ kind: "step" });
    await first.close();
    const store = RunStore.under(root, "run-1");
    const latest = store.latestState();
    expect(store.snapshotNames().at(-1)).toBe("step-0100.json");
    expect(latest?.from).toMatch(/^trace event \d+$/);
    expect(latest?.state).toMatchObject({ current_step_index: 130, status: "running" });
    expect(latest?.state.pending.approvals.s140).toHaveLength(1);
    // The captures come from the step results in the trace.
    expect(latest?.state.captures).toEqual({ pod5: { value: "p5" } });
    const second = RunbookEngine.resume(
      {
        ...options,
        runner: new ReplayRunner(replayScenario(150), {
          baseDir: root,
          env: {},
          state: latest?.state.replay_state as never,
        }),
      },
      store,
    );
    // The approval came through the resume: step s140 does not stop for it; the last step ran
    // with the capture of step 5; every scenario step was called once (the replay counts came
    // through too).
    expect(await second.continue()).toMatchObject({
      kind: "finished",
      status: "passed",
      scenario: { passed: true },
    });
    await second.close();
    expect(second.history.map((r) => r.step_id)).toEqual(Array.from({ length: 150 }, (_, i) => `s${i}`));
    expect(second.history.at(-1)?.argv).toEqual(["kubectl", "get", "pod", "p5"]);
    const resumed = readTrace(store.tracePath).events.find((e) => e.type === "resumed");
    expect(resumed).toMatchObject({ from_snapshot: latest?.from });
    expect(verifyRun(store).problems).toEqual([]);
  });

  it("should fail RBX7115 when a snapshot's tail, step index or head differs from the trace", async () => {
    const store = await replayedRun(101);
    const path = join(store.dir, "snapshots", "step-0100.json");
    const saved = snapshotOf(store, "step-0100.json");
    const edited = (snapshot: RunSnapshot) => {
      writeFileSync(path, JSON.stringify(snapshot));
      return verifyRun(store)
        .problems.filter((p) => p.code === "RBX7115")
        .map((p) => p.message);
    };
    const [result] = saved.tail;
    if (result === undefined) throw new Error("no tail");
    expect(edited({ ...saved, tail: [{ ...result, exit_code: 9 }] })).toEqual([
      "snapshots/step-0100.json records step 's99' differently from the trace",
    ]);
    expect(edited({ ...saved, current_step_index: 101 })).toEqual([
      "snapshots/step-0100.json is at step 101, but the trace and its tail hold 100 steps",
    ]);
    expect(edited({ ...saved, trace: { ...saved.trace, head: "f".repeat(64) } })).toEqual([
      `snapshots/step-0100.json was written after trace event ${saved.trace.events}, whose hash is now different: the trace was rewritten after it`,
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
    const rebuilt = store.latestState()?.state as RunState;
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
