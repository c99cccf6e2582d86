/**
 * `runbook runs [--run-dir D] [--json]`: the recorded runs under `D/.runbook/runs/`, newest first,
 * each with its runbook, mode, status (passed, failed, paused, or unfinished when it stopped
 * without saying why), the steps done of all, when it started, and whether `runbook verify`
 * passes on it (with the same key: `--trace-key-file` or `RUNBOOK_TRACE_KEY`). Reads the run folders only; changes nothing.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../../driver/usage-error.js";
import type { RunFinishedEvent, RunStartedEvent, TraceEvent } from "../../runtime/runbook/state.js";
import { RunStore } from "../../runtime/runbook/store.js";
import { readTrace } from "../../runtime/runbook/trace.js";
import { verifyRun } from "../../runtime/runbook/verify.js";
import { ExitCode } from "../exit-codes.js";
import { parseOptions, withUsage } from "../options.js";
import { readTraceKey } from "../trace-key.js";
import { currentInputs } from "./verify.js";

const OPTIONS = {
  json: { type: "boolean" },
  "run-dir": { type: "string" },
  "trace-key-file": { type: "string" },
} as const;

export interface RunSummary {
  readonly run_id: string;
  readonly runbook: string | null;
  readonly mode: string | null;
  readonly status: "passed" | "failed" | "paused" | "unfinished" | "unreadable";
  readonly steps_done: number;
  readonly steps_total: number;
  readonly started: string | null;
  readonly verified: boolean;
}

export default function runs(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "runs", async () => {
    const { values, positionals } = parseOptions(args, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`runs takes no arguments, got '${positionals[0]}'`);
    const root = resolve((values["run-dir"] as string | undefined) ?? process.cwd());
    const summaries = listRuns(root, readTraceKey(values["trace-key-file"] as string | undefined));
    if (values.json === true) process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
    else process.stdout.write(formatRuns(summaries, join(root, ".runbook", "runs")));
    return ExitCode.Ok;
  });
}

/** Every run folder under `root/.runbook/runs`, newest first (run ids start with their time). */
export function listRuns(root: string, key?: Uint8Array): RunSummary[] {
  const dir = join(root, ".runbook", "runs");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "trace.jsonl")))
    .map((e) => summarise(new RunStore(join(dir, e.name), e.name), key))
    .sort((a, b) => (a.run_id < b.run_id ? 1 : a.run_id > b.run_id ? -1 : 0));
}

function summarise(store: RunStore, key: Uint8Array | undefined): RunSummary {
  const events = readTrace(store.tracePath).events as readonly TraceEvent[];
  const started = events.find((e): e is RunStartedEvent => e.type === "run_started");
  const finished = events.findLast((e): e is RunFinishedEvent => e.type === "run_finished");
  const last = events.at(-1);
  const stepsDone = new Set(events.flatMap((e) => (e.type === "step" ? [e.result.step_id] : []))).size;
  const status: RunSummary["status"] =
    started === undefined
      ? "unreadable"
      : finished !== undefined
        ? finished.status
        : last?.type === "paused"
          ? "paused"
          : "unfinished";
  let verified = false;
  try {
    // The same checks as `runbook verify` with the same key: the manifest, and the runbook,
    // scenario and policy as they are now.
    verified = verifyRun(store, { ...(key === undefined ? {} : { key }), inputs: currentInputs }).passed;
  } catch {
    verified = false;
  }
  return {
    run_id: store.runId,
    runbook: started?.runbook.name ?? null,
    mode: started?.mode ?? null,
    status,
    steps_done: stepsDone,
    steps_total: started?.plan.length ?? 0,
    started: started?.at ?? null,
    verified,
  };
}

function formatRuns(summaries: readonly RunSummary[], where: string): string {
  if (summaries.length === 0) return `No runs under ${where}.\n`;
  const rows = [
    ["run", "runbook", "mode", "status", "steps", "started", "verify"],
    ...summaries.map((s) => [
      s.run_id,
      s.runbook ?? "—",
      s.mode ?? "—",
      s.status,
      `${s.steps_done}/${s.steps_total}`,
      s.started ?? "—",
      s.verified ? "passes" : "fails",
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
