/** Shared fixtures for the runbook runtime tests: runbooks whose commands are `node -e` scripts. */
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliStep, Governance, ManualStep, Runbook, Step } from "../../src/lang/runbook/types.js";
import { type EngineOptions, RunbookEngine } from "../../src/runtime/runbook/engine.js";
import { RealRunner } from "../../src/runtime/runbook/real-runner.js";

export const NODE = process.execPath;

export function tempDir(prefix = "rb-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A `cli` step running a Node script with `args` after it. */
export function nodeStep(
  id: string,
  script: string,
  extra: Partial<Omit<CliStep, "with">> & { args?: string[]; with?: Partial<CliStep["with"]> } = {},
): CliStep {
  const { args = [], with: options, ...rest } = extra;
  return { id, type: "cli", ...rest, with: { ...options, argv: [NODE, "-e", script, ...args] } };
}

export function manual(id: string, extra: Partial<ManualStep> = {}): ManualStep {
  return { id, type: "manual", title: `Do ${id}`, instructions: `Do ${id} by hand.`, ...extra };
}

export function runbookOf(
  steps: readonly Step[],
  governance: Governance = {},
  vars: Runbook["meta"]["vars"] = undefined,
): Runbook {
  return {
    apiVersion: "runbook/v0",
    meta: {
      name: "test-runbook",
      ...(vars === undefined ? {} : { vars }),
      governance: { allowed_commands: [NODE], ...governance },
    },
    steps,
  };
}

export function startEngine(
  runbook: Runbook,
  root: string,
  extra: Partial<EngineOptions & { runId: string }> = {},
  env: Record<string, string | undefined> = { PATH: process.env.PATH },
): RunbookEngine {
  return RunbookEngine.start({
    runbook,
    runbookPath: "runbook.yaml",
    runbookText: JSON.stringify(runbook),
    mode: "real",
    runner: new RealRunner(root),
    root,
    actor: "alice",
    env,
    runId: "run-1",
    ...extra,
  });
}

/** Every file under `dir`, recursively, with its text. */
export function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, text: readFileSync(path, "latin1") }];
  });
}
