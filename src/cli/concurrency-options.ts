/**
 * `--concurrency N|auto` and `--max-concurrency M`, shared by `run --batch` and `compile`
 * (docs/batch.md); a small module, so that `compile` loads no batch code to read them.
 */
import { UsageError } from "../driver/usage-error.js";

type Values = Readonly<Record<string, unknown>>;

/** `--concurrency N|auto` (default auto) and `--max-concurrency M`, of `run --batch` and `compile`. */
export function parseConcurrency(values: Values): {
  readonly concurrency: number | "auto";
  readonly maxConcurrency: number | undefined;
} {
  const text = (values.concurrency as string | undefined) ?? "auto";
  const concurrency = text === "auto" ? "auto" : whole("--concurrency", text, 1, 10_000);
  const max = values["max-concurrency"] as string | undefined;
  const maxConcurrency = max === undefined ? undefined : whole("--max-concurrency", max, 1, 10_000);
  if (typeof concurrency === "number" && maxConcurrency !== undefined && concurrency > maxConcurrency)
    throw new UsageError(`--concurrency ${concurrency} is over --max-concurrency ${maxConcurrency}`);
  return { concurrency, maxConcurrency };
}

/** A whole number from `low` to `high`, or a usage error naming the flag. */
export function whole(flag: string, text: string, low: number, high: number): number {
  if (!/^\d+$/.test(text) || Number(text) < low || Number(text) > high)
    throw new UsageError(`${flag} must be a whole number from ${low} to ${high}, not '${text}'`);
  return Number(text);
}
