/**
 * `exectime <app.rllm> [--model X] [--input … | --input-file f] [--json]`: how long a run will
 * take, predicted from the app's recorded runs (runtime/app/stats/predict.ts). With an input, the
 * prompt is rendered and its tokens estimated exactly as a run does, and the time follows from
 * the history's ms per 1k tokens; without one, from the median latency. A composition is the sum
 * of its own time and its `uses` children's (they run one after another), each predicted the
 * same way, shown as a tree. Missing history is said, app by app; it is never an error.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadSource } from "../../driver/load-source.js";
import { toAppDefinition } from "../../driver/rllm-app.js";
import { UsageError } from "../../driver/usage-error.js";
import type { RllmModule } from "../../ir/nodes.js";
import type { PreparedApp } from "../../runtime/app/app.js";
import { RllmError } from "../../runtime/app/errors.js";
import { statsFile } from "../../runtime/app/stats/location.js";
import { chooseStats, type Prediction, predictOwnTime } from "../../runtime/app/stats/predict.js";
import { StatsError, StatsStore } from "../../runtime/app/stats/store.js";
import { type ModelStats, summariseApp } from "../../runtime/app/stats/summarise.js";
import { ExitCode } from "../exit-codes.js";
import { parseOptions, withUsage } from "../options.js";
import { chooseInput, parseInputText, readInputFile } from "../read-input.js";
import { duration, readAppName } from "./stats.js";

export default function exectime(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "exectime", async () => {
    const { values, positionals } = parseOptions(args, {
      model: { type: "string" },
      input: { type: "string" },
      "input-file": { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length !== 1) throw new UsageError("expected exactly one .rllm file");
    const input = values.input as string | undefined;
    const inputFile = values["input-file"] as string | undefined;
    if (input !== undefined && inputFile !== undefined)
      throw new UsageError("give at most one of --input and --input-file");
    const path = positionals[0]!;
    if ((await readAppName(path)) === undefined) return ExitCode.Errors;
    const file = statsFile(process.env);
    // No file yet is no history (and is not created here); a file we cannot use is an error.
    let store: StatsStore | undefined;
    try {
      if (existsSync(file)) store = StatsStore.open(file);
    } catch (error) {
      if (!(error instanceof StatsError)) throw error;
      process.stderr.write(`${program} exectime: ${error.message}\n`);
      return ExitCode.Errors;
    }
    try {
      const history = (app: string) => (store === undefined ? [] : summariseApp(store, app));
      const rawInput =
        input === undefined && inputFile === undefined ? undefined : { text: input, file: inputFile };
      const tree = await predictTree(path, {
        history,
        ...(values.model === undefined ? {} : { model: values.model as string }),
        ...(rawInput === undefined ? {} : { input: rawInput }),
      });
      const report = { stats_file: file, ...tree };
      process.stdout.write(
        values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatPrediction(report),
      );
      return ExitCode.Ok;
    } catch (error) {
      if (!(error instanceof RllmError)) throw error;
      process.stderr.write(`${program} exectime: ${error.message}\n`);
      return error.exitCode;
    } finally {
      store?.close();
    }
  });
}

/** The prediction of one app in the tree. */
export interface AppPrediction {
  /** The name the parent calls it by (`uses[].name`); the app's own name at the root. */
  readonly name: string;
  /** The app's `name`, under which its runs are recorded. */
  readonly app: string | null;
  readonly file: string;
  readonly provider: string | null;
  readonly model: string | null;
  /** The app's own time, children excluded; null without history. */
  readonly own: Prediction | null;
  /** The estimate of the first prompt, when an input was known for this app. */
  readonly estimated_prompt_tokens: number | null;
  /** The history's average completion tokens: about the size of the answer a parent reads. */
  readonly avg_completion_tokens: number | null;
  /** Remarks: a fallback model, an unknown child input, a file that cannot be read. */
  readonly notes: readonly string[];
  readonly children: readonly AppPrediction[];
  /** Own + children, over what is known; null when nothing in the tree has history. */
  readonly total: { readonly ms: number; readonly low_ms: number; readonly high_ms: number } | null;
  /** Apps in this subtree with no usable history: the total leaves them out. */
  readonly missing: readonly string[];
}

export interface PredictOptions {
  /** The app's recorded stats by app name (summarise.ts). */
  readonly history: (app: string) => readonly ModelStats[];
  /** --model: applies to every app of the tree, as `run --model` does. */
  readonly model?: string;
  /** --input / --input-file of the root app. */
  readonly input?: { readonly text?: string | undefined; readonly file?: string | undefined };
}

/** Predicts an app and, recursively, the children it `uses`. */
export async function predictTree(path: string, options: PredictOptions): Promise<AppPrediction> {
  return predictApp(path, undefined, options, rootInput(options.input), []);
}

type InputSource = (prepared: PreparedApp) => Promise<unknown>;

function rootInput(input: PredictOptions["input"]): InputSource | undefined {
  if (input === undefined) return undefined;
  return async (prepared) => {
    const schema = prepared.definition.inputSchema;
    const readings =
      input.file !== undefined
        ? await readInputFile(input.file, schema)
        : await parseInputText(input.text ?? "", schema);
    return chooseInput(readings, prepared.validateInput);
  };
}

async function predictApp(
  path: string,
  useName: string | undefined,
  options: PredictOptions,
  input: InputSource | undefined,
  stack: readonly string[],
): Promise<AppPrediction> {
  const isRoot = stack.length === 0;
  const loaded = await loadSource(path, "rllm");
  const module = loaded.module?.kind === "rllm" ? loaded.module : undefined;
  const appName = module?.header.name;
  if (module === undefined || appName === undefined) {
    const reason = loaded.diagnostics.find((d) => d.severity === "error")?.message ?? "it could not be read";
    return leaf(useName ?? path, null, path, [`cannot read ${path}: ${reason}`]);
  }
  const notes: string[] = [];
  const declared = module.header.llm;
  const chosen = chooseStats(options.history(appName), declared, options.model);
  if (chosen?.note !== undefined) notes.push(chosen.note);

  // The prompt's size, when the input is known: the same estimate a run records.
  let prepared: PreparedApp | undefined;
  let value: unknown;
  let estimatedPromptTokens: number | undefined;
  if (input !== undefined) {
    try {
      const { prepareApp } = await import("../../runtime/app/compile-app.js");
      prepared = prepareApp(toAppDefinition(module, path));
      value = await input(prepared);
      const { preflight } = await import("../../runtime/app/execute.js");
      const checked = await preflight(prepared, value);
      estimatedPromptTokens = checked.estimatedPromptTokens;
      value = checked.input;
    } catch (error) {
      // The root's input is the user's: an input that does not fit is their error to see.
      if (isRoot && error instanceof RllmError) throw error;
      notes.push(`the prompt's size is unknown (${error instanceof Error ? error.message : String(error)})`);
      prepared = undefined;
      estimatedPromptTokens = undefined;
    }
  }

  const children: AppPrediction[] = [];
  for (const use of module.header.uses) {
    const childPath = join(dirname(path), use.path);
    if (stack.includes(childPath) || childPath === path) {
      children.push(leaf(use.name, null, childPath, ["a cycle: this app uses itself"]));
      continue;
    }
    const mapped = prepared === undefined ? undefined : mapInputs(use.inputs, value);
    if (prepared !== undefined && mapped?.unknown.length)
      notes.push(`the input of ${use.name} is only known during the run (${mapped.unknown.join(", ")})`);
    const childInput: InputSource | undefined =
      mapped === undefined || mapped.unknown.length > 0 ? undefined : async () => mapped.value;
    children.push(await predictApp(childPath, use.name, options, childInput, [...stack, path]));
  }

  // The children's answers are part of the parent's prompt (`{{json summary}}`) but are not known
  // yet: count their average completion tokens in.
  if (estimatedPromptTokens !== undefined)
    for (const child of children) estimatedPromptTokens += child.avg_completion_tokens ?? 0;
  const own = chosen === undefined ? null : predictOwnTime(chosen.stats, estimatedPromptTokens);
  if (own?.fallback_reason !== undefined) notes.push(`by latency: ${own.fallback_reason}`);

  const model = chosen?.stats.model ?? options.model ?? declared?.model ?? null;
  const missing = [
    ...(own === null ? [`${appName}${model === null ? "" : ` (${model})`}`] : []),
    ...children.flatMap((c) => c.missing),
  ];
  const parts = [
    ...(own === null ? [] : [own]),
    ...children.flatMap((c) => (c.total === null ? [] : [c.total])),
  ];
  const total =
    parts.length === 0
      ? null
      : {
          ms: sum(parts.map((p) => p.ms)),
          low_ms: sum(parts.map((p) => p.low_ms)),
          high_ms: sum(parts.map((p) => p.high_ms)),
        };
  return {
    name: useName ?? appName,
    app: appName,
    file: path,
    provider: chosen?.stats.provider ?? declared?.provider ?? null,
    model,
    own,
    estimated_prompt_tokens: estimatedPromptTokens ?? null,
    avg_completion_tokens: chosen?.stats.avg_completion_tokens ?? null,
    notes,
    children,
    total,
    missing,
  };
}

function leaf(name: string, app: string | null, file: string, notes: string[]): AppPrediction {
  return {
    name,
    app,
    file,
    provider: null,
    model: null,
    own: null,
    estimated_prompt_tokens: null,
    avg_completion_tokens: null,
    notes,
    children: [],
    total: null,
    missing: [app ?? file],
  };
}

/**
 * A child's input from the parent's, through `uses[].inputs` (child field → parent path such as
 * `text` or `doc.body`). Paths the parent's input does not hold (another child's output) are
 * listed as unknown.
 */
export function mapInputs(
  inputs: RllmModule["header"]["uses"][number]["inputs"],
  parentInput: unknown,
): { value: Record<string, unknown>; unknown: string[] } {
  const value: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [field, expression] of Object.entries(inputs)) {
    let current: unknown = parentInput;
    for (const key of expression.replace(/^this\./, "").split(".")) {
      current =
        current !== null && typeof current === "object" && Object.hasOwn(current, key)
          ? (current as Record<string, unknown>)[key]
          : undefined;
    }
    if (current === undefined) unknown.push(expression);
    else value[field] = current;
  }
  return { value, unknown };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** The text report: the total, then the app's own time and each child's, as a tree. */
export function formatPrediction(report: AppPrediction & { readonly stats_file: string }): string {
  const lines: string[] = [];
  const appLabel = `${report.name}${report.model ? ` with ${report.model}` : ""}`;
  if (report.total === null) {
    lines.push(`${appLabel}: no prediction — no runs recorded yet (stats file: ${report.stats_file})`);
    if (report.missing.length > 1) lines.push(`no history for: ${report.missing.join(", ")}`);
    for (const note of report.notes) lines.push(`  note: ${note}`);
    lines.push(
      `Run the app${report.children.length > 0 ? " (or its children)" : ""} with 'rllmc run' to record some.`,
    );
    return `${lines.join("\n")}\n`;
  }
  const total = report.total;
  lines.push(
    `${appLabel}: about ${duration(total.ms)} (${range(total)})${report.children.length > 0 ? ", children run one after another" : ""}`,
  );
  if (report.children.length === 0) {
    lines.push(`  ${describe(report.own!)}`);
    if (report.provider !== null) lines.push(`  from the runs of ${report.model} via ${report.provider}`);
    for (const note of report.notes) lines.push(`  note: ${note}`);
  } else {
    tree(report, "", lines);
  }
  if (report.missing.length > 0)
    lines.push(
      `partial: no history for ${report.missing.join(", ")}; the total leaves ${report.missing.length === 1 ? "it" : "them"} out`,
    );
  lines.push(`stats file: ${report.stats_file}`);
  return `${lines.join("\n")}\n`;
}

function tree(node: AppPrediction, indent: string, lines: string[]): void {
  const entries: { label: string; text: string; child?: AppPrediction }[] = [
    { label: `${node.app ?? node.name} itself`, text: ownText(node) },
    ...node.children.map((child) => ({
      label: child.app !== null && child.app !== child.name ? `${child.name} (${child.app})` : child.name,
      text:
        child.children.length > 0 && child.total !== null
          ? `${duration(child.total.ms)} (${range(child.total)})`
          : ownText(child),
      child,
    })),
  ];
  entries.forEach((entry, i) => {
    const last = i === entries.length - 1;
    lines.push(`${indent}${last ? "└─" : "├─"} ${entry.label}: ${entry.text}`);
    const inner = `${indent}${last ? "   " : "│  "}`;
    const notes = entry.child === undefined ? node.notes : entry.child.notes;
    for (const note of notes) lines.push(`${inner}note: ${note}`);
    if (entry.child !== undefined && entry.child.children.length > 0) tree(entry.child, inner, lines);
  });
}

function ownText(node: AppPrediction): string {
  if (node.own === null) return `no history${node.model ? ` with ${node.model}` : ""}`;
  return `${duration(node.own.ms)} (${range({ low_ms: node.own.low_ms, high_ms: node.own.high_ms })}) — ${describe(node.own)}${node.provider ? `, ${node.model} via ${node.provider}` : ""}`;
}

function range(r: { readonly low_ms: number; readonly high_ms: number }): string {
  return `range ${duration(r.low_ms)}–${duration(r.high_ms)}`;
}

/** How a prediction was made, in one phrase. */
export function describe(p: Prediction): string {
  const runs = `${p.runs} run${p.runs === 1 ? "" : "s"}`;
  if (p.method === "latency") return `median latency of ${runs}`;
  return `by tokens: ${p.ms_per_1k_tokens!.toFixed(1)} ms per 1k tokens × ~${Math.round(p.tokens!)} tokens (prompt ~${Math.round(p.prompt_tokens!)}, completion ~${Math.round(p.completion_tokens!)})${p.overhead_ms! >= 1 ? ` + ${duration(p.overhead_ms!)} outside the model` : ""}, from ${runs}`;
}
