/**
 * `run <app.rllm> --batch inputs.jsonl`: the command-line side of many runs at once
 * (driver/batch/, docs/batch.md). Reads the flags and the input lines, discovers the backend's
 * capacity, computes the bound before the first call (`--plan`, `--dry-run`, the budget check),
 * runs the lines through the scheduler, writes one JSON line per input line in input order (on
 * stdout, or `--out` with its journal for `--resume`), shows progress on stderr, and ends with a
 * summary and the exit code: 0 every line ok, 9 some line failed, 8 a budget stopped it (or its
 * bound refused it), 130 interrupted.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type BatchBound, type BoundOptions, batchBound } from "../driver/batch/bound.js";
import { Budget, type BudgetLimits, parseDuration } from "../driver/batch/budget.js";
import { Journal, journalPath, type LineRecord, readDone, writeResults } from "../driver/batch/journal.js";
import { observeProvider } from "../driver/batch/observe-provider.js";
import { loadPrices, type PriceTable } from "../driver/batch/prices.js";
import { type BatchLine, BatchRun, type BatchSummary, type StopReason } from "../driver/batch/run-batch.js";
import { runBatchLine } from "../driver/batch/run-line.js";
import {
  DEFAULT_AUTO_START,
  DEFAULT_MAX_CONCURRENCY,
  type Priority,
  Scheduler,
} from "../driver/batch/scheduler.js";
import { UsageError } from "../driver/usage-error.js";
import type { AppRunReport, RunnableApp } from "../runtime/app/compose.js";
import { AppErrors, appError, RunExit } from "../runtime/app/errors.js";
import type { Provider } from "../runtime/app/provider.js";
import type { Redactor } from "../runtime/shared/redact.js";
import { parseConcurrency, whole } from "./concurrency-options.js";
import { oneOf } from "./options.js";
import { Progress, type ProgressStream } from "./progress.js";

/** The options of `run` that only `--batch` takes (`--priority` applies to a single run too). */
export const BATCH_OPTIONS = {
  batch: { type: "string" },
  concurrency: { type: "string" },
  "max-concurrency": { type: "string" },
  out: { type: "string" },
  resume: { type: "boolean" },
  "budget-tokens": { type: "string" },
  "budget-cost": { type: "string" },
  "budget-time": { type: "string" },
  "budget-mode": { type: "string" },
  prices: { type: "string" },
  "allow-over-budget": { type: "boolean" },
  plan: { type: "boolean" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
} as const;

export interface BatchFlags {
  readonly file: string;
  /** The input's non-blank lines, read with the flags (a missing file is a usage error at once). */
  readonly lines: readonly BatchLine[];
  readonly concurrency: number | "auto";
  readonly maxConcurrency: number | undefined;
  readonly out: string | undefined;
  readonly resume: boolean;
  readonly limits: BudgetLimits;
  readonly budgetMode: "cancel" | "drain";
  readonly prices: PriceTable;
  readonly allowOverBudget: boolean;
  readonly plan: boolean;
  readonly dryRun: boolean;
  readonly json: boolean;
}

type Values = Readonly<Record<string, unknown>>;

/** The batch flags, checked: every mistake is a usage error before anything is read or sent. */
export function parseBatchFlags(values: Values): BatchFlags | undefined {
  const file = values.batch as string | undefined;
  if (file === undefined) {
    const given = Object.keys(BATCH_OPTIONS).filter(
      (k) => k !== "batch" && !SINGLE_RUN_OPTIONS.has(k) && values[k] !== undefined,
    );
    if (given.length > 0) throw new UsageError(`--${given[0]} goes with --batch <inputs.jsonl>`);
    return undefined;
  }
  if (values.input !== undefined || values["input-file"] !== undefined)
    throw new UsageError("--batch reads the inputs from its file: give no --input or --input-file");
  const { concurrency, maxConcurrency } = parseConcurrency(values);
  const out = values.out as string | undefined;
  if (values.resume === true && out === undefined)
    throw new UsageError("--resume continues the results of --out <file>: give --out");
  const limits = parseLimits(values);
  const budgetMode = oneOf("--budget-mode", (values["budget-mode"] as string | undefined) ?? "cancel", [
    "cancel",
    "drain",
  ] as const);
  if (out !== undefined) checkOut(out, file);
  if (out !== undefined && values.resume !== true && (existsSync(out) || existsSync(journalPath(out))))
    throw new UsageError(
      `${out} already holds results: give --resume to continue them, or remove it (and ${journalPath(out)})`,
    );
  return {
    file,
    lines: readLines(file),
    concurrency,
    maxConcurrency,
    out,
    resume: values.resume === true,
    limits,
    budgetMode,
    prices: loadPrices(values.prices as string | undefined),
    allowOverBudget: values["allow-over-budget"] === true,
    plan: values.plan === true,
    dryRun: values["dry-run"] === true,
    json: values.json === true,
  };
}

/** The batch options a single run takes too: its bound, its budgets. */
const SINGLE_RUN_OPTIONS: ReadonlySet<string> = new Set([
  "budget-tokens",
  "budget-cost",
  "budget-time",
  "prices",
  "allow-over-budget",
  "plan",
  "json",
]);

function parseLimits(values: Values): BudgetLimits {
  const tokens = values["budget-tokens"] as string | undefined;
  const cost = values["budget-cost"] as string | undefined;
  const time = values["budget-time"] as string | undefined;
  return {
    ...(tokens === undefined ? {} : { tokens: whole("--budget-tokens", tokens, 1, Number.MAX_SAFE_INTEGER) }),
    ...(cost === undefined ? {} : { cost: positive("--budget-cost", cost) }),
    ...(time === undefined ? {} : { timeMs: duration(time) }),
  };
}

/** A single run's bound and budgets (`run --input … --plan`, `--budget-*`); undefined without them. */
export interface SingleRunBudget {
  readonly limits: BudgetLimits;
  readonly prices: PriceTable;
  readonly allowOverBudget: boolean;
  readonly plan: boolean;
  readonly json: boolean;
}

export function parseSingleRunBudget(values: Values): SingleRunBudget | undefined {
  if (values.batch !== undefined || ![...SINGLE_RUN_OPTIONS].some((k) => values[k] !== undefined))
    return undefined;
  if (values.json !== undefined && values.plan === undefined)
    throw new UsageError("--json goes with --plan or --batch");
  return {
    limits: parseLimits(values),
    prices: loadPrices(values.prices as string | undefined),
    allowOverBudget: values["allow-over-budget"] === true,
    plan: values.plan === true,
    json: values.json === true,
  };
}

/**
 * A single run under a bound and budgets: prints the plan (`--plan`: the exit code), refuses a
 * bound over a budget (the exit code, the error on stdout), or gives the budget to count the run
 * with and the provider that counts into it.
 */
export function guardSingleRun(
  guard: SingleRunBudget,
  context: Pick<
    BatchContext,
    | "program"
    | "root"
    | "provider"
    | "providerName"
    | "model"
    | "models"
    | "maxRetries"
    | "priority"
    | "quiet"
    | "redactor"
  >,
  input: unknown,
): { readonly exit: number } | { readonly budget: Budget; readonly provider: Provider } {
  const bound = batchBound(context.root, [input], {
    maxRetries: context.maxRetries,
    provider: context.providerName,
    ...(context.model === undefined ? {} : { model: context.model }),
    models: context.models,
    prices: guard.prices,
  });
  const verdict = judge(bound, guard.limits);
  const flags = { ...guard, budgetMode: "cancel" as const };
  if (guard.plan) {
    if (guard.json)
      process.stdout.write(`${JSON.stringify(planJson(bound, flags, verdict, 1, 0, undefined))}\n`);
    else process.stdout.write(planText(bound, flags, verdict, 1, 0, undefined));
    return { exit: RunExit.Ok };
  }
  if (verdict.refusal !== undefined && !guard.allowOverBudget) {
    process.stdout.write(`${JSON.stringify(context.redactor.value(verdict.refusal.payload), null, 2)}\n`);
    if (!context.quiet)
      process.stderr.write(
        context.redactor.text(
          `${context.program} run: error ${verdict.refusal.payload.error_code}: ${verdict.refusal.message}\n`,
        ),
      );
    return { exit: verdict.refusal.exitCode };
  }
  const budget = new Budget(guard.limits, guard.prices, context.providerName);
  const provider = observeProvider(context.provider, {
    budget,
    ...(context.priority === undefined ? {} : { priority: context.priority }),
  });
  return { budget, provider };
}

/** `--priority`, for a single run and a batch. */
export function parsePriority(value: unknown): Priority | undefined {
  return value === undefined
    ? undefined
    : oneOf("--priority", String(value), ["interactive", "batch"] as const);
}

export interface BatchContext {
  readonly program: string;
  readonly root: RunnableApp;
  readonly provider: Provider;
  readonly providerName: string;
  readonly model: string | undefined;
  readonly models: ReadonlyMap<string, string>;
  readonly maxRetries: number;
  readonly priority: Priority | undefined;
  readonly quiet: boolean;
  readonly redactor: Redactor;
  readonly onAppFinished: (report: AppRunReport) => void;
}

export async function runBatch(flags: BatchFlags, context: BatchContext): Promise<number> {
  const err = (text: string) => process.stderr.write(context.redactor.text(text));
  const lines = flags.lines;
  const byNumber = new Map(lines.map((l) => [l.line, l.text]));
  const done =
    flags.out !== undefined && flags.resume
      ? readDone(flags.out, byNumber, context.root.prepared.definition.name)
      : new Map();
  const toRun = lines.filter((l) => !done.has(l.line));
  const values = toRun.map((l) => parseLine(l.text));

  const planned = planOrRefuse(
    context,
    flags,
    { total: lines.length, done: done.size, toRun, values },
    {
      maxRetries: context.maxRetries,
      provider: context.providerName,
      ...(context.model === undefined ? {} : { model: context.model }),
      models: context.models,
      prices: flags.prices,
    },
  );
  if (planned.exit !== undefined) return planned.exit;
  const { bound } = planned;

  // Capacity: the backend's word (discovery) starts `auto`, and caps it unless told otherwise.
  let capacity: number | undefined;
  if (flags.concurrency === "auto") {
    try {
      capacity = (await context.provider.capacity?.())?.maxInFlight;
    } catch {
      capacity = undefined;
    }
  }
  const max = flags.maxConcurrency ?? capacity ?? Math.max(DEFAULT_MAX_CONCURRENCY, DEFAULT_AUTO_START);
  const scheduler = new Scheduler({
    concurrency: flags.concurrency,
    start: Math.min(capacity ?? DEFAULT_AUTO_START, max),
    max,
  });
  const startLimit = scheduler.limit;
  const budget = new Budget(flags.limits, flags.prices, context.providerName);
  const provider = observeProvider(context.provider, {
    scheduler,
    budget,
    ...(context.priority === undefined ? {} : { priority: context.priority }),
  });
  if (!context.quiet)
    err(
      `${context.program} run --batch: ${toRun.length} line${toRun.length === 1 ? "" : "s"} to run${done.size > 0 ? ` (${done.size} already done)` : ""}, ${describeConcurrency(flags.concurrency, scheduler.limit, max, capacity)}; worst case ${describeBound(bound, flags.prices)}\n`,
    );

  const journal =
    flags.out === undefined
      ? undefined
      : new Journal(journalPath(flags.out), context.root.prepared.definition.name);
  const records: LineRecord[] = [];
  const progress = new BatchProgress(lines.length, context.quiet ? undefined : process.stderr, budget);
  const run = new BatchRun({
    lines,
    done,
    scheduler,
    budget,
    budgetMode: flags.budgetMode,
    ...(context.priority === undefined ? {} : { priority: context.priority }),
    run: (line, signal) => runLine(line, signal, context, provider, flags.file),
    notRun: (line, why, cancelled) => notRunPayload(line, why, cancelled),
    emit: (record) => {
      if (flags.out === undefined)
        process.stdout.write(`${JSON.stringify(context.redactor.value(record))}\n`);
      else records.push(record);
    },
    finished: (record, line) => journal?.append(context.redactor.value(record) as LineRecord, line.text),
    progress: (state) => progress.update(state.done, scheduler.running),
  });

  // Ctrl-C: admit nothing more, cancel what runs (the provider cancels at the backend); a second
  // Ctrl-C ends the process at once.
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(RunExit.Interrupted);
    run.interrupt();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let summary: BatchSummary;
  try {
    summary = await run.done;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.done();
  }
  if (flags.out !== undefined) {
    writeResults(
      flags.out,
      records.map((r) => context.redactor.value(r) as LineRecord),
    );
    if (summary.notRun + summary.cancelled === 0) journal?.remove();
    else journal?.close();
  }
  const exit =
    summary.stoppedBy === "interrupt"
      ? RunExit.Interrupted
      : summary.stoppedBy !== undefined && summary.notRun + summary.cancelled > 0
        ? RunExit.Budget
        : summary.failed > 0
          ? RunExit.LinesFailed
          : RunExit.Ok;
  const limits = { start: startLimit, end: scheduler.limit, max, halvings: scheduler.halvings };
  if (flags.json) err(`${JSON.stringify(summaryJson(summary, flags, exit, limits))}\n`);
  else if (!context.quiet) err(summaryText(context.program, summary, flags));
  return exit;
}

function runLine(
  line: BatchLine,
  signal: AbortSignal,
  context: BatchContext,
  provider: Provider,
  file: string,
): Promise<LineRecord> {
  return runBatchLine(line, signal, context, provider, file);
}

/** A line's record when it did not run, or was cancelled, because of a budget or an interrupt. */
export function notRunPayload(line: number, why: StopReason, cancelled: boolean) {
  const error =
    why === "interrupt"
      ? appError(AppErrors.Interrupted, { line, cancelled }, { details: { line, cancelled } })
      : appError(
          AppErrors.BudgetNotRun,
          { line, kind: why, cancelled },
          { details: { line, budget: why, cancelled } },
        );
  return error.payload;
}

/**
 * `--out`: a file (not a folder, not the inputs file) in a folder that exists, so that the journal
 * and the results can be written once the lines have run.
 */
function checkOut(out: string, file: string): void {
  if (out === "-" || out.trim() === "")
    throw new UsageError(`--out needs a file name, not '${out}'; without --out the results go to stdout`);
  let stats: ReturnType<typeof statSync> | undefined;
  try {
    stats = statSync(out);
  } catch {
    stats = undefined;
  }
  if (stats?.isDirectory() === true)
    throw new UsageError(
      `--out ${out} is a folder; name the results file (e.g. ${join(out, "results.jsonl")})`,
    );
  // The results are renamed over --out and a journal made beside it: never over a device or a
  // pipe (/dev/stdout would be replaced by a file).
  if (stats !== undefined && !stats.isFile())
    throw new UsageError(
      `--out ${out} is not a regular file; name a file for the results (without --out they go to stdout)`,
    );
  if (file !== "-" && resolve(out) === resolve(file))
    throw new UsageError(`--out ${out} is the --batch inputs file; name another file for the results`);
  const folder = dirname(resolve(out));
  let folderStats: ReturnType<typeof statSync> | undefined;
  try {
    folderStats = statSync(folder);
  } catch {
    folderStats = undefined;
  }
  if (folderStats?.isDirectory() !== true)
    throw new UsageError(`--out ${out}: the folder ${dirname(out)} does not exist`);
}

/**
 * The input file's non-blank lines, numbered as in the file (UTF-8, a leading BOM skipped). Each
 * line is decoded on its own: a line that is not UTF-8 is named, and a file larger than the
 * longest string JavaScript has (512 MB) is read all the same.
 */
function readLines(file: string): BatchLine[] {
  let bytes: Buffer;
  try {
    bytes = file === "-" ? readFileSync(0) : readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--batch: cannot read '${file}': ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : code === "ERR_FS_FILE_TOO_LARGE" ? "it is larger than 2 GB; split it" : (code ?? String(error))}`,
    );
  }
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const lines: BatchLine[] = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let number = 1; start <= bytes.length; number++) {
    const found = bytes.indexOf(0x0a, start);
    const end = found < 0 ? bytes.length : found;
    let raw: string;
    try {
      raw = decoder.decode(bytes.subarray(start, end));
    } catch {
      // Decoding what is not UTF-8 would silently change the input.
      throw new UsageError(`--batch: '${file}' line ${number} is not UTF-8 text`);
    }
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() !== "") lines.push({ line: number, text: line });
    start = end + 1;
  }
  if (lines.length === 0)
    throw new UsageError(`--batch: '${file}' has no input lines (one JSON value a line)`);
  return lines;
}

export function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface Verdict {
  /** Why the run may not start (over a budget, or no bound under one). */
  readonly refusal: ReturnType<typeof appError> | undefined;
}

/** Whether the bound fits the budgets: a token or cost budget needs a bound that fits. */
/**
 * The bound before the first call: `--plan` and `--dry-run` print it and stop (exit 0); a bound
 * over a budget refuses to start unless `--allow-over-budget` (the refusal's exit code). Shared
 * by the local batch and the one on workers (run-remote.ts). `exit` is undefined when the batch
 * goes on.
 */
export function planOrRefuse(
  context: {
    readonly root: RunnableApp;
    readonly redactor: Redactor;
    readonly quiet: boolean;
    readonly program: string;
  },
  flags: BatchFlags,
  lines: {
    readonly total: number;
    readonly done: number;
    readonly toRun: readonly BatchLine[];
    readonly values: readonly unknown[];
  },
  boundOptions: BoundOptions,
): { readonly exit?: number; readonly bound: BatchBound } {
  const bound = batchBound(context.root, lines.values, boundOptions);
  const verdict = judge(bound, flags.limits);
  if (flags.plan || flags.dryRun) {
    const invalid = flags.dryRun ? invalidLines(context.root, lines.toRun, lines.values) : undefined;
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(planJson(bound, flags, verdict, lines.total, lines.done, invalid))}\n`
        : planText(bound, flags, verdict, lines.total, lines.done, invalid),
    );
    return { exit: RunExit.Ok, bound };
  }
  if (verdict.refusal !== undefined && !flags.allowOverBudget) {
    const error = verdict.refusal;
    process.stdout.write(`${JSON.stringify(context.redactor.value(error.payload), null, 2)}\n`);
    if (!context.quiet)
      process.stderr.write(
        context.redactor.text(
          `${context.program} run: error ${error.payload.error_code}: ${error.message}\n`,
        ),
      );
    return { exit: error.exitCode, bound };
  }
  return { bound };
}

export function judge(bound: BatchBound, limits: BudgetLimits): Verdict {
  if (limits.tokens !== undefined) {
    if (bound.unbounded.length > 0)
      return {
        refusal: appError(
          AppErrors.BoundUnknown,
          { kind: "tokens", reasons: bound.unbounded },
          { details: boundDetails(bound, limits) },
        ),
      };
    if (bound.tokens > limits.tokens)
      return {
        refusal: appError(
          AppErrors.BoundOverBudget,
          { kind: "tokens", bound: `${fmt(bound.tokens)} tokens`, budget: fmt(limits.tokens) },
          { details: boundDetails(bound, limits) },
        ),
      };
  }
  if (limits.cost !== undefined) {
    const reasons = [
      ...bound.unbounded,
      ...bound.unpriced.map((m) => `the price table has no price for ${m} (--prices FILE)`),
    ];
    if (reasons.length > 0)
      return {
        refusal: appError(
          AppErrors.BoundUnknown,
          { kind: "cost", reasons },
          { details: boundDetails(bound, limits) },
        ),
      };
    if (bound.cost! > limits.cost)
      return {
        refusal: appError(
          AppErrors.BoundOverBudget,
          { kind: "cost", bound: money(bound.cost!), budget: String(limits.cost) },
          { details: boundDetails(bound, limits) },
        ),
      };
  }
  return { refusal: undefined };
}

function boundDetails(bound: BatchBound, limits: BudgetLimits): Record<string, unknown> {
  return {
    bound: {
      tokens: bound.tokens,
      prompt_tokens: bound.promptTokens,
      completion_tokens: bound.completionTokens,
      cost: bound.cost ?? null,
      lines: bound.lines,
      unbounded: bound.unbounded,
      unpriced: bound.unpriced,
    },
    budget: { tokens: limits.tokens ?? null, cost: limits.cost ?? null },
  };
}

/** `--dry-run`: the lines whose input would be refused before any call. */
export function invalidLines(
  root: RunnableApp,
  lines: readonly BatchLine[],
  values: readonly unknown[],
): number[] {
  const invalid: number[] = [];
  for (const [i, line] of lines.entries()) {
    const value = values[i];
    if (value === undefined || root.prepared.validateInput(value).errors.length > 0) invalid.push(line.line);
  }
  return invalid;
}

export function planJson(
  bound: BatchBound,
  flags: Pick<BatchFlags, "prices" | "limits" | "budgetMode" | "allowOverBudget">,
  verdict: Verdict,
  total: number,
  done: number,
  invalid: readonly number[] | undefined,
): unknown {
  return {
    plan: {
      lines: total,
      already_done: done,
      to_run: bound.lines,
      lines_without_calls: bound.linesWithoutCalls,
      calls_per_line: bound.callsPerLine,
      bound: {
        bounded: bound.unbounded.length === 0,
        unbounded: bound.unbounded,
        tokens: bound.tokens,
        prompt_tokens: bound.promptTokens,
        completion_tokens: bound.completionTokens,
        cost: bound.cost ?? null,
        currency: flags.prices.currency,
        unpriced: bound.unpriced,
      },
      apps: bound.apps.map((a) => ({
        app: a.app,
        model: a.model,
        calls: a.calls,
        max_tokens: a.maxTokens ?? null,
        max_context_window: a.maxContextWindow,
        first_prompt: a.firstPrompt,
        worst_tokens_per_run: a.worstPerRun ?? null,
        priced: a.priced,
      })),
      budget: {
        tokens: flags.limits.tokens ?? null,
        cost: flags.limits.cost ?? null,
        time_ms: flags.limits.timeMs ?? null,
      },
      starts: verdict.refusal === undefined || flags.allowOverBudget,
      refusal: verdict.refusal?.payload ?? null,
      ...(invalid === undefined ? {} : { invalid_lines: invalid }),
    },
  };
}

export function planText(
  bound: BatchBound,
  flags: Pick<BatchFlags, "prices" | "limits" | "budgetMode" | "allowOverBudget">,
  verdict: Verdict,
  total: number,
  done: number,
  invalid: readonly number[] | undefined,
): string {
  const out: string[] = [];
  out.push(
    `lines    ${total}${done > 0 ? `, ${done} already done` : ""}: ${bound.lines} to run, ${bound.linesWithoutCalls} of them make no call (input off-schema or too long)`,
  );
  for (const a of bound.apps)
    out.push(
      `app      ${a.app}: model ${a.model}, up to ${a.calls} call${a.calls === 1 ? "" : "s"} a run, max_tokens ${a.maxTokens ?? "none"}, window ${fmt(a.maxContextWindow)}, first prompt ${a.firstPrompt === "rendered" ? "rendered from each input" : "up to the window"}${a.worstPerRun === undefined ? "" : `, at most ${fmt(a.worstPerRun)} tokens a run`}`,
    );
  out.push(`bound    ${describeBound(bound, flags.prices)}`);
  for (const reason of bound.unbounded) out.push(`         unbounded: ${reason}`);
  const budgets = [
    flags.limits.tokens === undefined ? undefined : `${fmt(flags.limits.tokens)} tokens`,
    flags.limits.cost === undefined ? undefined : money(flags.limits.cost),
    flags.limits.timeMs === undefined ? undefined : `${flags.limits.timeMs / 1000} s`,
  ].filter((b) => b !== undefined);
  if (budgets.length > 0) out.push(`budget   ${budgets.join(", ")} (${flags.budgetMode})`);
  if (verdict.refusal !== undefined)
    out.push(
      `verdict  ${flags.allowOverBudget ? "over budget; runs anyway (--allow-over-budget): the budget stops it" : `refused: ${verdict.refusal.message}`}`,
    );
  else if (budgets.length > 0) out.push("verdict  fits the budget: the batch cannot spend more");
  if (invalid !== undefined)
    out.push(
      `inputs   ${bound.lines - invalid.length} valid, ${invalid.length} invalid${invalid.length > 0 ? ` (line${invalid.length === 1 ? "" : "s"} ${invalid.slice(0, 10).join(", ")}${invalid.length > 10 ? ", …" : ""})` : ""}`,
    );
  return `${out.join("\n")}\n`;
}

export function describeBound(bound: BatchBound, prices: PriceTable): string {
  if (bound.unbounded.length > 0) return "unbounded (an app has no max_tokens)";
  const cost =
    bound.cost === undefined
      ? `cost unknown (no price for ${bound.unpriced.join(", ")})`
      : `${money(bound.cost)}${prices.currency && prices.currency !== "USD" ? ` ${prices.currency}` : ""}`;
  return `${fmt(bound.tokens)} tokens (prompt ${fmt(bound.promptTokens)} + answer ${fmt(bound.completionTokens)}), ${cost}`;
}

function describeConcurrency(
  concurrency: number | "auto",
  limit: number,
  max: number,
  capacity: number | undefined,
): string {
  if (concurrency !== "auto") return `concurrency ${concurrency}`;
  return `concurrency auto from ${limit} (${capacity === undefined ? "no capacity advertised" : `the backend takes ${capacity}`}), at most ${max}`;
}

const STOPPED: Readonly<Record<StopReason, string>> = {
  tokens: "the token budget (--budget-tokens)",
  cost: "the cost budget (--budget-cost)",
  time: "the time budget (--budget-time)",
  interrupt: "an interrupt (Ctrl-C)",
};

export function summaryText(program: string, s: BatchSummary, flags: BatchFlags): string {
  const spent = s.spent;
  const parts = [
    `${s.ok} ok`,
    `${s.failed} failed`,
    ...(s.notRun > 0 ? [`${s.notRun} not run`] : []),
    ...(s.cancelled > 0 ? [`${s.cancelled} cancelled`] : []),
    ...(s.resumed > 0 ? [`${s.resumed} done before`] : []),
  ];
  const figures = [
    spent === undefined ? undefined : `${fmt(spent.tokens)} tokens`,
    spent?.cost === undefined ? undefined : money(spent.cost),
    `${(s.elapsedMs / 1000).toFixed(1)} s`,
    `at most ${s.maxRunning} in flight`,
  ].filter((p) => p !== undefined);
  let text = `${program} run --batch: ${s.total} lines: ${parts.join(", ")} · ${figures.join(" · ")}\n`;
  if (s.stoppedBy !== undefined && s.notRun + s.cancelled > 0)
    text += `stopped by ${STOPPED[s.stoppedBy]}: ${s.notRun + s.cancelled} line${s.notRun + s.cancelled === 1 ? "" : "s"} left${flags.out === undefined ? "" : `; run them with --resume --out ${flags.out}`}\n`;
  return text;
}

export function summaryJson(
  s: BatchSummary,
  flags: BatchFlags,
  exit: number,
  concurrency: { start: number; end: number; max: number; halvings: number },
): unknown {
  return {
    summary: {
      lines: s.total,
      ok: s.ok,
      failed: s.failed,
      not_run: s.notRun,
      cancelled: s.cancelled,
      resumed: s.resumed,
      stopped_by: s.stoppedBy ?? null,
      budget_mode: flags.budgetMode,
      tokens: s.spent?.tokens ?? 0,
      prompt_tokens: s.spent?.promptTokens ?? 0,
      completion_tokens: s.spent?.completionTokens ?? 0,
      cost: s.spent?.cost ?? null,
      elapsed_ms: Math.round(s.elapsedMs),
      max_in_flight: s.maxRunning,
      concurrency,
      exit,
    },
  };
}

/**
 * Progress on stderr: one line rewritten in place on a terminal (done/total, in flight, tokens,
 * spend, ETA); elsewhere a line at every tenth of the batch.
 */
export class BatchProgress {
  readonly #bar: Progress | undefined;
  readonly #stream: (ProgressStream & { readonly isTTY?: boolean }) | undefined;
  readonly #started = performance.now();
  #lastTenth = 0;

  constructor(
    readonly total: number,
    stream: (ProgressStream & { readonly isTTY?: boolean }) | undefined,
    readonly budget: Budget,
  ) {
    this.#stream = stream;
    this.#bar = stream?.isTTY === true ? new Progress(total, stream) : undefined;
  }

  update(done: number, running: number): void {
    if (this.#stream === undefined) return;
    const spent = this.budget.spent();
    const elapsed = performance.now() - this.#started;
    const eta = done > 0 && done < this.total ? ((elapsed / done) * (this.total - done)) / 1000 : undefined;
    const label = `${running} in flight · ${fmt(spent.tokens)} tokens${spent.cost === undefined ? "" : ` · ${money(spent.cost)}`}${eta === undefined ? "" : ` · ETA ${Math.ceil(eta)} s`}`;
    if (this.#bar !== undefined) {
      this.#bar.show(done, label);
      return;
    }
    const tenth = Math.floor((done * 10) / this.total);
    if (tenth <= this.#lastTenth) return;
    this.#lastTenth = tenth;
    this.#stream.write(`progress ${done}/${this.total} (${tenth * 10}%) · ${label}\n`);
  }

  done(): void {
    this.#bar?.done();
  }
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0))
    throw new UsageError(`${flag} must be a number above 0, not '${text}'`);
  return n;
}

/** The longest `--budget-time`: a timer's limit (about 24.8 days). */
const MAX_BUDGET_TIME_MS = 2 ** 31 - 1;

function duration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`--budget-time must be a duration such as 90s, 10m or 1h30m, not '${text}'`);
  // A longer timer fires at once (Node clamps it to 1 ms): the batch would stop before it starts.
  if (ms > MAX_BUDGET_TIME_MS)
    throw new UsageError(`--budget-time must be at most 24 days (596h), not '${text}'`);
  return ms;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function money(n: number): string {
  return `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
}
