/**
 * The cli-replay scenario format as TypeScript types: what `runbook exec --mode replay
 * --scenario s.yaml` reads. Same file format as the public cli-replay tool (see
 * docs/replay.md and ../shared/notes/cli-replay.md); `grammar/schemas/cli-replay-scenario.schema.json`
 * is the JSON Schema, and a test compares the two.
 */

export interface Scenario {
  readonly meta: ScenarioMeta;
  readonly steps: readonly ScenarioEntry[];
}

export interface ScenarioMeta {
  readonly name: string;
  readonly description?: string;
  readonly vars?: Readonly<Record<string, string>>;
  readonly security?: ScenarioSecurity;
  readonly session?: ScenarioSession;
}

export interface ScenarioSecurity {
  readonly allowed_commands?: readonly string[];
  readonly deny_env_vars?: readonly string[];
}

export interface ScenarioSession {
  /** A Go duration (`5m`, `1h30m`); accepted and checked, not used by replay. */
  readonly ttl?: string;
}

/** One element of `steps`: a leaf step or an unordered group of leaf steps. */
export type ScenarioEntry = ScenarioStep | ScenarioGroupEntry;

export interface ScenarioStep {
  readonly match: ScenarioMatch;
  readonly respond: ScenarioRespond;
  readonly calls?: ScenarioCalls;
  /** Accepted, never evaluated (as in cli-replay). */
  readonly when?: string;
}

export interface ScenarioMatch {
  /** Literal elements, `{{ .any }}` or `{{ .regex "RE2" }}`; vars are not rendered here. */
  readonly argv: readonly string[];
  /** Compared, when set and not empty, after CRLF → LF and without trailing newlines. */
  readonly stdin?: string;
}

export interface ScenarioRespond {
  /** 0–255, default 0. */
  readonly exit?: number;
  readonly stdout?: string;
  readonly stdout_file?: string;
  readonly stderr?: string;
  readonly stderr_file?: string;
  /** A Go duration; parsed and checked, ignored by replay. */
  readonly delay?: string;
  /** Literals merged after the response; later responses read them as `{{ .capture.name }}`. */
  readonly capture?: Readonly<Record<string, string>>;
}

/**
 * How often a step may be called. Without `calls`: exactly once. In `calls`, a missing `min` is 0
 * and a missing `max` is `min` (the reader keeps the object as written; the engine applies this).
 */
export interface ScenarioCalls {
  readonly min?: number;
  readonly max?: number;
}

export interface ScenarioGroupEntry {
  readonly group: ScenarioGroup;
}

export interface ScenarioGroup {
  readonly mode: "unordered";
  /** Default `group-N`, N counting every group of the scenario from 1. */
  readonly name?: string;
  readonly steps: readonly ScenarioStep[];
}

export function isGroupEntry(entry: ScenarioEntry): entry is ScenarioGroupEntry {
  return "group" in entry;
}
