/**
 * `runbook exec runbook.yaml --mode real|replay|dry-run`: runs a runbook with the engine in
 * src/runtime/runbook, printing a line per step. Exit 0 when the run passed, 1 when a step failed
 * (or the runbook has errors, or the replay scenario was not consumed), 2 for a wrong command
 * line, 4 when the run paused for evidence or an approval (continue with --resume).
 */

import {
  defaultActor,
  giveEvidence,
  loadRunbook,
  openSession,
  parseEvidenceArguments,
  parseVars,
} from "../../driver/runbook-session.js";
import { UsageError } from "../../driver/usage-error.js";
import type { ManualStep } from "../../lang/runbook/types.js";
import { dryRun, formatDryRun, quoteForDisplay } from "../../runtime/runbook/dry-run.js";
import type { RunbookEngine, StepOutcome } from "../../runtime/runbook/engine.js";
import { RunbookRuntimeError } from "../../runtime/runbook/errors.js";
import { writeScenarioOfRun } from "../../runtime/runbook/recorded-scenario.js";
import type { StepResult } from "../../runtime/runbook/state.js";
import { ExitCode } from "../exit-codes.js";
import { followUp } from "../follow-up.js";
import { parseOptions, withUsage } from "../options.js";
import { printDiagnosticsText } from "../report.js";
import { TerminalAttendant } from "../runbook-attendant.js";
import { planRecording } from "../runbook-record.js";
import { readTraceKey } from "../trace-key.js";

/** Lines of a manual step's instructions shown when a run pauses at it. */
const MAX_INSTRUCTION_LINES = 12;

export const ExecExit = { ...ExitCode, Paused: 4 } as const;

const OPTIONS = {
  mode: { type: "string" },
  scenario: { type: "string" },
  "replay-engine": { type: "string" },
  "allowed-commands": { type: "string" },
  var: { type: "string", multiple: true },
  evidence: { type: "string", multiple: true },
  attach: { type: "string", multiple: true },
  "evidence-from": { type: "string" },
  as: { type: "string" },
  role: { type: "string", multiple: true },
  approve: { type: "string", multiple: true },
  resume: { type: "string" },
  "run-id": { type: "string" },
  "run-dir": { type: "string" },
  record: { type: "string" },
  "trace-key-file": { type: "string" },
  "no-input": { type: "boolean" },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
} as const;

export default function exec(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "exec", async () => {
    const { values, positionals } = parseOptions(args, OPTIONS);
    if (positionals.length > 1) throw new UsageError(`expected one runbook.yaml, got ${positionals.length}`);
    const json = values.json === true;
    const list = (name: keyof typeof OPTIONS) => (values[name] as string[] | undefined) ?? [];
    const vars = parseVars(list("var"));
    const mode = values.mode as string | undefined;
    const root = (values["run-dir"] as string | undefined) ?? process.cwd();
    try {
      const recording = planRecording({
        record: values.record as string | undefined,
        mode,
        resume: values.resume as string | undefined,
        root,
      });
      if (mode === "dry-run") {
        if (values.resume !== undefined) throw new UsageError("--mode dry-run cannot --resume a run");
        const path = positionals[0];
        if (path === undefined) throw new UsageError("expected a runbook.yaml");
        const loaded = loadRunbook(path, printDiagnosticsText, values.quiet === true);
        if (loaded === undefined) return ExitCode.Errors;
        const plan = dryRun(loaded.runbook, process.env, vars);
        process.stdout.write(json ? `${JSON.stringify(plan, null, 2)}\n` : formatDryRun(plan));
        return plan.summary.blocked > 0 ? ExitCode.Errors : ExitCode.Ok;
      }
      const actor = (values.as as string | undefined) ?? defaultActor();
      const interactive =
        values["no-input"] !== true && !json && process.stdin.isTTY === true && process.stderr.isTTY === true;
      let engineRef: RunbookEngine | undefined;
      const attendant = interactive ? new TerminalAttendant(() => engineRef?.actor ?? actor) : undefined;
      const allowed = values["allowed-commands"] as string | undefined;
      const traceKey = readTraceKey(values["trace-key-file"] as string | undefined);
      const opened = await openSession({
        report: printDiagnosticsText,
        ...(positionals[0] === undefined ? {} : { runbookPath: positionals[0] }),
        ...(mode === undefined ? {} : { mode }),
        ...(values.scenario === undefined ? {} : { scenarioPath: values.scenario as string }),
        ...(values["replay-engine"] === undefined ? {} : { replayEngine: values["replay-engine"] as string }),
        ...(allowed === undefined
          ? {}
          : {
              allowedCommands: allowed
                .split(",")
                .map((c) => c.trim())
                .filter((c) => c !== ""),
            }),
        vars,
        actor,
        roles: list("role"),
        ...(values.resume === undefined ? {} : { resume: values.resume as string }),
        ...(values["evidence-from"] === undefined ? {} : { evidenceFrom: values["evidence-from"] as string }),
        root,
        ...(values["run-id"] === undefined ? {} : { runId: values["run-id"] as string }),
        ...(attendant === undefined ? {} : { attendant }),
        quiet: values.quiet === true,
        ...(recording === undefined ? {} : { wrapRealRunner: recording.wrap }),
        ...(traceKey === undefined ? {} : { traceKey }),
      });
      if ("exit" in opened) return opened.exit;
      const engine = opened.engine;
      engineRef = engine;
      recording?.runner?.bind(
        { dir: engine.store.dir, redactor: engine.redactor, current: () => engine.current },
        recording.scenario,
      );
      try {
        giveEvidence(engine, parseEvidenceArguments(list("evidence"), list("attach")));
        for (const id of list("approve")) engine.approve(id);
        const say = (text: string) => {
          if (!json && values.quiet !== true) process.stderr.write(text);
        };
        say(
          `${engine.done ? "" : values.resume ? "Resuming" : "Running"} '${opened.loaded.runbook.meta.name}' (${engine.state.mode}) as run ${engine.runId}\n`,
        );
        const outcome = await engine.continue((result) => say(stepLine(result, engine.plan.length)));
        const written =
          recording === undefined ? undefined : writeScenarioOfRun(engine, opened.loaded.runbook);
        if (recording !== undefined)
          say(
            written === undefined
              ? "No command has run yet: no scenario written.\n"
              : `Recorded ${written.steps} command${written.steps === 1 ? "" : "s"} as the scenario ${written.path}\n`,
          );
        return report(engine, outcome, json, say, {
          program,
          ...(written === undefined ? {} : { recorded: written }),
          runDir: values["run-dir"] as string | undefined,
          // What a resumed run does not take from the run folder, so the resume keeps it.
          verifyKeep:
            values["trace-key-file"] === undefined
              ? []
              : ["--trace-key-file", values["trace-key-file"] as string],
          keep: [
            ...(allowed === undefined ? [] : ["--allowed-commands", allowed]),
            ...(values["evidence-from"] === undefined
              ? []
              : ["--evidence-from", values["evidence-from"] as string]),
            ...(values["trace-key-file"] === undefined
              ? []
              : ["--trace-key-file", values["trace-key-file"] as string]),
          ],
        });
      } finally {
        attendant?.close();
        await engine.close();
      }
    } catch (error) {
      if (!(error instanceof RunbookRuntimeError)) throw error;
      if (json) process.stdout.write(`${JSON.stringify({ error: error.error }, null, 2)}\n`);
      else
        process.stderr.write(
          `${program} exec: error ${error.error.code}: ${error.error.message}\n${error.error.hint ? `  hint: ${error.error.hint}\n` : ""}`,
        );
      return ExitCode.Errors;
    }
  });
}

export function stepLine(result: StepResult, total: number): string {
  const mark = result.status === "passed" ? "✓" : result.status === "failed" ? "✗" : "-";
  const head = `${mark} ${String(result.index + 1).padStart(String(total).length)}/${total} ${result.step_id} (${result.type})`;
  const argv = result.argv === undefined ? "" : `  ${result.argv.map(quoteForDisplay).join(" ")}`;
  const tail =
    result.error === null
      ? ""
      : `\n    ${result.error.code} ${result.error.message}${result.error.hint ? `\n    hint: ${result.error.hint}` : ""}`;
  return `${head}${argv}${tail}\n`;
}

function report(
  engine: RunbookEngine,
  outcome: StepOutcome,
  json: boolean,
  say: (text: string) => void,
  /** How this command was invoked, for the commands it suggests next. */
  invoked: {
    readonly program: string;
    readonly runDir: string | undefined;
    readonly keep: readonly string[];
    /** What the printed `verify` needs besides the run: the key file the run was signed with. */
    readonly verifyKeep?: readonly string[];
    /** `--record`: the scenario written and its step count. */
    readonly recorded?: { readonly path: string; readonly steps: number };
  },
): number {
  const { program, runDir, keep, verifyKeep = [] } = invoked;
  const recorded = invoked.recorded === undefined ? {} : { recorded_scenario: invoked.recorded };
  const where = engine.store.dir;
  if (outcome.kind === "paused") {
    const step = outcome.step.step;
    const evidence = step.type === "manual" ? (step.required_evidence ?? []) : [];
    const hints = outcome.waitingFor.map((w) => {
      if (!w.startsWith("evidence "))
        return `--approve ${step.id} --as <name>${step.approvals?.roles ? ` --role ${step.approvals.roles[0]}` : ""}`;
      const key = w.slice("evidence ".length);
      const kind = evidence.find((e) => `${step.id}.${e.name}` === key)?.kind;
      return kind === "attachment"
        ? `--attach ${key}=<file>`
        : `--evidence ${key}=${kind === "checklist" ? "all" : "…"}`;
    });
    if (json)
      process.stdout.write(
        `${JSON.stringify({ run_id: engine.runId, status: "paused", step: step.id, waiting_for: outcome.waitingFor, run_dir: where, ...recorded }, null, 2)}\n`,
      );
    else {
      say(
        `\nPaused at step ${outcome.step.index + 1} '${step.id}' (${step.type}): waiting for ${outcome.waitingFor.join(", ")}\n`,
      );
      if (step.type === "manual") say(describeManualStep(step));
      say(
        `Continue with:\n  ${followUp(program, ["exec", "--resume", engine.runId, ...keep], runDir, hints)}\n`,
      );
    }
    return ExecExit.Paused;
  }
  if (outcome.kind !== "finished") return ExitCode.Internal;
  const history = engine.history;
  const count = (s: string) => history.filter((r) => r.status === s).length;
  if (json)
    process.stdout.write(
      `${JSON.stringify({ run_id: engine.runId, status: outcome.status, steps: { passed: count("passed"), failed: count("failed"), skipped: count("skipped") }, ...(outcome.scenario ? { scenario: outcome.scenario } : {}), run_dir: where, ...recorded }, null, 2)}\n`,
    );
  else {
    if (outcome.scenario !== undefined && !outcome.scenario.passed && count("failed") === 0)
      say(
        `✗ the replay scenario was not consumed: ${outcome.scenario.consumed_steps}/${outcome.scenario.total_steps} steps\n${outcome.scenario.unmet.map((u) => `    ${u}\n`).join("")}`,
      );
    say(
      `Run ${engine.runId} ${outcome.status}: ${count("passed")} passed, ${count("failed")} failed, ${count("skipped")} skipped.\n  trace: ${where}/trace.jsonl\n  verify: ${followUp(program, ["verify", engine.runId, ...verifyKeep], runDir)}\n`,
    );
  }
  return outcome.status === "passed" ? ExitCode.Ok : ExitCode.Errors;
}

/** What a person must do and attest at a paused manual step: its instructions and evidence. */
export function describeManualStep(step: ManualStep): string {
  const lines = [`  ${step.title}`];
  if (step.command !== undefined) lines.push(`  command: ${step.command}`);
  else {
    // The checklist's items are listed below with their numbers: not twice.
    const items = new Set((step.required_evidence ?? []).flatMap((e) => e.items ?? []));
    const instructions = step.instructions
      .trim()
      .split("\n")
      .filter((l) => l.trim() !== "" && !items.has(l.trim().replace(/^(?:[-*+]|\d+[.)])\s+/, "")));
    const shown = instructions.slice(0, MAX_INSTRUCTION_LINES).map((l) => `    ${l}`);
    if (instructions.length > MAX_INSTRUCTION_LINES)
      shown.push(`    … (${instructions.length - MAX_INSTRUCTION_LINES} more lines in the runbook)`);
    lines.push(...shown);
  }
  for (const e of step.required_evidence ?? []) {
    const about = e.description === undefined ? "" : `: ${e.description}`;
    if (e.kind === "checklist") {
      lines.push(`  evidence '${e.name}' (checklist; give 'all' or the numbers of the items done)${about}`);
      (e.items ?? []).forEach((item, i) => {
        lines.push(`    ${i + 1}. ${item}`);
      });
    } else lines.push(`  evidence '${e.name}' (${e.kind})${about}`);
  }
  return `${lines.join("\n")}\n`;
}
