/**
 * Governance that cannot be walked around, at run time (issue 16, section 0): every attempt of
 * the walk-around table (test/runbook/walk-arounds.ts) is refused before anything runs — in real
 * mode, where a victim folder must survive, in replay, and in dry-run, which shows it blocked.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Runbook } from "../../src/lang/runbook/types.js";
import { dryRun } from "../../src/runtime/runbook/dry-run.js";
import { RealRunner } from "../../src/runtime/runbook/real-runner.js";
import type { CommandResult, CommandRunner, ResolvedCall } from "../../src/runtime/runbook/step-providers.js";
import { argvFor, type RefusalKind, VICTIM, WALK_AROUNDS, type WalkAround } from "../runbook/walk-arounds.js";
import { startEngine, tempDir } from "./helpers.js";

const RUNTIME_CODE: Readonly<Record<RefusalKind, string>> = {
  "not-allowed": "RBX7001",
  denied: "RBX7002",
  destructive: "RBX7002",
  uncertain: "RBX7030",
};

/** Counts the calls that reach it; runs them for real only when given a runner. */
class SpyRunner implements CommandRunner {
  readonly calls: (readonly string[])[] = [];
  constructor(
    readonly kind: CommandRunner["kind"],
    private readonly real?: CommandRunner,
  ) {}
  async run(call: ResolvedCall): Promise<CommandResult> {
    this.calls.push(call.argv);
    if (this.real === undefined) return { exitCode: 0, stdout: "", stderr: "" };
    return this.real.run(call);
  }
}

function runbookFor(walkAround: WalkAround, victim: string): Runbook {
  return {
    apiVersion: "runbook/v0",
    meta: { name: "walk-around", governance: walkAround.governance },
    steps: [{ id: "attempt", type: "cli", with: { argv: argvFor(walkAround, victim) } }],
  };
}

/** A folder with a file in it, that a walk-around would delete. */
function makeVictim(root: string): string {
  const victim = join(root, "victim");
  mkdirSync(victim);
  writeFileSync(join(victim, "precious.txt"), "keep me\n");
  return victim;
}

const rows = WALK_AROUNDS.map((w) => [w.name, w] as const);

describe("walk-arounds at run time", () => {
  it("should delete the victim when nothing refuses the command (the harness works)", async () => {
    const root = tempDir();
    const victim = makeVictim(root);
    const runner = new SpyRunner("real", new RealRunner(root));
    const runbook: Runbook = {
      apiVersion: "runbook/v0",
      meta: { name: "control", governance: {} },
      steps: [{ id: "remove", type: "cli", with: { argv: ["rm", "-rf", victim] } }],
    };
    const engine = startEngine(runbook, root, { runner });
    await engine.continue();
    await engine.close();
    expect(runner.calls).toHaveLength(1);
    expect(existsSync(victim)).toBe(false);
  });

  it.each(rows)(
    "should refuse %s in real mode before it runs, and the victim survives",
    async (_name, row) => {
      const root = tempDir();
      const victim = makeVictim(root);
      // Only rows that name the victim may reach a real process; the others (rm -rf /, mkfs) never do.
      const names = row.argv.some((w) => w.includes(VICTIM));
      const runner = new SpyRunner("real", names ? new RealRunner(root) : undefined);
      const engine = startEngine(runbookFor(row, victim), root, { runner });
      await engine.continue();
      await engine.close();
      expect(runner.calls).toEqual([]);
      expect(engine.history[0]?.status).toBe("failed");
      expect(engine.history[0]?.error?.code).toBe(RUNTIME_CODE[row.refused]);
      expect(existsSync(join(victim, "precious.txt"))).toBe(true);
    },
  );

  it.each(rows)("should refuse %s in replay before the scenario is asked", async (_name, row) => {
    const root = tempDir();
    const runner = new SpyRunner("replay");
    const engine = startEngine(runbookFor(row, join(root, "victim")), root, { runner, mode: "replay" });
    await engine.continue();
    await engine.close();
    expect(runner.calls).toEqual([]);
    expect(engine.history[0]?.error?.code).toBe(RUNTIME_CODE[row.refused]);
  });

  it.each(rows)("should show %s as blocked in dry-run", (_name, row) => {
    const plan = dryRun(runbookFor(row, "/tmp/victim"), {}, {});
    expect(plan.steps[0]?.blocked?.code).toBe(RUNTIME_CODE[row.refused]);
    expect(plan.summary.blocked).toBe(1);
  });

  it("should say which wrapper ran the refused command", async () => {
    const root = tempDir();
    const victim = makeVictim(root);
    const row = WALK_AROUNDS[0]!;
    const engine = startEngine(runbookFor(row, victim), root, { runner: new SpyRunner("real") });
    await engine.continue();
    await engine.close();
    expect(engine.history[0]?.error?.message).toBe(
      "'rm' (run by 'env') is not in the runbook's allowed_commands (env); it was not run",
    );
  });

  it("should refuse a shell string it cannot read with RBX7030 and say why", async () => {
    const root = tempDir();
    const runbook: Runbook = {
      apiVersion: "runbook/v0",
      meta: { name: "uncertain", governance: {} },
      steps: [
        { id: "s", type: "cli", with: { argv: ["bash", "-c", "rm -rf $(pwd)"] }, continue_on_error: true },
      ],
    };
    const runner = new SpyRunner("real");
    const engine = startEngine(runbook, root, { runner });
    await engine.continue();
    await engine.close();
    expect(engine.history[0]?.error).toMatchObject({
      code: "RBX7030",
      message:
        "what the step runs cannot be checked: 'bash -c': the shell command line holds '$' (a variable, command substitution or $'…' quoting); it was not run",
    });
    expect(runner.calls).toEqual([]);
  });
});
