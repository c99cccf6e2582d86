/** Printing diagnostics for commands: text on stderr, or the JSON objects. */
import type { Diagnostic } from "../ir/diagnostic.js";
import { compareDiagnostics } from "../ir/diagnostic.js";
import {
  formatDiagnostics,
  type JsonDiagnostic,
  type SourceLookup,
  toJsonDiagnostic,
} from "../ir/print-diagnostics.js";

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(compareDiagnostics);
}

export function printDiagnosticsText(diagnostics: readonly Diagnostic[], lookup: SourceLookup): void {
  if (diagnostics.length > 0)
    process.stderr.write(`${formatDiagnostics(sortDiagnostics(diagnostics), lookup)}\n`);
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
