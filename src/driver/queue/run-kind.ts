/**
 * The `run` job: one input line of `rllmc run app.rllm --batch in.jsonl --redis URL`, run by a
 * worker with the same function as the local batch line (driver/batch/run-line.ts), on the app
 * loaded the same way (driver/app-cache.ts, the run cache) from the text the submitter sent: the
 * app and every `uses` child travel in the payload, keyed by the paths the submitter loaded them
 * by, and the worker writes them once under its cache folder (`run-apps/<hash>/`), so workers need
 * not share the submitter's files. Paths in a record name the submitter's files again.
 *
 * The payload holds no secret: the provider, model and base URL are settings; each worker makes
 * its provider from its own environment (keys included). The job's id covers what decides the
 * answer (the app tree's text, the input line, provider, model, base URL, retries, priority), not
 * the line's number, so the same line enqueued twice is one job. The batch it belongs to (its
 * shared budget and capacity, shared-limits.ts) is a field of the job's data outside the id.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Redis } from "ioredis";
import { estimateMessageTokens, estimateTokens } from "../../lang/llm/estimate-tokens.js";
import { createProvider, type ProviderFlags, resolveConfig } from "../../runtime/app/config.js";
import type { ErrorPayload } from "../../runtime/app/errors.js";
import type { Provider } from "../../runtime/app/provider.js";
import { Redactor } from "../../runtime/shared/redact.js";
import { writeFileAtomic } from "../../runtime/shared/write-file.js";
import { cachedApp } from "../app-cache.js";
import { observeProvider } from "../batch/observe-provider.js";
import { BatchStop } from "../batch/run-batch.js";
import { runBatchLine } from "../batch/run-line.js";
import type { Priority } from "../batch/scheduler.js";
import { version } from "../version.js";
import { JobError } from "./job-error.js";
import type { JobContext, JobKind } from "./job-kind.js";
import {
  batchStopped,
  type JobUsage,
  readBatchState,
  type StopKind,
  sharedProvider,
} from "./shared-limits.js";

export interface RunSettings {
  readonly provider?: string;
  readonly model?: string;
  readonly baseUrl?: string;
  /** The model every app runs with (`--model`, LLM_MODEL), else each app's own. */
  readonly modelOverride?: string;
  readonly maxRetries: number;
  readonly priority?: Priority;
}

/** What decides a line's answer: the job's id is its hash. */
export interface RunPayload {
  readonly v: 1;
  readonly rllmc: string;
  /** The app's path as the submitter gave it. */
  readonly app: string;
  /** Every file of the app tree, by the path the submitter loaded it by. */
  readonly files: Readonly<Record<string, string>>;
  /** The input line, as in the file (JSON). */
  readonly input: string;
  readonly settings: RunSettings;
}

/** The job's data: the payload, and the batch whose budget and capacity it counts in. */
export interface RunJobData extends RunPayload {
  readonly batch?: string;
}

/** A line's record without its number (the submitter gives each line its own). */
export type LineOutcome =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly error: ErrorPayload };

export type RunJobResult =
  | {
      readonly record: LineOutcome;
      readonly usage: JobUsage;
      readonly worker: string;
      readonly ms: number;
    }
  | {
      /** Not run, or cancelled while it ran, because the batch was stopped. */
      readonly stopped: StopKind;
      readonly cancelled: boolean;
      readonly usage: JobUsage;
      readonly worker: string;
      readonly ms: number;
    };

const providers = new Map<string, Promise<Provider>>();

export const runKind: JobKind<RunJobData, RunJobResult> = {
  name: "run",
  parse(data: unknown): RunJobData {
    const p = data as Partial<RunJobData> | null;
    if (p === null || typeof p !== "object" || p.v !== 1)
      throw new JobError("QUEUE_BAD_PAYLOAD", "not a run job of payload format 1");
    if (p.rllmc !== version())
      throw new JobError(
        "QUEUE_VERSION_MISMATCH",
        `the job was made by rllmc ${String(p.rllmc)}, this worker is rllmc ${version()}`,
      );
    if (
      typeof p.app !== "string" ||
      typeof p.input !== "string" ||
      p.files === null ||
      typeof p.files !== "object" ||
      typeof p.files[p.app] !== "string" ||
      typeof p.settings?.maxRetries !== "number"
    )
      throw new JobError(
        "QUEUE_BAD_PAYLOAD",
        "the run job lacks its app, its files, its input or its settings",
      );
    return p as RunJobData;
  },
  async run(payload: RunJobData, context: JobContext): Promise<RunJobResult> {
    const started = performance.now();
    const redis = context.redis as Redis;
    const usage: JobUsage = { promptTokens: 0, completionTokens: 0, calls: 0 };
    const ms = () => Math.round(performance.now() - started);
    const state = payload.batch === undefined ? undefined : await readBatchState(redis, payload.batch);
    if (payload.batch !== undefined && state !== undefined) {
      // Admission: a stopped batch (a budget reached, Ctrl-C on the submitter) runs nothing more.
      const stop = await batchStopped(redis, payload.batch, state);
      if (stop !== undefined)
        return { stopped: stop, cancelled: false, usage, worker: context.worker, ms: ms() };
    }
    const placed = materialize(payload, context.cacheDir);
    const app = await cachedApp(placed.path, context.env);
    const root = app.runnable;
    const definition = root.prepared.definition;
    const { settings } = payload;
    const flags: ProviderFlags = {
      ...(settings.provider === undefined ? {} : { provider: settings.provider }),
      ...(settings.model === undefined ? {} : { model: settings.model }),
      ...(settings.baseUrl === undefined ? {} : { baseUrl: settings.baseUrl }),
    };
    const redactor = Redactor.fromEnv(context.env);
    const config = resolveConfig(definition, flags, context.env);
    const key = JSON.stringify([config.provider, config.model, config.baseUrl ?? null]);
    let made = providers.get(key);
    if (made === undefined) {
      made = createProvider(config, redactor);
      providers.set(key, made);
      made.catch(() => providers.delete(key));
    }
    const provider = await made;
    const controller = new AbortController();
    let stoppedBy: StopKind | undefined;
    const shared = sharedProvider(
      observeProvider(provider, settings.priority === undefined ? {} : { priority: settings.priority }),
      {
        redis,
        batch: payload.batch,
        state,
        usage,
        signal: controller.signal,
        onStop: (kind) => {
          stoppedBy ??= kind;
          controller.abort(new BatchStop(kind === "interrupt" ? "interrupt" : kind));
        },
        count: (request, completion) =>
          completion.usage ?? {
            promptTokens: estimateMessageTokens(request.messages),
            completionTokens: estimateTokens(completion.text),
          },
      },
    );
    const record = await runBatchLine(
      { line: 0, text: payload.input },
      controller.signal,
      { root, model: settings.modelOverride, models: new Map(), maxRetries: settings.maxRetries, redactor },
      shared,
      "-",
    );
    if (!record.ok && stoppedBy !== undefined)
      return { stopped: stoppedBy, cancelled: true, usage, worker: context.worker, ms: ms() };
    // A failed model call (the provider's error, after the call's own retries) is worth another
    // try, perhaps on another worker, while tries are left; on the last one it is the line's record.
    if (!record.ok && record.error.error_type === "ProviderError" && !context.lastAttempt)
      throw new JobError("QUEUE_MODEL_CALL_FAILED", `${record.error.error_code}: ${record.error.message}`);
    const { line: _, ...outcome } = record;
    return {
      record: unplace(outcome, placed.dir, placed.rel) as LineOutcome,
      usage,
      worker: context.worker,
      ms: ms(),
    };
  },
  describe(payload: RunJobData): string {
    return `${payload.app} input ${createHash("sha256").update(payload.input).digest("hex").slice(0, 8)}`;
  },
};

/**
 * Writes the app tree under `<cacheDir>/run-apps/<hash>/` (once per tree) and returns where the
 * app is. A relative path goes under `rel/` (with a folder per `..` it climbs), an absolute one
 * under `abs/`.
 */
function materialize(payload: RunPayload, cacheDir: string): { dir: string; rel: string; path: string } {
  const hash = createHash("sha256").update(JSON.stringify(payload.files)).digest("hex").slice(0, 32);
  const climbs = Math.max(
    0,
    ...Object.keys(payload.files).map((p) =>
      isAbsolute(p) ? 0 : (p.match(/(^|\/)\.\.(?=\/|$)/g) ?? []).length,
    ),
  );
  const dir = join(resolve(cacheDir), "run-apps", hash);
  const rel = join(dir, "rel", ...Array.from({ length: climbs }, (_, i) => `u${i}`));
  const place = (p: string) => (isAbsolute(p) ? join(dir, "abs", p) : join(rel, p));
  for (const [p, text] of Object.entries(payload.files)) {
    const to = place(p);
    if (existsSync(to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    writeFileAtomic(to, text);
  }
  return { dir, rel, path: place(payload.app) };
}

/** The record with the worker's copy of the app's paths named as the submitter named them. */
function unplace(value: unknown, dir: string, rel: string): unknown {
  const text = JSON.stringify(value);
  return JSON.parse(text.split(`${rel}/`).join("").split(join(dir, "abs")).join(""));
}
