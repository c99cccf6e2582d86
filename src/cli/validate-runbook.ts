/**
 * `runbook validate runbook.yaml`: the YAML and the runbook/v0 schema (frontend/runbook), then
 * the compiler's Stage C checks (ids, group nesting, policy, templates, replay compatibility),
 * every problem reported at its line and column in the YAML. Exit 0 when valid (warnings
 * allowed), 1 when not.
 */

import { checkRunbookFile } from "../driver/check-runbook-file.js";
import { sourceLookup } from "../ir/print-diagnostics.js";
import { allSteps } from "../lang/runbook/types.js";
import { ExitCode } from "./exit-codes.js";
import { countBySeverity, jsonDiagnostics, plural, printDiagnosticsText } from "./report.js";

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
