/**
 * The runtime's edges: evidence reused from an earlier run in replay mode, resume refusals, the
 * terminal prompts for evidence and approvals, and `runbook exec` / `runbook verify` command-line
 * errors through the built CLI.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { TerminalAttendant } from "../../src/cli/runbook-attendant.js";
import { readRecordedEvidence } from "../../src/driver/runbook-session.js";
import { RunbookEngine } from "../../src/runtime/runbook/engine.js";
import type { CommandRunner } from "../../src/runtime/runbook/step-providers.js";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { verifyRun } from "../../src/runtime/runbook/verify.js";
import { manual, NODE, nodeStep, runbookOf, startEngine, tempDir } from "./helpers.js";

const CLI = join(process.cwd(), "dist", "src", "cli", "main.js");

/** A replay runner with nothing to answer: these runbooks have no cli step. */
const noCalls: CommandRunner = {
  kind: "replay",
  run: async () => ({ exitCode: 1, stdout: "", stderr: "unexpected call" }),
  finish: async () => ({ passed: true, consumed_steps: 0, total_steps: 0, unmet: [] }),
};

describe("evidence reused in replay (replay_mode: reuse_evidence)", () => {
  it("takes the recorded evidence, copies attachments into the new run, and verifies", async () => {
    const root = tempDir();
    const runbook = runbookOf([
      manual("check", {
        replay_mode: "reuse_evidence",
        required_evidence: [
          { kind: "text", name: "note" },
          { kind: "attachment", name: "shot" },
        ],
      }),
    ]);
    const first = startEngine(runbook, root);
    const file = join(root, "shot.txt");
    writeFileSync(file, "all green\n");
    first.addEvidence("check", "note", { kind: "text", text: "looked fine" });
    first.addEvidence("check", "shot", { kind: "attachment", path: file });
    expect(await first.continue()).toMatchObject({ kind: "finished", status: "passed" });
    await first.close();

    const recorded = readRecordedEvidence(root, "run-1");
    const second = RunbookEngine.start({
      runbook,
      runbookPath: "runbook.yaml",
      runbookText: JSON.stringify(runbook),
      mode: "replay",
      runner: noCalls,
      root,
      actor: "bob",
      env: {},
      runId: "run-2",
      recordedEvidence: recorded,
    });
    expect(await second.continue()).toMatchObject({ kind: "finished", status: "passed" });
    await second.close();
    const evidence = second.history[0]?.evidence;
    expect(evidence?.note).toMatchObject({
      by: "alice",
      reused_from: "run-1",
      value: { text: "looked fine" },
    });
    expect(verifyRun(RunStore.under(root, "run-2")).passed).toBe(true);
  });
});

describe("resume refusals", () => {
  it("refuses to resume a finished run, and a run whose runbook changed", async () => {
    const root = tempDir();
    const runbook = runbookOf([nodeStep("a", "0")]);
    const engine = startEngine(runbook, root);
    await engine.continue();
    await engine.close();
    const options = {
      runbook,
      runbookPath: "runbook.yaml",
      mode: "real" as const,
      runner: noCalls,
      root,
      actor: "a",
      env: {},
      runId: "run-1",
    };
    expect(() =>
      RunbookEngine.resume(
        { ...options, runbookText: JSON.stringify(runbook) },
        RunStore.under(root, "run-1"),
      ),
    ).toThrow(/has finished \(passed\); nothing to resume/);
    const paused = startEngine(runbookOf([manual("m")]), root, { runId: "run-p" });
    await paused.continue();
    await paused.close();
    expect(() =>
      RunbookEngine.resume(
        { ...options, runId: "run-p", runbookText: "changed" },
        RunStore.under(root, "run-p"),
      ),
    ).toThrow(/changed since run 'run-p' started/);
  });
});

describe("TerminalAttendant", () => {
  it("asks for text, checklist and attachment evidence and for approval, one line each", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let said = "";
    output.on("data", (chunk: Buffer) => {
      said += chunk.toString();
    });
    const attendant = new TerminalAttendant(() => "alice", input, output);
    input.write("the link\ny\nn\n\ny\n");
    const step = manual("confirm", { instructions: "Check the dashboard.", approvals: { min: 1 } });
    expect(await attendant.evidence(step, { kind: "text", name: "link" })).toEqual({
      kind: "text",
      text: "the link",
    });
    expect(await attendant.evidence(step, { kind: "checklist", name: "done", items: ["a", "b"] })).toEqual({
      kind: "checklist",
      checked: [1],
    });
    // An empty answer means "later": the run pauses.
    expect(await attendant.evidence(step, { kind: "attachment", name: "shot" })).toBeUndefined();
    expect(await attendant.approve(step, 1, [])).toBe(true);
    attendant.close();
    expect(said).toContain("── confirm: Do confirm");
    expect(said).toContain("Check the dashboard.");
    expect(said).toContain("Approve as alice? [y/N]");
  });
});

describe.skipIf(!existsSync(CLI))("runbook exec / verify command lines", () => {
  const cli = (...args: string[]) => spawnSync(NODE, [CLI, ...args], { encoding: "utf8", cwd: tempDir() });

  it("explains wrong options with exit 2, and bad files and unknown runs with exit 1 and a code", () => {
    const dir = tempDir();
    const file = join(dir, "runbook.yaml");
    writeFileSync(
      file,
      JSON.stringify(
        runbookOf(
          [nodeStep("a", "0", { args: ["{{ .ns }}"] })],
          {},
          { ns: { description: "the namespace" } },
        ),
      ),
    );
    const noMode = cli("exec", file);
    expect(noMode.status).toBe(2);
    expect(noMode.stderr).toContain("--mode real|replay|dry-run is required");
    const noScenario = cli("exec", file, "--mode", "replay");
    expect(noScenario.status).toBe(2);
    expect(noScenario.stderr).toContain("--mode replay needs --scenario");
    expect(cli("exec", file, "--mode", "real", "--var", "oops").stderr).toContain(
      "--var 'oops': expected NAME=VALUE",
    );
    const unset = cli("exec", file, "--mode", "real", "--run-dir", dir);
    expect(unset.status).toBe(1);
    expect(unset.stderr).toContain("error RBX7013: the runbook needs a value for the variable 'ns'");
    expect(unset.stderr).toContain("hint: pass --var ns=…");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "apiVersion: runbook/v0\nmeta: {name: x}\nsteps: [{id: a, type: cli}]\n");
    const invalid = cli("exec", bad, "--mode", "dry-run");
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/bad\.yaml:3:\d+ - error SCH\d{4}/);
    const plan = cli("exec", file, "--mode", "dry-run", "--var", "ns=prod", "--json");
    expect(plan.status).toBe(0);
    expect(JSON.parse(plan.stdout).steps[0].argv.at(-1)).toBe("prod");
    const missing = cli("verify", "no-such-run");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("error RBX7018");
    expect(cli("verify", "x", "--format", "xml").status).toBe(2);
  });
});
