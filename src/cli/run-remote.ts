/**
 * `run app.rllm --batch in.jsonl --redis URL`: the batch's lines run by workers (`rllmc worker`)
 * over BullMQ on Redis (docs/scale-out.md). This side reads the inputs and the app tree, computes
 * the bound (`--plan`, the refusal unless `--allow-over-budget`) as the local batch does, writes
 * the batch's shared state (token budget, budget mode, capacity: driver/queue/shared-limits.ts),
 * enqueues one `run` job per input line (driver/queue/run-kind.ts: the app's text travels in the
 * job, no key does), shows progress, and writes the records, the journal, the summary and the
 * exit code exactly as the local `--batch` does (cli/run-batch.ts). A line that is not JSON never
 * leaves this process: its record is made here, by the same function.
 *
 * Loaded only with `--redis`: a local batch loads neither this nor bullmq or ioredis.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { Budget } from "../driver/batch/budget.js";
import {
  isFinal,
  Journal,
  journalPath,
  type LineRecord,
  readDone,
  writeResults,
} from "../driver/batch/journal.js";
import type { BatchLine, BatchSummary, StopReason } from "../driver/batch/run-batch.js";
import { runBatchLine } from "../driver/batch/run-line.js";
import { DEFAULT_MAX_CONCURRENCY, type Priority } from "../driver/batch/scheduler.js";
import { checkRedis, parseRedisUrl, RedisUnreachableError } from "../driver/queue/connection.js";
import { jobId } from "../driver/queue/job-id.js";
import type { RunJobResult, RunPayload, RunSettings } from "../driver/queue/run-kind.js";
import { DEFAULT_JOB_SETTINGS, QUEUE_PREFIX } from "../driver/queue/settings.js";
import { stopBatch, writeBatchState } from "../driver/queue/shared-limits.js";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_REDIS_TIMEOUT_MS,
  QueueTimeoutError,
  submitAndCollect,
} from "../driver/queue/submit.js";
import { type LoadedApp, loadApp } from "../driver/rllm-app.js";
import { UsageError } from "../driver/usage-error.js";
import { version } from "../driver/version.js";
import type { RunnableApp } from "../runtime/app/compose.js";
import { createProvider, type ResolvedConfig } from "../runtime/app/config.js";
import { AppErrors, appError, RunExit } from "../runtime/app/errors.js";
import type { Provider } from "../runtime/app/provider.js";
import type { Redactor } from "../runtime/shared/redact.js";
import { intOption } from "./queue-options.js";
import {
  type BatchFlags,
  BatchProgress,
  describeBound,
  notRunPayload,
  parseLine,
  planOrRefuse,
  summaryJson,
  summaryText,
} from "./run-batch.js";

export interface RemoteRunContext {
  readonly program: string;
  readonly url: string;
  /** The app's path as given on the command line. */
  readonly appPath: string;
  readonly root: RunnableApp;
  readonly config: ResolvedConfig;
  /** The model every app runs with (`--model`, LLM_MODEL), else undefined: each app's own. */
  readonly modelOverride: string | undefined;
  readonly maxRetries: number;
  readonly priority: Priority | undefined;
  readonly quiet: boolean;
  readonly redactor: Redactor;
  /** Whether results of earlier submits may be taken (not with `--no-cache`). */
  readonly reuse: boolean;
  readonly values: Readonly<Record<string, unknown>>;
}

/** A line that is not JSON is made here; it needs no provider. */
const NO_PROVIDER: Provider = {
  name: "none",
  complete: () => Promise.reject(new Error("no provider on the submitter")),
};

export async function runBatchRemote(flags: BatchFlags, context: RemoteRunContext): Promise<number> {
  const started = performance.now();
  const err = (text: string) => process.stderr.write(context.redactor.text(text));
  const target = parseRedisUrl(context.url);
  const { values } = context;
  const attempts = intOption(values, "attempts", DEFAULT_JOB_SETTINGS.attempts, 1, 100);
  const backoffMs = intOption(values, "backoff-ms", DEFAULT_JOB_SETTINGS.backoffMs, 0, 3_600_000);
  const idleTimeoutMs =
    intOption(values, "idle-timeout", DEFAULT_IDLE_TIMEOUT_MS / 1000, 1, 7 * 86_400) * 1000;
  const redisTimeoutMs =
    intOption(values, "redis-timeout", DEFAULT_REDIS_TIMEOUT_MS / 1000, 1, 86_400) * 1000;
  const appName = context.root.prepared.definition.name;

  const lines = flags.lines;
  const byNumber = new Map(lines.map((l) => [l.line, l.text]));
  const done = flags.out !== undefined && flags.resume ? readDone(flags.out, byNumber, appName) : new Map();
  const toRun = lines.filter((l) => !(done.has(l.line) && isFinal(done.get(l.line)!)));
  const parsed = toRun.map((l) => parseLine(l.text));
  const planned = planOrRefuse(
    context,
    flags,
    { total: lines.length, done: done.size, toRun, values: parsed },
    {
      maxRetries: context.maxRetries,
      provider: context.config.provider,
      ...(context.modelOverride === undefined ? {} : { model: context.modelOverride }),
      models: new Map(),
      prices: flags.prices,
    },
  );
  if (planned.exit !== undefined) return planned.exit;
  const { bound } = planned;
  try {
    await checkRedis(target, Math.min(redisTimeoutMs, 5_000));
  } catch (error) {
    if (error instanceof RedisUnreachableError) throw new UsageError(error.message);
    throw error;
  }

  // The capacity every worker's calls share: --concurrency N, else the backend's word.
  let capacity: number | undefined;
  if (flags.concurrency === "auto") capacity = await discoverCapacity(context);
  const shared =
    flags.concurrency !== "auto"
      ? flags.concurrency
      : Math.min(
          capacity ?? Number.POSITIVE_INFINITY,
          flags.maxConcurrency ?? capacity ?? DEFAULT_MAX_CONCURRENCY,
        );
  const capacityKey = createHash("sha256")
    .update(`${context.config.provider}\0${context.config.baseUrl ?? ""}`)
    .digest("hex")
    .slice(0, 24);

  const files = appFiles(await loadApp(context.appPath));
  const settings: RunSettings = {
    provider: context.config.provider,
    ...(context.config.origins.model === "app" ? {} : { model: context.config.model }),
    ...(context.config.baseUrl === undefined || context.config.origins.baseUrl === "app"
      ? {}
      : { baseUrl: context.config.baseUrl }),
    ...(context.modelOverride === undefined ? {} : { modelOverride: context.modelOverride }),
    maxRetries: context.maxRetries,
    ...(context.priority === undefined ? {} : { priority: context.priority }),
  };
  const batch = randomUUID();
  const records = new Array<LineRecord | undefined>(lines.length);
  const indexOf = new Map(lines.map((l, i) => [l.line, i]));
  const counts = { ok: 0, failed: 0, notRun: 0, cancelled: 0, resumed: 0 };
  let stoppedBy: StopReason | undefined;
  let next = 0;
  let settledCount = 0;
  const journal = flags.out === undefined ? undefined : new Journal(journalPath(flags.out), appName);
  const budget = new Budget(flags.limits, flags.prices, context.config.provider);
  const progress = new BatchProgress(lines.length, context.quiet ? undefined : process.stderr, budget);
  const flush = () => {
    while (next < lines.length && records[next] !== undefined) {
      if (flags.out === undefined)
        process.stdout.write(`${JSON.stringify(context.redactor.value(records[next]))}\n`);
      next += 1;
    }
  };
  const settle = (line: BatchLine, record: LineRecord, final: boolean) => {
    const index = indexOf.get(line.line)!;
    records[index] = record;
    settledCount += 1;
    if (final) journal?.append(context.redactor.value(record) as LineRecord, line.text);
    flush();
    progress.update(settledCount, 0);
  };
  for (const line of lines) {
    const previous = done.get(line.line);
    if (previous !== undefined && isFinal(previous)) {
      counts.resumed += 1;
      settle(line, previous, false);
    }
  }

  const items: { id: string; name: string; payload: RunPayload & { batch: string }; line: BatchLine }[] = [];
  for (const [i, line] of toRun.entries()) {
    if (parsed[i] === undefined) {
      // Not JSON: the same record as the local batch, made here (it makes no call).
      const record = await runBatchLine(
        line,
        new AbortController().signal,
        localContext(context),
        NO_PROVIDER,
        flags.file,
      );
      counts.failed += 1;
      settle(line, record, true);
      continue;
    }
    const payload: RunPayload = {
      v: 1,
      rllmc: version(),
      app: context.appPath,
      files,
      input: line.text,
      settings,
    };
    items.push({
      id: jobId("run", payload),
      name: `${flags.file}:${line.line}`,
      payload: { ...payload, batch },
      line,
    });
  }

  const { Redis: RedisClient } = await import("ioredis");
  const redis: Redis = new RedisClient({ ...target.options, maxRetriesPerRequest: 3 });
  redis.on("error", () => undefined);
  const stopping: Promise<void>[] = [];
  const stop = (kind: StopReason) => {
    stoppedBy ??= kind;
    stopping.push(stopBatch(redis, batch, kind).catch(() => undefined));
  };
  budget.onReached((kind) => stop(kind));
  const notRunJobs = new Set<string>();
  // Ctrl-C: no worker admits another line of the batch (its lines in hand are cancelled before
  // their next call), this side stops watching and removes the jobs still waiting; a second
  // Ctrl-C ends the process at once.
  const interrupted = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(RunExit.Interrupted);
    stop("interrupt");
    interrupted.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (!context.quiet)
    err(
      `${context.program} run --batch: ${toRun.length} line${toRun.length === 1 ? "" : "s"} to run${done.size > 0 ? ` (${done.size} already done)` : ""} on workers at ${target.redacted}, at most ${shared} provider call${shared === 1 ? "" : "s"} at once across them${capacity === undefined ? "" : " (the backend's capacity)"}; worst case ${describeBound(bound, flags.prices)}\n`,
    );
  let exitOverride: number | undefined;
  try {
    await writeBatchState(redis, batch, {
      tokens: flags.limits.tokens,
      mode: flags.budgetMode,
      capacity: shared,
      capacityKey,
    });
    const watched = await submitAndCollect(target, items, {
      queue: "run",
      reuse: context.reuse,
      // A line of a stopped batch that never ran (or was cancelled) is run again.
      reusable: (result) => !("stopped" in (result as object)),
      signal: interrupted.signal,
      settings: { attempts, backoffMs },
      idleTimeoutMs,
      redisTimeoutMs,
      onSettled: (i, outcome) => {
        const item = items[i]!;
        const n = item.line.line;
        if (outcome.kind === "failed") {
          counts.failed += 1;
          const error = appError(
            AppErrors.Internal,
            {
              detail: `the queue's workers could not run line ${n} (${outcome.attempts} ${outcome.attempts === 1 ? "attempt" : "attempts"}): ${outcome.error.code}: ${outcome.error.message}`,
            },
            {
              details: { line: n, queue_code: outcome.error.code, attempts: outcome.attempts },
              recovery_hint:
                "The job is in 'rllmc queue failed'; fix the cause (a worker's log says more) and run 'rllmc queue retry', or the batch again.",
            },
          );
          settle(item.line, { line: n, ok: false, error: error.payload }, true);
          return;
        }
        const result = outcome.result as RunJobResult;
        if (!outcome.cached)
          budget.record(
            { model: context.modelOverride ?? context.root.prepared.definition.llm.model, messages: [] },
            {
              text: "",
              usage: {
                promptTokens: result.usage.promptTokens,
                completionTokens: result.usage.completionTokens,
              },
            } as never,
          );
        if ("stopped" in result) {
          // Not final: the job goes, so that a rerun (or --resume) runs the line.
          notRunJobs.add(item.id);
          stoppedBy ??= result.stopped;
          if (result.cancelled) counts.cancelled += 1;
          else counts.notRun += 1;
          settle(
            item.line,
            { line: n, ok: false, error: notRunPayload(n, result.stopped, result.cancelled) },
            false,
          );
          return;
        }
        if (result.record.ok) counts.ok += 1;
        else counts.failed += 1;
        settle(item.line, { line: n, ...result.record } as LineRecord, true);
      },
    });
    if (!context.quiet && !flags.json) {
      const by = [...watched.byWorker.entries()].sort(([a], [b]) => a.localeCompare(b));
      err(
        `queue: ${watched.done + watched.failed} of ${items.length} jobs finished${by.length === 0 ? "" : `, run by ${by.map(([w, n]) => `${w} ${n}`).join(", ")}`}${watched.cached > 0 ? `, ${watched.cached} from earlier runs` : ""}${watched.failed > 0 ? `, ${watched.failed} failed for good (rllmc queue failed)` : ""}\n`,
      );
    }
    if (interrupted.signal.aborted) {
      const left = items.filter((item) => records[indexOf.get(item.line.line)!] === undefined);
      for (const item of left) {
        counts.notRun += 1;
        settle(
          item.line,
          { line: item.line.line, ok: false, error: notRunPayload(item.line.line, "interrupt", false) },
          false,
        );
      }
      // Waiting jobs go; a job a worker holds cannot be removed: it ends cancelled, and a rerun runs it.
      for (const item of left) notRunJobs.add(item.id);
    }
  } catch (error) {
    if (!(error instanceof QueueTimeoutError)) throw error;
    if (!context.quiet) err(`queue: stopped: ${error.message}\n`);
    for (const item of items)
      if (records[indexOf.get(item.line.line)!] === undefined) {
        counts.notRun += 1;
        settle(
          item.line,
          { line: item.line.line, ok: false, error: notRunPayload(item.line.line, "interrupt", false) },
          false,
        );
      }
    exitOverride = 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.done();
    budget.close();
    if (notRunJobs.size > 0) await removeJobs(target, [...notRunJobs]);
    await Promise.race([Promise.all(stopping), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    redis.disconnect();
  }
  if (flags.out !== undefined) {
    writeResults(
      flags.out,
      (records as LineRecord[]).map((r) => context.redactor.value(r) as LineRecord),
    );
    if (counts.notRun + counts.cancelled === 0) journal?.remove();
    else journal?.close();
  }
  const summary: BatchSummary = {
    total: lines.length,
    ...counts,
    stoppedBy,
    spent: budget.spent(),
    maxRunning: shared,
    elapsedMs: performance.now() - started,
  };
  const exit =
    exitOverride ??
    (summary.stoppedBy === "interrupt"
      ? RunExit.Interrupted
      : summary.stoppedBy !== undefined && summary.notRun + summary.cancelled > 0
        ? RunExit.Budget
        : summary.failed > 0
          ? RunExit.LinesFailed
          : RunExit.Ok);
  if (flags.json)
    err(
      `${JSON.stringify(summaryJson(summary, flags, exit, { start: shared, end: shared, max: shared, halvings: 0 }))}\n`,
    );
  else if (!context.quiet) err(summaryText(context.program, summary, flags));
  return exit;
}

function localContext(context: RemoteRunContext) {
  return {
    root: context.root,
    model: context.modelOverride,
    models: new Map<string, string>(),
    maxRetries: context.maxRetries,
    redactor: context.redactor,
  };
}

/** Every file of the app tree, by the path it was loaded by. */
function appFiles(app: LoadedApp): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (a: LoadedApp) => {
    for (const source of a.loaded.sources) files[source.path] = source.text;
    for (const child of a.children) walk(child.app);
  };
  walk(app);
  return files;
}

/** The backend's advertised capacity (llama-orch's discovery), asked from this machine; else undefined. */
async function discoverCapacity(context: RemoteRunContext): Promise<number | undefined> {
  let provider: Provider | undefined;
  try {
    provider = await createProvider(context.config, context.redactor);
    const found = await Promise.race([
      provider.capacity?.(),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000).unref()),
    ]);
    return found?.maxInFlight;
  } catch {
    return undefined;
  } finally {
    await provider?.close?.().catch(() => undefined);
  }
}

/** Removes finished jobs whose record is not final, so that a rerun runs them. */
async function removeJobs(target: ReturnType<typeof parseRedisUrl>, ids: readonly string[]): Promise<void> {
  const { Queue } = await import("bullmq");
  const queue = new Queue("run", {
    connection: { ...target.options, maxRetriesPerRequest: 3 } as never,
    prefix: QUEUE_PREFIX,
  });
  try {
    await Promise.race([
      Promise.all(ids.map((id) => queue.remove(id).catch(() => 0))),
      new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
    ]);
  } finally {
    await Promise.race([queue.close(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]).catch(
      () => undefined,
    );
  }
}
