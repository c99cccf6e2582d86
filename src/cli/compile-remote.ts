/**
 * `compile TSGs --out-dir D --redis URL`: the batch compiled by workers (`rllmc worker`) over
 * BullMQ on Redis (docs/scale-out.md). This side reads each TSG (as the local command does, so a
 * file that cannot be read or is not a TSG is reported the same way and never enqueued), sends
 * its text and placement as one job (driver/queue/compile-kind.ts), shows progress on stderr, and
 * hands each result to the compile command, which writes and reports it exactly as a local
 * compile would. Workers only compute; this process writes every output, once.
 *
 * `compile app.rllm… --redis URL` (`compileAppsRemote`): one job per root app with its `uses`
 * tree's texts (driver/queue/compile-app-kind.ts); the modules are written here as the local
 * command writes them.
 *
 * Loaded only when `--redis` is given: a plain compile loads neither this nor bullmq or ioredis.
 */
import { isAbsolute, resolve } from "node:path";
import { type AppReport, appReport, compileApps } from "../driver/compile-apps.js";
import type { FileResult } from "../driver/compile-runbooks.js";
import { readTsg } from "../driver/compile-runbooks.js";
import { commonDirectory, OutputNameError, outputStem } from "../driver/output-paths.js";
import {
  appTreeFiles,
  type CompileAppPayload,
  type CompileAppResult,
} from "../driver/queue/compile-app-kind.js";
import type { CompileJobResult, CompileLlm, CompilePayload } from "../driver/queue/compile-kind.js";
import { checkRedis, parseRedisUrl, RedisUnreachableError } from "../driver/queue/connection.js";
import { jobId } from "../driver/queue/job-id.js";
import { DEFAULT_JOB_SETTINGS } from "../driver/queue/settings.js";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_REDIS_TIMEOUT_MS,
  type Progress,
  QueueTimeoutError,
  submitAndCollect,
} from "../driver/queue/submit.js";
import type { RunbookPlacement } from "../driver/regenerate.js";
import { UsageError } from "../driver/usage-error.js";
import { version } from "../driver/version.js";
import { writeAtomic } from "../driver/write-atomic.js";
import { sourceFromText } from "../frontend/read-source.js";
import { type Diagnostic, hasErrors, makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import type { SourceFile } from "../ir/source-file.js";
import { intOption } from "./queue-options.js";

export interface RemoteCompile {
  readonly url: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly files: readonly string[];
  /** Where each file's outputs go and how they name it: what the local loop computes. */
  readonly placementOf: (path: string) => RunbookPlacement;
  readonly llm: CompileLlm;
  /** Whether results of earlier submits may be taken (the local command's result cache rule). */
  readonly reuse: boolean;
  /** Shows progress and notices on stderr. */
  readonly showProgress: boolean;
  readonly quiet: boolean;
  /** Writes one file's outputs as the local command does (nothing for a result with errors). */
  readonly write: (result: FileResult, index: number) => void;
}

/** Compiles the files on the queue; returns their results in the files' order. */
export async function compileRemote(job: RemoteCompile, sources: SourceFile[]): Promise<FileResult[]> {
  const { target, attempts, backoffMs, idleTimeoutMs, redisTimeoutMs } = await queueSettings(
    job.url,
    job.values,
  );
  const results: (FileResult | undefined)[] = job.files.map(() => undefined);
  const items: { id: string; name: string; payload: CompilePayload; index: number }[] = [];
  job.files.forEach((path, index) => {
    const read = readTsg(path, sources);
    if ("result" in read) {
      results[index] = read.result;
      return;
    }
    const payload: CompilePayload = {
      v: 1,
      rllmc: version(),
      path,
      text: read.source.text,
      placement: job.placementOf(path),
      llm: job.llm,
    };
    items.push({ id: jobId("compile", payload), name: path, payload, index });
  });

  const status = new StatusLine(job.showProgress && !job.quiet);
  try {
    await submitAndCollect(target, items, {
      queue: "compile",
      reuse: job.reuse,
      settings: { attempts, backoffMs },
      idleTimeoutMs,
      redisTimeoutMs,
      onSettled: (i, outcome) => {
        const item = items[i]!;
        const path = item.payload.path;
        let result: FileResult;
        if (outcome.kind === "done") {
          const r = outcome.result as CompileJobResult;
          result = {
            path,
            yaml: r.yaml,
            mapping: r.mapping,
            diagnostics: r.diagnostics,
            stats: r.stats,
            cached: outcome.cached,
          };
        } else result = failedResult(path, jobFailed(path, outcome));
        results[item.index] = result;
        job.write(result, item.index);
      },
      onProgress: (p) => status.show(p),
      notice: (line) => {
        if (!job.quiet) status.notice(line);
      },
    });
  } catch (error) {
    if (!(error instanceof QueueTimeoutError)) throw error;
    if (!job.quiet) status.notice(`stopped: ${error.message}`);
    job.files.forEach((path, index) => {
      if (results[index] === undefined) results[index] = failedResult(path, stopped(path, error));
    });
  } finally {
    status.clear();
  }
  return results.map((r) => r!);
}

/** The queue options of a submit, and Redis checked reachable (else a usage error, exit 2). */
async function queueSettings(url: string, values: Readonly<Record<string, unknown>>) {
  const target = parseRedisUrl(url);
  const attempts = intOption(values, "attempts", DEFAULT_JOB_SETTINGS.attempts, 1, 100);
  const backoffMs = intOption(values, "backoff-ms", DEFAULT_JOB_SETTINGS.backoffMs, 0, 3_600_000);
  const idleTimeoutMs =
    intOption(values, "idle-timeout", DEFAULT_IDLE_TIMEOUT_MS / 1000, 1, 7 * 86_400) * 1000;
  const redisTimeoutMs =
    intOption(values, "redis-timeout", DEFAULT_REDIS_TIMEOUT_MS / 1000, 1, 86_400) * 1000;
  try {
    await checkRedis(target, Math.min(redisTimeoutMs, 5_000));
  } catch (error) {
    if (error instanceof RedisUnreachableError) throw new UsageError(error.message);
    throw error;
  }
  return { target, attempts, backoffMs, idleTimeoutMs, redisTimeoutMs };
}

export interface RemoteApps {
  readonly url: string;
  readonly values: Readonly<Record<string, unknown>>;
  /** The root apps, as given. */
  readonly apps: readonly string[];
  readonly outDir: string | undefined;
  readonly runtimeImport: string | undefined;
  readonly reuse: boolean;
  readonly showProgress: boolean;
  readonly quiet: boolean;
}

/**
 * `compile apps/*.rllm --redis URL`: one job per root app, its tree's texts in the payload
 * (driver/queue/compile-app-kind.ts); the modules returned are written here as `compileApps`
 * writes them (all or none, atomically, a child shared by two roots once), and the report is
 * the local one's: the diagnostics of every root in order, each said once.
 */
export async function compileAppsRemote(job: RemoteApps): Promise<AppReport> {
  const { target, attempts, backoffMs, idleTimeoutMs, redisTimeoutMs } = await queueSettings(
    job.url,
    job.values,
  );
  const trees = appTreeFiles(job.apps);
  const every = new Map<string, string>();
  for (const files of trees) for (const [path, text] of Object.entries(files)) every.set(path, text);
  const base = commonDirectory([...every.keys()]);
  // A source that leaves no name for its outputs is the local command's usage error (RLC0010),
  // said when nothing else is wrong: that command, run here, says it exactly so.
  try {
    for (const path of every.keys()) outputStem(path, /\.rllm$/i, { base, outDir: job.outDir });
  } catch (error) {
    if (!(error instanceof OutputNameError)) throw error;
    return appReport(await compileApps(job.apps, { outDir: job.outDir, runtimeImport: job.runtimeImport }));
  }
  const anyAbsolute = [...job.apps, ...every.keys(), ...(job.outDir === undefined ? [] : [job.outDir])].some(
    (p) => isAbsolute(p),
  );
  const items = job.apps.map((app, index) => {
    const payload: CompileAppPayload = {
      v: 1,
      type: "app",
      rllmc: version(),
      app,
      roots: job.apps,
      base,
      ...(job.outDir === undefined ? {} : { outDir: job.outDir }),
      ...(job.runtimeImport === undefined ? {} : { runtimeImport: job.runtimeImport }),
      files: trees[index]!,
      ...(anyAbsolute ? { cwd: process.cwd() } : {}),
    };
    return { id: jobId("compile", payload), name: app, payload };
  });

  const results: (CompileAppResult | undefined)[] = job.apps.map(() => undefined);
  const status = new StatusLine(job.showProgress && !job.quiet);
  try {
    await submitAndCollect(target, items, {
      queue: "compile",
      reuse: job.reuse,
      settings: { attempts, backoffMs },
      idleTimeoutMs,
      redisTimeoutMs,
      onSettled: (i, outcome) => {
        const app = job.apps[i]!;
        results[i] =
          outcome.kind === "done" ? (outcome.result as CompileAppResult) : failedApp(jobFailed(app, outcome));
      },
      onProgress: (p) => status.show(p),
      notice: (line) => {
        if (!job.quiet) status.notice(line);
      },
    });
  } catch (error) {
    if (!(error instanceof QueueTimeoutError)) throw error;
    if (!job.quiet) status.notice(`stopped: ${error.message}`);
    job.apps.forEach((app, i) => {
      if (results[i] === undefined) results[i] = failedApp(stopped(app, error));
    });
  } finally {
    status.clear();
  }

  const diagnostics = dedupe(results.flatMap((r) => r!.diagnostics));
  const sources = new Set([...every].map(([path, text]) => sourceFromText(path, text)));
  if (hasErrors(diagnostics)) return { written: [], diagnostics, sources };
  // Placed and written as `compileApps` does: a child reached from two roots once.
  const seen = new Set<string>();
  const written = results
    .flatMap((r) => r!.written)
    .filter((w) => {
      const key = resolve(w.path);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((w) => {
      const out = outputStem(w.path, /\.rllm$/i, { base, outDir: job.outDir });
      return { ...w, mjs: `${out}.mjs`, dts: `${out}.d.mts` };
    });
  for (const w of written) {
    writeAtomic(w.mjs, w.mjsText);
    writeAtomic(w.dts, w.dtsText);
  }
  return { written, diagnostics, sources };
}

function failedApp(diagnostic: Diagnostic): CompileAppResult {
  return { written: [], diagnostics: [diagnostic], worker: "", ms: 0 };
}

/** Each diagnostic once, as `emitApps` says them (a child reached from two roots is one check). */
function dedupe(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}\0${d.span.file}\0${d.span.start}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function failedResult(path: string, diagnostic: FileResult["diagnostics"][number]): FileResult {
  return {
    path,
    yaml: undefined,
    mapping: undefined,
    diagnostics: [diagnostic],
    stats: undefined,
    cached: false,
  };
}

/**
 * The batch's progress on stderr: on a terminal one line rewritten in place; elsewhere a line
 * every 5 s while it changes. Done/total, failed, cached, and each worker's share.
 */
class StatusLine {
  #last = "";
  #lastAt = 0;
  readonly #tty = process.stderr.isTTY === true;

  constructor(readonly enabled: boolean) {}

  show(p: Progress): void {
    if (!this.enabled) return;
    const workers = [...p.byWorker.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, n]) => `${name} ${n}`)
      .join(", ");
    const text =
      `queue: ${p.done + p.failed}/${p.total} done, ${p.failed} failed` +
      (p.cached > 0 ? `, ${p.cached} from earlier runs` : "") +
      ` · ${p.workers} ${p.workers === 1 ? "worker" : "workers"}` +
      (workers === "" ? "" : ` (${workers})`);
    if (text === this.#last) return;
    if (this.#tty) process.stderr.write(`\r\x1b[2K${text.slice(0, (process.stderr.columns ?? 80) - 1)}`);
    else if (Date.now() - this.#lastAt >= 5_000 || p.done + p.failed === p.total) {
      this.#lastAt = Date.now();
      process.stderr.write(`${text}\n`);
    } else return;
    this.#last = text;
  }

  notice(line: string): void {
    if (this.#tty && this.#last !== "") process.stderr.write("\r\x1b[2K");
    process.stderr.write(`queue: ${line}\n`);
    this.#last = "";
  }

  clear(): void {
    if (this.#tty && this.#last !== "") process.stderr.write("\r\x1b[2K");
  }
}

/** RLC0013: a job that failed for good (its attempts, its code and message), at its file. */
function jobFailed(
  file: string,
  outcome: { readonly attempts: number; readonly error: { readonly code: string; readonly message: string } },
) {
  return makeDiagnostic(
    Diagnostics.QueueJobFailed,
    { file, start: 0, end: 0 },
    { attempts: outcome.attempts, code: outcome.error.code, detail: outcome.error.message },
  );
}

/** RLC0014: the batch stopped (Redis gone, or no job finished in time) before this file's job ended. */
function stopped(file: string, error: Error) {
  return makeDiagnostic(Diagnostics.QueueStopped, { file, start: 0, end: 0 }, { detail: error.message });
}
