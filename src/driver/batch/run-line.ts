/**
 * One line of a batch: its input parsed, the app run on it, and the record it ends with (a
 * failure is a record, never a throw). The local batch (cli/run-batch.ts) and a `run` job on a
 * queue worker (driver/queue/run-kind.ts) both run a line with this function, so both make the
 * same record for the same line.
 */
import type { AppRunReport, RunnableApp } from "../../runtime/app/compose.js";
import { AppErrors, appError, asRllmError } from "../../runtime/app/errors.js";
import type { Provider } from "../../runtime/app/provider.js";
import type { Redactor } from "../../runtime/shared/redact.js";
import type { LineRecord } from "./journal.js";
import type { BatchLine } from "./run-batch.js";

export interface LineContext {
  readonly root: RunnableApp;
  readonly model: string | undefined;
  readonly models: ReadonlyMap<string, string>;
  readonly maxRetries: number;
  readonly redactor: Redactor;
  readonly onAppFinished?: (report: AppRunReport) => void;
}

/** Runs one input line; `file` names the input file in the error of a line that is not JSON. */
export async function runBatchLine(
  line: BatchLine,
  signal: AbortSignal,
  context: LineContext,
  provider: Provider,
  file: string,
): Promise<LineRecord> {
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    const failure = appError(
      AppErrors.InputFileNotJson,
      { path: `${file === "-" ? "stdin" : file}:${line.line}`, detail: (error as Error).message },
      { details: { line: line.line } },
    );
    return { line: line.line, ok: false, error: failure.payload };
  }
  const { runApp } = await import("../../runtime/app/compose.js");
  try {
    const result = await runApp(context.root, value, {
      provider,
      ...(context.model === undefined ? {} : { model: context.model }),
      ...(context.models.size > 0 ? { models: context.models } : {}),
      maxRetries: context.maxRetries,
      signal,
      redact: (text) => context.redactor.text(text),
      ...(context.onAppFinished === undefined ? {} : { onAppFinished: context.onAppFinished }),
    });
    return { line: line.line, ok: true, output: result.output };
  } catch (error) {
    return { line: line.line, ok: false, error: asRllmError(error).payload };
  }
}
