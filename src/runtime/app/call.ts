/**
 * One model call with a timeout and transport retries: 429 and 5xx, timeouts, dropped
 * connections and malformed bodies are tried again with exponential backoff, and a server's
 * `Retry-After` is honoured (up to {@link RetryPolicy.maxDelayMs}: a server asking for longer
 * than we are prepared to wait ends the call at once rather than hang the run), lengthened by a
 * little jitter, and all the waits of one call are bounded ({@link RetryPolicy.maxTotalWaitMs}). Schema retries
 * are a different loop (execute.ts); a call that never succeeds ends it.
 */
import {
  type Completion,
  type CompletionRequest,
  type FailureKind,
  type Provider,
  ProviderFailure,
} from "./provider.js";

export interface RetryPolicy {
  /** Tries after the first one. */
  readonly retries: number;
  /** Backoff before try n+1 is `baseDelayMs · 2ⁿ`, with ±25% jitter, capped at `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** How long one try may take. */
  readonly timeoutMs: number;
  /**
   * A wait the server asked for (`Retry-After`, `X-Backoff-Ms`) is lengthened by up to this
   * fraction, at random, so calls refused together do not come back together. Default 0.1.
   */
  readonly serverWaitJitter?: number;
  /**
   * The most all waits between tries of one call may add up to, in ms: a retry whose wait would
   * pass it is not made (the call fails with the last failure). Default 120 000.
   */
  readonly maxTotalWaitMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 120_000,
  serverWaitJitter: 0.1,
  maxTotalWaitMs: 120_000,
};

/** One failed try, as kept in the report. */
export interface FailedTry {
  readonly kind: FailureKind;
  readonly status: number | undefined;
  /** The backend's error code, where it has one (llama-orch). */
  readonly code?: string;
  readonly message: string;
  /** How long we waited before the next try, in ms (undefined after the last). */
  readonly waitedMs: number | undefined;
}

export interface CallOutcome {
  readonly completion: Completion;
  readonly durationMs: number;
  readonly failedTries: readonly FailedTry[];
}

/** Thrown when every try failed; carries them all. */
export class CallFailed extends Error {
  override readonly name = "CallFailed";
  constructor(
    readonly last: ProviderFailure,
    readonly failedTries: readonly FailedTry[],
  ) {
    super(last.message);
  }
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

export interface CallOptions {
  readonly policy: RetryPolicy;
  readonly signal?: AbortSignal;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

export async function callWithRetries(
  provider: Provider,
  request: Omit<CompletionRequest, "signal">,
  options: CallOptions,
): Promise<CallOutcome> {
  const { policy } = options;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  const failedTries: FailedTry[] = [];
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    try {
      const completion = await callOnce(provider, request, policy.timeoutMs, options.signal);
      return { completion, durationMs: performance.now() - started, failedTries };
    } catch (error) {
      const failure = toFailure(error);
      const canRetry = failure.retryable && attempt < policy.retries;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt * (0.75 + random() / 2));
      const asked = failure.retryAfterMs;
      const delay =
        asked === undefined ? backoff : Math.round(asked * (1 + (policy.serverWaitJitter ?? 0) * random()));
      const tooLong = asked !== undefined && asked > policy.maxDelayMs;
      const overTotal =
        !tooLong && policy.maxTotalWaitMs !== undefined && waited + delay > policy.maxTotalWaitMs;
      const retrying = canRetry && !tooLong && !overTotal;
      failedTries.push({
        kind: failure.kind,
        status: failure.status,
        ...(failure.code === undefined ? {} : { code: failure.code }),
        message: tooLong
          ? `${failure.message} (the server asked to wait ${asked} ms, more than the ${policy.maxDelayMs} ms allowed)`
          : canRetry && overTotal
            ? `${failure.message} (another wait of ${Math.round(delay)} ms would pass the ${policy.maxTotalWaitMs} ms allowed in all)`
            : failure.message,
        waitedMs: retrying ? Math.round(delay) : undefined,
      });
      if (!retrying) throw new CallFailed(failure, failedTries);
      waited += delay;
      await wait(delay, options.signal);
    }
  }
}

async function callOnce(
  provider: Provider,
  request: Omit<CompletionRequest, "signal">,
  timeoutMs: number,
  outer: AbortSignal | undefined,
): Promise<Completion> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new ProviderFailure("timeout", `no answer within ${timeoutMs} ms`)),
    timeoutMs,
  );
  const signal = outer === undefined ? timeout.signal : AbortSignal.any([outer, timeout.signal]);
  try {
    // Race the call against the signal, so a provider that ignores it still cannot hang the run.
    return await new Promise<Completion>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      provider.complete({ ...request, signal, deadlineMs: timeoutMs }).then(resolve, reject);
    });
  } catch (error) {
    if (timeout.signal.aborted) throw timeout.signal.reason;
    if (outer?.aborted) throw new ProviderFailure("aborted", "the run was aborted", { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function toFailure(error: unknown): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderFailure("error", message, { cause: error });
}
