/**
 * The runbook/v0 format as TypeScript types: one interface per `$defs` entry of
 * `grammar/schemas/runbook-v0.schema.json`, with the same property names and the same optional
 * fields (a test compares the two). Shared by the compiler (`runbook compile`), its backends and
 * the runbook runtime. See docs/runbook-spec.md.
 */

export const RUNBOOK_API_VERSION = "runbook/v0";

export interface Runbook {
  readonly apiVersion: typeof RUNBOOK_API_VERSION;
  readonly meta: Meta;
  readonly steps: readonly Step[];
}

export interface Meta {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly source?: DocumentSource;
  readonly vars?: Readonly<Record<string, string | VarSpec>>;
  readonly governance?: Governance;
}

/** A variable the operator supplies (`--var name=value`) unless it has a `value`. */
export interface VarSpec {
  readonly value?: string;
  readonly description?: string;
  readonly todo?: string;
  readonly source?: Source;
}

export interface DocumentSource {
  readonly file: string;
  readonly sha256?: string;
}

/** 1-based, inclusive line range in the source document. */
export interface Source {
  readonly file: string;
  readonly line: number;
  readonly end_line?: number;
  readonly section?: string;
}

export interface Governance {
  readonly allowed_commands?: readonly string[];
  readonly denied_commands?: readonly string[];
  readonly deny_env_vars?: readonly string[];
  readonly redact?: readonly RedactRule[];
  readonly evidence?: EvidencePolicy;
}

export interface RedactRule {
  readonly pattern: string;
  readonly replace?: string;
}

export interface EvidencePolicy {
  readonly require_for_manual?: boolean;
  readonly store_full_stdout?: boolean;
}

export type Step = CliStep | ManualStep | GroupStep;
export type StepType = Step["type"];

export interface CliStep {
  readonly id: string;
  readonly type: "cli";
  readonly title?: string;
  readonly description?: string;
  readonly with: CliWith;
  readonly capture?: Readonly<Record<string, Capture>>;
  readonly assertions?: readonly Assertion[];
  readonly approvals?: Approvals;
  readonly continue_on_error?: boolean;
  readonly sample_output?: string;
  readonly source?: Source;
}

export interface CliWith {
  readonly argv: readonly string[];
  readonly stdin?: string;
  readonly timeout_seconds?: number;
  readonly max_output_bytes?: number;
}

export type Capture = "stdout" | "stderr" | "exit_code" | CaptureSpec;

export interface CaptureSpec {
  readonly from: "stdout" | "stderr";
  readonly json_path?: string;
  readonly regex?: string;
  readonly group?: number;
}

/** Exactly one of `contains`, `not_contains`, `matches`, `exit_code`, `equals` (with `json_path`, on a JSON value). */
export interface Assertion {
  readonly contains?: string;
  readonly not_contains?: string;
  readonly equals?: string;
  readonly matches?: string;
  readonly exit_code?: number;
  readonly json_path?: string;
  readonly on?: "stdout" | "stderr";
}

export interface Approvals {
  readonly min: number;
  readonly roles?: readonly string[];
}

export interface ManualStep {
  readonly id: string;
  readonly type: "manual";
  readonly title: string;
  readonly instructions: string;
  readonly command?: string;
  readonly reason?: string;
  readonly required_evidence?: readonly Evidence[];
  readonly approvals?: Approvals;
  readonly replay_mode?: "require_evidence" | "reuse_evidence";
  readonly sample_output?: string;
  readonly source?: Source;
}

export interface Evidence {
  readonly kind: "text" | "checklist" | "attachment";
  readonly name: string;
  readonly description?: string;
  readonly items?: readonly string[];
}

export interface GroupStep {
  readonly id: string;
  readonly type: "group";
  readonly title?: string;
  readonly description?: string;
  readonly steps: readonly Step[];
  readonly source?: Source;
}

/** Every step of a runbook, groups included, depth first in run order. */
export function* allSteps(steps: readonly Step[]): Generator<Step> {
  for (const step of steps) {
    yield step;
    if (step.type === "group") yield* allSteps(step.steps);
  }
}
