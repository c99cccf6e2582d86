/**
 * The runbook runtime's stable codes (RBX) and its messages: why a step failed or a run paused
 * (70xx), and what `runbook verify` finds wrong with a run (71xx). `RunCodes` names each code
 * once; `RunbookErrors` is the catalogue of what the runtime says, one entry per situation, each
 * with its code, a message built from typed arguments and a hint, in the shape of the compiler's
 * `ir/diagnostic-catalogue.ts`. Listed in docs/diagnostics.md (test/architecture/codes.test.ts
 * checks every code is documented and unique across every registry); never renumber or reuse one.
 */
import type { Evidence } from "../../lang/runbook/types.js";
import type { DigestAlgorithm } from "./manifest.js";
import type { RunError } from "./state.js";

export const RunCodes = {
  CommandNotAllowed: "RBX7001",
  CommandDenied: "RBX7002",
  TemplateFailed: "RBX7003",
  ExitStatus: "RBX7004",
  AssertionFailed: "RBX7005",
  TimedOut: "RBX7006",
  CannotStart: "RBX7007",
  ReplayMismatch: "RBX7008",
  CaptureFailed: "RBX7009",
  ChecklistIncomplete: "RBX7010",
  CaptureNotStored: "RBX7012",
  VariableUnset: "RBX7013",
  VariableDenied: "RBX7014",
  BadEvidence: "RBX7016",
  UnknownTarget: "RBX7017",
  RunNotFound: "RBX7018",
  RunFinished: "RBX7019",
  RunMismatch: "RBX7020",
  CliReplayFailed: "RBX7021",
  /** What a step runs cannot be known with certainty (a shell string with `$(…)`, an unknown wrapper option). */
  CommandUncertain: "RBX7030",
  RunLocked: "RBX7022",
  RunExists: "RBX7023",
  StepStillRunning: "RBX7024",
  TraceKeyUnusable: "RBX7025",
  // --- runbook verify ---
  TraceTampered: "RBX7101",
  StepNotRun: "RBX7102",
  StepFailed: "RBX7103",
  VerifyEvidenceMissing: "RBX7104",
  VerifyApprovalMissing: "RBX7105",
  VerifyAssertionFailed: "RBX7106",
  VerifyDisallowedCommand: "RBX7107",
  ScenarioIncomplete: "RBX7108",
  FileTampered: "RBX7109",
  TraceUnreadable: "RBX7110",
  TraceCut: "RBX7111",
  TraceLongerThanManifest: "RBX7112",
  ManifestMismatch: "RBX7113",
  InputChanged: "RBX7114",
  RecordInconsistent: "RBX7115",
} as const;

export type RunCode = (typeof RunCodes)[keyof typeof RunCodes];

/** One thing the runtime can say: its code, its message from typed arguments, and a hint. */
export interface RunErrorDefinition<A> {
  readonly code: RunCode;
  readonly message: (args: A) => string;
  readonly hint?: (args: A) => string | undefined;
}

function e<A = Record<string, never>>(
  code: RunCode,
  message: (args: A) => string,
  hint?: (args: A) => string | undefined,
): RunErrorDefinition<A> {
  return hint === undefined ? { code, message } : { code, message, hint };
}

/** How to give a piece of evidence on the command line. */
function evidenceHint(spec: Evidence): string {
  if (spec.kind === "checklist")
    return `give it as --evidence <step>.${spec.name}=all or =1,2,…: ${(spec.items ?? []).map((item, i) => `${i + 1}. ${item}`).join("  ")}`;
  if (spec.kind === "attachment") return `give it as --attach <step>.${spec.name}=<file>`;
  return `give it as --evidence <step>.${spec.name}="…"`;
}

/** The last line of a program's stderr, quoted in a hint. */
function lastLine(text: string): string | undefined {
  const line = text.trim().split("\n").at(-1)?.trim();
  return line === undefined || line === "" ? undefined : `it said: ${line.slice(0, 200)}`;
}

/** A file whose hash a run recorded, as `runbook verify` names it. */
export function describeInput(input: "runbook" | "scenario" | "policy", path: string): string {
  return input === "policy" ? `the policy (meta.governance of '${path}')` : `the ${input} '${path}'`;
}

export interface InputChange {
  readonly input: "runbook" | "scenario" | "policy";
  readonly path: string;
  /** The file's SHA-256 the run recorded, and its SHA-256 now. */
  readonly recorded: string;
  readonly now: string;
}

/** How a file changed since the run: the finding RBX7114, or with --allow-changed a warning. */
export function describeInputChange(a: InputChange): string {
  return `${describeInput(a.input, a.path)} changed since the run (SHA-256 ${a.recorded.slice(0, 12)}… recorded, ${a.now.slice(0, 12)}… now)`;
}

/** What `runbook verify` says of a step that failed, whichever code its finding has. */
const stepFailed = (a: { stepId: string; error: RunError | null }) =>
  `step '${a.stepId}' failed${a.error === null ? "" : ` (${a.error.code}): ${a.error.message}`}`;

/** Where a finding about a file is: the step that recorded it, if one did. */
const ofStep = (step: string | undefined) => (step === undefined ? "" : ` (step '${step}')`);

interface StepCounts {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

const runBy = (via: string) => (via === "" ? "" : ` (run by ${via})`);
const quoted = (names: readonly string[], separator: string) => names.map((n) => `'${n}'`).join(separator);

/**
 * Everything the runbook runtime says when a step fails, a run pauses or an option is refused.
 * Several entries may share a code (RBX7017 is any option naming what the runbook lacks); each
 * code is defined once, in `RunCodes`. `runbook verify`'s findings (RBX71xx) are entries too, the
 * last sections; a finding has no hint.
 */
export const RunbookErrors = {
  // --- governance: a command refused before it runs ----------------------------------------
  CommandNotAllowed: e<{ program: string; via: string; allowed: readonly string[] }>(
    RunCodes.CommandNotAllowed,
    (a) =>
      `'${a.program}'${runBy(a.via)} is not in the runbook's allowed_commands (${a.allowed.length === 0 ? "none" : a.allowed.join(", ")}); it was not run`,
    () => "add it to meta.governance.allowed_commands if the runbook should run it",
  ),
  CommandDenied: e<{ program: string; via: string; entry: string }>(
    RunCodes.CommandDenied,
    (a) =>
      `the command${a.via === "" ? "" : ` '${a.program}'${runBy(a.via)}`} matches the denied command '${a.entry}'; it was not run`,
  ),
  CommandDestructive: e<{ reason: string }>(
    RunCodes.CommandDenied,
    (a) => `${a.reason}; it was not run`,
    () => "the runtime never runs it; make it a manual step that a person runs and attests",
  ),
  CommandUncertain: e<{ reason: string }>(
    RunCodes.CommandUncertain,
    (a) => `what the step runs cannot be checked: ${a.reason}; it was not run`,
    () => "run the program directly as the step's argv (one step per command), or make it a manual step",
  ),

  // --- a cli step --------------------------------------------------------------------------
  TemplateFailed: e<{ detail: string }>(
    RunCodes.TemplateFailed,
    (a) => `cannot render the step's templates: ${a.detail}`,
    () => "give the variable a value with --var name=value, or check that the step that captures it ran",
  ),
  ExitStatus: e<{ program: string | undefined; status: number; stderr: string }>(
    RunCodes.ExitStatus,
    (a) => `'${a.program}' exited with status ${a.status}`,
    (a) => lastLine(a.stderr),
  ),
  AssertionFailed: e<{ detail: string }>(RunCodes.AssertionFailed, (a) => `assertion failed: ${a.detail}`),
  TimedOut: e<{ program: string | undefined; seconds: number }>(
    RunCodes.TimedOut,
    (a) => `'${a.program}' ran longer than ${a.seconds}s and was stopped`,
    () => "raise with.timeout_seconds if the command needs longer",
  ),
  CannotStart: e<{ reason: string }>(
    RunCodes.CannotStart,
    (a) => a.reason,
    () => "check that the program is installed and on PATH",
  ),
  ReplayMismatch: e<{ detail: string }>(
    RunCodes.ReplayMismatch,
    (a) => `replay: ${a.detail}`,
    () => "the scenario does not expect this call here; fix the scenario or the runbook",
  ),
  CaptureFailed: e<{ name: string; detail: string }>(
    RunCodes.CaptureFailed,
    (a) => `capture '${a.name}': ${a.detail}`,
  ),
  CaptureNotStored: e<{ name: string }>(
    RunCodes.CaptureNotStored,
    (a) =>
      `capture '${a.name}' was kept as a hash and a preview only (store_full_stdout: false), so a resumed run cannot use it`,
    () => "start a new run, or set meta.governance.evidence.store_full_stdout: true",
  ),
  StepNotRun: e<{ failedStep: string }>(
    RunCodes.StepNotRun,
    (a) => `not run: step '${a.failedStep}' failed before it`,
  ),
  CliReplayFailed: e<{ detail: string }>(RunCodes.CliReplayFailed, (a) => `cli-replay: ${a.detail}`),
  CliReplayError: e<{ detail: string }>(RunCodes.CliReplayFailed, (a) => a.detail),
  CliReplayMissing: e(
    RunCodes.CliReplayFailed,
    () => "--replay-engine cli-replay: no cli-replay binary on PATH",
    () => "install cli-replay, or use the built-in replay engine (the default)",
  ),

  // --- a manual step: evidence and approvals ----------------------------------------------
  ChecklistIncomplete: e<{ unchecked: readonly string[] }>(
    RunCodes.ChecklistIncomplete,
    (a) => `not every checklist item was done: ${a.unchecked.join("; ")}`,
    () => "the run stops here; tick every item when it is done",
  ),
  NotAManualStep: e<{ stepId: string; manualIds: readonly string[] }>(
    RunCodes.UnknownTarget,
    (a) => `'${a.stepId}' is not a manual step of this runbook`,
    (a) => `manual steps: ${a.manualIds.join(", ") || "(none)"}`,
  ),
  EvidenceAlreadyRecorded: e<{ stepId: string }>(
    RunCodes.UnknownTarget,
    (a) => `step '${a.stepId}' has already run; its evidence is recorded`,
  ),
  NoSuchEvidence: e<{ stepId: string; name: string; required: readonly Evidence[] }>(
    RunCodes.UnknownTarget,
    (a) => `step '${a.stepId}' asks for no evidence named '${a.name}'`,
    (a) => `it asks for: ${a.required.map((e) => `${e.name} (${e.kind})`).join(", ") || "nothing"}`,
  ),
  EvidenceWrongKind: e<{ stepId: string; spec: Evidence; given: Evidence["kind"] }>(
    RunCodes.BadEvidence,
    (a) =>
      `evidence '${a.stepId}.${a.spec.name}' is a ${a.spec.kind}, not ${a.given === "attachment" ? "an attachment" : `a ${a.given}`}`,
    (a) => evidenceHint(a.spec),
  ),
  EvidenceEmpty: e<{ name: string }>(RunCodes.BadEvidence, (a) => `evidence '${a.name}' is empty`),
  ChecklistNoSuchItem: e<{ spec: Evidence; item: number }>(
    RunCodes.BadEvidence,
    (a) =>
      `checklist '${a.spec.name}' has items 1–${(a.spec.items ?? []).length}; there is no item ${a.item}`,
    (a) => evidenceHint(a.spec),
  ),
  ChecklistUnreadable: e<{ step: string; name: string; piece: string; items: readonly string[] }>(
    RunCodes.BadEvidence,
    (a) =>
      `checklist '${a.step}.${a.name}': '${a.piece}' is not 'all', an item number or an item's text${a.items.length === 0 ? "" : ` (items: ${a.items.map((item, i) => `${i + 1}. ${item}`).join("; ")})`}`,
  ),
  AttachmentUnreadable: e<{ source: string; reason: string }>(
    RunCodes.BadEvidence,
    (a) => `cannot read the attachment '${a.source}': ${a.reason}`,
  ),
  AttachmentHoldsSecret: e<{ source: string }>(
    RunCodes.BadEvidence,
    (a) => `the attachment '${a.source}' is a binary file that contains a secret value; it was not stored`,
    () => "attach a copy without the secret",
  ),
  NoSuchStep: e<{ stepId: string; needingApproval: readonly string[] }>(
    RunCodes.UnknownTarget,
    (a) => `the runbook has no step '${a.stepId}'`,
    (a) => `steps needing approval: ${a.needingApproval.join(", ") || "(none)"}`,
  ),
  NoApprovalNeeded: e<{ stepId: string }>(
    RunCodes.UnknownTarget,
    (a) => `step '${a.stepId}' needs no approval`,
  ),
  ApprovalTooLate: e<{ stepId: string }>(RunCodes.UnknownTarget, (a) => `step '${a.stepId}' has already run`),
  AlreadyApproved: e<{ actor: string; stepId: string }>(
    RunCodes.BadEvidence,
    (a) => `${a.actor} has already approved step '${a.stepId}'`,
    () => "another person must give the next approval (--as <name>)",
  ),
  ApproverLacksRole: e<{
    stepId: string;
    roles: readonly string[];
    actor: string;
    actorRoles: readonly string[];
  }>(
    RunCodes.BadEvidence,
    (a) =>
      `step '${a.stepId}' must be approved by someone with the role ${quoted(a.roles, " or ")}; ${a.actor} has ${a.actorRoles.length === 0 ? "no role" : a.actorRoles.join(", ")}`,
    (a) => `approve with --as <name> --role ${a.roles[0]}`,
  ),

  // --- starting a run: variables and plan ---------------------------------------------------
  VariablesUnset: e<{ names: readonly string[] }>(
    RunCodes.VariableUnset,
    (a) =>
      `the runbook needs ${a.names.length === 1 ? "a value for the variable" : "values for the variables"} ${quoted(a.names, ", ")}`,
    (a) => `pass ${a.names.map((n) => `--var ${n}=…`).join(" ")}`,
  ),
  VariableDenied: e<{ name: string }>(
    RunCodes.VariableDenied,
    (a) => `--var ${a.name}: the name matches deny_env_vars, so no template may read it`,
    () => "secrets do not go into runbook variables; the program reads them from its own configuration",
  ),
  UnknownVariable: e<{ name: string; declared: readonly string[] }>(
    RunCodes.UnknownTarget,
    (a) => `--var ${a.name}: the runbook declares no variable '${a.name}'`,
    (a) => `declared: ${a.declared.join(", ") || "(none)"}`,
  ),
  StepCannotRun: e<{ stepId: string; problems: readonly string[] }>(
    RunCodes.UnknownTarget,
    (a) => `step '${a.stepId}' cannot run: ${a.problems.join("; ")}`,
  ),

  // --- the run folder: start, resume, lock --------------------------------------------------
  RunNotFound: e<{ idOrDir: string; runsDir: string; listDir: string }>(
    RunCodes.RunNotFound,
    (a) => `no run '${a.idOrDir}': neither a run folder nor an id under ${a.runsDir}`,
    (a) => `list the runs with: ls ${a.listDir}`,
  ),
  NoSnapshotToResume: e<{ runId: string }>(
    RunCodes.RunNotFound,
    (a) => `run '${a.runId}' has no snapshot to resume from`,
  ),
  NoSnapshot: e<{ runId: string }>(RunCodes.RunNotFound, (a) => `run '${a.runId}' has no snapshot`),
  RunFinished: e<{ runId: string; status: string }>(
    RunCodes.RunFinished,
    (a) => `run '${a.runId}' has finished (${a.status}); nothing to resume`,
    () => "start a new run",
  ),
  RunbookChanged: e<{ runbookPath: string; runId: string }>(
    RunCodes.RunMismatch,
    (a) => `the runbook '${a.runbookPath}' changed since run '${a.runId}' started`,
    () => "resume with the runbook the run started with, or start a new run",
  ),
  ScenarioChanged: e<{ scenarioPath: string; runId: string }>(
    RunCodes.RunMismatch,
    (a) => `the scenario '${a.scenarioPath}' changed since run '${a.runId}' started`,
  ),
  VariablesFixed: e(
    RunCodes.RunMismatch,
    () => "variables are fixed when a run starts; --var cannot change them on --resume",
  ),
  RunLocked: e<{ runId: string; who: string; hint: string }>(
    RunCodes.RunLocked,
    (a) => `run '${a.runId}' is in use by ${a.who}`,
    (a) => a.hint,
  ),
  RunExists: e<{ runId: string; dir: string }>(
    RunCodes.RunExists,
    (a) => `run '${a.runId}' already exists in ${a.dir}`,
    (a) => `continue it with --resume ${a.runId}, or start a new run with another --run-id (or none)`,
  ),
  StepStillRunning: e<{ stepId: string | undefined; runId: string; pgid: number }>(
    RunCodes.StepStillRunning,
    (a) =>
      `step '${a.stepId}' of run '${a.runId}' is still running as process group ${a.pgid}, which could not be stopped`,
    (a) => `stop it (kill -KILL -- -${a.pgid}) and resume again`,
  ),
  TraceKeyUnreadable: e<{ file: string; reason: string }>(
    RunCodes.TraceKeyUnusable,
    (a) => `cannot read the trace key file '${a.file}': ${a.reason}`,
  ),
  TraceKeyEmpty: e<{ file: string }>(
    RunCodes.TraceKeyUnusable,
    (a) => `the trace key file '${a.file}' is empty`,
  ),

  // --- a run folder that does not hold together (resume, --evidence-from) -------------------
  ResumeTraceTampered: e<{ runId: string; problem: string | undefined; dir: string }>(
    RunCodes.TraceTampered,
    (a) => `cannot resume run '${a.runId}': ${a.problem}`,
    // The run's folder, which verify takes from any working directory.
    (a) =>
      `check it with: runbook verify ${/[^\w./-]/.test(a.dir) ? `'${a.dir.replaceAll("'", "'\\''")}'` : a.dir}`,
  ),
  EvidenceRunTampered: e<{ run: string; problem: string | undefined }>(
    RunCodes.TraceTampered,
    (a) => `--evidence-from ${a.run}: ${a.problem}`,
  ),
  ResumeManifestUnreadable: e<{ runId: string }>(
    RunCodes.ManifestMismatch,
    (a) => `cannot resume run '${a.runId}': its manifest.json cannot be read`,
  ),
  ResumeKeyMissing: e<{ runId: string }>(
    RunCodes.TraceKeyUnusable,
    (a) => `cannot resume run '${a.runId}': its manifest is signed (HMAC-SHA256) and no key was given`,
    () => "set RUNBOOK_TRACE_KEY or pass --trace-key-file with the key the run started with",
  ),
  ResumeManifestDigest: e<{ runId: string }>(
    RunCodes.ManifestMismatch,
    (a) => `cannot resume run '${a.runId}': manifest.json does not match its digest`,
  ),
  ResumeTraceCut: e<{ runId: string; events: number; recorded: number }>(
    RunCodes.TraceCut,
    (a) =>
      `cannot resume run '${a.runId}': the trace has ${a.events} events but its manifest says ${a.recorded}: its tail was cut`,
  ),
  ResumeManifestHead: e<{ runId: string; event: number }>(
    RunCodes.ManifestMismatch,
    (a) => `cannot resume run '${a.runId}': the trace's event ${a.event} is not the one its manifest names`,
  ),
  SnapshotAfterCut: e<{ path: string; position: number; events: number }>(
    RunCodes.TraceCut,
    (a) =>
      `${a.path} was written after trace event ${a.position}, but the trace has ${a.events}: its tail was cut off`,
  ),
  SnapshotAfterRewrite: e<{ path: string; position: number }>(
    RunCodes.RecordInconsistent,
    (a) =>
      `${a.path} was written after trace event ${a.position}, whose hash is now different: the trace was rewritten after it`,
  ),

  // --- runbook verify: the trace, the manifest and the files the run recorded ---------------
  // (SnapshotAfterCut and SnapshotAfterRewrite above are findings too.)
  TraceLineBroken: e<{ detail: string }>(RunCodes.TraceTampered, (a) => `trace.jsonl: ${a.detail}`),
  TraceMoreLinesBroken: e<{ count: number }>(
    RunCodes.TraceTampered,
    (a) => `trace.jsonl: …and ${a.count} more broken lines`,
  ),
  TraceNotStarted: e(RunCodes.TraceUnreadable, () => "trace.jsonl does not start with a run_started event"),
  ManifestNotRead: e<{ state: "missing" | "unreadable" }>(
    RunCodes.ManifestMismatch,
    (a) => `manifest.json is ${a.state === "missing" ? "missing" : "not readable"}`,
  ),
  ManifestKeyNeeded: e(
    RunCodes.ManifestMismatch,
    () =>
      "manifest.json is signed (HMAC-SHA256); give its key (RUNBOOK_TRACE_KEY or --trace-key-file) to check it",
  ),
  ManifestNotKeyed: e(
    RunCodes.ManifestMismatch,
    () =>
      "a key was given but manifest.json has only a plain digest: the run was not recorded with a key, or its manifest was replaced",
  ),
  ManifestDigestMismatch: e<{ algorithm: DigestAlgorithm }>(
    RunCodes.ManifestMismatch,
    (a) =>
      `manifest.json does not match its ${a.algorithm === "hmac-sha256" ? "HMAC (a wrong key, or it was changed)" : "digest: it was changed"}`,
  ),
  ManifestOtherRun: e<{ manifestRunId: string; runId: string }>(
    RunCodes.ManifestMismatch,
    (a) => `manifest.json is of run '${a.manifestRunId}', not '${a.runId}'`,
  ),
  TraceShorterThanManifest: e<{ events: number; recorded: number }>(
    RunCodes.TraceCut,
    (a) =>
      `the trace has ${a.events} events but manifest.json says ${a.recorded}: its last ${a.recorded - a.events} were cut off`,
  ),
  TraceLongerThanManifest: e<{ events: number; recorded: number }>(
    RunCodes.TraceLongerThanManifest,
    (a) =>
      `the trace has ${a.events} events but manifest.json says ${a.recorded}: ${a.events - a.recorded} were added after it (or the run crashed between the two writes: resume it to repair the manifest)`,
  ),
  ManifestHeadMismatch: e<{
    differences: readonly { field: string; manifest: unknown; trace: unknown }[];
  }>(
    RunCodes.ManifestMismatch,
    (a) =>
      `manifest.json does not match the trace: ${a.differences.map((d) => `${d.field} ${JSON.stringify(d.manifest)} in the manifest, ${JSON.stringify(d.trace)} in the trace`).join("; ")}`,
  ),
  ManifestFilesMismatch: e(
    RunCodes.ManifestMismatch,
    () => "manifest.json and run_started record different file hashes",
  ),
  FileMissing: e<{ path: string; step: string | undefined }>(
    RunCodes.FileTampered,
    (a) => `${a.path}${ofStep(a.step)} is missing`,
  ),
  FileChanged: e<{ path: string; step: string | undefined }>(
    RunCodes.FileTampered,
    (a) => `${a.path}${ofStep(a.step)} was changed: its SHA-256 is not the one the trace recorded`,
  ),
  SnapshotNotJson: e<{ path: string }>(
    RunCodes.FileTampered,
    (a) => `${a.path} is not a snapshot (not JSON)`,
  ),
  SnapshotMalformed: e<{ path: string; results: "history" | "tail" }>(
    RunCodes.FileTampered,
    (a) => `${a.path} is not a snapshot (no trace position or ${a.results})`,
  ),
  SnapshotStepNotInTrace: e<{ path: string; stepId: string; status: string }>(
    RunCodes.TraceCut,
    (a) => `${a.path} records step '${a.stepId}' (${a.status}), which the trace does not have`,
  ),
  SnapshotStepDiffers: e<{ path: string; stepId: string; status: string; traceStatus: string | undefined }>(
    RunCodes.RecordInconsistent,
    (a) =>
      `${a.path} records step '${a.stepId}' ${a.status === a.traceStatus ? "differently from" : `as ${a.status}, but`} the trace${a.status === a.traceStatus ? "" : ` as ${a.traceStatus}`}`,
  ),
  SnapshotStepIndex: e<{ path: string; index: number; steps: number }>(
    RunCodes.RecordInconsistent,
    (a) => `${a.path} is at step ${a.index}, but the trace and its tail hold ${a.steps} steps`,
  ),
  RunFinishedCounts: e<{ recorded: StepCounts; counted: StepCounts }>(
    RunCodes.RecordInconsistent,
    ({ recorded: r, counted: c }) =>
      `run_finished counts ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped; the step events ${c.passed}, ${c.failed}, ${c.skipped}`,
  ),
  RunFinishedStatus: e<{ status: string; expected: string }>(
    RunCodes.RecordInconsistent,
    (a) => `run_finished says the run ${a.status}, but its step events say it ${a.expected}`,
  ),
  InputChanged: e<InputChange>(
    RunCodes.InputChanged,
    (a) => `${describeInputChange(a)}; --allow-changed verifies the run against it anyway`,
  ),
  ScenarioNotConsumed: e<{ consumed: number; total: number; unmet: readonly string[] }>(
    RunCodes.ScenarioIncomplete,
    (a) => `the replay scenario was not consumed (${a.consumed}/${a.total} steps): ${a.unmet.join("; ")}`,
  ),

  // --- runbook verify: a step --------------------------------------------------------------
  StepDidNotRun: e<{ stepId: string }>(RunCodes.StepNotRun, (a) => `step '${a.stepId}' did not run`),
  StepSkipped: e<{ stepId: string; reason: string | undefined }>(
    RunCodes.StepNotRun,
    (a) => `step '${a.stepId}' was skipped: ${a.reason ?? "no reason recorded"}`,
  ),
  StepFailed: e(RunCodes.StepFailed, stepFailed),
  StepFailedAssertion: e(RunCodes.VerifyAssertionFailed, stepFailed),
  StepFailedChecklist: e(RunCodes.VerifyEvidenceMissing, stepFailed),
  StepRefused: e<{ stepId: string; reason: string }>(
    RunCodes.VerifyDisallowedCommand,
    (a) => `step '${a.stepId}' tried to run a command governance refuses: ${a.reason}`,
  ),
  StepAssertionFailed: e<{ stepId: string; detail: string }>(
    RunCodes.VerifyAssertionFailed,
    (a) => `step '${a.stepId}': assertion failed: ${a.detail}`,
  ),
  AssertionResultsMissing: e<{ stepId: string; assertions: number; results: number }>(
    RunCodes.VerifyAssertionFailed,
    (a) => `step '${a.stepId}' has ${a.assertions} assertions but ${a.results} results`,
  ),
  EvidenceNeverGiven: e<{ stepId: string; name: string }>(
    RunCodes.VerifyEvidenceMissing,
    (a) => `step '${a.stepId}': evidence '${a.name}' was never given (the run is paused here)`,
  ),
  EvidenceMissing: e<{ stepId: string; name: string; kind: string }>(
    RunCodes.VerifyEvidenceMissing,
    (a) => `step '${a.stepId}': evidence '${a.name}' (${a.kind}) is missing`,
  ),
  ChecklistUnticked: e<{ stepId: string; name: string }>(
    RunCodes.VerifyEvidenceMissing,
    (a) => `step '${a.stepId}': checklist '${a.name}' has unticked items`,
  ),
  ApprovalNeverGiven: e<{ stepId: string; waitingFor: string }>(
    RunCodes.VerifyApprovalMissing,
    (a) => `step '${a.stepId}': the ${a.waitingFor} was never given (the run is paused here)`,
  ),
  ApprovalsTooFew: e<{ stepId: string; min: number; roles: readonly string[] | undefined; given: number }>(
    RunCodes.VerifyApprovalMissing,
    (a) =>
      `step '${a.stepId}' needed ${a.min} approval(s)${a.roles ? ` by role ${a.roles.join(" or ")}` : ""}; it has ${a.given}`,
  ),
} as const;

/** The run error an entry of {@link RunbookErrors} says for `args`. */
export function runError<A>(definition: RunErrorDefinition<A>, args: A): RunError {
  const message = definition.message(args);
  const hint = definition.hint?.(args);
  return hint === undefined ? { code: definition.code, message } : { code: definition.code, message, hint };
}

/** A failure of the run itself (bad options, a missing run folder), not of a step. */
export class RunbookRuntimeError extends Error {
  constructor(readonly error: RunError) {
    super(error.message);
  }
}
