/**
 * The commands `runbook exec` and `runbook debug` suggest next (`--resume`, `verify`), written so
 * that they work as printed: the program as it was invoked (behind `npx` when it was started by
 * `npx`/`npm exec`, since a project's own bins are not on the PATH), the run, and `--run-dir`
 * when the run is not under the current folder.
 */
import { quoteForDisplay } from "../runtime/runbook/dry-run.js";

/**
 * `program words… [--run-dir D] extra…`; `words` and `runDir` are quoted for a shell, `extra`
 * (hints with placeholders such as `--evidence step.name=…`) is printed as it is.
 */
export function followUp(
  program: string,
  words: readonly string[],
  runDir: string | undefined,
  extra: readonly string[] = [],
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return [
    ...(env.npm_command === "exec" ? ["npx"] : []),
    program,
    ...words.map(quoteForDisplay),
    ...(runDir === undefined ? [] : ["--run-dir", quoteForDisplay(runDir)]),
    ...extra,
  ].join(" ");
}
