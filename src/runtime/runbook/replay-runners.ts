/**
 * `--mode replay`: a `cli` step's argv is answered by the in-process replay engine, or by a
 * `cli-replay` binary driven the way its docs describe (`--replay-engine cli-replay`): `cli-replay run` sets up intercepts and prints the
 * environment, each step runs with it, `cli-replay verify` checks the scenario, `cli-replay clean`
 * removes the session.
 */
import type { Scenario } from "../../lang/replay/types.js";
import { ReplaySession, type ReplayState } from "../replay/index.js";
import { callFailed, commandResult } from "./command-result.js";
import { RunbookErrors, runError } from "./errors.js";
import { runProcess } from "./spawn.js";
import type { CommandResult, CommandRunner, ResolvedCall, ScenarioVerdict } from "./step-providers.js";

/** A `ReplayState` as a snapshot holds it: `runs` is the call counts as pairs of a count and how many steps in a row have it. */
export interface StoredReplayState {
  readonly runs: readonly number[];
  readonly captures: Readonly<Record<string, string>>;
}

function isStored(state: ReplayState | StoredReplayState): state is StoredReplayState {
  return typeof state === "object" && state !== null && "runs" in state;
}

function expandState(stored: StoredReplayState): ReplayState {
  const counts: number[] = [];
  const runs = Array.isArray(stored.runs) ? stored.runs : [];
  for (let i = 0; i + 1 < runs.length; i += 2)
    for (let n = 0; n < Math.min(Number(runs[i + 1]), 1_000_000); n += 1) counts.push(Number(runs[i]));
  return { counts, captures: stored.captures };
}

export class ReplayRunner implements CommandRunner {
  readonly kind = "replay";
  private readonly session: ReplaySession;

  constructor(
    scenario: Scenario,
    options: {
      baseDir: string;
      env: Readonly<Record<string, string | undefined>>;
      allowedCommands?: readonly string[];
      /** As `state()` gave it, or as an older snapshot held it (`counts` in full). */
      state?: ReplayState | StoredReplayState;
    },
  ) {
    const { state, ...rest } = options;
    this.session = new ReplaySession(scenario, {
      ...rest,
      ...(state === undefined ? {} : { state: isStored(state) ? expandState(state) : state }),
    });
  }

  async run(call: ResolvedCall): Promise<CommandResult> {
    const answer = this.session.call(call.argv, call.stdin);
    if (!answer.ok)
      return callFailed(
        1,
        runError(RunbookErrors.ReplayMismatch, { detail: answer.message }),
        `${answer.message}\n`,
      );
    return commandResult(
      { exitCode: answer.exit, stdout: answer.stdout, stderr: answer.stderr },
      call.maxOutputBytes,
    );
  }

  /** The session's state with its call counts run-length encoded, so a snapshot stays small for a long scenario. */
  state(): StoredReplayState {
    const { counts, captures } = this.session.state;
    const runs: number[] = [];
    for (const count of counts)
      if (runs.length > 0 && runs[runs.length - 2] === count) runs[runs.length - 1] = (runs.at(-1) ?? 0) + 1;
      else runs.push(count, 1);
    return { runs, captures };
  }

  async finish(): Promise<ScenarioVerdict> {
    const result = this.session.verify();
    return {
      passed: result.passed,
      consumed_steps: result.consumed_steps,
      total_steps: result.total_steps,
      unmet: result.steps
        .filter((s) => !s.passed)
        .map((s) => `step[${s.index}] ${s.label}: called ${s.call_count} times, minimum ${s.min} required`),
    };
  }
}

/** The environment `cli-replay run --shell bash` prints, read back. */
export interface CliReplaySession {
  readonly session: string;
  readonly scenario: string;
  readonly interceptDir: string;
}

const EXPORT = /^export (CLI_REPLAY_SESSION|CLI_REPLAY_SCENARIO|PATH)='((?:[^']|'\\'')*)'(?::"\$PATH")?$/;

export function parseCliReplaySetup(stdout: string): CliReplaySession | undefined {
  const found: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = EXPORT.exec(line.trim());
    if (m !== null) found[m[1] as string] = (m[2] as string).replaceAll("'\\''", "'");
  }
  const { CLI_REPLAY_SESSION: session, CLI_REPLAY_SCENARIO: scenario, PATH: interceptDir } = found;
  return session && scenario && interceptDir ? { session, scenario, interceptDir } : undefined;
}

export class CliReplayBinaryRunner implements CommandRunner {
  readonly kind = "cli-replay";

  private constructor(
    private readonly binary: string,
    private readonly scenarioPath: string,
    private readonly setup: CliReplaySession,
    private readonly env: Readonly<Record<string, string>>,
    private readonly allowedCommands: readonly string[] | undefined,
  ) {}

  /** Starts a cli-replay session, or resumes the one a snapshot recorded when its intercepts are still there. */
  static async start(options: {
    binary: string;
    scenarioPath: string;
    env: Readonly<Record<string, string>>;
    allowedCommands?: readonly string[];
    resume?: CliReplaySession;
  }): Promise<CliReplayBinaryRunner | { error: string }> {
    if (options.resume !== undefined)
      return new CliReplayBinaryRunner(
        options.binary,
        options.scenarioPath,
        options.resume,
        options.env,
        options.allowedCommands,
      );
    const args = ["run", "--shell", "bash"];
    if (options.allowedCommands !== undefined)
      args.push(`--allowed-commands=${options.allowedCommands.join(",")}`);
    const started = await runProcess([options.binary, ...args, options.scenarioPath], {
      env: options.env,
      timeoutMs: 30_000,
      maxOutputBytes: 1 << 20,
    });
    if (started.startError !== undefined) return { error: started.startError };
    if (started.exitCode !== 0)
      return { error: `'cli-replay run' failed (exit ${started.exitCode}): ${started.stderr.trim()}` };
    const setup = parseCliReplaySetup(started.stdout);
    if (setup === undefined)
      return { error: "'cli-replay run --shell bash' printed no session, scenario and PATH exports" };
    return new CliReplayBinaryRunner(
      options.binary,
      options.scenarioPath,
      setup,
      options.env,
      options.allowedCommands,
    );
  }

  private sessionEnv(base: Readonly<Record<string, string>> = this.env): Record<string, string> {
    return {
      ...base,
      PATH: `${this.setup.interceptDir}:${base.PATH ?? ""}`,
      CLI_REPLAY_SESSION: this.setup.session,
      CLI_REPLAY_SCENARIO: this.setup.scenario,
    };
  }

  async run(call: ResolvedCall): Promise<CommandResult> {
    const result = await runProcess(call.argv, {
      env: this.sessionEnv(call.env),
      ...(call.stdin === undefined ? {} : { stdin: call.stdin }),
      timeoutMs: call.timeoutMs,
      maxOutputBytes: call.maxOutputBytes,
    });
    return result.startError === undefined
      ? commandResult(result, call.maxOutputBytes)
      : callFailed(result.exitCode, runError(RunbookErrors.CliReplayFailed, { detail: result.startError }));
  }

  state(): unknown {
    return { cli_replay: this.setup };
  }

  async finish(): Promise<ScenarioVerdict> {
    // cli-replay's verify takes no --allowed-commands: the allowlist was applied by `run`.
    const args = ["verify", this.scenarioPath, "--format", "json"];
    const verified = await runProcess([this.binary, ...args], {
      env: this.sessionEnv(),
      timeoutMs: 30_000,
      maxOutputBytes: 1 << 20,
    });
    const json = [verified.stdout, verified.stderr]
      .flatMap((t) => t.split("\n"))
      .find((line) => line.trim().startsWith("{"));
    try {
      const report = JSON.parse(json ?? "") as {
        passed: boolean;
        total_steps: number;
        consumed_steps: number;
        steps?: { index: number; label: string; call_count: number; min: number; passed: boolean }[];
      };
      return {
        passed: report.passed,
        consumed_steps: report.consumed_steps,
        total_steps: report.total_steps,
        unmet: (report.steps ?? [])
          .filter((s) => !s.passed)
          .map((s) => `step[${s.index}] ${s.label}: called ${s.call_count} times, minimum ${s.min} required`),
      };
    } catch {
      return {
        passed: false,
        consumed_steps: 0,
        total_steps: 0,
        unmet: [
          `'cli-replay verify' gave no JSON report (exit ${verified.exitCode}): ${verified.stderr.trim().slice(0, 300)}`,
        ],
      };
    }
  }

  async close(): Promise<void> {
    await runProcess([this.binary, "clean", this.scenarioPath], {
      env: this.sessionEnv(),
      timeoutMs: 30_000,
      maxOutputBytes: 1 << 16,
    });
  }
}
