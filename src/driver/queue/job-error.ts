/**
 * A job's structured error: what a worker throws, what BullMQ keeps as the job's failed reason
 * (as JSON), and what `rllmc queue failed` and the submitter show. Never holds a secret: the
 * message is the compiler's or the worker's words about the job, never its environment.
 */

export type JobErrorCode =
  /** The payload is not one this worker reads (corrupt, or from another rllmc). */
  | "QUEUE_BAD_PAYLOAD"
  /** The job was made by another rllmc version than the worker's. */
  | "QUEUE_VERSION_MISMATCH"
  /** A model call failed (retried with backoff). */
  | "QUEUE_MODEL_CALL_FAILED"
  /** The worker threw while running the job (a bug, or the machine ran out of something). */
  | "QUEUE_WORKER_ERROR"
  /** The job's worker died (or stalled) more often than allowed. */
  | "QUEUE_STALLED";

export interface JobErrorInfo {
  readonly code: JobErrorCode;
  readonly message: string;
  /** The worker that failed it last, when known. */
  readonly worker?: string;
}

export class JobError extends Error {
  override readonly name = "JobError";
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The failed reason BullMQ stores for an error a processor threw. */
export function failedReasonOf(error: unknown, worker: string): string {
  const info: JobErrorInfo =
    error instanceof JobError
      ? { code: error.code, message: error.message, worker }
      : {
          code: "QUEUE_WORKER_ERROR",
          message: error instanceof Error ? error.message : String(error),
          worker,
        };
  return JSON.stringify(info);
}

/** A stored failed reason read back: ours (JSON), or BullMQ's own words (a stalled job). */
export function parseFailedReason(reason: string | undefined | null): JobErrorInfo {
  if (reason === undefined || reason === null || reason === "")
    return { code: "QUEUE_WORKER_ERROR", message: "no reason was recorded" };
  try {
    const info = JSON.parse(reason) as JobErrorInfo;
    if (typeof info.code === "string" && typeof info.message === "string") return info;
  } catch {
    // BullMQ's own reason.
  }
  if (/stalled/i.test(reason)) return { code: "QUEUE_STALLED", message: reason };
  return { code: "QUEUE_WORKER_ERROR", message: reason };
}
