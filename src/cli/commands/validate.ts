/**
 * `validate <app.rllm> [--input …]`: the app's checks and, given an input, everything a run does
 * before calling the model — input validation, prompt rendering, the context-window check. No
 * provider is contacted. Prints `{"valid": true, …}` or the error payload (docs/errors.md).
 * `validate runbook.yaml` checks a runbook instead (../validate-runbook.ts).
 */
import { prepareApp } from "../../runtime/compile-app.js";
import { asRllmError, RunExit } from "../../runtime/errors.js";
import { preflight } from "../../runtime/execute.js";
import { Redactor } from "../../runtime/redact.js";
import { parseOptions, UsageError, withUsage } from "../options.js";
import { chooseInput, parseInputText, readInputFile } from "../read-input.js";
import { loadApp } from "../rllm-app.js";

export default function validate(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "validate", async () => {
    const { values, positionals } = parseOptions(args, {
      input: { type: "string" },
      "input-file": { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length !== 1) throw new UsageError("expected exactly one .rllm or runbook .yaml file");
    if (/\.ya?ml$/i.test(positionals[0]!)) {
      if (values.input !== undefined || values["input-file"] !== undefined)
        throw new UsageError("--input goes with an .rllm app, not a runbook");
      const { validateRunbookFile } = await import("../validate-runbook.js");
      return validateRunbookFile(positionals[0]!, values.json === true);
    }
    if (values.json !== undefined)
      throw new UsageError("--json goes with a runbook .yaml; an app's result is always JSON");
    const input = values.input as string | undefined;
    const inputFile = values["input-file"] as string | undefined;
    if (input !== undefined && inputFile !== undefined)
      throw new UsageError("give at most one of --input and --input-file");
    const redactor = Redactor.fromEnv(process.env);
    let report: unknown;
    let exit: number = RunExit.Ok;
    try {
      const app = await loadApp(positionals[0]!);
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
