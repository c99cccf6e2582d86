/**
 * `runbook verify <run_id|dir>`: reads a run's trace and says whether the run can be trusted and
 * is complete — the hash chain is intact; every snapshot and attachment the trace names has the
 * hash it recorded; every step ran and passed; every required piece of evidence is there; every
 * approval was given by enough people holding the roles; every assertion passed; no command was
 * refused by governance; in replay, the scenario was consumed. Since the chain alone cannot see a
 * cut or rewritten tail, it also checks the manifest (the head, signed with an HMAC when a key is
 * given; ./manifest.ts), cross-checks every snapshot and `run_finished` against the step events
 * they cover, and compares the runbook, scenario and policy hashes the run recorded with the files
 * as they are now. Reports as text, JSON or JUnit.
 */

import {
  describeInput,
  describeInputChange,
  RunbookErrors,
  type RunCode,
  RunCodes,
  type RunErrorDefinition,
} from "./errors.js";
import { LOCK_FILE } from "./lock.js";
import { type DigestAlgorithm, digestMatches, headOf, readManifest } from "./manifest.js";
import type {
  ChainedEvent,
  PlanEntry,
  RunFinishedEvent,
  RunSnapshot,
  RunStartedEvent,
  RunState,
  StepResult,
} from "./state.js";
import type { RunStore } from "./store.js";
import { GENESIS, readTrace, sha256 } from "./trace.js";

/** A file the run recorded the hash of, as it is now: its SHA-256, or undefined when it is not there. */
export interface InputNow {
  readonly path: string;
  readonly sha256: string | undefined;
}

export interface VerifyOptions {
  /** The manifest's HMAC key; without one, a manifest with a plain digest is expected. */
  readonly key?: Uint8Array;
  /** The runbook, scenario and policy as they are now, found from the paths the run recorded. */
  readonly inputs?: (started: RunStartedEvent) => {
    readonly runbook?: InputNow;
    readonly scenario?: InputNow;
    readonly policy?: InputNow;
  };
  /** A changed runbook, scenario or policy is a warning, not a failure. */
  readonly allowChanged?: boolean;
}

export interface VerifyProblem {
  readonly code: RunCode;
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
  /** Which digest of manifest.json was checked (`none`: there is none), and whether it held. */
  readonly manifest: { readonly digest: DigestAlgorithm | "none"; readonly verified: boolean };
  readonly steps: readonly VerifyStep[];
  /** Problems not tied to one step: the trace, the scenario, the run's end. */
  readonly problems: readonly VerifyProblem[];
  readonly warnings: readonly string[];
}

const POLICY_CODES = new Set<string>([
  RunCodes.CommandNotAllowed,
  RunCodes.CommandDenied,
  RunCodes.CommandUncertain,
]);

/** A finding: an entry of the catalogue (./errors.ts) said for `args`, about `step` if given. */
function finding<A>(definition: RunErrorDefinition<A>, args: A, step?: string): VerifyProblem {
  const message = definition.message(args);
  return step === undefined ? { code: definition.code, message } : { code: definition.code, message, step };
}

export function verifyRun(store: RunStore, options: VerifyOptions = {}): VerifyReport {
  const read = readTrace(store.tracePath);
  const problems: VerifyProblem[] = read.problems
    .slice(0, 10)
    .map((p) => finding(RunbookErrors.TraceLineBroken, { detail: p.message }));
  if (read.problems.length > 10)
    problems.push(finding(RunbookErrors.TraceMoreLinesBroken, { count: read.problems.length - 10 }));
  const warnings: string[] = [];
  const started =
    read.events[0]?.type === "run_started" ? (read.events[0] as unknown as RunStartedEvent) : undefined;
  if (started === undefined) {
    problems.push(finding(RunbookErrors.TraceNotStarted, {}));
    return {
      run_id: store.runId,
      passed: false,
      trace: { events: read.events.length, intact: false },
      manifest: { digest: "none", verified: false },
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
  const manifest = checkManifest(store, read.events, started, options.key, problems);
  crossCheck(store, read.events, started, finished, problems, warnings);
  checkInputs(started, options, problems, warnings);
  if (store.readFile(LOCK_FILE) !== undefined)
    warnings.push(
      `a process holds ${LOCK_FILE}: the run may be going on, and change while it is verified (a lock left by a crash goes when the run is resumed)`,
    );
  if (finished?.scenario_verify !== undefined && !finished.scenario_verify.passed)
    problems.push(
      finding(RunbookErrors.ScenarioNotConsumed, {
        consumed: finished.scenario_verify.consumed_steps,
        total: finished.scenario_verify.total_steps,
        unmet: finished.scenario_verify.unmet,
      }),
    );
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
    manifest,
    steps,
    problems,
    warnings,
  };
}

/** The manifest: its digest, and the head it records against the trace's. */
function checkManifest(
  store: RunStore,
  events: readonly ChainedEvent[],
  started: RunStartedEvent,
  key: Uint8Array | undefined,
  problems: VerifyProblem[],
): VerifyReport["manifest"] {
  const manifest = readManifest(store.dir);
  const problem = <A>(definition: RunErrorDefinition<A>, args: A) => problems.push(finding(definition, args));
  if (manifest === "missing" || manifest === "unreadable") {
    problem(RunbookErrors.ManifestNotRead, { state: manifest });
    return { digest: "none", verified: false };
  }
  const algorithm = manifest.digest.algorithm;
  let verified = false;
  if (algorithm === "hmac-sha256" && key === undefined) problem(RunbookErrors.ManifestKeyNeeded, {});
  else if (algorithm === "sha256" && key !== undefined) problem(RunbookErrors.ManifestNotKeyed, {});
  else if (!digestMatches(manifest, key)) problem(RunbookErrors.ManifestDigestMismatch, { algorithm });
  else verified = true;
  const actual = headOf(events);
  if (manifest.run_id !== started.run_id)
    problem(RunbookErrors.ManifestOtherRun, { manifestRunId: manifest.run_id, runId: started.run_id });
  const counts = { events: actual.events, recorded: manifest.events };
  if (manifest.events > actual.events) problem(RunbookErrors.TraceShorterThanManifest, counts);
  else if (manifest.events < actual.events) problem(RunbookErrors.TraceLongerThanManifest, counts);
  else {
    const differences = (["head", "steps", "status"] as const)
      .filter((f) => manifest[f] !== actual[f])
      .map((f) => ({ field: f, manifest: manifest[f], trace: actual[f] }));
    if (differences.length > 0) problem(RunbookErrors.ManifestHeadMismatch, { differences });
  }
  const files = manifest.files;
  if (
    files.runbook_sha256 !== started.runbook.sha256 ||
    (files.scenario_sha256 ?? null) !== (started.scenario?.sha256 ?? null) ||
    files.policy_sha256 !== started.policy_sha256
  )
    problem(RunbookErrors.ManifestFilesMismatch, {});
  return { digest: algorithm, verified };
}

/**
 * Every snapshot and `run_finished` against the step events: a snapshot's trace position must
 * still have the hash it recorded, its tail must be the trace's step results after that position
 * (an older snapshot's whole history, the trace's from the first), and its step index must be the
 * number of steps the two hold together; the counts
 * and status of `run_finished` must be those of the steps.
 */
function crossCheck(
  store: RunStore,
  events: readonly ChainedEvent[],
  started: RunStartedEvent,
  finished: RunFinishedEvent | undefined,
  problems: VerifyProblem[],
  warnings: string[],
): void {
  const problem = <A>(definition: RunErrorDefinition<A>, args: A) => problems.push(finding(definition, args));
  const stepResults = events.flatMap((e) => (e.type === "step" ? [e.result] : []));
  const stepJson = stepResults.map((r) => JSON.stringify(r));
  // stepCounts[k]: how many step events are among the first k events.
  const stepCounts = [0];
  for (const e of events) stepCounts.push((stepCounts.at(-1) ?? 0) + (e.type === "step" ? 1 : 0));
  const stepsBefore = (position: number) => stepCounts[position] ?? 0;
  let olderFormat = false;
  for (const name of store.snapshotNames()) {
    const path = `snapshots/${name}`;
    const bytes = store.readFile(path);
    let state: RunState | RunSnapshot;
    try {
      state = JSON.parse(bytes?.toString("utf8") ?? "") as RunState | RunSnapshot;
    } catch {
      problem(RunbookErrors.SnapshotNotJson, { path });
      continue;
    }
    const position = state?.trace?.events;
    // A snapshot holds the results after its trace position (`tail`); an older one its whole history.
    const old = state?.format === "runbook-run/v0";
    const results = old ? (state as RunState).history : (state as RunSnapshot)?.tail;
    if (typeof position !== "number" || !Array.isArray(results)) {
      problem(RunbookErrors.SnapshotMalformed, { path, results: old ? "history" : "tail" });
      continue;
    }
    if (old) olderFormat = true;
    if (position > events.length) {
      problem(RunbookErrors.SnapshotAfterCut, { path, position, events: events.length });
      continue;
    }
    const head = position === 0 ? GENESIS : events[position - 1]?.hash;
    if (head !== state.trace.head) problem(RunbookErrors.SnapshotAfterRewrite, { path, position });
    const first = old ? 0 : stepsBefore(position);
    results.forEach((result, i) => {
      const recorded = stepJson[first + i];
      const step = { path, stepId: result.step_id, status: result.status };
      if (recorded === undefined) problem(RunbookErrors.SnapshotStepNotInTrace, step);
      else if (recorded !== JSON.stringify(result))
        problem(RunbookErrors.SnapshotStepDiffers, { ...step, traceStatus: stepResults[first + i]?.status });
    });
    if (!old && (state as RunSnapshot).current_step_index !== first + results.length)
      problem(RunbookErrors.SnapshotStepIndex, {
        path,
        index: (state as RunSnapshot).current_step_index,
        steps: first + results.length,
      });
  }
  if (olderFormat)
    warnings.push(
      "the run's snapshots are in an older format (runbook-run/v0, each with the whole history); they were checked as such",
    );
  if (finished === undefined) return;
  const count = (status: string) => stepResults.filter((r) => r.status === status).length;
  const counts = { passed: count("passed"), failed: count("failed"), skipped: count("skipped") };
  if (
    finished.steps.passed !== counts.passed ||
    finished.steps.failed !== counts.failed ||
    finished.steps.skipped !== counts.skipped
  )
    problem(RunbookErrors.RunFinishedCounts, { recorded: finished.steps, counted: counts });
  const byId = new Map(stepResults.map((r) => [r.step_id, r]));
  const stepsOk = started.plan.every((entry) => {
    const result = byId.get(entry.id);
    return (
      result !== undefined &&
      (result.status === "passed" ||
        (result.status === "failed" &&
          entry.continue_on_error === true &&
          !POLICY_CODES.has(result.error?.code ?? "")))
    );
  });
  const expected = stepsOk && finished.scenario_verify?.passed !== false ? "passed" : "failed";
  if (finished.status !== expected)
    problem(RunbookErrors.RunFinishedStatus, { status: finished.status, expected });
}

/** The runbook, scenario and policy the run recorded, against the files as they are now. */
function checkInputs(
  started: RunStartedEvent,
  options: VerifyOptions,
  problems: VerifyProblem[],
  warnings: string[],
): void {
  if (options.inputs === undefined) return;
  const now = options.inputs(started);
  const recorded = {
    runbook: started.runbook.sha256,
    scenario: started.scenario?.sha256,
    policy: started.policy_sha256,
  };
  for (const what of ["runbook", "scenario", "policy"] as const) {
    const current = now[what];
    const was = recorded[what];
    if (current === undefined || was === undefined) continue;
    if (current.sha256 === undefined)
      warnings.push(`${describeInput(what, current.path)} was not found; its hash was not checked`);
    else if (current.sha256 !== was) {
      const change = { input: what, path: current.path, recorded: was, now: current.sha256 };
      if (options.allowChanged === true)
        warnings.push(`${describeInputChange(change)}; allowed by --allow-changed`);
      else problems.push(finding(RunbookErrors.InputChanged, change));
    }
  }
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
  const problem = <A>(definition: RunErrorDefinition<A>, args: A) =>
    problems.push(finding(definition, args, entry.id));
  const stepId = entry.id;
  if (result === undefined) {
    const waiting = paused?.filter(
      (w) => w.startsWith(`evidence ${entry.id}.`) || w.startsWith(`approval of ${entry.id} `),
    );
    if (waiting !== undefined && waiting.length > 0) {
      for (const w of waiting)
        if (w.startsWith("evidence "))
          problem(RunbookErrors.EvidenceNeverGiven, { stepId, name: w.slice(`evidence ${stepId}.`.length) });
        else problem(RunbookErrors.ApprovalNeverGiven, { stepId, waitingFor: w });
    } else problem(RunbookErrors.StepDidNotRun, { stepId });
    return { ...base, status: "not run", problems, warnings };
  }
  if (result.status === "skipped") {
    problem(RunbookErrors.StepSkipped, { stepId, reason: result.error?.message });
    return { ...base, status: "skipped", problems, warnings };
  }
  if (result.status === "failed") {
    const error = result.error;
    // A command governance refused fails the run even where the runbook lets a failure go on.
    if (error !== null && POLICY_CODES.has(error.code))
      problem(RunbookErrors.StepRefused, { stepId, reason: error.message });
    else {
      const failure =
        error?.code === RunCodes.AssertionFailed
          ? RunbookErrors.StepFailedAssertion
          : error?.code === RunCodes.ChecklistIncomplete
            ? RunbookErrors.StepFailedChecklist
            : RunbookErrors.StepFailed;
      if (entry.continue_on_error === true)
        warnings.push(`${failure.message({ stepId, error })}; the runbook lets the run go on`);
      else problem(failure, { stepId, error });
    }
  }
  for (const outcome of result.assertions)
    if (!outcome.passed && result.status === "passed")
      problem(RunbookErrors.StepAssertionFailed, { stepId, detail: outcome.detail });
  if (
    entry.type === "cli" &&
    result.status === "passed" &&
    (entry.assertions ?? 0) !== result.assertions.length
  )
    problem(RunbookErrors.AssertionResultsMissing, {
      stepId,
      assertions: entry.assertions ?? 0,
      results: result.assertions.length,
    });
  if (entry.type === "manual" && result.status === "passed") {
    const required = entry.evidence !== undefined && entry.evidence.length > 0 ? entry.evidence : [];
    for (const spec of required) {
      const record = result.evidence[spec.name];
      if (record === undefined)
        problem(RunbookErrors.EvidenceMissing, { stepId, name: spec.name, kind: spec.kind });
      else if (record.value.kind === "checklist" && record.value.items.some((i) => !i.checked))
        problem(RunbookErrors.ChecklistUnticked, { stepId, name: spec.name });
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
      problem(RunbookErrors.ApprovalsTooFew, { stepId, min: entry.approvals.min, roles, given: valid.size });
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
  // A step id of "" (a forged trace's) is named in the message but gives the finding no step.
  if (bytes === undefined)
    problems.push(finding(RunbookErrors.FileMissing, { path, step }, step || undefined));
  else if (sha256(bytes) !== digest || (size !== undefined && bytes.length !== size))
    problems.push(finding(RunbookErrors.FileChanged, { path, step }, step || undefined));
}

export function formatVerifyReportText(report: VerifyReport): string {
  const lines = [
    `Run ${report.run_id}${report.runbook ? ` of '${report.runbook}'` : ""}${report.mode ? ` (${report.mode})` : ""}: ${report.passed ? "VERIFIED" : "NOT VERIFIED"}`,
  ];
  lines.push(
    `  trace: ${report.trace.events} events, hash chain ${report.trace.intact ? "intact" : "BROKEN"}`,
    `  manifest: ${manifestLine(report.manifest)}`,
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

function manifestLine(manifest: VerifyReport["manifest"]): string {
  if (manifest.digest === "none") return "none";
  const what = manifest.digest === "hmac-sha256" ? "HMAC-SHA256 (keyed)" : "plain SHA-256 digest (no key)";
  return `${what} ${manifest.verified ? "checked" : "NOT VERIFIED"}`;
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
  const runName = esc(`run integrity (manifest: ${manifestLine(report.manifest)})`);
  if (report.problems.length > 0)
    cases.push(
      `    <testcase classname="${suite}" name="${runName}">\n      <failure message="${esc(report.problems[0]?.message ?? "")}" type="${esc(report.problems[0]?.code ?? "")}">${esc(report.problems.map((p) => `${p.code} ${p.message}`).join("\n"))}</failure>\n    </testcase>`,
    );
  else cases.push(`    <testcase classname="${suite}" name="${runName}"/>`);
  return `  <testsuite name="${suite}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" id="${esc(report.run_id)}">\n${cases.join("\n")}\n  </testsuite>\n`;
}
