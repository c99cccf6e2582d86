/**
 * Submit and collect: a submitter enqueues one job per item, waits, and hands each item's
 * outcome (its result, or its structured error after the last try) to `onSettled` exactly once,
 * in the order they finish. It never writes a file: the caller does (the compile command writes
 * outputs as a local compile would).
 *
 * How it watches: it reads the queue's event stream (XREAD BLOCK on a connection of its own): a
 * `completed` event carries the job's result, a `failed` one (the last attempt's) sends it to
 * look at the job. Every `sweepMs` it also asks Redis, in one pipeline, whether each unfinished
 * job is completed, failed or gone, for what the stream cannot say (events trimmed away, a Redis
 * restart). A job already completed before this submit is a cached result (`cached: true`, no
 * worker computes it); one that failed in an earlier submit is retried. A job that is gone while
 * unfinished (Redis restarted without persistence) is enqueued again.
 *
 * It never hangs: Redis unreachable for `redisTimeoutMs` (while polling or enqueueing), or no
 * job finishing for `idleTimeoutMs` (no worker, or every worker stuck), ends it with a
 * QueueTimeoutError that says how far it got; the jobs stay queued for a rerun.
 */
import type { RedisOptions as BullRedisOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { type RedisTarget, reason, redactText } from "./connection.js";
import { type JobErrorInfo, parseFailedReason } from "./job-error.js";
import { DEFAULT_JOB_SETTINGS, type JobSettings, KEEP_COMPLETED_COUNT, QUEUE_PREFIX } from "./settings.js";
import type { StoredResult } from "./worker.js";

export interface SubmitItem {
  readonly id: string;
  /** The job's name, as `rllmc queue failed` lists it (a file's path). */
  readonly name: string;
  readonly payload: unknown;
}

export type Outcome =
  | { readonly kind: "done"; readonly result: unknown; readonly cached: boolean }
  | { readonly kind: "failed"; readonly error: JobErrorInfo; readonly attempts: number };

export interface Progress {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly cached: number;
  /** Results computed in this submit, by worker name. */
  readonly byWorker: ReadonlyMap<string, number>;
  /** Workers listening on the queue when last asked. */
  readonly workers: number;
  /** Jobs enqueued again because Redis lost them. */
  readonly requeued: number;
}

export interface SubmitOptions {
  readonly queue: string;
  /**
   * Whether a job completed before this submit gives its result (default true); false removes
   * it and runs it again (the local command's `--no-cache`, and `--llm cached|live`).
   */
  readonly reuse?: boolean;
  /** Whether a result completed before this submit may be taken; false runs its job again. */
  readonly reusable?: (result: unknown) => boolean;
  /** Stops watching (Ctrl-C): the submit returns with the jobs not finished still pending. */
  readonly signal?: AbortSignal;
  readonly settings?: Partial<JobSettings>;
  /** The longest wait for an event (ms). */
  readonly pollMs?: number;
  /** How often every unfinished job is looked at (ms). */
  readonly sweepMs?: number;
  readonly redisTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly onSettled: (index: number, outcome: Outcome) => void;
  readonly onProgress?: (progress: Progress) => void;
  /** A line worth telling the user (jobs requeued, waiting for a worker). */
  readonly notice?: (line: string) => void;
}

/** The submit gave up: Redis gone, or nothing finishing. The message names the redacted URL only. */
export class QueueTimeoutError extends Error {
  override readonly name = "QueueTimeoutError";
}

/** The longest wait for an event before the loop looks at the time (timeouts, progress). */
const DEFAULT_POLL_MS = 200;
/** How often every unfinished job is looked at, whatever the events said. */
const DEFAULT_SWEEP_MS = 2_000;
export const DEFAULT_REDIS_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;

export async function submitAndCollect(
  target: RedisTarget,
  items: readonly SubmitItem[],
  options: SubmitOptions,
): Promise<Progress> {
  const { Queue: BullQueue } = await import("bullmq");
  const { Redis: RedisClient } = await import("ioredis");
  const settings = { ...DEFAULT_JOB_SETTINGS, ...options.settings };
  const redisTimeoutMs = options.redisTimeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const sweepMs = options.sweepMs ?? DEFAULT_SWEEP_MS;
  const connection = { ...target.options, maxRetriesPerRequest: null };
  const queue: Queue = new BullQueue(options.queue, {
    connection: connection as BullRedisOptions,
    prefix: QUEUE_PREFIX,
  });
  let lastTrouble: unknown;
  const client: Redis = new RedisClient(connection);
  // Its own connection: XREAD BLOCK holds it while it waits.
  const events: Redis = new RedisClient(connection);
  events.on("error", (error: Error) => {
    lastTrouble = error;
  });
  queue.on("error", (error: Error) => {
    lastTrouble = error;
  });
  client.on("error", (error: Error) => {
    lastTrouble = error;
  });
  const jobOptions = {
    attempts: settings.attempts,
    backoff: { type: "exponential", delay: settings.backoffMs },
    removeOnComplete: { age: settings.keepCompletedSeconds, count: KEEP_COMPLETED_COUNT },
    removeOnFail: { age: settings.keepFailedSeconds },
  };
  const key = (id: string) => queue.toKey(id);
  const completedKey = queue.toKey("completed");
  const failedKey = queue.toKey("failed");
  const eventsKey = queue.toKey("events");

  const pending = new Map<string, number>(items.map((item, index) => [item.id, index]));
  const indexesOf = new Map<string, number[]>();
  for (const [index, item] of items.entries())
    indexesOf.set(item.id, [...(indexesOf.get(item.id) ?? []), index]);
  const settled = new Set<number>();
  const byWorker = new Map<string, number>();
  let done = 0;
  let failed = 0;
  let cached = 0;
  let requeued = 0;
  let workers = 0;
  let lastContact = Date.now();
  let lastFinish = Date.now();
  let lastWorkerCheck = 0;
  const progress = (): Progress => ({
    total: items.length,
    done,
    failed,
    cached,
    byWorker,
    workers,
    requeued,
  });

  /** A Redis round trip that fails instead of waiting past the Redis timeout. */
  const bounded = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    for (;;) {
      const left = redisTimeoutMs - (Date.now() - lastContact);
      if (left <= 0)
        throw new QueueTimeoutError(
          `lost Redis at ${target.redacted} for ${Math.round(redisTimeoutMs / 1000)} s while ${what}` +
            `${lastTrouble === undefined ? "" : ` (${redactText(reason(lastTrouble), target)})`}; ` +
            `${done + failed} of ${items.length} jobs had finished`,
        );
      let timer: NodeJS.Timeout | undefined;
      try {
        const value = await Promise.race([
          work(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error("timeout")), left);
          }),
        ]);
        lastContact = Date.now();
        return value;
      } catch (error) {
        // Redis answered with an error: not a connection's trouble, unless it is one that
        // passes (a restarted Redis loading its data, a replica being promoted).
        const e = error as Error;
        if (
          e.name === "ReplyError" &&
          !/^(LOADING|BUSY|READONLY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b/.test(e.message)
        )
          throw error;
        lastTrouble = e.message === "timeout" ? lastTrouble : error;
        await sleep(Math.min(500, Math.max(50, left / 10)));
      } finally {
        clearTimeout(timer);
      }
    }
  };

  const enqueue = async (ids: readonly string[]) => {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500).map((id) => {
        const item = items[pending.get(id)!]!;
        return { name: item.name, data: item.payload, opts: { ...jobOptions, jobId: id } };
      });
      await bounded("enqueueing jobs", () => queue.addBulk(chunk));
    }
  };

  const settle = (id: string, outcome: Outcome) => {
    pending.delete(id);
    lastFinish = Date.now();
    for (const index of indexesOf.get(id) ?? []) {
      if (settled.has(index)) continue;
      settled.add(index);
      if (outcome.kind === "done") {
        done += 1;
        if (outcome.cached) cached += 1;
        else {
          const worker = (outcome.result as { worker?: string } | undefined)?.worker ?? "?";
          byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
        }
      } else failed += 1;
      options.onSettled(index, outcome);
    }
  };

  const readResult = async (id: string, stored: string | null): Promise<unknown> => {
    const value = JSON.parse(stored ?? "null") as StoredResult | null;
    if (value === null) throw new Error(`job ${id} completed with no result`);
    if ("inline" in value) return value.inline;
    const text = await bounded("reading a stored result", () => client.get(value.ref));
    if (text === null) return undefined;
    return JSON.parse(text);
  };

  type State = "completed" | "failed" | "gone" | "waiting";
  const states = async (ids: readonly string[]): Promise<Map<string, State>> => {
    const found = new Map<string, State>();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const replies = await bounded("watching the jobs", async () => {
        const pipeline = client.pipeline();
        for (const id of chunk) {
          pipeline.zscore(completedKey, id);
          pipeline.zscore(failedKey, id);
          pipeline.exists(key(id));
        }
        const out = await pipeline.exec();
        if (out === null) throw new Error("the pipeline was not run");
        for (const [error] of out) if (error) throw error;
        return out.map(([, value]) => value);
      });
      chunk.forEach((id, j) => {
        const [completed, failedScore, exists] = replies.slice(j * 3, j * 3 + 3);
        found.set(
          id,
          exists === 0
            ? "gone"
            : completed !== null
              ? "completed"
              : failedScore !== null
                ? "failed"
                : "waiting",
        );
      });
    }
    return found;
  };

  /** Collects the finished jobs among `ids`; returns the ones Redis no longer has. */
  const collect = async (
    ids: readonly string[],
    firstLook: boolean,
  ): Promise<{ gone: string[]; failedBefore: string[] }> => {
    const found = await states(ids);
    const gone: string[] = [];
    const failedBefore: string[] = [];
    const completed = ids.filter((id) => found.get(id) === "completed");
    if (firstLook && options.reuse === false) {
      // Not taken: removed below with the failed ones, and enqueued again.
      failedBefore.push(...completed);
      completed.length = 0;
    }
    const failedIds = ids.filter((id) => found.get(id) === "failed");
    for (const id of ids) if (found.get(id) === "gone") gone.push(id);
    for (let i = 0; i < completed.length; i += 500) {
      const chunk = completed.slice(i, i + 500);
      const values = await bounded("reading results", async () => {
        const pipeline = client.pipeline();
        for (const id of chunk) pipeline.hget(key(id), "returnvalue");
        const out = (await pipeline.exec()) ?? [];
        return out.map(([, value]) => value as string | null);
      });
      for (const [j, id] of chunk.entries()) {
        const result = await readResult(id, values[j] ?? null);
        // A result stored by reference that expired, or one the caller will not take (a line of
        // a stopped batch that never ran): the job is run again.
        if (result === undefined || (firstLook && options.reusable?.(result) === false)) {
          await bounded("removing an expired job", () => queue.remove(id));
          gone.push(id);
          continue;
        }
        settle(id, { kind: "done", result, cached: firstLook });
      }
    }
    if (firstLook) failedBefore.push(...failedIds);
    else if (failedIds.length > 0) {
      const reasons = await bounded("reading failed jobs", async () => {
        const pipeline = client.pipeline();
        // BullMQ keeps the attempts made as `atm`.
        for (const id of failedIds) pipeline.hmget(key(id), "failedReason", "atm");
        const out = (await pipeline.exec()) ?? [];
        return out.map(([, value]) => value as [string | null, string | null]);
      });
      failedIds.forEach((id, j) => {
        const [failedReason, attemptsMade] = reasons[j] ?? [null, null];
        settle(id, {
          kind: "failed",
          error: parseFailedReason(failedReason),
          attempts: Number(attemptsMade ?? 0),
        });
      });
    }
    return { gone, failedBefore };
  };

  /** A completed job's result as its event gives it (or undefined: read it from the job). */
  const fromEvent = async (id: string, returnvalue: string | undefined): Promise<boolean> => {
    if (returnvalue === undefined) return false;
    const result = await readResult(id, returnvalue);
    if (result === undefined) return false;
    settle(id, { kind: "done", result, cached: false });
    return true;
  };

  try {
    await bounded("connecting", () => queue.waitUntilReady());
    // Where the queue's event stream is now: what happens from here on is read from it.
    let lastEvent = await bounded("watching the jobs", async () => {
      const last = await events.xrevrange(eventsKey, "+", "-", "COUNT", 1);
      return last[0]?.[0] ?? "0-0";
    });
    // What Redis holds already: completed jobs are results; failed ones are tried again.
    const first = await collect([...pending.keys()], true);
    for (const id of first.failedBefore)
      await bounded("removing finished jobs to run again", () => queue.remove(id));
    first.gone.push(...first.failedBefore);
    await enqueue(first.gone);
    options.onProgress?.(progress());
    let noticedNoWorker = false;
    let lastSweep = Date.now();
    while (pending.size > 0 && options.signal?.aborted !== true) {
      // The event stream says which jobs finished (a completed event carries the result); a
      // sweep of every unfinished job every `sweepMs` catches what it cannot say: events
      // trimmed away, and jobs Redis lost.
      const read = await bounded("watching the jobs", () =>
        events.xread("COUNT", 1000, "BLOCK", pollMs, "STREAMS", eventsKey, lastEvent),
      );
      const check: string[] = [];
      for (const [, entries] of read ?? [])
        for (const [entryId, fields] of entries) {
          lastEvent = entryId;
          const field = (name: string) => {
            const at = fields.indexOf(name);
            return at === -1 || at % 2 === 1 ? undefined : fields[at + 1];
          };
          const id = field("jobId");
          if (id === undefined || !pending.has(id)) continue;
          const event = field("event");
          if (event === "completed" && (await fromEvent(id, field("returnvalue")))) continue;
          if (event === "completed" || event === "failed") check.push(id);
        }
      let gone: string[] = [];
      if (check.length > 0) gone = (await collect(check, false)).gone;
      if (Date.now() - lastSweep >= sweepMs) {
        lastSweep = Date.now();
        gone = [...new Set([...gone, ...(await collect([...pending.keys()], false)).gone])];
      }
      if (gone.length > 0) {
        requeued += gone.length;
        options.notice?.(
          `${gone.length} unfinished ${gone.length === 1 ? "job was" : "jobs were"} gone from Redis (restarted?); enqueued again`,
        );
        await enqueue(gone);
      }
      if (Date.now() - lastWorkerCheck > 2_000) {
        lastWorkerCheck = Date.now();
        workers = await bounded("counting workers", () => queue.getWorkersCount()).catch(() => workers);
        if (workers === 0 && !noticedNoWorker && pending.size > 0) {
          noticedNoWorker = true;
          options.notice?.(
            `no worker is taking '${options.queue}' jobs from ${target.redacted} yet; waiting (start one with 'rllmc worker --redis URL')`,
          );
        }
      }
      options.onProgress?.(progress());
      if (Date.now() - lastFinish > idleTimeoutMs)
        throw new QueueTimeoutError(
          `no job finished for ${Math.round(idleTimeoutMs / 1000)} s (${workers} ${workers === 1 ? "worker" : "workers"} on '${options.queue}'); ` +
            `${done + failed} of ${items.length} jobs had finished; the rest stay queued`,
        );
    }
    return progress();
  } finally {
    client.disconnect();
    events.disconnect();
    await Promise.race([queue.close(), sleep(1_000)]).catch(() => undefined);
    queue.disconnect().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
