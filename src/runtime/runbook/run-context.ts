/**
 * What the parts of the runbook engine share (engine.ts is the façade): the types a caller hands
 * the engine or gets back, the plan of leaf steps, and `RunContext`, one run's fixed parts and
 * its mutable state, which lifecycle.ts makes and the step, gate and recording functions take.
 */
import { DEFAULT_DENY_ENV_VARS, isDeniedEnvVar } from "../../lang/runbook/governance.js";
import type { CliStep, Evidence, ManualStep, Runbook, Step } from "../../lang/runbook/types.js";
import type { RunLock } from "./lock.js";
import type { ManifestWriter } from "./manifest.js";
import { RunRedactor } from "./redaction.js";
import type {
  ApprovalRecord,
  Binding,
  CaptureRecord,
  EvidenceRecord,
  RunMode,
  RunState,
  StepResult,
} from "./state.js";
import type { CommandRunner, ScenarioVerdict } from "./step-providers.js";
import type { RunStore } from "./store.js";
import type { TraceWriter } from "./trace.js";

export type LeafStep = CliStep | ManualStep;

export interface PlannedStep {
  readonly index: number;
  readonly step: LeafStep;
  readonly groups: readonly string[];
}

/** The runbook's leaf steps in run order, with the groups around each. */
export function planSteps(
  steps: readonly Step[],
  groups: readonly string[] = [],
  out: PlannedStep[] = [],
): PlannedStep[] {
  for (const step of steps) {
    if (step.type === "group") planSteps(step.steps, [...groups, step.id], out);
    else out.push({ index: out.length, step, groups });
  }
  return out;
}

/** What a person gives the engine: evidence, approvals, confirmation. */
export interface Attendant {
  /** Asked for each piece of evidence still missing; undefined = not now (the run pauses). */
  evidence?(step: ManualStep, item: Evidence): Promise<EvidenceInput | undefined>;
  /** Asked when a step still needs approvals; true = the run's actor approves it. */
  approve?(step: LeafStep, needed: number, have: readonly ApprovalRecord[]): Promise<boolean>;
}

/** Evidence as a person gives it: text, ticked checklist items (1-based numbers or `all`), a file path. */
export type EvidenceInput =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "checklist"; readonly checked: "all" | readonly number[] }
  | { readonly kind: "attachment"; readonly path: string };

export interface EngineOptions {
  readonly runbook: Runbook;
  readonly runbookPath: string;
  /** The runbook file's bytes, for the hash the run is bound to. */
  readonly runbookText: string;
  readonly mode: Exclude<RunMode, "dry-run">;
  readonly runner: CommandRunner;
  readonly replayEngine?: "builtin" | "cli-replay";
  readonly scenario?: Binding;
  /** Where `.runbook/` lives. */
  readonly root: string;
  readonly actor: string;
  readonly roles?: readonly string[];
  readonly vars?: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly attendant?: Attendant;
  /** Evidence recorded by an earlier run, for manual steps with `replay_mode: reuse_evidence`. */
  readonly recordedEvidence?: {
    readonly runId: string;
    readonly dir: string;
    readonly evidence: Readonly<Record<string, Readonly<Record<string, EvidenceRecord>>>>;
  };
  readonly clock?: () => Date;
  /** Working directory of real commands. */
  readonly cwd?: string;
  /** The key of the manifest's HMAC (RUNBOOK_TRACE_KEY); without one the manifest has a plain digest. */
  readonly traceKey?: Uint8Array;
}

export type StepOutcome =
  | { readonly kind: "step"; readonly result: StepResult }
  | { readonly kind: "paused"; readonly step: PlannedStep; readonly waitingFor: readonly string[] }
  | { readonly kind: "finished"; readonly status: "passed" | "failed"; readonly scenario?: ScenarioVerdict };

/** A run's state that changes as it goes. */
export interface RunMemory {
  status: RunState["status"];
  current: number;
  vars: Record<string, string>;
  captures: Record<string, CaptureRecord>;
  values: Record<string, string>;
  history: StepResult[];
  /** Each result of `history` as JSON, kept so a snapshot serialises its tail only once. */
  historyJson: string[];
  /** How many results of `history` the trace has (as `step` events); a snapshot holds the rest. */
  traced: number;
  evidence: Record<string, Record<string, EvidenceRecord>>;
  approvals: Record<string, ApprovalRecord[]>;
  waitingFor: string[] | undefined;
  actor: string;
  roles: readonly string[];
}

/** The part of a run's state fixed when it starts. */
export type FrozenState = Omit<
  RunState,
  | "status"
  | "current_step_index"
  | "vars"
  | "captures"
  | "history"
  | "pending"
  | "replay_state"
  | "waiting_for"
  | "trace"
  | "actor"
>;

/** One run: its fixed parts, its writers and its state (`s`). */
export interface RunContext {
  readonly options: EngineOptions;
  readonly plan: readonly PlannedStep[];
  readonly redactor: RunRedactor;
  readonly clock: () => Date;
  /** `governance.evidence.store_full_stdout`: keep whole outputs, not previews. */
  readonly storeFull: boolean;
  /** The environment of the commands run: the caller's, without denied variables and the trace key. */
  readonly childEnv: Record<string, string>;
  readonly store: RunStore;
  readonly trace: TraceWriter;
  readonly frozen: FrozenState;
  readonly lock: RunLock;
  readonly manifest: ManifestWriter;
  readonly s: RunMemory;
  finished: boolean;
}

export function createContext(
  options: EngineOptions,
  store: RunStore,
  trace: TraceWriter,
  frozen: FrozenState,
  state: RunMemory,
  lock: RunLock,
  manifest: ManifestWriter,
): RunContext {
  const denied = options.runbook.meta.governance?.deny_env_vars ?? DEFAULT_DENY_ENV_VARS;
  const childEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.env))
    if (value !== undefined && !isDeniedEnvVar(name, denied)) childEnv[name] = value;
  delete childEnv.RUNBOOK_TRACE_KEY;
  return {
    options,
    plan: planSteps(options.runbook.steps),
    redactor: new RunRedactor(options.runbook.meta.governance, options.env),
    clock: options.clock ?? (() => new Date()),
    storeFull: options.runbook.meta.governance?.evidence?.store_full_stdout === true,
    childEnv,
    store,
    trace,
    frozen,
    lock,
    manifest,
    s: state,
    finished: false,
  };
}

/** The time now, as the trace writes it. */
export function now(run: RunContext): string {
  return run.clock().toISOString();
}
