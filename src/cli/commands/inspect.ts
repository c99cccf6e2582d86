/**
 * `inspect <file>`: a readable summary of a source — for an `.rllm` app its schemas, inputs and
 * where the prompt reads them, template variables, token estimate (inspect-rllm.ts); for a TSG
 * its sections, the commands in each and the step each becomes, placeholders, literal blocks
 * (inspect-tsg.ts); for a task its prompt placeholders, context, outputs and guarantees
 * (inspect-task.ts). `--json`: the summary as an object with the IR and the diagnostics; `--ir`:
 * the IR as JSON instead of the summary. Diagnostics go to stderr (or into the `--json`
 * object). Exit 1 when the file has errors.
 */

import { formatAppSummary, summariseApp } from "../../driver/inspect-rllm.js";
import { loadSource } from "../../driver/load-source.js";
import { UsageError } from "../../driver/usage-error.js";
import { hasErrors } from "../../ir/diagnostic.js";
import { sourceLookup } from "../../ir/print-diagnostics.js";
import { ExitCode } from "../exit-codes.js";
import { parseKind, parseOptions, withUsage } from "../options.js";
import { jsonDiagnostics, printDiagnosticsText } from "../report.js";

export default function inspect(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "inspect", async () => {
    const { values, positionals } = parseOptions(args, {
      json: { type: "boolean" },
      ir: { type: "boolean" },
      kind: { type: "string" },
    });
    const kind = parseKind(values.kind);
    if (positionals.length !== 1) throw new UsageError("expected exactly one file");
    const path = positionals[0]!;
    const loaded = await loadSource(path, kind);
    const lookup = sourceLookup(loaded.sources);
    const module = loaded.module;
    const source = loaded.source;
    const summary =
      values.ir === true || module === undefined || source === undefined ? undefined : await summarise();
    async function summarise(): Promise<{ key: string; value: unknown; text: string } | undefined> {
      if (module?.kind === "rllm") {
        const app = summariseApp(module, path, lookup);
        return { key: "app", value: app, text: formatAppSummary(app) };
      }
      if (module?.kind === "tsg") {
        const { formatTsgSummary, summariseTsg } = await import("../../driver/inspect-tsg.js");
        const tsg = summariseTsg(module, source!);
        return { key: "tsg", value: tsg, text: formatTsgSummary(tsg) };
      }
      if (module?.kind === "task") {
        const { formatTaskSummary, summariseTask } = await import("../../driver/inspect-task.js");
        const task = summariseTask(module, source!);
        return { key: "task", value: task, text: formatTaskSummary(task) };
      }
      return undefined;
    }
    if (values.json === true) {
      const out = {
        kind: loaded.kind ?? null,
        ...(summary === undefined ? {} : { [summary.key]: summary.value }),
        module: module ?? null,
        diagnostics: jsonDiagnostics(loaded.diagnostics, lookup),
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      if (summary !== undefined) process.stdout.write(summary.text);
      else if (module !== undefined) process.stdout.write(`${JSON.stringify(module, null, 2)}\n`);
      printDiagnosticsText(loaded.diagnostics, lookup);
    }
    return hasErrors(loaded.diagnostics) || module === undefined ? ExitCode.Errors : ExitCode.Ok;
  });
}
