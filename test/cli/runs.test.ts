/**
 * `runbook runs` lists the recorded runs under a folder: one that passed and verifies, one paused
 * for evidence (which does not verify yet), and one whose trace was edited (which fails verify).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/cli/commands/runs.js";
import { manual, nodeStep, runbookOf, tempDir } from "../runbook-runtime/helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

function runbook(args: readonly string[], cwd: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("runbook runs", () => {
  it("should list each run with its runbook, mode, status, steps and whether verify passes", () => {
    const ws = tempDir("rllmc-runs-");
    const file = join(ws, "runbook.yaml");
    const steps = [
      nodeStep("hello", "console.log('hi')"),
      manual("check", { required_evidence: [{ kind: "text", name: "note" }] }),
    ];
    writeFileSync(file, JSON.stringify(runbookOf(steps)));
    expect(runbook(["runs"], ws)).toMatchObject({
      code: 0,
      stdout: `No runs under ${join(ws, ".runbook", "runs")}.\n`,
    });

    const exec = (runId: string, extra: string[]) =>
      runbook(
        ["exec", file, "--mode", "real", "--run-id", runId, "--as", "alice", "--no-input", ...extra],
        ws,
      );
    expect(exec("20260101T000000Z-aaaaaa", ["--evidence", "check.note=fine"]).code).toBe(0);
    expect(exec("20260102T000000Z-bbbbbb", []).code).toBe(4);
    expect(exec("20260103T000000Z-cccccc", ["--evidence", "check.note=fine"]).code).toBe(0);
    const trace = join(ws, ".runbook", "runs", "20260103T000000Z-cccccc", "trace.jsonl");
    writeFileSync(trace, readFileSync(trace, "utf8").replace("alice", "mallory"));

    const listed = runbook(["runs", "--json"], ws);
    expect(listed.code).toBe(0);
    const runs = JSON.parse(listed.stdout) as RunSummary[];
    expect(
      runs.map((r) => [
        r.run_id,
        r.runbook,
        r.mode,
        r.status,
        `${r.steps_done}/${r.steps_total}`,
        r.verified,
      ]),
    ).toEqual([
      ["20260103T000000Z-cccccc", "test-runbook", "real", "passed", "2/2", false],
      ["20260102T000000Z-bbbbbb", "test-runbook", "real", "paused", "1/2", false],
      ["20260101T000000Z-aaaaaa", "test-runbook", "real", "passed", "2/2", true],
    ]);
    const text = runbook(["runs", "--run-dir", ws], ROOT).stdout.split("\n");
    expect(text[0]).toMatch(/^run +runbook +mode +status +steps +started +verify$/);
    expect(text[3]).toMatch(/^20260101T000000Z-aaaaaa +test-runbook +real +passed +2\/2 +\S+ +passes$/);
  });
});
