/**
 * The acceptance demo (`npm run demo`) end to end through the built CLI: compile → replay →
 * verify passes, and each negative twin fails verify with its code. The script checks every exit
 * status itself; this test also reads the run folders it leaves.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { verifyRun } from "../../src/runtime/runbook/verify.js";

const CLI = join(process.cwd(), "dist", "src", "cli", "main.js");

describe.skipIf(!existsSync(CLI))("runbook acceptance demo", () => {
  it("runs, verifies, and fails each negative twin for its reason", () => {
    const root = mkdtempSync(join(tmpdir(), "rllmc-demo-"));
    const result = spawnSync(process.execPath, ["scripts/runbook-demo.mjs", "--quiet", "--out-dir", root], {
      encoding: "utf8",
    });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toContain("Demo complete: every step behaved as expected.");
    const demo = verifyRun(RunStore.under(root, "demo"));
    expect(demo.passed).toBe(true);
    expect(demo.steps.filter((s) => s.type === "cli").length).toBeGreaterThanOrEqual(3);
    expect(demo.steps.filter((s) => s.type === "manual").length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(join(RunStore.under(root, "demo").dir, "snapshots")).length).toBeGreaterThanOrEqual(1);
    const codes = (id: string) =>
      verifyRun(RunStore.under(root, id)).steps.flatMap((s) => s.problems.map((p) => p.code));
    expect(codes("twin-missing-evidence")).toContain("RBX7104");
    expect(codes("twin-disallowed")).toContain("RBX7107");
    expect(codes("twin-assertion")).toContain("RBX7106");
  }, 60_000);
});
