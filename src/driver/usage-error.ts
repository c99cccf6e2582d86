/**
 * The command line's mistakes, as the driver finds them (an option value that cannot apply, a
 * file of the wrong kind): the CLI prints them as usage errors and ends with exit code 2
 * (cli/options.ts `withUsage`).
 */
import type { Diagnostic } from "../ir/diagnostic.js";

export class UsageError extends Error {}

/** A usage error that is a coded diagnostic (a file of the wrong kind, RLC0011): printed as one. */
export class DiagnosticUsageError extends UsageError {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}
