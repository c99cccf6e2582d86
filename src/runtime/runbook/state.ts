/**
 * The runbook runtime's data: the run's state (the "memory dump" a snapshot holds), the
 * `StepResult` envelope each step ends with, and the trace events. Everything here is plain JSON,
 * and everything that reaches a file has been through the run's redactor first. See
 * docs/runbook-runtime.md.
 */

export type RunMode = "real" | "replay" | "dry-run";
export type StepStatus = "passed" | "failed" | "skipped";
export type RunStatus = "running" | "paused" | "passed" | "failed";

/** A stream as stored: whole (`store_full_stdout: true`) or as a hash and a preview. */
export interface StoredText {
  readonly sha256: string;
  readonly bytes: number;
  /** The whole text when the policy stores it, else its first characters. */
  readonly text?: string;
  readonly preview?: string;
  /** The program wrote more than `max_output_bytes`; the rest was dropped. */
  readonly truncated?: boolean;
}

export interface AssertionOutcome {
  /** The assertion as written in the runbook. */
  readonly assertion: Readonly<Record<string, unknown>>;
  readonly passed: boolean;
  /** Why it failed, or what it compared. */
  readonly detail: string;
}

export interface RunError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export type EvidenceValue =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "checklist"; readonly items: readonly ChecklistItem[] }
  | { readonly kind: "attachment"; readonly attachment: AttachmentRecord };

export interface ChecklistItem {
  readonly item: string;
  readonly checked: boolean;
}

export interface AttachmentRecord {
  /** Path inside the run folder (`attachments/…`). */
  readonly path: string;
  /** The name of the file the person attached. */
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
  /** The file was text and secrets were redacted from the stored copy. */
  readonly redacted?: boolean;
}

export interface EvidenceRecord {
  readonly value: EvidenceValue;
  readonly by: string;
  readonly at: string;
  /** Taken from an earlier run (`replay_mode: reuse_evidence`). */
  readonly reused_from?: string;
}

export interface ApprovalRecord {
  readonly by: string;
  readonly roles: readonly string[];
  readonly at: string;
}

/** The uniform envelope every step ends with (seed §5.3). */
export interface StepResult {
  readonly run_id: string;
  readonly step_id: string;
  /** Index of the step among the runbook's leaf steps, in run order. */
  readonly index: number;
  readonly type: "cli" | "manual";
  readonly status: StepStatus;
  readonly actor: "engine" | "human";
  readonly started_at: string;
  readonly ended_at: string;
  /** The argv that ran (redacted), for a `cli` step. */
  readonly argv?: readonly string[];
  readonly exit_code?: number;
  readonly stdout?: StoredText;
  readonly stderr?: StoredText;
  readonly captures: Readonly<Record<string, CaptureRecord>>;
  readonly assertions: readonly AssertionOutcome[];
  readonly evidence: Readonly<Record<string, EvidenceRecord>>;
  readonly approvals: readonly ApprovalRecord[];
  readonly error: RunError | null;
}

/** A capture as stored: its value, or a hash and preview when the value is a whole stream the policy does not store. */
export interface CaptureRecord {
  readonly value?: string;
  readonly sha256?: string;
  readonly preview?: string;
  readonly bytes?: number;
}

/** One leaf step as the run saw it, for `runbook verify`. */
export interface PlanEntry {
  readonly index: number;
  readonly id: string;
  readonly type: "cli" | "manual";
  /** The ids of the groups around it, outermost first. */
  readonly groups?: readonly string[];
  readonly evidence?: readonly { readonly name: string; readonly kind: string; readonly items?: number }[];
  readonly approvals?: { readonly min: number; readonly roles?: readonly string[] };
  readonly assertions?: number;
  readonly continue_on_error?: boolean;
}

export interface Binding {
  readonly path: string;
  readonly sha256: string;
}

export interface RunState {
  readonly format: "runbook-run/v0";
  readonly run_id: string;
  readonly runbook_path: string;
  readonly runbook_sha256: string;
  readonly scenario?: Binding;
  readonly policy_sha256: string;
  readonly mode: RunMode;
  readonly replay_engine?: "builtin" | "cli-replay";
  readonly started_at: string;
  readonly actor: string;
  readonly status: RunStatus;
  /** The next step to run (= the number of steps done). */
  readonly current_step_index: number;
  readonly vars: Readonly<Record<string, string>>;
  readonly captures: Readonly<Record<string, CaptureRecord>>;
  readonly history: readonly StepResult[];
  /** Evidence and approvals given for steps not run yet, by step id. */
  readonly pending: {
    readonly evidence: Readonly<Record<string, Readonly<Record<string, EvidenceRecord>>>>;
    readonly approvals: Readonly<Record<string, readonly ApprovalRecord[]>>;
  };
  /** The replay engine's own state (call counts, captures), so a resumed run goes on where it was. */
  readonly replay_state?: unknown;
  /** What the run waits for, when paused. */
  readonly waiting_for?: readonly string[];
  /** How many trace events were written when this state was saved, and the last one's hash. */
  readonly trace: { readonly events: number; readonly head: string };
}

/**
 * A snapshot as written (`snapshots/step-NNNN.json`): the run's state without its history. The
 * history is the trace's step results up to `trace.events` (whose last hash is `trace.head`),
 * then `tail`: the results recorded after that position (the step whose own trace line is written
 * just after its snapshot). So a snapshot stays the same size however long the run; resume and
 * `verify` rebuild the history from both (./store.ts `rebuildState`). An older snapshot
 * (`runbook-run/v0`) held the whole `history` instead.
 */
export interface RunSnapshot extends Omit<RunState, "format" | "history"> {
  readonly format: "runbook-snapshot/v1";
  readonly tail: readonly StepResult[];
}

export type TraceEvent =
  | RunStartedEvent
  | StepStartedEvent
  | StepEvent
  | EvidenceEvent
  | ApprovalEvent
  | PausedEvent
  | ResumedEvent
  | SnapshotEvent
  | RunFinishedEvent;

interface EventBase {
  readonly seq: number;
  readonly at: string;
}

export interface RunStartedEvent extends EventBase {
  readonly type: "run_started";
  readonly run_id: string;
  readonly mode: RunMode;
  readonly actor: string;
  readonly runbook: Binding & { readonly name: string };
  readonly scenario?: Binding;
  readonly policy_sha256: string;
  readonly engine: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly plan: readonly PlanEntry[];
}

export interface StepStartedEvent extends EventBase {
  readonly type: "step_started";
  readonly step_id: string;
  readonly index: number;
  readonly argv?: readonly string[];
}

export interface StepEvent extends EventBase {
  readonly type: "step";
  readonly result: StepResult;
  /**
   * The snapshot written with the step: every {@link SNAPSHOT_EVERY}th step and every failed step
   * has one. Absent for the other steps, which carry `state`, and for steps skipped after a failure.
   */
  readonly snapshot?: Binding;
  /** The run's state after the step that the trace holds nowhere else, on a step without a snapshot. */
  readonly state?: StepState;
}

/**
 * What a `step` event without a snapshot carries so that the trace alone can resume the run
 * from it: evidence and approvals given for later steps, and the replay engine's own state. The
 * rest of the state is in the trace already — the variables in `run_started`, the history and
 * the captures in the `step` results — or does not change within a run.
 */
export interface StepState {
  readonly pending?: RunState["pending"];
  readonly replay_state?: unknown;
}

/**
 * How often a step writes a snapshot file (`snapshots/step-NNNN.json`): every 100th step, besides
 * a failed step, the run's start, a pause, the end and the debugger's `snapshot`. The steps between carry their
 * state in their trace line, so a step costs one append; a file per step cost more than the rest
 * of the step together (bench section 8).
 */
export const SNAPSHOT_EVERY = 100;

export interface EvidenceEvent extends EventBase {
  readonly type: "evidence";
  readonly step_id: string;
  readonly name: string;
  readonly record: EvidenceRecord;
}

export interface ApprovalEvent extends EventBase {
  readonly type: "approval";
  readonly step_id: string;
  readonly record: ApprovalRecord;
}

export interface PausedEvent extends EventBase {
  readonly type: "paused";
  readonly step_id: string;
  readonly waiting_for: readonly string[];
}

export interface ResumedEvent extends EventBase {
  readonly type: "resumed";
  /**
   * Where the resumed state came from: a snapshot file (`snapshots/…`), or `trace event N` for the
   * state a `step` event carries.
   */
  readonly from_snapshot: string;
  readonly actor: string;
  /** A step that had started but not finished when the run stopped. */
  readonly interrupted_step?: string;
  /** The process group of that step, still running after the crash and stopped before the rerun. */
  readonly stopped_process_group?: number;
}

export interface SnapshotEvent extends EventBase {
  readonly type: "snapshot";
  readonly snapshot: Binding;
}

export interface RunFinishedEvent extends EventBase {
  readonly type: "run_finished";
  readonly status: "passed" | "failed";
  readonly steps: { readonly passed: number; readonly failed: number; readonly skipped: number };
  /** Replay mode: whether every scenario step was called its minimum number of times. */
  readonly scenario_verify?: {
    readonly passed: boolean;
    readonly consumed_steps: number;
    readonly total_steps: number;
    readonly unmet: readonly string[];
  };
}

/** An event before the trace gives it its sequence number. */
export type NewEvent = TraceEvent extends infer E ? (E extends TraceEvent ? Omit<E, "seq"> : never) : never;

/** A trace line: an event with its place in the hash chain. */
export type ChainedEvent = TraceEvent & { readonly prev: string; readonly hash: string };
