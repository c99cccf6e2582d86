/**
 * `runbook exec --mode replay --replay-engine cli-replay`: the cli steps go through a cli-replay
 * binary on PATH (`run --shell bash`, intercepted calls, `verify --format json`, `clean`). The
 * binary here is the test suite's protocol-compatible stand-in (test/support/fake-cli-replay.mjs),
 * built on our replay engine; the Go tool is not installable offline.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { verifyRun } from "../../src/runtime/runbook/verify.js";
import { installFakeCliReplay } from "../support/install-fake-cli-replay.js";
import { tempDir } from "./helpers.js";

const CLI = join(process.cwd(), "dist", "src", "cli", "main.js");
const DEMO = join(process.cwd(), "examples", "runbook-demo");

describe.skipIf(!existsSync(CLI))("runbook exec --replay-engine cli-replay", () => {
  it("runs the demo runbook through a cli-replay binary on PATH and verifies", () => {
    const root = tempDir("rb-clireplay-");
    const bin = installFakeCliReplay(join(root, "bin"));
    const runbook = join(root, "runbook.yaml");
    // cli-replay keeps its session state next to the scenario: a copy, so not in the checkout.
    const scenario = join(root, "scenario.yaml");
    copyFileSync(join(DEMO, "scenario.yaml"), scenario);
    const compile = spawnSync(
      process.execPath,
      [CLI, "compile", join(DEMO, "pod-crashloop.md"), "--out", runbook],
      { encoding: "utf8" },
    );
    expect(compile.status, compile.stderr).toBe(0);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const args = [
      CLI,
      "exec",
      runbook,
      "--mode",
      "replay",
      "--replay-engine",
      "cli-replay",
      "--scenario",
      scenario,
    ];
    const common = [
      "--var",
      "namespace=shop",
      "--var",
      "pod_name=checkout-1",
      "--as",
      "alice",
      "--role",
      "DRI",
      "--run-dir",
      root,
      "--run-id",
      "cr",
      "--no-input",
    ];
    const run = spawnSync(
      process.execPath,
      [
        ...args,
        ...common,
        "--approve",
        "kubectl_rollout_undo",
        "--evidence",
        "confirm_recovery_manual.done=all",
      ],
      { encoding: "utf8", env },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain("✓ 4/6 kubectl_rollout_undo (cli)");
    const report = verifyRun(RunStore.under(root, "cr"));
    expect(report.passed).toBe(true);

    // Without the binary on PATH the option fails with a clear error, before anything runs.
    const missing = spawnSync(process.execPath, [...args, ...common.map((a) => (a === "cr" ? "cr2" : a))], {
      encoding: "utf8",
      env: { ...process.env, PATH: "/nonexistent" },
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("RBX7021");
  }, 60_000);
});
