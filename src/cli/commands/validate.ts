/**
 * `validate <app.rllm> [--input …]`: the app's checks and, given an input, everything a run does
 * before calling the model — input validation, prompt rendering, the context-window check. No
 * provider is contacted. Prints `{"valid": true, …}` or the error payload (docs/errors.md).
 * `validate runbook.yaml` checks a runbook instead (../validate-runbook.ts); a cli-replay scenario,
 * a TSG (does it compile) and a task are validated by ../validate-file.ts. The kind is told by
 * the file's name and content (frontend/detect-kind.ts), never by the name alone.
 */

import { KIND_NAMES, kindOfFile } from "../../driver/file-kinds.js";
import { loadApp } from "../../driver/rllm-app.js";
import { UsageError } from "../../driver/usage-error.js";
import { isYamlPath } from "../../frontend/detect-kind.js";
import { prepareApp } from "../../runtime/app/compile-app.js";
import { asRllmError, RunExit } from "../../runtime/app/errors.js";
import { preflight } from "../../runtime/app/execute.js";
import { Redactor } from "../../runtime/shared/redact.js";
import { parseOptions, withUsage } from "../options.js";
import { chooseInput, parseInputText, readInputFile } from "../read-input.js";

export default function validate(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "validate", async () => {
    const { values, positionals } = parseOptions(args, {
      input: { type: "string" },
      "input-file": { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length !== 1)
      throw new UsageError(
        "expected exactly one file: an .rllm app, a runbook or scenario .yaml, a TSG or a task",
      );
    const path = positionals[0]!;
    // A file that cannot be read goes to the reader its name suggests, which reports why.
    const kind =
      kindOfFile(path) ??
      (isYamlPath(path) ? "runbook" : /\.(md|markdown|mdown|mkd)$/i.test(path) ? "tsg" : "rllm");
    if (kind !== "rllm") {
      if (values.input !== undefined || values["input-file"] !== undefined)
        throw new UsageError(`--input goes with an .rllm app, not ${KIND_NAMES[kind]}`);
      const json = values.json === true;
      if (kind === "runbook") {
        const { validateRunbookFile } = await import("../validate-runbook.js");
        return validateRunbookFile(path, json);
      }
      const { validateScenarioFile, validateTaskFile, validateTsgFile } = await import("../validate-file.js");
      if (kind === "scenario") return validateScenarioFile(path, json);
      return kind === "tsg" ? validateTsgFile(path, json) : validateTaskFile(path, json);
    }
    if (values.json !== undefined)
      throw new UsageError("--json goes with the other kinds of file; an app's result is always JSON");
    const input = values.input as string | undefined;
    const inputFile = values["input-file"] as string | undefined;
    if (input !== undefined && inputFile !== undefined)
      throw new UsageError("give at most one of --input and --input-file");
    const redactor = Redactor.fromEnv(process.env);
    let report: unknown;
    let exit: number = RunExit.Ok;
    try {
      const app = await loadApp(path);
      const { definition } = app;
      const summary: Record<string, unknown> = {
        valid: true,
        app: definition.name,
        file: definition.source,
        warnings: app.warnings.map((w) => ({ code: w.code, message: w.message })),
      };
      if (input !== undefined || inputFile !== undefined) {
        const readings =
          inputFile === undefined
            ? await parseInputText(input!, definition.inputSchema)
            : await readInputFile(inputFile, definition.inputSchema);
        const prepared = prepareApp(definition);
        const value = chooseInput(readings, prepared.validateInput);
        const checked = await preflight(prepared, value, undefined, (text) => redactor.text(text));
        summary.input = checked.input;
        summary.estimated_prompt_tokens = checked.estimatedPromptTokens;
        summary.reserved_completion_tokens = checked.reservedTokens;
        summary.max_context_window = definition.maxContextWindow;
      }
      report = summary;
    } catch (error) {
      const failure = asRllmError(error);
      report = failure.payload;
      exit = failure.exitCode;
    }
    process.stdout.write(`${JSON.stringify(redactor.value(report), null, 2)}\n`);
    return exit;
  });
}
