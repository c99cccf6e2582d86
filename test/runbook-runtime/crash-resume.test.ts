/**
 * kill -9 during a real-mode `runbook exec`, then `--resume`, until the run finishes: every step
 * is recorded exactly once and passed; a step runs twice only when the trace says it was
 * interrupted; the trace still verifies. Uses the built CLI (the test command builds first).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { readTrace } from "../../src/runtime/runbook/trace.js";
import { verifyRun } from "../../src/runtime/runbook/verify.js";
import { NODE, tempDir } from "./helpers.js";

const CLI = join(process.cwd(), "dist", "src", "cli", "main.js");
const STEPS = 12;

function killAfter(args: string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [CLI, ...args], { stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe.skipIf(!existsSync(CLI))("runbook exec: kill -9 and --resume", () => {
  it("loses and repeats no completed step across several crashes", async () => {
    const root = tempDir("rb-crash-");
    const log = join(root, "side-effects.log");
    const script = (id: string) =>
      `require('fs').appendFileSync(${JSON.stringify(log)}, ${JSON.stringify(`${id}\n`)}); setTimeout(() => {}, 120)`;
    const steps = Array.from({ length: STEPS }, (_, i) => ({
      id: `s${i + 1}`,
      type: "cli",
      with: { argv: [NODE, "-e", script(`s${i + 1}`)] },
    }));
    const runbook = {
      apiVersion: "runbook/v0",
      meta: { name: "crash", governance: { allowed_commands: [NODE] } },
      steps,
    };
    const file = join(root, "runbook.yaml");
    writeFileSync(file, JSON.stringify(runbook, null, 2));
    const common = ["--run-dir", root, "--no-input", "--quiet"];
    await killAfter(["exec", file, "--mode", "real", "--run-id", "crash", ...common], 700);
    for (const ms of [350, 500, 650]) await killAfter(["exec", "--resume", "crash", ...common], ms);
    const last = spawnSync(NODE, [CLI, "exec", "--resume", "crash", ...common], { encoding: "utf8" });
    expect(last.status, last.stderr).toBe(0);

    const store = RunStore.under(root, "crash");
    const trace = readTrace(store.tracePath);
    expect(trace.problems).toEqual([]);
    const results = trace.events.flatMap((e) => (e.type === "step" ? [e.result] : []));
    expect(results.map((r) => r.step_id)).toEqual(steps.map((s) => s.id));
    expect(results.every((r) => r.status === "passed")).toBe(true);
    const interrupted = new Set(
      trace.events.flatMap((e) => (e.type === "resumed" && e.interrupted_step ? [e.interrupted_step] : [])),
    );
    expect(trace.events.filter((e) => e.type === "resumed").length).toBeGreaterThanOrEqual(1);
    const counts = new Map<string, number>();
    for (const id of readFileSync(log, "utf8").split("\n").filter(Boolean))
      counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const { id } of steps) {
      const count = counts.get(id) ?? 0;
      expect(count, id).toBeGreaterThanOrEqual(1);
      if (count > 1)
        expect(interrupted.has(id), `${id} ran ${count} times without being interrupted`).toBe(true);
    }
    expect(verifyRun(store).passed).toBe(true);
  }, 60_000);
});
