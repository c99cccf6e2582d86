/**
 * `runbook verify <run_id|dir>... [--format text|json|junit]`: checks recorded runs (the hash
 * chain, snapshots and attachments, steps, evidence, approvals, assertions, governance, the
 * replay scenario, the manifest, and the runbook, scenario and policy against the files as they
 * are now). Exit 0 when every run verifies, 1 when one does not.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { UsageError } from "../../driver/usage-error.js";
import { RunbookRuntimeError } from "../../runtime/runbook/errors.js";
import type { RunStartedEvent } from "../../runtime/runbook/state.js";
import { RunStore } from "../../runtime/runbook/store.js";
import { sha256 } from "../../runtime/runbook/trace.js";
import {
  formatVerifyReportJunit,
  formatVerifyReportText,
  type InputNow,
  type VerifyReport,
  verifyRun,
} from "../../runtime/runbook/verify.js";
import { ExitCode } from "../exit-codes.js";
import { parseOptions, withUsage } from "../options.js";
import { readTraceKey } from "../trace-key.js";

const OPTIONS = {
  format: { type: "string" },
  json: { type: "boolean" },
  "run-dir": { type: "string" },
  "trace-key-file": { type: "string" },
  "allow-changed": { type: "boolean" },
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
        const key = readTraceKey(values["trace-key-file"] as string | undefined);
        reports.push(
          verifyRun(RunStore.locate(root, run), {
            ...(key === undefined ? {} : { key }),
            inputs: currentInputs,
            allowChanged: values["allow-changed"] === true,
          }),
        );
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

/** The runbook and scenario at the paths the run recorded (relative to this folder), and the runbook's policy. */
export function currentInputs(started: RunStartedEvent): {
  runbook: InputNow;
  scenario?: InputNow;
  policy: InputNow;
} {
  const runbook = readText(started.runbook.path);
  let policy: string | undefined;
  if (runbook !== undefined)
    try {
      const governance = (parse(runbook) as { meta?: { governance?: unknown } } | null)?.meta?.governance;
      policy = sha256(JSON.stringify(governance ?? {}));
    } catch {
      policy = sha256("");
    }
  return {
    runbook: { path: started.runbook.path, sha256: runbook === undefined ? undefined : sha256(runbook) },
    ...(started.scenario === undefined
      ? {}
      : {
          scenario: {
            path: started.scenario.path,
            sha256: mapDefined(readText(started.scenario.path), sha256),
          },
        }),
    policy: { path: started.runbook.path, sha256: policy },
  };
}

function readText(path: string): string | undefined {
  try {
    const text = readFileSync(resolve(path), "utf8");
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return undefined;
  }
}

function mapDefined<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}
