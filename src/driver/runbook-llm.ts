/**
 * The host side of Stage B (`runbook compile --llm cached|live`): answers the interpretation
 * pass's requests from a content-addressed cache, or asks the configured provider through the
 * runtime's provider layer (timeouts, transport retries, cassettes).
 *
 * Cache: `<cache-dir>/llm/<sha256>.json`, the key being the sha256 of the canonical JSON of the
 * prompt version, the messages (which carry the TSG's IR and the draft), the provider, the model
 * and the sampling parameters. An answer is stored only once it passed every check; a rejected
 * answer is kept under `llm/rejected/` for inspection and never reused. Commit the cache
 * directory to make CI builds reproducible with `--llm cached --frozen`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { InterpretAnswer, Interpreter, InterpretRequest } from "../passes/runbook/interpret-request.js";
import type { ProviderFlags } from "../runtime/app/config.js";
import type { Provider, SamplingParams } from "../runtime/app/provider.js";
import { canonicalJson } from "../runtime/app/providers/cassette.js";
import { writeFileAtomic } from "../runtime/shared/write-file.js";

export type LlmMode = "off" | "cached" | "live";

export interface InterpreterOptions {
  readonly mode: "cached" | "live";
  readonly frozen: boolean;
  readonly cacheDir: string;
  readonly flags: ProviderFlags;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  /**
   * Wraps the provider of each call: the batch scheduler's observer (driver/batch/), which sees
   * its 429s (AIMD) and sets its priority when many TSGs compile at once.
   */
  readonly wrapProvider?: (provider: Provider) => Provider;
}

/** Sampling for interpretation: as deterministic as the provider allows. */
export const INTERPRET_PARAMS: SamplingParams = { temperature: 0, seed: 0, max_tokens: 8192 };

interface CacheEntry {
  readonly key: string;
  readonly prompt_version: string;
  readonly provider: string;
  readonly model: string;
  readonly params: SamplingParams;
  readonly answer: string;
}

export function createInterpreter(options: InterpreterOptions): Interpreter {
  const provider = options.flags.provider ?? nonEmpty(options.env.LLM_PROVIDER);
  const model = options.flags.model ?? nonEmpty(options.env.LLM_MODEL);
  const dir = join(options.cacheDir, "llm");
  const versions = new Map<string, string>();
  const entry = (answer: { key: string; model: string; text: string }): CacheEntry => ({
    key: answer.key,
    prompt_version: versions.get(answer.key) ?? "",
    provider: provider ?? "",
    model: answer.model,
    params: INTERPRET_PARAMS,
    answer: answer.text,
  });
  return {
    async ask(request: InterpretRequest): Promise<InterpretAnswer> {
      const key = cacheKey(request, provider ?? "", model ?? "");
      versions.set(key, request.promptVersion);
      const file = join(dir, `${key}.json`);
      if (options.mode === "cached") {
        const entry = readEntry(file, key);
        if (entry !== undefined)
          return { ok: true, text: entry.answer, model: entry.model, key, fromCache: true, where: file };
        if (options.frozen)
          return { ok: false, reason: "not-cached", detail: "not in the cache", key, where: dir };
      }
      if (provider === undefined || model === undefined)
        return {
          ok: false,
          reason: "call-failed",
          detail: "no model configured: give --provider and --model (or LLM_PROVIDER and LLM_MODEL)",
          key,
          where: dir,
        };
      try {
        const text = await complete(request, provider, model, options);
        return { ok: true, text, model, key, fromCache: false, where: join(dir, "rejected", `${key}.json`) };
      } catch (error) {
        return { ok: false, reason: "call-failed", detail: (error as Error).message, key, where: dir };
      }
    },
    accept(answer) {
      if (!answer.fromCache) writeEntry(join(dir, `${answer.key}.json`), entry(answer));
    },
    rejected(answer) {
      if (!answer.fromCache) writeEntry(answer.where, entry(answer));
    },
  };
}

export function cacheKey(request: InterpretRequest, provider: string, model: string): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        prompt_version: request.promptVersion,
        messages: request.messages,
        provider,
        model,
        params: INTERPRET_PARAMS,
      }),
    )
    .digest("hex");
}

async function complete(
  request: InterpretRequest,
  provider: string,
  model: string,
  options: InterpreterOptions,
): Promise<string> {
  const { resolveConfig, createProvider } = await import("../runtime/app/config.js");
  const { callWithRetries, DEFAULT_RETRY_POLICY } = await import("../runtime/app/call.js");
  const { Redactor } = await import("../runtime/shared/redact.js");
  const config = resolveConfig({ llm: { provider, model } }, options.flags, options.env);
  const created = await createProvider(config, Redactor.fromEnv(options.env));
  const client = options.wrapProvider?.(created) ?? created;
  try {
    const outcome = await callWithRetries(
      client,
      { model: config.model, messages: request.messages, params: INTERPRET_PARAMS },
      { policy: { ...DEFAULT_RETRY_POLICY, timeoutMs: options.timeoutMs ?? DEFAULT_RETRY_POLICY.timeoutMs } },
    );
    return outcome.completion.text;
  } finally {
    await client.close?.();
  }
}

function readEntry(file: string, key: string): CacheEntry | undefined {
  try {
    const entry = JSON.parse(readFileSync(file, "utf8")) as CacheEntry;
    return entry.key === key && typeof entry.answer === "string" ? entry : undefined;
  } catch {
    return undefined;
  }
}

function writeEntry(file: string, entry: CacheEntry): void {
  writeFileAtomic(file, `${JSON.stringify(entry, null, 2)}\n`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
