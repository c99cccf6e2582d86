/**
 * The one place a runner's answer becomes a `CommandResult`, for every runner (a real process,
 * the in-process replay engine, a cli-replay binary): the streams kept to the step's
 * `max_output_bytes`, the list of those that were cut, and the result object; or the result of a
 * call that never reached a program.
 */
import type { RunError } from "./state.js";
import type { CommandResult } from "./step-providers.js";

export type OutputStream = "stdout" | "stderr";

/** What a program gave for a call. */
export interface CommandOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut?: boolean;
  /**
   * Given when the streams were read through a reader that kept `maxOutputBytes` of each
   * (spawn.ts `runProcess`): the streams it cut. Absent: the streams are whole, and cut here.
   */
  readonly truncated?: readonly OutputStream[];
}

/**
 * The result of a call a program answered: a whole stream longer than `maxOutputBytes` bytes
 * (UTF-8) keeps its first `maxOutputBytes` bytes, and `truncated` names the streams cut (here or
 * by the reader), stdout first.
 */
export function commandResult(output: CommandOutput, maxOutputBytes: number): CommandResult {
  const over = (text: string): boolean => Buffer.byteLength(text) > maxOutputBytes;
  const cut = (stream: OutputStream): boolean =>
    output.truncated === undefined ? over(output[stream]) : output.truncated.includes(stream);
  const kept = (stream: OutputStream): string =>
    output.truncated === undefined && over(output[stream])
      ? Buffer.from(output[stream]).subarray(0, maxOutputBytes).toString()
      : output[stream];
  return {
    exitCode: output.exitCode,
    stdout: kept("stdout"),
    stderr: kept("stderr"),
    ...(output.timedOut === undefined ? {} : { timedOut: output.timedOut }),
    truncated: (["stdout", "stderr"] as const).filter(cut),
  };
}

/** The result of a call that never reached a program (it could not start, a replay mismatch): `error` says why. */
export function callFailed(exitCode: number, error: RunError, stderr = ""): CommandResult {
  return { exitCode, stdout: "", stderr, error };
}
