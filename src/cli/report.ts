/** Printing diagnostics for commands: text on stderr (coloured on a terminal), or the JSON objects. */
import type { Diagnostic } from "../ir/diagnostic.js";
import { compareDiagnostics } from "../ir/diagnostic.js";
import {
  formatDiagnostics,
  type JsonDiagnostic,
  type SourceLookup,
  toJsonDiagnostic,
} from "../ir/print-diagnostics.js";
import { colorsFor, diagnosticStyle } from "./color.js";

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(compareDiagnostics);
}

export function printDiagnosticsText(diagnostics: readonly Diagnostic[], lookup: SourceLookup): void {
  if (diagnostics.length > 0)
    process.stderr.write(
      `${formatDiagnostics(sortDiagnostics(diagnostics), lookup, diagnosticStyle(process.stderr))}\n`,
    );
}

export function jsonDiagnostics(diagnostics: readonly Diagnostic[], lookup: SourceLookup): JsonDiagnostic[] {
  return sortDiagnostics(diagnostics).map((d) => toJsonDiagnostic(d, lookup));
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const d of diagnostics) {
    if (d.severity === "error") errors++;
    else if (d.severity === "warning") warnings++;
  }
  return { errors, warnings };
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "2 errors" / "1 warning" for a summary on stderr: red or yellow on a terminal when not zero. */
export function countText(n: number, word: "error" | "warning"): string {
  const text = plural(n, word);
  if (n === 0) return text;
  const c = colorsFor(process.stderr);
  return word === "error" ? c.red(c.bold(text)) : c.yellow(text);
}
