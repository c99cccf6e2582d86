/** Exit codes of every command (README.md; `run` and `validate` add theirs, docs/errors.md). */
export const ExitCode = {
  /** Success; warnings may have been printed. */
  Ok: 0,
  /** The input has errors (diagnostics say which). */
  Errors: 1,
  /** The command line is wrong (unknown command or option, missing argument). */
  Usage: 2,
  /** A bug in rllmc. */
  Internal: 3,
} as const;
