/**
 * What `runbook exec --record <scenario.yaml>` means for one invocation. A new run records when
 * `--record` is given, in real mode only (RLC0012 otherwise). A run that was started with
 * `--record` keeps recording when it is resumed, with or without `--record`; `--resume --record
 * other.yaml` moves the scenario to `other.yaml`. A run that ran commands before `--record` was
 * given cannot be recorded any more (its scenario would miss them): RLC0012. The recording itself
 * lives in the run folder (src/runtime/runbook/recorder.ts); the scenario is (re)written from it
 * whenever the run stops (recorded-scenario.ts).
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { DiagnosticUsageError } from "../driver/usage-error.js";
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import { RecordingRunner, readRecording } from "../runtime/runbook/recorder.js";
import type { CommandRunner } from "../runtime/runbook/step-providers.js";
import { RunStore } from "../runtime/runbook/store.js";
import { WritePathError } from "../runtime/shared/write-file.js";

export interface RecordPlan {
  /** The scenario file, absolute. */
  readonly scenario: string;
  /** Wraps the real runner (pass to openSession). */
  readonly wrap: (runner: CommandRunner) => CommandRunner;
  /** The wrapping runner, once made; bind it to the engine. */
  runner: RecordingRunner | undefined;
}

/** Undefined when this invocation records nothing; throws RLC0012 when `--record` cannot apply. */
export function planRecording(options: {
  readonly record: string | undefined;
  readonly mode: string | undefined;
  readonly resume: string | undefined;
  readonly root: string;
}): RecordPlan | undefined {
  const { record, mode, resume, root } = options;
  if (record !== undefined && mode !== undefined && mode !== "real")
    refuse(record, `--mode ${mode} runs no real command`);
  if (mode === "dry-run") return undefined; // exec says what is wrong with the rest.
  if (record !== undefined && isFolder(record))
    throw new WritePathError(record, "it is a folder; give the scenario's file name");
  let scenario = record === undefined ? undefined : resolve(record);
  if (resume !== undefined) {
    const store = RunStore.locate(root, resume);
    const saved = store.latestState()?.state;
    const recorded = readRecording(store.dir).target;
    if (record !== undefined && saved !== undefined) {
      if (saved.mode !== "real") refuse(record, `run '${saved.run_id}' runs in ${saved.mode} mode`);
      if (recorded === undefined && saved.history.some((r) => r.type === "cli" && r.exit_code !== undefined))
        refuse(
          record,
          `run '${saved.run_id}' ran commands before it was recorded, and its scenario would miss them; give --record when the run starts`,
        );
    }
    scenario ??= recorded;
  }
  if (scenario === undefined) return undefined;
  const plan: RecordPlan = {
    scenario,
    wrap: (runner) => {
      plan.runner = new RecordingRunner(runner);
      return plan.runner;
    },
    runner: undefined,
  };
  return plan;
}

function refuse(path: string, why: string): never {
  throw new DiagnosticUsageError(
    makeDiagnostic(Diagnostics.RecordNotReal, { file: path, start: 0, end: 0 }, { why }),
  );
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
