/**
 * `validate` and `check` of the files that are not `.rllm` apps: a cli-replay scenario (its YAML,
 * schema and rules, as `runbook exec --mode replay` reads it), a TSG (compiled in memory with
 * `--llm off`, nothing written: does it compile, into how many steps) and a task (its checks).
 * Runbooks are validate-runbook.ts's. Each prints its diagnostics on stderr and a one-line
 * verdict on stdout, or with `--json` one JSON document; exit 0 when valid, 1 when not.
 */

import { checkScenarioFile } from "../driver/check-scenario-file.js";
import { compileFile } from "../driver/compile-runbooks.js";
import { loadSource } from "../driver/load-source.js";
import type { Diagnostic } from "../ir/diagnostic.js";
import { sourceLookup } from "../ir/print-diagnostics.js";
import type { SourceFile } from "../ir/source-file.js";
import { ExitCode } from "./exit-codes.js";
import { countBySeverity, jsonDiagnostics, plural, printDiagnosticsText } from "./report.js";

export function validateScenarioFile(path: string, json: boolean): number {
  const { source, scenario, diagnostics } = checkScenarioFile(path);
  const valid = countBySeverity(diagnostics).errors === 0 && scenario !== undefined;
  const verdict = valid
    ? `valid cli-replay scenario '${scenario!.meta.name}': ${plural(scenario!.steps.length, "step")}`
    : "not a valid cli-replay scenario";
  return report(path, "scenario", valid, verdict, diagnostics, source === undefined ? [] : [source], json, {
    ...(scenario === undefined ? {} : { name: scenario.meta.name, steps: scenario.steps.length }),
  });
}

/** A TSG: compiled in memory as `runbook compile --llm off` would, writing nothing. */
export async function validateTsgFile(path: string, json: boolean): Promise<number> {
  const sources: SourceFile[] = [];
  const result = await compileFile(path, "off", undefined, undefined, "llm=off", sources);
  const valid = countBySeverity(result.diagnostics).errors === 0 && result.stats !== undefined;
  const stats = result.stats;
  const verdict =
    valid && stats !== undefined
      ? `a TSG that compiles to a runbook of ${plural(stats.steps, "step")} (${stats.manual} manual); compile it with 'runbook compile ${path}'`
      : "a TSG that does not compile";
  return report(path, "tsg", valid, verdict, result.diagnostics, sources, json, {
    ...(stats === undefined ? {} : { steps: { cli: stats.cli, manual: stats.manual } }),
  });
}

/** A task: the checks `rllmc check` runs on it. */
export async function validateTaskFile(path: string, json: boolean): Promise<number> {
  const loaded = await loadSource(path, "task");
  const valid = countBySeverity(loaded.diagnostics).errors === 0 && loaded.module !== undefined;
  const verdict = valid ? "a valid task" : "not a valid task";
  return report(path, "task", valid, verdict, loaded.diagnostics, loaded.sources, json, {});
}

function report(
  path: string,
  kind: string,
  valid: boolean,
  verdict: string,
  diagnostics: readonly Diagnostic[],
  sources: readonly SourceFile[],
  json: boolean,
  extra: Readonly<Record<string, unknown>>,
): number {
  const counts = countBySeverity(diagnostics);
  const lookup = sourceLookup(sources);
  if (json) {
    const document = { valid, file: path, kind, ...extra, diagnostics: jsonDiagnostics(diagnostics, lookup) };
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    printDiagnosticsText(diagnostics, lookup);
    const tally = valid
      ? plural(counts.warnings, "warning")
      : `${plural(counts.errors, "error")}, ${plural(counts.warnings, "warning")}`;
    process.stdout.write(`${path}: ${verdict}; ${tally}.\n`);
  }
  return valid ? ExitCode.Ok : ExitCode.Errors;
}
