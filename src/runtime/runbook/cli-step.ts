/**
 * A `cli` step: its argv and stdin rendered, governance and approvals checked before anything
 * runs, the call handed to the run's runner through the cli provider, then the result: timeout,
 * assertions, exit status and captures, with the outputs stored redacted (a preview, or whole
 * under `store_full_stdout`).
 */
import type { Capture, CliStep } from "../../lang/runbook/types.js";
import { RunbookErrors, runError } from "./errors.js";
import { approvalsMissing, commandBlocked } from "./gates.js";
import { append } from "./recording.js";
import { captureValue, checkAssertion } from "./results.js";
import { now, type PlannedStep, type RunContext } from "./run-context.js";
import type { AssertionOutcome, CaptureRecord, RunError, StepResult, StoredText } from "./state.js";
import { type CommandResult, cliProvider } from "./step-providers.js";
import { sha256 } from "./trace.js";
import { render, renderArgv, templateError } from "./values.js";

const DEFAULT_TIMEOUT_SECONDS = 600;
const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
const PREVIEW_CHARS = 400;

/** Runs a `cli` step: its result, or what it waits for (approvals). */
export async function runCli(
  run: RunContext,
  planned: PlannedStep,
  step: CliStep,
): Promise<StepResult | { waitingFor: string[] }> {
  const started = now(run);
  const missing = unstoredCaptures(run, step);
  if (missing !== undefined) return failed(run, planned, started, missing);
  const rendered = renderArgv(step.with.argv, run.s.values);
  if (!rendered.ok) return failed(run, planned, started, templateError(rendered.message));
  let stdin: string | undefined;
  if (step.with.stdin !== undefined) {
    const value = render(step.with.stdin, run.s.values);
    if (!value.ok) return failed(run, planned, started, templateError(value.message));
    stdin = value.value;
  }
  const argv = rendered.argv;
  const blocked = commandBlocked(argv, run.options.runbook);
  if (blocked !== undefined) return failed(run, planned, started, blocked, argv);
  const waiting = await approvalsMissing(run, step);
  if (waiting !== undefined) return { waitingFor: [waiting] };
  append(run, {
    type: "step_started",
    at: started,
    step_id: step.id,
    index: planned.index,
    argv: run.redactor.deep(argv),
  });
  const output = await cliProvider.execute(
    step,
    Object.freeze({
      call: Object.freeze({
        argv: Object.freeze([...argv]),
        ...(stdin === undefined ? {} : { stdin }),
        timeoutMs: (step.with.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
        maxOutputBytes: step.with.max_output_bytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        env: run.childEnv,
        onSpawn: (pid: number) => run.lock.recordStep(step.id, pid),
      }),
      runner: run.options.runner,
    }),
  );
  run.lock.clearStep();
  return cliResult(run, planned, step, started, argv, output);
}

function cliResult(
  run: RunContext,
  planned: PlannedStep,
  step: CliStep,
  started: string,
  argv: readonly string[],
  output: CommandResult,
): StepResult {
  const assertions: AssertionOutcome[] =
    output.error === undefined ? (step.assertions ?? []).map((a) => checkAssertion(a, output)) : [];
  let error: RunError | null = output.error ?? null;
  if (error === null && output.timedOut)
    error = runError(RunbookErrors.TimedOut, {
      program: argv[0],
      seconds: step.with.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS,
    });
  const failedAssertion = assertions.find((a) => !a.passed);
  const checksExit = (step.assertions ?? []).some((a) => a.exit_code !== undefined);
  if (error === null && failedAssertion !== undefined)
    error = runError(RunbookErrors.AssertionFailed, { detail: failedAssertion.detail });
  if (error === null && output.exitCode !== 0 && !checksExit)
    error = runError(RunbookErrors.ExitStatus, {
      program: argv[0],
      status: output.exitCode,
      stderr: output.stderr,
    });
  const captures: Record<string, CaptureRecord> = {};
  if (error === null)
    for (const [name, capture] of Object.entries(step.capture ?? {})) {
      const value = captureValue(capture, output);
      if (!value.ok) {
        error = runError(RunbookErrors.CaptureFailed, { name, detail: value.message });
        break;
      }
      run.s.values[name] = value.value;
      captures[name] = captureRecord(run, capture, value.value);
    }
  const result: StepResult = {
    run_id: run.frozen.run_id,
    step_id: step.id,
    index: planned.index,
    type: "cli",
    status: error === null ? "passed" : "failed",
    actor: "engine",
    started_at: started,
    ended_at: now(run),
    argv,
    exit_code: output.exitCode,
    stdout: stored(run, output.stdout, output.truncated?.includes("stdout")),
    stderr: stored(run, output.stderr, output.truncated?.includes("stderr")),
    captures,
    assertions,
    evidence: {},
    approvals: run.s.approvals[step.id] ?? [],
    error,
  };
  if (result.status === "passed") Object.assign(run.s.captures, run.redactor.deep(captures));
  return run.redactor.deep(result);
}

/** A capture an earlier step took but did not store (a resumed run lost its value), which this step uses. */
function unstoredCaptures(run: RunContext, step: CliStep): RunError | undefined {
  for (const element of [...step.with.argv, step.with.stdin ?? ""]) {
    for (const [name, record] of Object.entries(run.s.captures))
      if (record.value === undefined && run.s.values[name] === undefined && element.includes(name))
        return runError(RunbookErrors.CaptureNotStored, { name });
  }
  return undefined;
}

/** A step that failed before its command ran. */
function failed(
  run: RunContext,
  planned: PlannedStep,
  started: string,
  error: RunError,
  argv?: readonly string[],
): StepResult {
  return run.redactor.deep({
    run_id: run.frozen.run_id,
    step_id: planned.step.id,
    index: planned.index,
    type: planned.step.type,
    status: "failed",
    actor: "engine",
    started_at: started,
    ended_at: now(run),
    ...(argv === undefined ? {} : { argv }),
    captures: {},
    assertions: [],
    evidence: {},
    approvals: [],
    error,
  } satisfies StepResult);
}

function stored(run: RunContext, text: string, truncated: boolean | undefined): StoredText {
  const clean = run.redactor.text(text);
  const bytes = Buffer.byteLength(clean);
  const base = { sha256: sha256(clean), bytes, ...(truncated ? { truncated } : {}) };
  if (run.storeFull) return { ...base, text: clean };
  return clean.length <= PREVIEW_CHARS
    ? { ...base, preview: clean }
    : { ...base, preview: `${clean.slice(0, PREVIEW_CHARS)}…` };
}

function captureRecord(run: RunContext, capture: Capture, value: string): CaptureRecord {
  const whole = capture === "stdout" || capture === "stderr";
  if (!whole || run.storeFull) return { value };
  const clean = run.redactor.text(value);
  return { sha256: sha256(clean), bytes: Buffer.byteLength(clean), preview: clean.slice(0, PREVIEW_CHARS) };
}
