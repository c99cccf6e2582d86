/**
 * `runbook exec --mode real --record s.yaml`, the run-folder half: a {@link CommandRunner} that
 * wraps the real one and appends each call — the step it ran for, the argv as run, stdin, the exit
 * status and both streams, all redacted first — to `recording.jsonl` in the run's folder, one JSON
 * line per call, as the run proceeds. The scenario file is (re)written from this log whenever the
 * run stops, paused or finished (recorded-scenario.ts), so a paused run resumed later still ends
 * with one complete scenario. A line a crash cut off is ignored; a step run again after a crash
 * replaces its earlier line.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { RunRedactor } from "./redaction.js";
import type { PlannedStep } from "./run-context.js";
import type { CommandResult, CommandRunner, ResolvedCall, ScenarioVerdict } from "./step-providers.js";

export const RECORDING_FILE = "recording.jsonl";

/** Where the scenario goes; a later line (a resume with another `--record`) replaces it. */
export interface RecordingTarget {
  readonly type: "target";
  /** The scenario file, absolute. */
  readonly scenario: string;
}

/** One program call, redacted. */
export interface RecordedCall {
  readonly type: "call";
  /** The step's index among the runbook's leaf steps. */
  readonly index: number;
  readonly step_id: string;
  readonly argv: readonly string[];
  /** Indexes of argv elements redaction changed: they cannot be matched literally. */
  readonly redacted_argv: readonly number[];
  readonly stdin?: string;
  readonly stdin_redacted?: boolean;
  readonly exit: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type RecordingLine = RecordingTarget | RecordedCall;

/** What the recorder needs from the engine once it exists. */
export interface RecordingContext {
  readonly dir: string;
  readonly redactor: RunRedactor;
  /** The step being run (the engine's current step while `run` is called). */
  readonly current: () => PlannedStep | undefined;
}

export class RecordingRunner implements CommandRunner {
  readonly kind: CommandRunner["kind"];
  readonly state?: () => unknown;
  readonly finish?: () => Promise<ScenarioVerdict>;
  private context: RecordingContext | undefined;

  constructor(private readonly inner: CommandRunner) {
    this.kind = inner.kind;
    const { state, finish } = inner;
    if (state !== undefined) this.state = () => state.call(inner);
    if (finish !== undefined) this.finish = () => finish.call(inner);
  }

  /** Binds the run (its folder, redactor, current step) and names the scenario file. */
  bind(context: RecordingContext, scenarioPath: string): void {
    this.context = context;
    // A line a crash cut off is ended, so the next call's line does not run into it.
    const path = join(context.dir, RECORDING_FILE);
    if (existsSync(path) && !readFileSync(path, "utf8").endsWith("\n")) appendFileSync(path, "\n");
    const last = readRecording(context.dir).target;
    if (last !== scenarioPath) appendLine(context.dir, { type: "target", scenario: scenarioPath });
  }

  async run(call: ResolvedCall): Promise<CommandResult> {
    const result = await this.inner.run(call);
    const context = this.context;
    const planned = context?.current();
    if (context === undefined || planned === undefined) return result;
    const { redactor } = context;
    const argv = call.argv.map((a) => redactor.text(a));
    const stdin = call.stdin === undefined ? undefined : redactor.text(call.stdin);
    appendLine(context.dir, {
      type: "call",
      index: planned.index,
      step_id: planned.step.id,
      argv,
      redacted_argv: argv.flatMap((a, i) => (a === call.argv[i] ? [] : [i])),
      ...(stdin === undefined ? {} : { stdin, ...(stdin === call.stdin ? {} : { stdin_redacted: true }) }),
      exit: result.exitCode,
      stdout: redactor.text(result.stdout),
      stderr: redactor.text(result.stderr),
    });
    return result;
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}

/**
 * The recording of a run folder: the scenario path it writes to (the latest target line) and
 * the last call of each step, in step order. Undefined target when the run is not recorded.
 */
export function readRecording(dir: string): {
  readonly target: string | undefined;
  readonly calls: readonly RecordedCall[];
} {
  const path = join(dir, RECORDING_FILE);
  if (!existsSync(path)) return { target: undefined, calls: [] };
  let target: string | undefined;
  const byStep = new Map<number, RecordedCall>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let entry: RecordingLine;
    try {
      entry = JSON.parse(line) as RecordingLine;
    } catch {
      continue; // A line a crash cut off.
    }
    if (entry.type === "target") target = entry.scenario;
    else if (entry.type === "call") byStep.set(entry.index, entry);
  }
  return { target, calls: [...byStep.values()].sort((a, b) => a.index - b.index) };
}

/**
 * Appends a line and syncs it before the engine records the step: a step in a snapshot always has
 * its call here (a crash before the sync leaves the step unrecorded, so it runs again).
 */
function appendLine(dir: string, line: RecordingLine): void {
  const fd = openSync(join(dir, RECORDING_FILE), "a");
  try {
    writeSync(fd, `${JSON.stringify(line)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
