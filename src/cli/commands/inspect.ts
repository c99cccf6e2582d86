/**
 * `inspect <file>`: the file's IR as JSON on stdout; diagnostics on stderr (or, with --json,
 * `{module, diagnostics}` as one JSON object on stdout). Exit 1 when the file has errors.
 */
import { hasErrors } from "../../ir/diagnostic.js";
import { sourceLookup } from "../../ir/print-diagnostics.js";
import { ExitCode } from "../exit-codes.js";
import { loadSource } from "../load-source.js";
import { parseKind, parseOptions, UsageError, withUsage } from "../options.js";
import { jsonDiagnostics, printDiagnosticsText } from "../report.js";

export default function inspect(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "inspect", async () => {
    const { values, positionals } = parseOptions(args, {
      json: { type: "boolean" },
      kind: { type: "string" },
    });
    const kind = parseKind(values.kind);
    if (positionals.length !== 1) throw new UsageError("expected exactly one file");
    const loaded = await loadSource(positionals[0]!, kind);
    const lookup = sourceLookup(loaded.source === undefined ? [] : [loaded.source]);
    if (values.json === true) {
      const out = {
        kind: loaded.kind ?? null,
        module: loaded.module ?? null,
        diagnostics: jsonDiagnostics(loaded.diagnostics, lookup),
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      if (loaded.module !== undefined) process.stdout.write(`${JSON.stringify(loaded.module, null, 2)}\n`);
      printDiagnosticsText(loaded.diagnostics, lookup);
    }
    return hasErrors(loaded.diagnostics) || loaded.module === undefined ? ExitCode.Errors : ExitCode.Ok;
  });
}
