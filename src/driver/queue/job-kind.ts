/**
 * What a kind of job is: one BullMQ queue of its own (named for the kind), the payload a
 * submitter sends, how a worker checks and runs it, and the result it returns. The kinds are
 * listed in kinds.ts; a worker takes the queues of the kinds it is asked for (`--queues`).
 */
import type { Diagnostic } from "../../ir/diagnostic.js";

/** What a worker gives a job besides its payload. */
export interface JobContext {
  /** The worker's name, as its log lines and `rllmc queue status` show it. */
  readonly worker: string;
  /** The try this is (1 for the first). */
  readonly attempt: number;
  /** Whether a retriable failure on this try is the job's last word. */
  readonly lastAttempt: boolean;
  /** The worker's own environment: providers read their keys here, never from a payload. */
  readonly env: NodeJS.ProcessEnv;
  /** The worker's cache folder (`--cache-dir`): recorded LLM answers. */
  readonly cacheDir: string;
  /** The worker's own Redis connection (an ioredis client): what a kind shares across workers. */
  readonly redis?: unknown;
}

export interface JobKind<Payload, Result> {
  /** The queue's name: `compile`, `run`. */
  readonly name: string;
  /**
   * The payload as read from Redis, checked: it may be corrupt or come from another rllmc.
   * Throws a JobError (QUEUE_BAD_PAYLOAD, QUEUE_VERSION_MISMATCH).
   */
  parse(data: unknown): Payload;
  /** Runs the job. Throws a JobError for a retriable failure (a failed model call). */
  run(payload: Payload, context: JobContext): Promise<Result>;
  /** What a log line names the job by (a file's path): never a secret. */
  describe(payload: Payload): string;
}

/** Diagnostics as they travel in a result: plain JSON. */
export type PlainDiagnostics = readonly Diagnostic[];
