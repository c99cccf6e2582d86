/**
 * `--mode real`: a `cli` step's argv runs as a real process — never through a shell — with the
 * step's timeout and output cap, in the environment the engine scrubbed.
 */
import { callFailed, commandResult } from "./command-result.js";
import { RunbookErrors, runError } from "./errors.js";
import { runProcess } from "./spawn.js";
import type { CommandResult, CommandRunner, ResolvedCall } from "./step-providers.js";

export class RealRunner implements CommandRunner {
  readonly kind = "real";

  constructor(private readonly cwd?: string) {}

  async run(call: ResolvedCall): Promise<CommandResult> {
    const result = await runProcess(call.argv, {
      env: call.env,
      ...(this.cwd === undefined ? {} : { cwd: this.cwd }),
      ...(call.stdin === undefined ? {} : { stdin: call.stdin }),
      timeoutMs: call.timeoutMs,
      maxOutputBytes: call.maxOutputBytes,
      ...(call.onSpawn === undefined ? {} : { onSpawn: call.onSpawn }),
    });
    return result.startError === undefined
      ? commandResult(result, call.maxOutputBytes)
      : callFailed(result.exitCode, runError(RunbookErrors.CannotStart, { reason: result.startError }));
  }
}
