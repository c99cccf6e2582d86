/**
 * `runbook compile DIR --llm live|cached`: many TSGs through the batch scheduler, so that their
 * interpretation calls run as many at once as the backend takes (docs/batch.md). The scheduler's
 * starting limit comes from the provider's discovery with `--concurrency auto`; every call goes
 * through the batch's observer, so a 429 halves the limit. Results come back in file order.
 */
import { createProvider, type ProviderFlags, resolveConfig } from "../../runtime/app/config.js";
import type { Provider } from "../../runtime/app/provider.js";
import { Redactor } from "../../runtime/shared/redact.js";
import { observeProvider } from "./observe-provider.js";
import { DEFAULT_AUTO_START, DEFAULT_MAX_CONCURRENCY, type Priority, Scheduler } from "./scheduler.js";

export interface CompileSchedulerOptions {
  readonly concurrency: number | "auto";
  readonly maxConcurrency?: number;
  readonly priority?: Priority;
  readonly flags: ProviderFlags;
  readonly env: NodeJS.ProcessEnv;
}

export interface CompileScheduler {
  readonly scheduler: Scheduler;
  /** For the interpreter's `wrapProvider`: each call observed by the scheduler. */
  readonly wrapProvider: (provider: Provider) => Provider;
  /** Where the limit started, and why (for a note on stderr). */
  readonly start: number;
  readonly capacity: number | undefined;
}

export async function compileScheduler(options: CompileSchedulerOptions): Promise<CompileScheduler> {
  const capacity = options.concurrency === "auto" ? await discover(options.flags, options.env) : undefined;
  const max = options.maxConcurrency ?? capacity ?? DEFAULT_MAX_CONCURRENCY;
  const start = Math.min(capacity ?? DEFAULT_AUTO_START, max);
  const scheduler = new Scheduler({ concurrency: options.concurrency, start, max });
  return {
    scheduler,
    start: scheduler.limit,
    capacity,
    wrapProvider: (provider) =>
      observeProvider(provider, {
        scheduler,
        ...(options.priority === undefined ? {} : { priority: options.priority }),
      }),
  };
}

/** In file order: each file compiled by `compile` as a task of the scheduler. */
export async function compileInOrder<T>(
  files: readonly string[],
  scheduler: Scheduler,
  compile: (path: string, index: number) => Promise<T>,
  done?: (count: number, path: string) => void,
): Promise<T[]> {
  let count = 0;
  return Promise.all(
    files.map(async (path, index) => {
      const outcome = await scheduler.run(() => compile(path, index));
      // This scheduler is never stopped: every task runs.
      if (!outcome.ran) throw new Error(`internal: ${path} was not compiled`);
      count += 1;
      done?.(count, path);
      return outcome.value;
    }),
  );
}

/** The configured provider's advertised capacity; undefined without one, or without discovery. */
async function discover(flags: ProviderFlags, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const provider = flags.provider ?? (env.LLM_PROVIDER || undefined);
  const model = flags.model ?? (env.LLM_MODEL || undefined);
  if (provider === undefined || model === undefined) return undefined;
  let client: Provider | undefined;
  try {
    client = await createProvider(
      resolveConfig({ llm: { provider, model } }, flags, env),
      Redactor.fromEnv(env),
    );
    return (await client.capacity?.())?.maxInFlight;
  } catch {
    return undefined;
  } finally {
    await client?.close?.();
  }
}
