/**
 * A run going step by step: the current step run through its type's module (cli-step.ts,
 * manual-step.ts), its result recorded, the rest skipped after a failure that may not be passed
 * over; a pause while a person is needed; the end (the replay scenario verified, `run_finished`
 * and the last snapshot written); closing the run's writers and lock.
 */
import { inSpan } from "../shared/telemetry.js";
import { runCli } from "./cli-step.js";
import { RunbookErrors, runError } from "./errors.js";
import { isPolicyBlock } from "./gates.js";
import { runManual } from "./manual-step.js";
import { append, extraName, record, writeSnapshot } from "./recording.js";
import { now, type PlannedStep, type RunContext, type StepOutcome } from "./run-context.js";
import type { StepResult, StepStatus } from "./state.js";
import type { ScenarioVerdict } from "./step-providers.js";

// --- steps -----------------------------------------------------------------------------------

/** Runs the current step; a failed one (unless it may fail) skips the rest and finishes the run. */
export async function nextStep(run: RunContext): Promise<StepOutcome> {
  if (run.finished) return { kind: "finished", status: runStatus(run) };
  const planned = run.plan[run.s.current];
  if (planned === undefined) return finish(run);
  run.s.status = "running";
  const result = await inSpan(
    "runbook step",
    {
      "rllmc.runbook.run_id": run.frozen.run_id,
      "rllmc.step.id": planned.step.id,
      "rllmc.step.index": planned.index,
      "rllmc.step.type": planned.step.type,
    },
    async (span) => {
      const result =
        planned.step.type === "cli"
          ? await runCli(run, planned, planned.step)
          : await runManual(run, planned, planned.step);
      // What the step did, never what it printed or the values it captured.
      if ("waitingFor" in result) span.setAttributes({ "rllmc.step.status": "waiting" });
      else {
        span.setAttributes({ "rllmc.step.status": result.status, "rllmc.step.exit_code": result.exit_code });
        if (result.status === "failed") span.fail(result.error?.code ?? "failed");
      }
      return result;
    },
  );
  if ("waitingFor" in result) return pause(run, planned, result.waitingFor);
  record(run, result);
  if (
    result.status === "failed" &&
    !(planned.step.type === "cli" && planned.step.continue_on_error === true && !isPolicyBlock(result.error))
  ) {
    skipRest(run, planned, result);
    return finish(run);
  }
  return { kind: "step", result };
}

function skipRest(run: RunContext, failed: PlannedStep, result: StepResult): void {
  for (const planned of run.plan.slice(failed.index + 1)) {
    const at = now(run);
    record(
      run,
      {
        run_id: run.frozen.run_id,
        step_id: planned.step.id,
        index: planned.index,
        type: planned.step.type,
        status: "skipped",
        actor: "engine",
        started_at: at,
        ended_at: at,
        captures: {},
        assertions: [],
        evidence: {},
        approvals: [],
        error: runError(RunbookErrors.StepNotRun, { failedStep: result.step_id }),
      },
      false,
    );
  }
}

// --- pause and finish ------------------------------------------------------------------------

function pause(run: RunContext, planned: PlannedStep, waitingFor: readonly string[]): StepOutcome {
  run.s.status = "paused";
  run.s.waitingFor = [...waitingFor];
  append(run, { type: "paused", at: now(run), step_id: planned.step.id, waiting_for: waitingFor });
  writeSnapshot(run, extraName(run));
  return { kind: "paused", step: planned, waitingFor };
}

async function finish(run: RunContext): Promise<StepOutcome> {
  if (run.finished) return { kind: "finished", status: runStatus(run) };
  const scenario = run.options.runner.finish === undefined ? undefined : await run.options.runner.finish();
  const status = runStatus(run, scenario);
  run.s.status = status;
  run.s.waitingFor = undefined;
  const count = (st: StepStatus) => run.s.history.filter((r) => r.status === st).length;
  append(run, {
    type: "run_finished",
    at: now(run),
    status,
    steps: { passed: count("passed"), failed: count("failed"), skipped: count("skipped") },
    ...(scenario === undefined ? {} : { scenario_verify: run.redactor.deep(scenario) }),
  });
  writeSnapshot(run, extraName(run));
  run.finished = true;
  return { kind: "finished", status, ...(scenario === undefined ? {} : { scenario }) };
}

function runStatus(run: RunContext, scenario?: ScenarioVerdict): "passed" | "failed" {
  const stepsOk = run.s.history.every(
    (r) => r.status === "passed" || (r.status === "failed" && continued(run, r)),
  );
  const complete = run.s.history.length === run.plan.length;
  return stepsOk && complete && (scenario === undefined || scenario.passed) ? "passed" : "failed";
}

function continued(run: RunContext, result: StepResult): boolean {
  const step = run.plan[result.index]?.step;
  return step?.type === "cli" && step.continue_on_error === true && !isPolicyBlock(result.error);
}

/** Closes the trace; a finished run also ends its replay session (a paused one keeps it for --resume). */
export async function closeRun(run: RunContext): Promise<void> {
  run.trace.close();
  run.manifest.close();
  run.lock.release();
  if (run.finished) await run.options.runner.close?.();
}
