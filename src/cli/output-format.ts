/**
 * The output options of the commands that report diagnostics (`check`, `compile`): `--format
 * text|json|sarif` (`--json` is `--format json`) and `--max-warnings N`, which fails the command
 * (exit 1, as for errors) when there are more than N warnings, as eslint's does. Warnings are
 * counted whether or not `--quiet` hides them.
 */

import { UsageError } from "../driver/usage-error.js";
import type { Diagnostic } from "../ir/diagnostic.js";
import type { SourceLookup } from "../ir/print-diagnostics.js";
import { colorsFor } from "./color.js";
import type { ParsedOptions } from "./options.js";
import { plural, sortDiagnostics } from "./report.js";

export type OutputFormat = "text" | "json" | "sarif";

/** The options these read, to spread into a command's option list. */
export const OUTPUT_OPTIONS = {
  format: { type: "string" },
  "max-warnings": { type: "string" },
} as const;

export function outputFormat(values: ParsedOptions["values"]): OutputFormat {
  const format = values.format as string | undefined;
  if (format !== undefined && format !== "text" && format !== "json" && format !== "sarif")
    throw new UsageError(`--format must be text, json or sarif, not '${format}'`);
  if (values.json === true && format !== undefined && format !== "json")
    throw new UsageError(`--json is --format json; it cannot go with --format ${format}`);
  return values.json === true ? "json" : (format ?? "text");
}

export function maxWarnings(values: ParsedOptions["values"]): number | undefined {
  const raw = values["max-warnings"] as string | undefined;
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--max-warnings must be a whole number, not '${raw}'`);
  return Number(raw);
}

/**
 * True when there are more warnings than the limit allows; then says so on stderr (in every
 * format: stdout keeps only the report).
 */
export function tooManyWarnings(
  program: string,
  command: string,
  warnings: number,
  limit: number | undefined,
): boolean {
  if (limit === undefined || warnings <= limit) return false;
  const c = colorsFor(process.stderr);
  process.stderr.write(
    `${program} ${command}: ${c.red(`${plural(warnings, "warning")}, more than --max-warnings ${limit} allows`)}\n`,
  );
  return true;
}

/** `--format sarif`: the SARIF log of these diagnostics on stdout. */
export async function writeSarif(diagnostics: readonly Diagnostic[], lookup: SourceLookup): Promise<void> {
  const { formatSarif, sarifLog } = await import("./sarif.js");
  process.stdout.write(formatSarif(sarifLog(sortDiagnostics(diagnostics), lookup)));
}
