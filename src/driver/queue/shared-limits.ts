/**
 * What the workers of one `run --batch --redis` share through Redis (docs/scale-out.md):
 *
 * - **The batch's state**, `rllmc:batch:<id>` (a hash the submitter writes: the token budget, the
 *   budget mode, the capacity and its key, and `stop` once the batch is stopped), and its token
 *   counter `rllmc:batch:<id>:tokens`, which every worker adds each call's tokens to (INCRBY,
 *   atomic). A worker admits a job only while the counter is under the budget and no stop is set;
 *   with `--budget-mode cancel` it sends no further call of a job once the budget is reached.
 * - **The backend's capacity**: a counting semaphore, `rllmc:capacity:<key>` (a sorted set of
 *   leases scored by their expiry, by Redis's clock), taken around every provider call. A lease
 *   is renewed while its call runs and expires `LEASE_MS` after its worker stopped renewing it, so
 *   a killed worker's calls free their places by themselves.
 */
import type { Redis } from "ioredis";
import type { Completion, CompletionRequest, Provider } from "../../runtime/app/provider.js";
import { QUEUE_PREFIX } from "./settings.js";

export interface BatchState {
  /** The shared token budget, if any. */
  readonly tokens: number | undefined;
  readonly mode: "cancel" | "drain";
  /** Provider calls at once across every worker. */
  readonly capacity: number;
  /** Whose capacity: the provider and its base URL, hashed. */
  readonly capacityKey: string;
}

export type StopKind = "tokens" | "cost" | "time" | "interrupt";

/** A lease lasts this long unless renewed (every third of it while its call runs). */
export const LEASE_MS = 15_000;
/** Batch keys live this long after they were written (a batch longer than that keeps writing them). */
const BATCH_TTL_SECONDS = 7 * 24 * 3600;

export const batchKey = (batch: string): string => `${QUEUE_PREFIX}:batch:${batch}`;
const tokensKey = (batch: string): string => `${batchKey(batch)}:tokens`;
const capacityKeyOf = (key: string): string => `${QUEUE_PREFIX}:capacity:${key}`;

/** The submitter writes the batch's state before it enqueues. */
export async function writeBatchState(redis: Redis, batch: string, state: BatchState): Promise<void> {
  await redis
    .multi()
    .hset(batchKey(batch), {
      tokens: state.tokens === undefined ? "" : String(state.tokens),
      mode: state.mode,
      capacity: String(state.capacity),
      capacityKey: state.capacityKey,
    })
    .expire(batchKey(batch), BATCH_TTL_SECONDS)
    .set(tokensKey(batch), "0", "EX", BATCH_TTL_SECONDS, "NX")
    .exec();
}

export async function readBatchState(redis: Redis, batch: string): Promise<BatchState | undefined> {
  const h = await redis.hgetall(batchKey(batch));
  if (h.capacity === undefined) return undefined;
  return {
    tokens: h.tokens === undefined || h.tokens === "" ? undefined : Number(h.tokens),
    mode: h.mode === "drain" ? "drain" : "cancel",
    capacity: Math.max(1, Number(h.capacity) || 1),
    capacityKey: h.capacityKey ?? "default",
  };
}

/** Stops the batch: no worker admits another of its jobs (the submitter's time or cost budget, Ctrl-C). */
export async function stopBatch(redis: Redis, batch: string, kind: StopKind): Promise<void> {
  await redis.hsetnx(batchKey(batch), "stop", kind);
}

/** Why the batch admits nothing more, if it does not: its stop, or its token budget reached. */
export async function batchStopped(
  redis: Redis,
  batch: string,
  state: BatchState,
): Promise<StopKind | undefined> {
  const [stop, spent] = await redis
    .multi()
    .hget(batchKey(batch), "stop")
    .get(tokensKey(batch))
    .exec()
    .then((out) => (out ?? []).map(([, v]) => v as string | null));
  if (stop !== null && stop !== undefined) return stop as StopKind;
  if (state.tokens !== undefined && Number(spent ?? 0) >= state.tokens) return "tokens";
  return undefined;
}

/** Adds a call's tokens to the batch's counter; returns the total. */
export async function addTokens(redis: Redis, batch: string, tokens: number): Promise<number> {
  return redis.incrby(tokensKey(batch), tokens);
}

export async function tokensSpent(redis: Redis, batch: string): Promise<number> {
  return Number((await redis.get(tokensKey(batch))) ?? 0);
}

/** Takes a place if fewer than `limit` unexpired leases are held. KEYS[1] set; ARGV lease, limit, ms. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 4)
  return 1
end
return 0`;

/** Renews a lease still held. */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 4)
  return 1
end
return 0`;

let leases = 0;

/** Holds one of the capacity's places while `work` runs. Waits (polling) for a free place. */
export async function withCapacity<T>(
  redis: Redis,
  state: BatchState,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const key = capacityKeyOf(state.capacityKey);
  leases += 1;
  const lease = `${process.pid}:${Date.now()}:${leases}:${Math.random().toString(36).slice(2)}`;
  let wait = 10;
  for (;;) {
    if (signal?.aborted) throw signal.reason;
    const got = await redis.eval(ACQUIRE, 1, key, lease, state.capacity, LEASE_MS);
    if (got === 1) break;
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(100, wait * 2);
  }
  const renew = setInterval(() => {
    redis.eval(RENEW, 1, key, lease, LEASE_MS).catch(() => undefined);
  }, LEASE_MS / 3);
  renew.unref();
  try {
    return await work();
  } finally {
    clearInterval(renew);
    await redis.zrem(key, lease).catch(() => undefined);
  }
}

/** Usage a job's calls reported (estimated by the budget's rules when a call reported none). */
export interface JobUsage {
  promptTokens: number;
  completionTokens: number;
  calls: number;
}

/**
 * The provider as a `run` job sees it on a worker: every call holds a place of the shared
 * capacity, adds its tokens to the batch's counter, and — in `cancel` mode — is not sent once
 * the batch is stopped (`onStop` is told why; the job's line then ends cancelled).
 */
export function sharedProvider(
  inner: Provider,
  options: {
    readonly redis: Redis;
    readonly batch: string | undefined;
    readonly state: BatchState | undefined;
    readonly usage: JobUsage;
    readonly signal: AbortSignal;
    readonly onStop: (kind: StopKind) => void;
    /** A call's tokens: as reported, else estimated. */
    readonly count: (
      request: CompletionRequest,
      completion: Completion,
    ) => { promptTokens: number; completionTokens: number };
  },
): Provider {
  const { redis, batch, state, usage } = options;
  const wrapped: Provider = {
    name: inner.name,
    async complete(request: CompletionRequest): Promise<Completion> {
      // Checked once the place is held, and the tokens counted before it is given back: a call
      // is sent only while what every finished call spent is under the budget.
      const send = async (): Promise<Completion> => {
        if (batch !== undefined && state !== undefined && state.mode === "cancel") {
          const stop = await batchStopped(redis, batch, state);
          if (stop !== undefined) {
            options.onStop(stop);
            throw options.signal.reason;
          }
        }
        const completion = await inner.complete(request);
        const counted = options.count(request, completion);
        usage.calls += 1;
        usage.promptTokens += counted.promptTokens;
        usage.completionTokens += counted.completionTokens;
        if (batch !== undefined)
          await addTokens(redis, batch, counted.promptTokens + counted.completionTokens);
        return completion;
      };
      return state === undefined ? send() : withCapacity(redis, state, options.signal, send);
    },
  };
  const close = inner.close?.bind(inner);
  const capacity = inner.capacity?.bind(inner);
  return Object.assign(wrapped, {
    ...(close === undefined ? {} : { close }),
    ...(capacity === undefined ? {} : { capacity }),
  });
}
