/**
 * `runbook verify <run_id|dir>`: reads a run's trace and says whether the run can be trusted and
 * is complete — the hash chain is intact; every snapshot and attachment the trace names has the
 * hash it recorded; every step ran and passed; every required piece of evidence is there; every
 * approval was given by enough people holding the roles; every assertion passed; no command was
 * refused by governance; in replay, the scenario was consumed. Reports as text, JSON or JUnit.
 */

import { RunCodes } from "./errors.js";
import type { PlanEntry, RunFinishedEvent, RunStartedEvent, StepResult } from "./state.js";
import type { RunStore } from "./store.js";
import { readTrace, sha256 } from "./trace.js";

export interface VerifyProblem {
  readonly code: string;
  readonly message: string;
  readonly step?: string;
}

export interface VerifyStep {
  readonly index: number;
  readonly id: string;
  readonly type: string;
  readonly status: "passed" | "failed" | "skipped" | "not run";
  readonly problems: readonly VerifyProblem[];
  readonly warnings: readonly string[];
}

export interface VerifyReport {
  readonly run_id: string;
  readonly runbook?: string;
  readonly mode?: string;
  readonly passed: boolean;
  readonly trace: { readonly events: number; readonly intact: boolean };
  readonly steps: readonly VerifyStep[];
  /** Problems not tied to one step: the trace, the scenario, the run's end. */
  readonly problems: readonly VerifyProblem[];
  readonly warnings: readonly string[];
}

const POLICY_CODES = new Set<string>([RunCodes.CommandNotAllowed, RunCodes.CommandDenied]);

export function verifyRun(store: RunStore): VerifyReport {
  const read = readTrace(store.tracePath);
  const problems: VerifyProblem[] = read.problems
    .slice(0, 10)
    .map((p) => ({ code: RunCodes.TraceTampered, message: `trace.jsonl: ${p.message}` }));
  if (read.problems.length > 10)
    problems.push({
      code: RunCodes.TraceTampered,
      message: `trace.jsonl: …and ${read.problems.length - 10} more broken lines`,
    });
  const warnings: string[] = [];
  const started =
    read.events[0]?.type === "run_started" ? (read.events[0] as unknown as RunStartedEvent) : undefined;
  if (started === undefined) {
    problems.push({
      code: RunCodes.TraceUnreadable,
      message: "trace.jsonl does not start with a run_started event",
    });
    return {
      run_id: store.runId,
      passed: false,
      trace: { events: read.events.length, intact: false },
      steps: [],
      problems,
      warnings,
    };
  }
  const results = new Map<string, StepResult>();
  let paused: string[] | undefined;
  let finished: RunFinishedEvent | undefined;
  for (const event of read.events) {
    if (event.type === "step") {
      results.set(event.result.step_id, event.result);
      paused = undefined;
      if (event.snapshot !== undefined && event.snapshot.path !== "")
        checkFile(
          store,
          event.snapshot.path,
          event.snapshot.sha256,
          undefined,
          problems,
          event.result.step_id,
        );
    } else if (event.type === "paused") paused = [...event.waiting_for];
    else if (event.type === "resumed") paused = undefined;
    else if (event.type === "snapshot")
      checkFile(store, event.snapshot.path, event.snapshot.sha256, undefined, problems);
    else if (event.type === "run_finished") finished = event;
  }
  const steps = started.plan.map((entry) => verifyStep(entry, results.get(entry.id), paused, store));
  if (finished?.scenario_verify !== undefined && !finished.scenario_verify.passed)
    problems.push({
      code: RunCodes.ScenarioIncomplete,
      message: `the replay scenario was not consumed (${finished.scenario_verify.consumed_steps}/${finished.scenario_verify.total_steps} steps): ${finished.scenario_verify.unmet.join("; ")}`,
    });
  if (finished === undefined)
    warnings.push(
      paused === undefined
        ? "the run has not finished"
        : `the run is paused, waiting for ${paused.join(", ")}`,
    );
  const passed = problems.length === 0 && steps.every((s) => s.problems.length === 0);
  return {
    run_id: started.run_id,
    runbook: started.runbook.name,
    mode: started.mode,
    passed,
    trace: { events: read.events.length, intact: read.problems.length === 0 },
    steps,
    problems,
    warnings,
  };
}

function verifyStep(
  entry: PlanEntry,
  result: StepResult | undefined,
  paused: string[] | undefined,
  store: RunStore,
): VerifyStep {
  const problems: VerifyProblem[] = [];
  const warnings: string[] = [];
  const base = { index: entry.index, id: entry.id, type: entry.type };
  const problem = (code: string, message: string) => problems.push({ code, message, step: entry.id });
  if (result === undefined) {
    const waiting = paused?.filter(
      (w) => w.startsWith(`evidence ${entry.id}.`) || w.startsWith(`approval of ${entry.id} `),
    );
    if (waiting !== undefined && waiting.length > 0) {
      for (const w of waiting)
        if (w.startsWith("evidence "))
          problem(
            RunCodes.VerifyEvidenceMissing,
            `step '${entry.id}': evidence '${w.slice(`evidence ${entry.id}.`.length)}' was never given (the run is paused here)`,
          );
        else
          problem(
            RunCodes.VerifyApprovalMissing,
            `step '${entry.id}': the ${w} was never given (the run is paused here)`,
          );
    } else problem(RunCodes.StepNotRun, `step '${entry.id}' did not run`);
    return { ...base, status: "not run", problems, warnings };
  }
  if (result.status === "skipped") {
    problem(
      RunCodes.StepNotRun,
      `step '${entry.id}' was skipped: ${result.error?.message ?? "no reason recorded"}`,
    );
    return { ...base, status: "skipped", problems, warnings };
  }
  if (result.status === "failed") {
    const error = result.error;
    const code =
      error === null
        ? RunCodes.StepFailed
        : POLICY_CODES.has(error.code)
          ? RunCodes.VerifyDisallowedCommand
          : error.code === RunCodes.AssertionFailed
            ? RunCodes.VerifyAssertionFailed
            : error.code === RunCodes.ChecklistIncomplete
              ? RunCodes.VerifyEvidenceMissing
              : RunCodes.StepFailed;
    const what = `step '${entry.id}' failed${error === null ? "" : ` (${error.code}): ${error.message}`}`;
    if (entry.continue_on_error === true && code !== RunCodes.VerifyDisallowedCommand)
      warnings.push(`${what}; the runbook lets the run go on`);
    else
      problem(
        code,
        code === RunCodes.VerifyDisallowedCommand
          ? `step '${entry.id}' tried to run a command governance refuses: ${error?.message}`
          : what,
      );
  }
  for (const outcome of result.assertions)
    if (!outcome.passed && result.status === "passed")
      problem(RunCodes.VerifyAssertionFailed, `step '${entry.id}': assertion failed: ${outcome.detail}`);
  if (
    entry.type === "cli" &&
    result.status === "passed" &&
    (entry.assertions ?? 0) !== result.assertions.length
  )
    problem(
      RunCodes.VerifyAssertionFailed,
      `step '${entry.id}' has ${entry.assertions ?? 0} assertions but ${result.assertions.length} results`,
    );
  if (entry.type === "manual" && result.status === "passed") {
    const required = entry.evidence !== undefined && entry.evidence.length > 0 ? entry.evidence : [];
    for (const spec of required) {
      const record = result.evidence[spec.name];
      if (record === undefined)
        problem(
          RunCodes.VerifyEvidenceMissing,
          `step '${entry.id}': evidence '${spec.name}' (${spec.kind}) is missing`,
        );
      else if (record.value.kind === "checklist" && record.value.items.some((i) => !i.checked))
        problem(
          RunCodes.VerifyEvidenceMissing,
          `step '${entry.id}': checklist '${spec.name}' has unticked items`,
        );
      else if (record.value.kind === "attachment") {
        const a = record.value.attachment;
        checkFile(store, a.path, a.sha256, a.size, problems, entry.id);
      }
    }
    if (required.length === 0 && Object.keys(result.evidence).length === 0 && result.actor === "human")
      warnings.push(`step '${entry.id}' was done with no evidence (the runbook requires none)`);
  }
  if (entry.approvals !== undefined) {
    const roles = entry.approvals.roles;
    const valid = new Set(
      result.approvals
        .filter((a) => roles === undefined || roles.some((r) => a.roles.includes(r)))
        .map((a) => a.by),
    );
    if (valid.size < entry.approvals.min && result.status === "passed")
      problem(
        RunCodes.VerifyApprovalMissing,
        `step '${entry.id}' needed ${entry.approvals.min} approval(s)${roles ? ` by role ${roles.join(" or ")}` : ""}; it has ${valid.size}`,
      );
  }
  return { ...base, status: result.status, problems, warnings };
}

function checkFile(
  store: RunStore,
  path: string,
  digest: string,
  size: number | undefined,
  problems: VerifyProblem[],
  step?: string,
): void {
  const bytes = store.readFile(path);
  const where = step === undefined ? "" : ` (step '${step}')`;
  if (bytes === undefined)
    problems.push({
      code: RunCodes.FileTampered,
      message: `${path}${where} is missing`,
      ...(step ? { step } : {}),
    });
  else if (sha256(bytes) !== digest || (size !== undefined && bytes.length !== size))
    problems.push({
      code: RunCodes.FileTampered,
      message: `${path}${where} was changed: its SHA-256 is not the one the trace recorded`,
      ...(step ? { step } : {}),
    });
}

export function formatVerifyReportText(report: VerifyReport): string {
  const lines = [
    `Run ${report.run_id}${report.runbook ? ` of '${report.runbook}'` : ""}${report.mode ? ` (${report.mode})` : ""}: ${report.passed ? "VERIFIED" : "NOT VERIFIED"}`,
  ];
  lines.push(
    `  trace: ${report.trace.events} events, hash chain ${report.trace.intact ? "intact" : "BROKEN"}`,
  );
  for (const step of report.steps) {
    const mark = step.problems.length > 0 ? "✗" : step.status === "passed" ? "✓" : "!";
    lines.push(`  ${mark} ${String(step.index + 1).padStart(3)}. ${step.id} (${step.type}): ${step.status}`);
    for (const p of step.problems) lines.push(`        ${p.code} ${p.message}`);
    for (const w of step.warnings) lines.push(`        warning: ${w}`);
  }
  for (const p of report.problems) lines.push(`  ✗ ${p.code} ${p.message}`);
  for (const w of report.warnings) lines.push(`  warning: ${w}`);
  const failing = report.steps.filter((s) => s.problems.length > 0).length;
  lines.push(
    report.passed
      ? `${report.steps.length} steps verified.`
      : `${failing} of ${report.steps.length} steps and ${report.problems.length} run-level checks failed.`,
  );
  return `${lines.join("\n")}\n`;
}

/** One JUnit document: a test suite per run, a test case per step plus "run integrity". */
export function formatVerifyReportJunit(reports: readonly VerifyReport[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="runbook verify">\n${reports.map(junitSuite).join("")}</testsuites>\n`;
}

function junitSuite(report: VerifyReport): string {
  const esc = (s: string) =>
    s.replace(
      /[<>&"']/g,
      (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] as string,
    );
  const suite = esc(report.runbook ?? report.run_id);
  const cases: string[] = [];
  const failures =
    report.steps.filter((s) => s.problems.length > 0).length + (report.problems.length > 0 ? 1 : 0);
  for (const step of report.steps) {
    const name = esc(`step[${step.index}] ${step.id}`);
    if (step.problems.length > 0)
      cases.push(
        `    <testcase classname="${suite}" name="${name}">\n      <failure message="${esc(step.problems[0]?.message ?? "")}" type="${esc(step.problems[0]?.code ?? "")}">${esc(step.problems.map((p) => `${p.code} ${p.message}`).join("\n"))}</failure>\n    </testcase>`,
      );
    else cases.push(`    <testcase classname="${suite}" name="${name}"/>`);
  }
  const runName = esc("run integrity");
  if (report.problems.length > 0)
    cases.push(
      `    <testcase classname="${suite}" name="${runName}">\n      <failure message="${esc(report.problems[0]?.message ?? "")}" type="${esc(report.problems[0]?.code ?? "")}">${esc(report.problems.map((p) => `${p.code} ${p.message}`).join("\n"))}</failure>\n    </testcase>`,
    );
  else cases.push(`    <testcase classname="${suite}" name="${runName}"/>`);
  return `  <testsuite name="${suite}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" id="${esc(report.run_id)}">\n${cases.join("\n")}\n  </testsuite>\n`;
}
