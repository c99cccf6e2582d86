/**
 * Record/replay of model calls. A cassette is a JSON file of interactions, each keyed by the
 * hash of its request (model, messages, schema, sampling parameters — canonical JSON, sha256), so
 * the same request always finds the same answer and a changed prompt finds none. `replay` answers
 * from a cassette and fails, naming the hash, on a request it has not seen; `record` wraps a real
 * provider and appends what it answers (redacted, written atomically).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { Redactor } from "../../shared/redact.js";
import { WritePathError, writeFileAtomic } from "../../shared/write-file.js";
import type { Completion, CompletionMeta, CompletionRequest, Provider } from "../provider.js";
import { ProviderFailure } from "../provider.js";

export const CASSETTE_VERSION = 1;

export interface Interaction {
  readonly request_hash: string;
  readonly request: CassetteRequest;
  readonly response: {
    readonly text: string;
    readonly usage: { readonly prompt_tokens: number; readonly completion_tokens: number } | null;
    readonly model: string;
    readonly finish_reason: string | null;
    /** What a scheduling backend said about the call (llama-orch: task id, seed, queue, decode time), when it said anything. */
    readonly meta?: CompletionMeta;
  };
}

export interface Cassette {
  readonly version: number;
  readonly interactions: readonly Interaction[];
}

type CassetteRequest = Pick<CompletionRequest, "model" | "messages" | "schema" | "params">;

/** The key of a request: what decides the answer, nothing else (no signal, no schema name). */
export function requestHash(request: CassetteRequest): string {
  const key = {
    model: request.model,
    messages: request.messages,
    schema: request.schema ?? null,
    params: request.params,
  };
  return `sha256:${createHash("sha256").update(canonicalJson(key)).digest("hex")}`;
}

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function readCassette(path: string): Cassette {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ProviderFailure(
      "unavailable",
      code === "ENOENT"
        ? `cassette '${path}' does not exist`
        : `cannot read cassette '${path}': ${code ?? error}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProviderFailure("unavailable", `cassette '${path}' is not JSON: ${(error as Error).message}`);
  }
  const cassette = parsed as Partial<Cassette>;
  if (cassette?.version !== CASSETTE_VERSION || !Array.isArray(cassette.interactions))
    throw new ProviderFailure(
      "unavailable",
      `cassette '${path}' is not a version ${CASSETTE_VERSION} cassette ({"version": ${CASSETTE_VERSION}, "interactions": [...]})`,
    );
  return cassette as Cassette;
}

export function createReplayProvider(path: string): Provider {
  let byHash: Map<string, Interaction> | undefined;
  return {
    name: "replay",
    async complete(request) {
      byHash ??= new Map(readCassette(path).interactions.map((i) => [i.request_hash, i]));
      const hash = requestHash(request);
      const found = byHash.get(hash);
      if (found === undefined)
        throw new ProviderFailure(
          "unavailable",
          `cassette '${path}' has no answer for this request (${hash.slice(0, 19)}…); the prompt, input, model or llm_params differ from the recording — record it again with --record`,
          { body: { request_hash: hash } },
        );
      return fromInteraction(found);
    },
  };
}

function fromInteraction(interaction: Interaction): Completion {
  const { response } = interaction;
  return {
    text: response.text,
    usage: response.usage
      ? { promptTokens: response.usage.prompt_tokens, completionTokens: response.usage.completion_tokens }
      : undefined,
    model: response.model,
    finishReason: response.finish_reason ?? undefined,
    raw: response,
    ...(response.meta === undefined ? {} : { meta: response.meta }),
  };
}

/** Wraps `inner`, appending each answer to the cassette at `path` (created when missing). */
export function createRecordingProvider(inner: Provider, path: string, redactor: Redactor): Provider {
  return {
    name: inner.name,
    async complete(request) {
      const completion = await inner.complete(request);
      const interaction: Interaction = redactor.value({
        request_hash: requestHash(request),
        request: {
          model: request.model,
          messages: request.messages,
          schema: request.schema,
          params: request.params,
        },
        response: {
          text: completion.text,
          usage: completion.usage
            ? {
                prompt_tokens: completion.usage.promptTokens,
                completion_tokens: completion.usage.completionTokens,
              }
            : null,
          model: completion.model,
          finish_reason: completion.finishReason ?? null,
          ...(completion.meta === undefined ? {} : { meta: completion.meta }),
        },
      });
      // A cassette that exists but cannot be read is an error, never silently replaced.
      const existing = existsSync(path) ? readCassette(path).interactions : [];
      const kept = existing.filter((i) => i.request_hash !== interaction.request_hash);
      const text = `${JSON.stringify({ version: CASSETTE_VERSION, interactions: [...kept, interaction] }, null, 2)}\n`;
      try {
        writeFileAtomic(path, text);
      } catch (error) {
        const reason = error instanceof WritePathError ? error.reason : String(error);
        throw new ProviderFailure("unavailable", `cannot write cassette '${path}': ${reason}`);
      }
      return completion;
    },
    ...(inner.close ? { close: () => inner.close!() } : {}),
    ...(inner.capacity ? { capacity: () => inner.capacity!() } : {}),
  };
}
