/**
 * The queue's settings and their defaults (docs/scale-out.md says why each is what it is).
 * Submitters set a job's attempts, backoff and retention; workers set the lock and the stall
 * check, and where a big result goes.
 */

/** Every key rllmc's queues make starts with this (`rllmc:compile:<job id>`, …). */
export const QUEUE_PREFIX = "rllmc";

/** What a submitter puts on each job. */
export interface JobSettings {
  /** Tries of a job before it goes to the failed list (the first one included). */
  readonly attempts: number;
  /** The first retry waits this long; each next one twice as long (BullMQ's exponential backoff). */
  readonly backoffMs: number;
  /** A completed job (and its result) is kept this long: a rerun within it takes its result. */
  readonly keepCompletedSeconds: number;
  /** A failed job is kept this long, for `rllmc queue failed` and `retry`. */
  readonly keepFailedSeconds: number;
}

export const DEFAULT_JOB_SETTINGS: JobSettings = {
  attempts: 3,
  backoffMs: 2_000,
  keepCompletedSeconds: 7 * 24 * 3600,
  keepFailedSeconds: 30 * 24 * 3600,
};

/** At most this many completed jobs are kept per queue, whatever their age. */
export const KEEP_COMPLETED_COUNT = 1_000_000;

/** What a worker is started with. */
export interface WorkerSettings {
  /**
   * Jobs one worker process runs at a time, per queue. 2 by default: while one job's result
   * goes to Redis the next one computes (a TSG compile takes a few ms, so the round trips would
   * otherwise be a good share of it); more for jobs that wait on a model.
   */
  readonly concurrency: number;
  /** A job's lock lasts this long and is renewed at half of it while the job runs. */
  readonly lockMs: number;
  /** How often a worker looks for jobs whose lock expired (their worker died). */
  readonly stalledIntervalMs: number;
  /** A job that stalls more often than this fails (a job that kills its worker every time). */
  readonly maxStalled: number;
  /** A result bigger than this (bytes of JSON) is stored under a key of its own. */
  readonly inlineLimit: number;
}

export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  concurrency: 2,
  lockMs: 15_000,
  stalledIntervalMs: 5_000,
  maxStalled: 2,
  inlineLimit: 256 * 1024,
};

/** A stored result's key (`rllmc:result:<queue>:<job id>`), kept as long as a completed job. */
export function resultKey(queue: string, jobId: string): string {
  return `${QUEUE_PREFIX}:result:${queue}:${jobId}`;
}
