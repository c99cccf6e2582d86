/**
 * The runbook runtime's stable codes (RBX): why a step failed or a run paused (70xx), and what
 * `runbook verify` finds wrong with a run (71xx). Listed in docs/diagnostics.md; never renumber
 * or reuse one.
 */
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

export function runError(code: RunCode, message: string, hint?: string): RunError {
  return hint === undefined ? { code, message } : { code, message, hint };
}

/** A failure of the run itself (bad options, a missing run folder), not of a step. */
export class RunbookRuntimeError extends Error {
  constructor(readonly error: RunError) {
    super(error.message);
  }
}
