/**
 * The replay engine's public data: the state it keeps between calls, what a call returns, and the
 * options of a session. All plain, JSON-serialisable data.
 */
/**
 * Where a replay stands: how often each step (by flat index) has been called, and the captures
 * merged so far. The position in the scenario is derived from the counts (the last step called, or
 * its group), exactly as cli-replay's `current_step` would be. JSON-serialisable: the runbook
 * engine stores it in its snapshots and passes it back to resume.
 */
export interface ReplayState {
  readonly counts: readonly number[];
  readonly captures: Readonly<Record<string, string>>;
}

/** A call answered by a step. */
export interface ReplayResponse {
  readonly ok: true;
  /** The step's flat index (0-based; a group's members are numbered in place of the group). */
  readonly step: number;
  /** The step's expected argv joined by spaces. */
  readonly label: string;
  readonly exit: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ReplaySessionOptions {
  /** The scenario file's folder: `stdout_file` and `stderr_file` are read relative to it. */
  readonly baseDir: string;
  /** Overrides `meta.vars` (non-empty values, not denied by `deny_env_vars`). Nothing else is read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The caller's allowlist (cli-replay's `--allowed-commands`), intersected with the scenario's. */
  readonly allowedCommands?: readonly string[];
  /** The state to resume from (a `state` this session or an earlier one returned). */
  readonly state?: ReplayState;
  /** The session id verify() reports (cli-replay's CLI_REPLAY_SESSION); "default" when not given. */
  readonly session?: string;
}
