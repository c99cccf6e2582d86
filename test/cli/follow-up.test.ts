/**
 * The commands `runbook exec` and `runbook debug` print for what to do next (resume, verify)
 * work as printed: run from the same folder, they find the run even when it lives under a
 * `--run-dir` elsewhere.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { manual, runbookOf, tempDir } from "../runbook-runtime/helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

function cli(args: readonly string[], input = "") {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", input });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The words of a printed command line (these paths hold no spaces), after its program name. */
function printedArgs(line: string, program: string): string[] {
  const words = line.trim().split(/ +/);
  expect(words[0]).toBe(program);
  return words.slice(1);
}

function workspace() {
  const ws = tempDir("rllmc-follow-");
  const runs = tempDir("rllmc-runs-");
  const runbook = join(ws, "runbook.yaml");
  const steps = [manual("check", { required_evidence: [{ kind: "text", name: "note" }] })];
  writeFileSync(runbook, JSON.stringify(runbookOf(steps)));
  return { runbook, runs };
}

describe("follow-up commands", () => {
  it("should print resume and verify commands that carry --run-dir and work as printed", () => {
    const { runbook, runs } = workspace();
    const paused = cli([
      "exec",
      runbook,
      "--mode",
      "real",
      "--run-dir",
      runs,
      "--run-id",
      "r1",
      "--no-input",
    ]);
    expect(paused.code).toBe(4);
    const resume = /Continue with:\n(.*)\n/.exec(paused.stderr)?.[1] ?? "";
    expect(resume.trim()).toBe(`rllmc exec --resume r1 --run-dir ${runs} --evidence check.note=…`);

    const resumed = cli(printedArgs(resume.replace("…", "looked-fine"), "rllmc"));
    expect(resumed.stderr).toContain("Run r1 passed");
    expect(resumed.code).toBe(0);
    const verify = /verify: (.*)\n/.exec(resumed.stderr)?.[1] ?? "";
    expect(verify).toBe(`rllmc verify r1 --run-dir ${runs}`);
    const verified = cli(printedArgs(verify, "rllmc"));
    expect(verified.code).toBe(0);
  });

  it("should print the program as invoked and keep no --run-dir when none was given", () => {
    const { runbook } = workspace();
    const dir = tempDir("rllmc-cwd-");
    const result = spawnSync(
      process.execPath,
      [BIN, "exec", runbook, "--mode", "real", "--run-id", "r2", "--no-input"],
      {
        cwd: dir,
        encoding: "utf8",
      },
    );
    expect(result.status).toBe(4);
    expect(result.stderr).toContain("\n  rllmc exec --resume r2 --evidence check.note=…\n");
  });

  it("should have the debugger suggest commands with --run-dir", () => {
    const { runbook, runs } = workspace();
    const left = cli(["debug", runbook, "--mode", "real", "--run-dir", runs, "--run-id", "d1"], "quit\n");
    expect(left.code).toBe(4);
    expect(left.stdout).toContain(
      `  rllmc debug --resume d1 --run-dir ${runs}\n  rllmc exec --resume d1 --run-dir ${runs}\n`,
    );
  });

  it("should name the runs folder that was searched when a run is not found", () => {
    const runs = tempDir("rllmc-none-");
    const missing = cli(["verify", "nope", "--run-dir", runs]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `hint: list the runs with: ls ${relative(ROOT, join(runs, ".runbook/runs"))}`,
    );
  });
});

describe("followUp", () => {
  it("should put npx before the program when npx started it, since a clone's bins are not on the PATH", async () => {
    const { followUp } = await import("../../src/cli/follow-up.js");
    expect(followUp("runbook", ["verify", "r1"], undefined, [], { npm_command: "exec" })).toBe(
      "npx runbook verify r1",
    );
    expect(followUp("runbook", ["verify", "r1"], "/x y", [], { npm_command: "run-script" })).toBe(
      "runbook verify r1 --run-dir '/x y'",
    );
    expect(followUp("rllmc", ["exec", "--resume", "r1"], undefined, ["--approve s --as <name>"], {})).toBe(
      "rllmc exec --resume r1 --approve s --as <name>",
    );
  });
});
