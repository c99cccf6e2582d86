/**
 * The worker loop behind `rllmc worker`: one BullMQ Worker per queue it takes, each job checked
 * and run by its kind (kinds.ts) with the same driver functions as the CLI, its result returned
 * inline or, when bigger than the inline limit, stored under a key of its own (settings.ts
 * `resultKey`, kept as long as completed jobs) with a reference in the job.
 *
 * A job whose worker dies is found by another worker's stall check once its lock expires
 * (`lockMs`, checked every `stalledIntervalMs`) and run again; BullMQ completes a job once, so
 * its result is written once. `drain()` takes no new job, finishes the jobs in hand, and closes;
 * `stop()` closes at once (jobs in hand go back to the queue when their lock expires).
 *
 * It prints nothing: each finished, failed or retried job, and each connection trouble, is one
 * line given to `log` (no payload, no URL but the redacted one, no secret).
 */
import type { RedisOptions as BullRedisOptions, Job, Worker } from "bullmq";
import { type RedisTarget, reason, redactText } from "./connection.js";
import { failedReasonOf, parseFailedReason } from "./job-error.js";
import { JOB_KINDS } from "./kinds.js";
import { DEFAULT_JOB_SETTINGS, QUEUE_PREFIX, resultKey, type WorkerSettings } from "./settings.js";

export interface WorkerOptions extends WorkerSettings {
  readonly name: string;
  readonly queues: readonly string[];
  readonly cacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
}

/** A result as stored in the job: the value, or where it is. */
export type StoredResult =
  | { readonly inline: unknown }
  | { readonly ref: string; readonly bytes: number; readonly ms?: number };

export interface RunningWorker {
  /** Takes no new job, waits for the jobs in hand, closes. */
  drain(): Promise<void>;
  /** Closes now, without waiting for the jobs in hand. */
  stop(): Promise<void>;
  /** Jobs finished (completed or failed for good) since the start. */
  readonly finished: () => number;
}

export async function startWorker(target: RedisTarget, options: WorkerOptions): Promise<RunningWorker> {
  const { Worker: BullWorker } = await import("bullmq");
  const { Redis } = await import("ioredis");
  const results = new Redis({ ...target.options, maxRetriesPerRequest: null });
  const troubles = new Map<string, number>();
  const trouble = (what: string, error: unknown) => {
    const line = `${options.name}: ${what} (${target.redacted}): ${redactText(reason(error), target)}`;
    // The same trouble once every 10 s at most: a Redis restart is one line, not hundreds.
    const last = troubles.get(line) ?? 0;
    if (Date.now() - last < 10_000) return;
    troubles.set(line, Date.now());
    options.log(`${line}; retrying`);
  };
  results.on("error", (error) => trouble("Redis connection lost", error));
  let finished = 0;
  let active = 0;
  const idle: (() => void)[] = [];
  const workers: Worker[] = options.queues.map((queue) => {
    const kind = JOB_KINDS[queue];
    if (kind === undefined) throw new Error(`no job kind '${queue}'`);
    const processor = async (job: Job): Promise<StoredResult> => {
      const attempts = job.opts.attempts ?? DEFAULT_JOB_SETTINGS.attempts;
      active += 1;
      try {
        const payload = kind.parse(job.data);
        const result = await kind.run(payload, {
          worker: options.name,
          attempt: job.attemptsMade + 1,
          lastAttempt: job.attemptsMade + 1 >= attempts,
          env: options.env,
          cacheDir: options.cacheDir,
          redis: results,
        });
        const text = JSON.stringify(result);
        const bytes = Buffer.byteLength(text);
        if (bytes <= options.inlineLimit) return { inline: result };
        const key = resultKey(queue, job.id!);
        const keep = Math.ceil((job.opts.removeOnComplete as { age?: number } | undefined)?.age ?? 0);
        const ttl = (keep > 0 ? keep : DEFAULT_JOB_SETTINGS.keepCompletedSeconds) + 3600;
        await results.set(key, text, "EX", ttl);
        return { ref: key, bytes, ms: (result as { ms?: number }).ms };
      } catch (error) {
        // Every failure is tried again while tries are left, a payload this worker cannot read
        // too: in a fleet being upgraded, a worker of the job's version may take the next try.
        throw new Error(failedReasonOf(error, options.name));
      } finally {
        active -= 1;
        if (active === 0) for (const wake of idle.splice(0)) wake();
      }
    };
    const worker = new BullWorker(queue, processor, {
      connection: { ...target.options, maxRetriesPerRequest: null } as BullRedisOptions,
      prefix: QUEUE_PREFIX,
      name: options.name,
      concurrency: options.concurrency,
      lockDuration: options.lockMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalled,
      autorun: true,
    });
    const describe = (job: Job | undefined): string => {
      if (job === undefined) return `${queue} job`;
      let what = "";
      try {
        what = ` ${kind.describe(kind.parse(job.data))}`;
      } catch {
        // A payload that does not parse is named by its id alone.
      }
      return `${queue} ${job.id}${what}`;
    };
    worker.on("completed", (job: Job, value: StoredResult) => {
      finished += 1;
      const ms = "ref" in value ? value.ms : (value.inline as { ms?: number } | undefined)?.ms;
      const by = "ref" in value ? `, result stored by reference (${value.bytes} bytes)` : "";
      options.log(
        `${options.name}: ${describe(job)}: done${ms === undefined ? "" : ` in ${ms} ms`} (attempt ${job.attemptsMade})${by}`,
      );
    });
    worker.on("failed", (job: Job | undefined, error: Error) => {
      const info = parseFailedReason(error.message);
      const attempts = job?.opts.attempts ?? 1;
      const made = job?.attemptsMade ?? attempts;
      const final = job === undefined || made >= attempts || job.finishedOn !== undefined;
      if (final) finished += 1;
      options.log(
        `${options.name}: ${describe(job)}: failed (attempt ${made} of ${attempts}): ${info.code}: ${redactText(info.message, target)}${final ? "; moved to the failed list" : "; will retry"}`,
      );
    });
    worker.on("stalled", (jobId: string) =>
      options.log(`${options.name}: ${queue} ${jobId}: stalled (its worker stopped); back in the queue`),
    );
    worker.on("error", (error: Error) => trouble("Redis connection lost", error));
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  let closing: Promise<void> | undefined;
  const close = (force: boolean): Promise<void> => {
    closing ??= Promise.all(workers.map((w) => w.close(force))).then(() => results.disconnect());
    // BullMQ's close waits for Redis too: with Redis gone it would never end. A drain ends at
    // most 5 s after the jobs in hand are done (their results lost with Redis: another worker
    // runs them again); a stop does not wait for them (their locks expire, and another worker
    // takes them), 1 s at most.
    const handsFree = force
      ? Promise.resolve()
      : new Promise<void>((resolve) => (active === 0 ? resolve() : idle.push(resolve)));
    const bounded = handsFree.then(() => sleep(force ? 1_000 : 5_000));
    return Promise.race([
      force ? Promise.all(workers.map((w) => w.close(true))).then(() => undefined) : closing,
      bounded,
    ]).then(() => {
      results.disconnect();
      for (const w of workers) w.disconnect().catch(() => undefined);
    });
  };
  return {
    drain: () => close(false),
    stop: () => close(true),
    finished: () => finished,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
