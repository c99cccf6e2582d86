/**
 * `runbook verify <run_id|dir>... [--format text|json|junit]`: checks recorded runs (the hash
 * chain, snapshots and attachments, steps, evidence, approvals, assertions, governance, the
 * replay scenario). Exit 0 when every run verifies, 1 when one does not.
 */
import { RunbookRuntimeError } from "../../runtime/runbook/errors.js";
import { RunStore } from "../../runtime/runbook/store.js";
import {
  formatVerifyReportJunit,
  formatVerifyReportText,
  type VerifyReport,
  verifyRun,
} from "../../runtime/runbook/verify.js";
import { ExitCode } from "../exit-codes.js";
import { parseOptions, UsageError, withUsage } from "../options.js";

const OPTIONS = {
  format: { type: "string" },
  json: { type: "boolean" },
  "run-dir": { type: "string" },
} as const;

export default function verify(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "verify", async () => {
    const { values, positionals } = parseOptions(args, OPTIONS);
    const format = values.json === true ? "json" : ((values.format as string | undefined) ?? "text");
    if (!["text", "json", "junit"].includes(format))
      throw new UsageError(`--format must be text, json or junit, not '${format}'`);
    if (positionals.length === 0)
      throw new UsageError("expected a run id or a run folder (.runbook/runs/<run_id>)");
    const root = (values["run-dir"] as string | undefined) ?? process.cwd();
    const reports: VerifyReport[] = [];
    for (const run of positionals) {
      try {
        reports.push(verifyRun(RunStore.locate(root, run)));
      } catch (error) {
        if (!(error instanceof RunbookRuntimeError)) throw error;
        process.stderr.write(
          `${program} verify: error ${error.error.code}: ${error.error.message}\n${error.error.hint ? `  hint: ${error.error.hint}\n` : ""}`,
        );
        return ExitCode.Errors;
      }
    }
    if (format === "json")
      process.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
    else if (format === "junit") process.stdout.write(formatVerifyReportJunit(reports));
    else process.stdout.write(reports.map(formatVerifyReportText).join("\n"));
    return reports.every((r) => r.passed) ? ExitCode.Ok : ExitCode.Errors;
  });
}
