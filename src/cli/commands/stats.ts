/**
 * `stats <app.rllm> [--model X] [--json]`: what the recorded runs of an app say, per provider and
 * model — runs, failures, schema compliance, latency percentiles, tokens, speed, retries
 * (docs/stats.md). The app's name is read from the file; the runs from the stats file
 * (runtime/app/stats). Having no history is not an error: it is said, with how to get some.
 */
import { existsSync } from "node:fs";
import { loadSource } from "../../driver/load-source.js";
import { UsageError } from "../../driver/usage-error.js";
import { sourceLookup } from "../../ir/print-diagnostics.js";
import { statsDisabled, statsFile } from "../../runtime/app/stats/location.js";
import { StatsError, StatsStore } from "../../runtime/app/stats/store.js";
import { type ModelStats, summariseApp } from "../../runtime/app/stats/summarise.js";
import { ExitCode } from "../exit-codes.js";
import { parseOptions, withUsage } from "../options.js";
import { printDiagnosticsText } from "../report.js";

export default function stats(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "stats", async () => {
    const { values, positionals } = parseOptions(args, {
      model: { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length !== 1) throw new UsageError("expected exactly one .rllm file");
    const path = positionals[0]!;
    const model = values.model as string | undefined;
    const app = await readAppName(path);
    if (app === undefined) return ExitCode.Errors;
    const file = statsFile(process.env);
    let models: ModelStats[];
    let allModels: string[];
    try {
      ({ models, allModels } = readStats(file, app, model));
    } catch (error) {
      if (!(error instanceof StatsError)) throw error;
      process.stderr.write(`${program} stats: ${error.message}\n`);
      return ExitCode.Errors;
    }
    const report: StatsReport = {
      app,
      file: path,
      stats_file: file,
      model: model ?? null,
      recording: !statsDisabled(process.env),
      models,
    };
    process.stdout.write(
      values.json === true
        ? `${JSON.stringify(report, null, 2)}\n`
        : formatStats(report, { program, otherModels: allModels }),
    );
    return ExitCode.Ok;
  });
}

export interface StatsReport {
  readonly app: string;
  readonly file: string;
  readonly stats_file: string;
  /** The --model filter. */
  readonly model: string | null;
  /** False when RLLMC_STATS=off. */
  readonly recording: boolean;
  readonly models: readonly ModelStats[];
}

/**
 * The app's `name` from its frontmatter; undefined (with the diagnostics printed) when the file
 * cannot be read or has none. Other errors in the file do not matter to its history.
 */
export async function readAppName(path: string): Promise<string | undefined> {
  const loaded = await loadSource(path, "rllm");
  const name = loaded.module?.kind === "rllm" ? loaded.module.header.name : undefined;
  if (name === undefined) {
    const lookup = sourceLookup(loaded.source === undefined ? [] : [loaded.source]);
    printDiagnosticsText(
      loaded.diagnostics.filter((d) => d.severity === "error"),
      lookup,
    );
    if (loaded.diagnostics.length === 0) process.stderr.write(`${path}: the app has no name\n`);
  }
  return name;
}

/** The app's stats, and every model it has runs with (to say so when --model matches none). */
export function readStats(
  file: string,
  app: string,
  model: string | undefined,
): { models: ModelStats[]; allModels: string[] } {
  if (!existsSync(file)) return { models: [], allModels: [] };
  const store = StatsStore.open(file);
  try {
    const models = summariseApp(store, app, model === undefined ? {} : { model });
    const allModels =
      model === undefined
        ? models.map((m) => m.model)
        : store
            .all("SELECT DISTINCT model FROM runs WHERE app = ? ORDER BY model", app)
            .map((row) => String(row.model));
    return { models, allModels: [...new Set(allModels)] };
  } finally {
    store.close();
  }
}

/** The text report: one block per provider and model. */
export function formatStats(
  report: StatsReport,
  options: { program?: string; otherModels?: readonly string[] } = {},
): string {
  const program = options.program ?? "rllmc";
  if (report.models.length === 0) return formatNoHistory(report, program, options.otherModels ?? []);
  const lines: string[] = [`${report.app} — ${report.file}`, `stats file: ${report.stats_file}`];
  if (!report.recording) lines.push("recording is off (RLLMC_STATS=off): no new runs are added");
  for (const s of report.models) {
    lines.push("", `${s.model} via ${s.provider}${versionsNote(s)}`);
    const row = (label: string, text: string) => lines.push(`  ${label.padEnd(18)} ${text}`);
    const failures = Object.entries(s.failures_by_type)
      .map(([type, n]) => `${type} ${n}`)
      .join(", ");
    row(
      "runs",
      `${count(s.runs)}: ${count(s.successes)} ok, ${count(s.failures)} failed${failures ? ` (${failures})` : ""}`,
    );
    row(
      "input schema",
      `${pct(s.input_compliance_pct)} compliant (${count(s.input_valid)} of ${count(s.runs)})`,
    );
    row(
      "output schema",
      s.output_compliance_pct === null
        ? "no run reached the model"
        : `${pct(s.output_compliance_pct)} compliant (${count(s.output_valid)} of ${count(s.reached_model)} that got an answer)`,
    );
    const latency = s.latency_ms;
    row(
      "latency",
      latency === null
        ? "no successful run"
        : `avg ${duration(latency.avg)}, p50 ${duration(latency.p50)}, p95 ${duration(latency.p95)}, max ${duration(latency.max)} (${count(latency.count)} successful runs)`,
    );
    const own = s.own_latency_ms;
    if (own !== null && latency !== null && own.avg !== latency.avg)
      row(
        "  without children",
        `avg ${duration(own.avg)}, p50 ${duration(own.p50)}, p95 ${duration(own.p95)}`,
      );
    if (s.runs_with_usage === 0) row("tokens", "no run reported token counts");
    else {
      row("prompt tokens", `avg ${count(s.avg_prompt_tokens ?? 0)}`);
      row(
        "completion tokens",
        `avg ${count(s.avg_completion_tokens ?? 0)}, max ${count(s.max_completion_tokens ?? 0)}`,
      );
      row(
        "speed",
        s.ms_per_1k_tokens === null
          ? "unknown"
          : `${fixed(s.ms_per_1k_tokens)} ms per 1k tokens (${count(s.runs_with_usage)} runs with token counts)`,
      );
    }
    row("retries", s.avg_retries === null ? "none needed" : `avg ${fixed(s.avg_retries, 2)} per run`);
    row("first / last run", `${s.first_run} / ${s.last_run}`);
  }
  return `${lines.join("\n")}\n`;
}

function formatNoHistory(report: StatsReport, program: string, otherModels: readonly string[]): string {
  const lines = [
    report.model === null
      ? `no runs recorded yet for ${report.app} (stats file: ${report.stats_file})`
      : `no runs recorded yet for ${report.app} with model ${report.model} (stats file: ${report.stats_file})`,
  ];
  if (otherModels.length > 0) lines.push(`it has runs with: ${otherModels.join(", ")}`);
  lines.push(
    report.recording
      ? `Every '${program} run ${report.file} --input …' (and every call of its compiled module) records one.`
      : "Recording is off (RLLMC_STATS=off); unset it to record runs.",
  );
  return `${lines.join("\n")}\n`;
}

function versionsNote(s: ModelStats): string {
  if (s.versions.length === 0) return "";
  return s.versions.length === 1 ? ` (version ${s.versions[0]})` : ` (versions ${s.versions.join(", ")})`;
}

/** A duration for people: `850 ms`, `1.2 s`, `2 min 05 s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
}

function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function pct(n: number): string {
  return `${fixed(n)} %`;
}

function fixed(n: number, digits = 1): string {
  return n.toFixed(digits);
}
