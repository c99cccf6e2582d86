/**
 * `runbook debug runbook.yaml --mode real|replay`: the runbook debugger, a REPL on stdin/stdout
 * over the same engine and run folder as `runbook exec` (src/cli/runbook-debugger.ts). Evidence
 * and approvals are given with the debugger's own commands, so no attendant prompts. Exit 0 when
 * the run passed, 1 when it failed (or the runbook has errors), 2 for a wrong command line, 4
 * when it was left paused or unfinished (continue with --resume).
 */

import { defaultActor, openSession, parseVars } from "../../driver/runbook-session.js";
import { UsageError } from "../../driver/usage-error.js";
import { RunbookRuntimeError } from "../../runtime/runbook/errors.js";
import { writeScenarioOfRun } from "../../runtime/runbook/recorded-scenario.js";
import { ExitCode } from "../exit-codes.js";
import { parseOptions, withUsage } from "../options.js";
import { printDiagnosticsText } from "../report.js";
import { Debugger } from "../runbook-debugger.js";
import { planRecording } from "../runbook-record.js";
import { readTraceKey } from "../trace-key.js";

const OPTIONS = {
  mode: { type: "string" },
  scenario: { type: "string" },
  "replay-engine": { type: "string" },
  var: { type: "string", multiple: true },
  as: { type: "string" },
  role: { type: "string", multiple: true },
  resume: { type: "string" },
  "run-dir": { type: "string" },
  "run-id": { type: "string" },
  "trace-key-file": { type: "string" },
} as const;

export default function debug(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "debug", async () => {
    const { values, positionals } = parseOptions(args, OPTIONS);
    if (positionals.length > 1) throw new UsageError(`expected one runbook.yaml, got ${positionals.length}`);
    const mode = values.mode as string | undefined;
    if (mode === "dry-run")
      throw new UsageError("--mode must be real or replay (for the plan alone: runbook exec --mode dry-run)");
    const list = (name: "var" | "role") => (values[name] as string[] | undefined) ?? [];
    try {
      const traceKey = readTraceKey(values["trace-key-file"] as string | undefined);
      const root = (values["run-dir"] as string | undefined) ?? process.cwd();
      // A run started with `exec --record` keeps recording here too (src/cli/runbook-record.ts).
      const recording = planRecording({
        record: undefined,
        mode,
        resume: values.resume as string | undefined,
        root,
      });
      const opened = await openSession({
        report: printDiagnosticsText,
        ...(positionals[0] === undefined ? {} : { runbookPath: positionals[0] }),
        ...(mode === undefined ? {} : { mode }),
        ...(values.scenario === undefined ? {} : { scenarioPath: values.scenario as string }),
        ...(values["replay-engine"] === undefined ? {} : { replayEngine: values["replay-engine"] as string }),
        vars: parseVars(list("var")),
        actor: (values.as as string | undefined) ?? defaultActor(),
        roles: list("role"),
        ...(values.resume === undefined ? {} : { resume: values.resume as string }),
        root,
        ...(values["run-id"] === undefined ? {} : { runId: values["run-id"] as string }),
        ...(traceKey === undefined ? {} : { traceKey }),
        ...(recording === undefined ? {} : { wrapRealRunner: recording.wrap }),
      });
      if ("exit" in opened) return opened.exit;
      const engine = opened.engine;
      recording?.runner?.bind(
        { dir: engine.store.dir, redactor: engine.redactor, current: () => engine.current },
        recording.scenario,
      );
      const session = new Debugger(opened.engine, process.stdin, process.stdout, {
        runbook: opened.loaded.runbook,
        resumed: values.resume !== undefined,
        program,
        ...(values["run-dir"] === undefined ? {} : { runDir: values["run-dir"] as string }),
        ...(values["trace-key-file"] === undefined
          ? {}
          : { keep: ["--trace-key-file", values["trace-key-file"] as string] }),
      });
      const exit = await session.run();
      const written = recording === undefined ? undefined : writeScenarioOfRun(engine, opened.loaded.runbook);
      if (written !== undefined)
        process.stdout.write(
          `Recorded ${written.steps} command${written.steps === 1 ? "" : "s"} as the scenario ${written.path}\n`,
        );
      return exit;
    } catch (error) {
      if (!(error instanceof RunbookRuntimeError)) throw error;
      process.stderr.write(
        `${program} debug: error ${error.error.code}: ${error.error.message}\n${error.error.hint ? `  hint: ${error.error.hint}\n` : ""}`,
      );
      return ExitCode.Errors;
    }
  });
}
