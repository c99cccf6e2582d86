/**
 * `runbook validate runbook.yaml`: the YAML and the runbook/v0 schema (frontend/runbook), then
 * the compiler's Stage C checks (ids, group nesting, policy, templates, replay compatibility),
 * every problem reported at its line and column in the YAML. Exit 0 when valid (warnings
 * allowed), 1 when not.
 */
import type { Runbook } from "../../grammar/runbook/types.js";
import { allSteps } from "../../grammar/runbook/types.js";
import { readSource } from "../frontend/read-source.js";
import { parseRunbook, yamlLocator } from "../frontend/runbook/parse-runbook.js";
import { sizeLimit } from "../frontend/size-limits.js";
import type { Diagnostic } from "../ir/diagnostic.js";
import { sourceLookup } from "../ir/print-diagnostics.js";
import type { SourceFile } from "../ir/source-file.js";
import { checkRunbook } from "../passes/runbook/check-runbook.js";
import { ExitCode } from "./exit-codes.js";
import { countBySeverity, jsonDiagnostics, plural, printDiagnosticsText } from "./report.js";

/** Reads a runbook file and runs every check on it: YAML, schema, Stage C. */
export function checkRunbookFile(path: string): {
  source: SourceFile | undefined;
  runbook: Runbook | undefined;
  diagnostics: Diagnostic[];
} {
  const read = readSource(path, sizeLimit("runbook"));
  const diagnostics = [...read.diagnostics];
  let runbook: Runbook | undefined;
  if (read.source !== undefined) {
    const parsed = parseRunbook(read.source);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.valid && parsed.document !== undefined) {
      runbook = parsed.document.value as unknown as Runbook;
      diagnostics.push(...checkRunbook(runbook, yamlLocator(parsed.document)));
    }
  }
  return { source: read.source, runbook, diagnostics };
}

export async function validateRunbookFile(path: string, json: boolean): Promise<number> {
  const { source, runbook, diagnostics } = checkRunbookFile(path);
  const counts = countBySeverity(diagnostics);
  const valid = counts.errors === 0 && runbook !== undefined;
  const steps = runbook === undefined ? [] : [...allSteps(runbook.steps)];
  const count = (type: string) => steps.filter((s) => s.type === type).length;
  const lookup = sourceLookup(source === undefined ? [] : [source]);
  if (json) {
    const report = {
      valid,
      file: path,
      ...(runbook === undefined
        ? {}
        : {
            name: runbook.meta.name,
            steps: { cli: count("cli"), manual: count("manual"), group: count("group") },
          }),
      diagnostics: jsonDiagnostics(diagnostics, lookup),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    printDiagnosticsText(diagnostics, lookup);
    process.stdout.write(
      valid
        ? `${path}: valid runbook/v0 '${runbook!.meta.name}': ${plural(count("cli"), "cli step")}, ${plural(count("manual"), "manual step")}, ${plural(count("group"), "group")}; ${plural(counts.warnings, "warning")}.\n`
        : `${path}: not a valid runbook: ${plural(counts.errors, "error")}, ${plural(counts.warnings, "warning")}.\n`,
    );
  }
  return valid ? ExitCode.Ok : ExitCode.Errors;
}
