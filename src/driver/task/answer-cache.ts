/**
 * The answer cache of `rllmc task run`: a provider in front of the real one that answers a
 * request it has seen from `<cache-dir>/task/<sha256>.json`. The key is the sha256 of the
 * canonical JSON of the prompt version, the provider's name, the model, the messages, the answer
 * schema and the sampling parameters — everything that decides the answer, nothing of the
 * machine (the prompt holds no absolute path). With `frozen`, a request not in the cache fails
 * instead of reaching the model, so CI reruns a task offline byte for byte.
 *
 * Every answer is stored, accepted or not, because the recovery loop asks again with the
 * rejected answer quoted: a rerun takes the same path through the loop.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Provider, ProviderFailure } from "../../runtime/app/provider.js";
import { canonicalJson } from "../../runtime/app/providers/cassette.js";
import { writeFileAtomic } from "../../runtime/shared/write-file.js";

interface CacheEntry {
  readonly key: string;
  readonly prompt_version: string;
  readonly provider: string;
  readonly model: string;
  readonly answer: string;
}

export interface AnswerCacheOptions {
  /** The cache folder (`RLLMC_CACHE_DIR` or `--cache-dir`); undefined: no cache. */
  readonly dir: string | undefined;
  readonly frozen: boolean;
  readonly promptVersion: string;
  /** Told of every hit and miss, for `--verbose` and the audit record. */
  readonly onLookup?: (lookup: { key: string; hit: boolean }) => void;
}

export function cachedProvider(inner: Provider, options: AnswerCacheOptions): Provider {
  if (options.dir === undefined && !options.frozen) return inner;
  const dir = options.dir === undefined ? undefined : join(options.dir, "task");
  return {
    name: inner.name,
    async complete(request) {
      const key = createHash("sha256")
        .update(
          canonicalJson({
            prompt_version: options.promptVersion,
            provider: inner.name,
            model: request.model,
            messages: request.messages,
            schema: request.schema ?? null,
            params: request.params,
          }),
        )
        .digest("hex");
      const file = dir === undefined ? undefined : join(dir, `${key}.json`);
      const entry = file === undefined ? undefined : readEntry(file, key);
      options.onLookup?.({ key, hit: entry !== undefined });
      if (entry !== undefined)
        return {
          text: entry.answer,
          usage: undefined,
          model: entry.model,
          finishReason: "cached",
          raw: { cached: key },
        };
      if (options.frozen)
        throw new ProviderFailure(
          "unavailable",
          `--frozen: the answer to this prompt is not in the cache${dir === undefined ? " (no cache folder: set RLLMC_CACHE_DIR or --cache-dir)" : ` (${dir}, key ${key.slice(0, 12)}…)`}`,
        );
      const completion = await inner.complete(request);
      if (file !== undefined)
        writeFileAtomic(
          file,
          `${JSON.stringify(
            {
              key,
              prompt_version: options.promptVersion,
              provider: inner.name,
              model: completion.model,
              answer: completion.text,
            } satisfies CacheEntry,
            null,
            2,
          )}\n`,
        );
      return completion;
    },
    ...(inner.close === undefined ? {} : { close: () => inner.close?.() ?? Promise.resolve() }),
  };
}

function readEntry(file: string, key: string): CacheEntry | undefined {
  try {
    const entry = JSON.parse(readFileSync(file, "utf8")) as CacheEntry;
    return entry.key === key && typeof entry.answer === "string" ? entry : undefined;
  } catch {
    return undefined;
  }
}
