/**
 * What `rllmc queue` asks of Redis: the counts and workers of each queue (status), the failed
 * jobs with their structured errors (failed), and putting failed jobs back in the queue (retry).
 * Returns data; the command prints it.
 */
import type { RedisOptions as BullRedisOptions, Queue } from "bullmq";
import type { RedisTarget } from "./connection.js";
import { type JobErrorInfo, parseFailedReason } from "./job-error.js";
import { QUEUE_PREFIX } from "./settings.js";

export interface QueueStatus {
  readonly queue: string;
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly completed: number;
  readonly failed: number;
  /** The names of the workers connected to the queue. */
  readonly workers: readonly string[];
}

export interface FailedJob {
  readonly queue: string;
  readonly id: string;
  /** The job's name: the file it compiles. */
  readonly name: string;
  readonly attempts: number;
  readonly failedAt: string | undefined;
  readonly error: JobErrorInfo;
}

/** Opens the queues, runs `work`, and closes them. */
export async function withQueues<T>(
  target: RedisTarget,
  names: readonly string[],
  work: (queues: readonly Queue[]) => Promise<T>,
): Promise<T> {
  const { Queue: BullQueue } = await import("bullmq");
  const queues = names.map(
    (name) =>
      new BullQueue(name, {
        connection: { ...target.options, maxRetriesPerRequest: 1 } as BullRedisOptions,
        prefix: QUEUE_PREFIX,
      }),
  );
  for (const q of queues) q.on("error", () => undefined);
  try {
    return await work(queues);
  } finally {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
  }
}

export async function queueStatus(queue: Queue): Promise<QueueStatus> {
  const counts = await queue.getJobCounts(
    "waiting",
    "active",
    "delayed",
    "completed",
    "failed",
    "prioritized",
  );
  let workers: string[] = [];
  try {
    // BullMQ names a worker's connection `<prefix>:<queue>:w:<worker name>`.
    const names = (await queue.getWorkers()).map((w) => {
      const raw = w.rawname ?? "";
      const at = raw.indexOf(":w:");
      return at === -1 ? (w.addr ?? "unnamed") : raw.slice(at + 3);
    });
    workers = [...new Set(names)];
  } catch {
    // CLIENT LIST may be refused (a managed Redis): no names, then.
  }
  return {
    queue: queue.name,
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    completed: counts.completed ?? 0,
    failed: counts.failed ?? 0,
    workers: workers.sort(),
  };
}

export async function failedJobs(queue: Queue, limit = 1000): Promise<FailedJob[]> {
  const jobs = await queue.getFailed(0, limit - 1);
  return jobs
    .filter((job) => job !== undefined && job !== null)
    .map((job) => ({
      queue: queue.name,
      id: job.id ?? "?",
      name: job.name,
      attempts: job.attemptsMade,
      failedAt: job.finishedOn === undefined ? undefined : new Date(job.finishedOn).toISOString(),
      error: parseFailedReason(job.failedReason),
    }));
}

/** Puts failed jobs back in their queue: the ids given (any other is returned as unknown), or all. */
export async function retryFailed(
  queues: readonly Queue[],
  ids: readonly string[] | "all",
): Promise<{ readonly retried: readonly string[]; readonly unknown: readonly string[] }> {
  const retried: string[] = [];
  if (ids === "all") {
    for (const queue of queues) {
      const failed = await queue.getFailed(0, -1);
      for (const job of failed) {
        if (job === undefined || job === null) continue;
        await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
        retried.push(job.id ?? "?");
      }
    }
    return { retried, unknown: [] };
  }
  const unknown: string[] = [];
  for (const id of ids) {
    let done = false;
    for (const queue of queues) {
      const job = await queue.getJob(id);
      if (job === undefined || job === null) continue;
      if ((await job.getState()) !== "failed") continue;
      await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
      retried.push(id);
      done = true;
      break;
    }
    if (!done) unknown.push(id);
  }
  return { retried, unknown };
}
