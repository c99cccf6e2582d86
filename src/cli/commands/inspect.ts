/**
 * `inspect <file>`: for an `.rllm` app, a readable summary — schemas, inputs and where the prompt
 * reads them, template variables, token estimate (`--json`: the same as an object, with the IR
 * and the diagnostics); for a TSG or a task, and for any file with `--ir`, the IR as JSON.
 * Diagnostics go to stderr (or into the `--json` object). Exit 1 when the file has errors.
 */
import { hasErrors } from "../../ir/diagnostic.js";
import { sourceLookup } from "../../ir/print-diagnostics.js";
import { ExitCode } from "../exit-codes.js";
import { formatAppSummary, summariseApp } from "../inspect-rllm.js";
import { loadSource } from "../load-source.js";
import { parseKind, parseOptions, UsageError, withUsage } from "../options.js";
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
    const app =
      module?.kind === "rllm" && values.ir !== true ? summariseApp(module, path, lookup) : undefined;
    if (values.json === true) {
      const out = {
        kind: loaded.kind ?? null,
        ...(app === undefined ? {} : { app }),
        module: module ?? null,
        diagnostics: jsonDiagnostics(loaded.diagnostics, lookup),
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      if (app !== undefined) process.stdout.write(formatAppSummary(app));
      else if (module !== undefined) process.stdout.write(`${JSON.stringify(module, null, 2)}\n`);
      printDiagnosticsText(loaded.diagnostics, lookup);
    }
    return hasErrors(loaded.diagnostics) || module === undefined ? ExitCode.Errors : ExitCode.Ok;
  });
}
