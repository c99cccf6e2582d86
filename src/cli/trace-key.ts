/**
 * The key of a run manifest's HMAC (src/runtime/runbook/manifest.ts): the file `--trace-key-file`
 * names (its bytes, a final line break removed), else the environment's `RUNBOOK_TRACE_KEY`.
 * The key is never printed: an error names the file and why it cannot be used, not what it holds.
 */
import { readFileSync } from "node:fs";
import { RunbookErrors, RunbookRuntimeError, runError } from "../runtime/runbook/errors.js";

export const TRACE_KEY_ENV = "RUNBOOK_TRACE_KEY";

export function readTraceKey(
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Uint8Array | undefined {
  if (file === undefined) {
    const value = env[TRACE_KEY_ENV];
    return value === undefined || value === "" ? undefined : Buffer.from(value, "utf8");
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new RunbookRuntimeError(
      runError(RunbookErrors.TraceKeyUnreadable, {
        file,
        reason: (error as NodeJS.ErrnoException).code ?? "unreadable",
      }),
    );
  }
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end -= 1;
  if (end === 0) throw new RunbookRuntimeError(runError(RunbookErrors.TraceKeyEmpty, { file }));
  return bytes.subarray(0, end);
}
