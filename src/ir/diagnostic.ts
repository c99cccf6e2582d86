import type { Span } from "./span.js";

export type Severity = "error" | "warning" | "info";

export interface RelatedInformation {
  readonly message: string;
  readonly span: Span;
}

/**
 * A compiler diagnostic. `--json` prints these objects as they are; the text printer
 * (`print-diagnostics.ts`) renders the same fields with a code frame.
 */
export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly related: readonly RelatedInformation[];
  readonly hint?: string;
}

/** One entry of the catalogue: a stable code, a severity, and typed message/hint functions. */
export interface DiagnosticDefinition<A> {
  readonly code: string;
  readonly severity: Severity;
  readonly message: (args: A) => string;
  readonly hint?: (args: A) => string | undefined;
}

export function defineDiagnostic<A = Record<string, never>>(
  code: string,
  severity: Severity,
  message: (args: A) => string,
  hint?: (args: A) => string | undefined,
): DiagnosticDefinition<A> {
  return hint === undefined ? { code, severity, message } : { code, severity, message, hint };
}

export interface DiagnosticExtras {
  readonly related?: readonly RelatedInformation[];
  /** Overrides the catalogue's hint, e.g. with a "did you mean" computed at the report site. */
  readonly hint?: string;
}

/** Builds a diagnostic from its catalogue entry. The only way passes and frontends make one. */
export function makeDiagnostic<A>(
  definition: DiagnosticDefinition<A>,
  span: Span,
  args: A,
  extras: DiagnosticExtras = {},
): Diagnostic {
  const hint = extras.hint ?? definition.hint?.(args);
  const base = {
    code: definition.code,
    severity: definition.severity,
    message: definition.message(args),
    span,
    related: extras.related ?? [],
  };
  return hint === undefined ? base : { ...base, hint };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Stable order for printing: file, then position, then code, then message. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.span.file !== b.span.file) return a.span.file < b.span.file ? -1 : 1;
  if (a.span.start !== b.span.start) return a.span.start - b.span.start;
  if (a.span.end !== b.span.end) return a.span.end - b.span.end;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}
