/**
 * The queue options shared by `compile --redis`, `worker` and `queue`, and their values read
 * the same way everywhere: the Redis URL from `--redis` or, for `worker` and `queue`,
 * RLLMC_REDIS_URL (better for a URL with a password: a command line is visible to every user of
 * the machine), and whole numbers in a range. Loads nothing: the queue's modules (and bullmq, ioredis) load only when one runs.
 */
import { UsageError } from "../driver/usage-error.js";
import type { OptionSpec } from "./options.js";

/** The options `compile` takes for a batch on the queue. */
export const QUEUE_SUBMIT_OPTIONS: OptionSpec = {
  redis: { type: "string" },
  attempts: { type: "string" },
  "backoff-ms": { type: "string" },
  "idle-timeout": { type: "string" },
  "redis-timeout": { type: "string" },
};

/**
 * The Redis URL given, or undefined when neither `--redis` nor (with `env`) RLLMC_REDIS_URL is
 * set. `compile` passes no environment: it uses the queue only when `--redis` is on its command
 * line, so a variable set for workers never changes what a plain compile does.
 */
export function redisUrl(
  values: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv | undefined,
): string | undefined {
  const given = values.redis;
  if (typeof given === "string") {
    if (given === "") throw new UsageError("--redis needs a URL (redis://host:6379 or rediss://…)");
    return given;
  }
  const fromEnv = env?.RLLMC_REDIS_URL;
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** A whole-number option in [min, max], or `fallback` when it is not given. */
export function intOption(
  values: Readonly<Record<string, unknown>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const text = String(value);
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not '${text}'`);
  return n;
}
