/**
 * What `runbook exec` and `runbook debug` share: reading and checking the runbook (the YAML, the
 * schema and Stage C, as `runbook validate` does — a runbook with errors never runs), reading the
 * replay scenario, parsing `--var`, `--evidence`, `--attach`, and building the engine for the
 * mode: a real process runner, the in-process replay engine, or a cli-replay binary on PATH.
 */
import { existsSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { readSource } from "../frontend/read-source.js";
import { parseScenario } from "../frontend/replay/parse-scenario.js";
import { sizeLimit } from "../frontend/size-limits.js";
import { type Diagnostic, hasErrors } from "../ir/diagnostic.js";
import { type SourceLookup, sourceLookup } from "../ir/print-diagnostics.js";
import type { Scenario } from "../lang/replay/types.js";
import { DEFAULT_DENY_ENV_VARS, isDeniedEnvVar } from "../lang/runbook/governance.js";
import type { Runbook } from "../lang/runbook/types.js";
import { type EngineOptions, type EvidenceInput, RunbookEngine } from "../runtime/runbook/engine.js";
import { RunbookErrors, RunbookRuntimeError, runError } from "../runtime/runbook/errors.js";
import { RealRunner } from "../runtime/runbook/real-runner.js";
import {
  CliReplayBinaryRunner,
  type CliReplaySession,
  ReplayRunner,
} from "../runtime/runbook/replay-runners.js";
import type { EvidenceRecord, RunState } from "../runtime/runbook/state.js";
import type { CommandRunner } from "../runtime/runbook/step-providers.js";
import { newRunId, RunStore } from "../runtime/runbook/store.js";
import { readTrace, sha256 } from "../runtime/runbook/trace.js";
import { WritePathError } from "../runtime/shared/write-file.js";
import { checkRunbookFile } from "./check-runbook-file.js";
import { wrongKindDiagnostic } from "./file-kinds.js";
import { DiagnosticUsageError, UsageError } from "./usage-error.js";

export interface LoadedRunbook {
  readonly runbook: Runbook;
  readonly path: string;
  readonly text: string;
}

/**
 * Stage C's policy errors — a step whose program is not allowed or is denied — do not stop a run:
 * the steps before it are worth running, and the engine refuses the step itself when the run
 * reaches it, recording the refusal in the trace. They are printed as warnings.
 */
const ENFORCED_AT_RUN_TIME = new Set(["RBK6003", "RBK6004"]);

/** Where a session's diagnostics go: the CLI prints them (cli/report.ts). */
export type ReportDiagnostics = (diagnostics: readonly Diagnostic[], lookup: SourceLookup) => void;

/**
 * Reads and checks a runbook; reports its diagnostics (only its errors when `quiet`); undefined
 * when it has errors. A file of another kind (a TSG, an app, a scenario) is a usage error
 * (RLC0011) that says what to do.
 */
export function loadRunbook(
  path: string,
  report: ReportDiagnostics,
  quiet = false,
): LoadedRunbook | undefined {
  const wrongKind = wrongKindDiagnostic(path, "runbook");
  if (wrongKind !== undefined) throw new DiagnosticUsageError(wrongKind);
  const checked = checkRunbookFile(path);
  const diagnostics = checked.diagnostics.map((d) =>
    ENFORCED_AT_RUN_TIME.has(d.code) && d.severity === "error"
      ? { ...d, severity: "warning" as const, message: `${d.message} (the run will refuse this step)` }
      : d,
  );
  report(
    diagnostics.filter((d) => !quiet || d.severity === "error"),
    sourceLookup(checked.source === undefined ? [] : [checked.source]),
  );
  if (hasErrors(diagnostics) || checked.runbook === undefined || checked.source === undefined)
    return undefined;
  return { runbook: checked.runbook, path, text: checked.source.text };
}

export interface LoadedScenario {
  readonly scenario: Scenario;
  readonly path: string;
  readonly sha256: string;
}

export function loadScenario(path: string, report: ReportDiagnostics): LoadedScenario | undefined {
  const wrongKind = wrongKindDiagnostic(path, "scenario");
  if (wrongKind !== undefined) throw new DiagnosticUsageError(wrongKind);
  const read = readSource(path, sizeLimit("scenario"));
  const diagnostics: Diagnostic[] = [...read.diagnostics];
  let scenario: Scenario | undefined;
  if (read.source !== undefined) {
    const parsed = parseScenario(read.source);
    diagnostics.push(...parsed.diagnostics);
    scenario = parsed.scenario;
  }
  report(diagnostics, sourceLookup(read.source === undefined ? [] : [read.source]));
  if (hasErrors(diagnostics) || scenario === undefined || read.source === undefined) return undefined;
  return { scenario, path, sha256: sha256(read.source.text) };
}

/**
 * `--run-dir` must be a folder (or not exist yet: the run makes it). A file there is the command
 * line's mistake, said before anything runs (RLC0009 through withUsage).
 */
function checkRunRoot(root: string): void {
  try {
    if (!statSync(root).isDirectory())
      throw new WritePathError(root, `'${root}' is a file, not a folder; --run-dir takes a folder`);
  } catch (error) {
    if (error instanceof WritePathError) throw error;
    // Not there yet (the run makes it), or in a place the run's own write will report.
  }
}

/** `--var k=v` (repeatable). */
export function parseVars(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values) {
    const at = item.indexOf("=");
    if (at <= 0) throw new UsageError(`--var '${item}': expected NAME=VALUE`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

export interface EvidenceArgument {
  readonly step: string;
  readonly name: string;
  readonly raw: string;
  readonly attach: boolean;
}

/** `--evidence step.name=value` and `--attach step.name=path`. */
export function parseEvidenceArguments(
  evidence: readonly string[],
  attach: readonly string[],
): EvidenceArgument[] {
  const parse = (item: string, isAttach: boolean): EvidenceArgument => {
    const m = /^([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(item);
    if (m === null)
      throw new UsageError(
        `--${isAttach ? "attach" : "evidence"} '${item}': expected STEP.NAME=${isAttach ? "FILE" : "VALUE"}`,
      );
    return { step: m[1] as string, name: m[2] as string, raw: m[3] as string, attach: isAttach };
  };
  return [...evidence.map((e) => parse(e, false)), ...attach.map((a) => parse(a, true))];
}

/**
 * Turns an `--evidence` value into the kind the step asks for. A checklist takes `all`, `none`,
 * item numbers (`1,3`), or items by their text (`"No new restarts"`: case, spaces and a final
 * full stop do not matter), several apart by commas when no item's text holds one.
 */
export function evidenceInput(
  argument: EvidenceArgument,
  kind: string | undefined,
  items: readonly string[] = [],
): EvidenceInput {
  if (argument.attach) return { kind: "attachment", path: resolve(argument.raw) };
  if (kind === "checklist") {
    const value = argument.raw.trim();
    if (value === "all") return { kind: "checklist", checked: "all" };
    if (value === "none" || value === "") return { kind: "checklist", checked: [] };
    const byText = new Map(items.map((item, i) => [itemKey(item), i + 1]));
    const whole = byText.get(itemKey(value));
    if (whole !== undefined) return { kind: "checklist", checked: [whole] };
    const checked: number[] = [];
    for (const piece of value.split(",")) {
      const n = /^\s*\d+\s*$/.test(piece) ? Number(piece) : byText.get(itemKey(piece));
      if (n === undefined)
        throw new RunbookRuntimeError(
          runError(RunbookErrors.ChecklistUnreadable, {
            step: argument.step,
            name: argument.name,
            piece: piece.trim(),
            items,
          }),
        );
      checked.push(n);
    }
    return { kind: "checklist", checked };
  }
  if (kind === "attachment") return { kind: "attachment", path: resolve(argument.raw) };
  return { kind: "text", text: argument.raw };
}

/** A checklist item's text as compared: case, runs of spaces and a final full stop ignored. */
function itemKey(text: string): string {
  return text.trim().replace(/\s+/g, " ").replace(/\.$/, "").toLowerCase();
}

/** Applies `--evidence` / `--attach` to the engine. */
export function giveEvidence(engine: RunbookEngine, args: readonly EvidenceArgument[]): void {
  for (const argument of args) {
    const planned = engine.plan.find((p) => p.step.id === argument.step);
    const spec =
      planned?.step.type === "manual"
        ? (planned.step.required_evidence ?? []).find((e) => e.name === argument.name)
        : undefined;
    const kind =
      spec?.kind ?? (planned?.step.type === "manual" && argument.name === "outcome" ? "text" : undefined);
    engine.addEvidence(
      argument.step,
      argument.name,
      evidenceInput(argument, kind ?? (argument.attach ? "attachment" : "text"), spec?.items),
    );
  }
}

export function defaultActor(): string {
  try {
    return userInfo().username || "unknown";
  } catch {
    return process.env.USER ?? "unknown";
  }
}

/** The first `name` on PATH that is a file. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface SessionOptions {
  readonly runbookPath?: string;
  readonly mode?: string;
  readonly scenarioPath?: string;
  readonly replayEngine?: string;
  readonly allowedCommands?: readonly string[];
  readonly vars: Readonly<Record<string, string>>;
  readonly actor: string;
  readonly roles: readonly string[];
  readonly resume?: string;
  readonly evidenceFrom?: string;
  readonly root: string;
  readonly runId?: string;
  readonly attendant?: EngineOptions["attendant"];
  readonly quiet?: boolean;
  /** Shown the runbook's and the scenario's diagnostics; none are shown without it. */
  readonly report?: ReportDiagnostics;
  /** `exec --record`: wraps the real-mode runner (cli/runbook-record.ts). */
  readonly wrapRealRunner?: (runner: CommandRunner) => CommandRunner;
  /** The manifest's HMAC key (cli/trace-key.ts). */
  readonly traceKey?: Uint8Array;
}

/** A started or resumed engine, or an exit code when the runbook, scenario or options are wrong. */
export async function openSession(
  options: SessionOptions,
): Promise<{ engine: RunbookEngine; loaded: LoadedRunbook } | { exit: number }> {
  const env = { ...process.env } as Record<string, string | undefined>;
  checkRunRoot(options.root);
  let saved: { state: RunState; store: RunStore } | undefined;
  if (options.resume !== undefined) {
    const store = RunStore.locate(options.root, options.resume);
    const latest = store.latestState();
    if (latest === undefined)
      throw new RunbookRuntimeError(runError(RunbookErrors.NoSnapshot, { runId: options.resume }));
    saved = { state: latest.state, store };
    if (options.mode !== undefined && options.mode !== latest.state.mode)
      throw new UsageError(
        `run '${latest.state.run_id}' runs in ${latest.state.mode} mode; --mode ${options.mode} cannot change it`,
      );
  }
  const runbookPath = options.runbookPath ?? saved?.state.runbook_path;
  if (runbookPath === undefined) throw new UsageError("expected a runbook.yaml");
  const mode = saved?.state.mode ?? options.mode;
  if (mode === undefined)
    throw new UsageError("--mode real|replay|dry-run is required (it is taken from the run on --resume)");
  if (mode !== "real" && mode !== "replay")
    throw new UsageError(`--mode must be real, replay or dry-run, not '${mode}'`);
  const report = options.report ?? (() => {});
  const loaded = loadRunbook(runbookPath, report, options.quiet);
  if (loaded === undefined) return { exit: 1 };
  const governance = loaded.runbook.meta.governance;
  const denied = governance?.deny_env_vars ?? DEFAULT_DENY_ENV_VARS;
  const childEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && !isDeniedEnvVar(name, denied)) childEnv[name] = value;

  let runner: CommandRunner;
  let scenarioBinding: { path: string; sha256: string } | undefined;
  const engineChoice = (saved?.state.replay_engine ?? options.replayEngine ?? "builtin") as string;
  if (mode === "replay") {
    const scenarioPath = options.scenarioPath ?? saved?.state.scenario?.path;
    if (scenarioPath === undefined) throw new UsageError("--mode replay needs --scenario <scenario.yaml>");
    const scenario = loadScenario(scenarioPath, report);
    if (scenario === undefined) return { exit: 1 };
    if (saved?.state.scenario !== undefined && saved.state.scenario.sha256 !== scenario.sha256)
      throw new RunbookRuntimeError(
        runError(RunbookErrors.ScenarioChanged, { scenarioPath, runId: saved.state.run_id }),
      );
    scenarioBinding = { path: scenarioPath, sha256: scenario.sha256 };
    if (engineChoice === "cli-replay") {
      const binary = onPath("cli-replay");
      if (binary === undefined) throw new RunbookRuntimeError(runError(RunbookErrors.CliReplayMissing, {}));
      const previous = (saved?.state.replay_state as { cli_replay?: CliReplaySession } | undefined)
        ?.cli_replay;
      const started = await CliReplayBinaryRunner.start({
        binary,
        scenarioPath: resolve(scenarioPath),
        env: childEnv,
        ...(options.allowedCommands === undefined ? {} : { allowedCommands: options.allowedCommands }),
        ...(previous === undefined ? {} : { resume: previous }),
      });
      if ("error" in started)
        throw new RunbookRuntimeError(runError(RunbookErrors.CliReplayError, { detail: started.error }));
      runner = started;
    } else if (engineChoice === "builtin") {
      runner = new ReplayRunner(scenario.scenario, {
        baseDir: dirname(resolve(scenarioPath)),
        env,
        ...(options.allowedCommands === undefined ? {} : { allowedCommands: options.allowedCommands }),
        ...(saved?.state.replay_state === undefined ? {} : { state: saved.state.replay_state as never }),
      });
    } else throw new UsageError(`--replay-engine must be builtin or cli-replay, not '${engineChoice}'`);
  } else {
    if (options.scenarioPath !== undefined) throw new UsageError("--scenario is for --mode replay");
    const real = new RealRunner(dirname(resolve(runbookPath)));
    runner = options.wrapRealRunner?.(real) ?? real;
  }

  const recordedEvidence =
    options.evidenceFrom === undefined ? undefined : readRecordedEvidence(options.root, options.evidenceFrom);
  const engineOptions: EngineOptions = {
    runbook: loaded.runbook,
    runbookPath,
    runbookText: loaded.text,
    mode,
    runner,
    ...(mode === "replay" ? { replayEngine: engineChoice as "builtin" | "cli-replay" } : {}),
    ...(scenarioBinding === undefined ? {} : { scenario: scenarioBinding }),
    root: options.root,
    actor: options.actor,
    roles: options.roles,
    vars: options.vars,
    env,
    ...(options.attendant === undefined ? {} : { attendant: options.attendant }),
    ...(recordedEvidence === undefined ? {} : { recordedEvidence }),
    ...(options.traceKey === undefined ? {} : { traceKey: options.traceKey }),
  };
  const engine =
    saved === undefined
      ? RunbookEngine.start({ ...engineOptions, runId: options.runId ?? newRunId(new Date()) })
      : RunbookEngine.resume({ ...engineOptions, runId: saved.state.run_id }, saved.store);
  return { engine, loaded };
}

/** The evidence an earlier run recorded, by step and name (for `replay_mode: reuse_evidence`). */
export function readRecordedEvidence(
  root: string,
  run: string,
): { runId: string; dir: string; evidence: Record<string, Record<string, EvidenceRecord>> } {
  const store = RunStore.locate(root, run);
  const trace = readTrace(store.tracePath);
  if (trace.problems.length > 0)
    throw new RunbookRuntimeError(
      runError(RunbookErrors.EvidenceRunTampered, { run, problem: trace.problems[0]?.message }),
    );
  const evidence: Record<string, Record<string, EvidenceRecord>> = {};
  for (const event of trace.events)
    if (event.type === "step" && event.result.type === "manual" && event.result.status === "passed")
      evidence[event.result.step_id] = { ...event.result.evidence };
  return { runId: store.runId, dir: store.dir, evidence };
}
