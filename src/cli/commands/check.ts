/**
 * `check <paths…>`: parse every source and validate its frontmatter or task block; a runbook or
 * cli-replay scenario `.yaml` gets every check `validate` runs on it. Diagnostics
 * go to stderr (or, with --json / --format json|sarif, one document to stdout). Exit 0 clean,
 * 1 errors (or more warnings than --max-warnings), 2 usage.
 */

import { checkRunbookFile } from "../../driver/check-runbook-file.js";
import { checkScenarioFile } from "../../driver/check-scenario-file.js";
import { kindOfFile } from "../../driver/file-kinds.js";
import { loadSource } from "../../driver/load-source.js";
import { UsageError } from "../../driver/usage-error.js";
import { isYamlPath } from "../../frontend/detect-kind.js";
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { SourceKind } from "../../ir/nodes.js";
import { sourceLookup } from "../../ir/print-diagnostics.js";
import type { SourceFile } from "../../ir/source-file.js";
import { ExitCode } from "../exit-codes.js";
import { expandPaths } from "../expand-paths.js";
import { parseFileKind, parseOptions, withUsage } from "../options.js";
import { maxWarnings, OUTPUT_OPTIONS, outputFormat, tooManyWarnings, writeSarif } from "../output-format.js";
import { countBySeverity, countText, jsonDiagnostics, plural, printDiagnosticsText } from "../report.js";

export default function check(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "check", async () => {
    const { values, positionals } = parseOptions(args, {
      json: { type: "boolean" },
      kind: { type: "string" },
      quiet: { type: "boolean" },
      ...OUTPUT_OPTIONS,
    });
    const kind = parseFileKind(values.kind);
    const format = outputFormat(values);
    const limit = maxWarnings(values);
    if (positionals.length === 0) throw new UsageError("expected at least one file, directory or glob");

    const expansion = await expandPaths(positionals, { yaml: true });
    const diagnostics: Diagnostic[] = expansion.unmatched.map((pattern) =>
      makeDiagnostic(Diagnostics.NoFilesMatched, { file: pattern, start: 0, end: 0 }, { pattern }),
    );
    const sources: SourceFile[] = [];
    const files: { path: string; kind: string | null }[] = [];
    for (const path of expansion.files) {
      const yamlKind =
        kind === "runbook" || kind === "scenario"
          ? kind
          : kind === undefined && isYamlPath(path)
            ? ((kindOfFile(path) as "runbook" | "scenario" | undefined) ?? "runbook")
            : undefined;
      if (yamlKind !== undefined) {
        const checked = yamlKind === "runbook" ? checkRunbookFile(path) : checkScenarioFile(path);
        if (checked.source !== undefined) sources.push(checked.source);
        files.push({ path, kind: yamlKind });
        diagnostics.push(...checked.diagnostics);
        continue;
      }
      // Here --kind, if given, is a source kind: runbook and scenario were read above.
      const loaded = await loadSource(path, kind as SourceKind | undefined);
      sources.push(...loaded.sources);
      files.push({ path, kind: loaded.kind ?? null });
      diagnostics.push(...loaded.diagnostics);
    }
    const shown = values.quiet === true ? diagnostics.filter((d) => d.severity === "error") : diagnostics;
    const lookup = sourceLookup(sources);
    const counts = countBySeverity(diagnostics);
    if (format === "sarif") await writeSarif(shown, lookup);
    else if (format === "json") {
      const report = {
        files,
        diagnostics: jsonDiagnostics(shown, lookup),
        summary: { files: files.length, errors: counts.errors, warnings: counts.warnings },
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      printDiagnosticsText(shown, lookup);
      process.stderr.write(
        `Checked ${plural(files.length, "file")}: ${countText(counts.errors, "error")}, ${countText(counts.warnings, "warning")}.\n`,
      );
    }
    const overLimit = tooManyWarnings(program, "check", counts.warnings, limit);
    return counts.errors > 0 || overLimit ? ExitCode.Errors : ExitCode.Ok;
  });
}
