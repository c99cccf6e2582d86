/**
 * Ollama's native API (`/api/chat`, `/api/tags`) through the official `ollama` client. The answer
 * is constrained by passing the output schema as `format`; sampling parameters go in `options`
 * under Ollama's names. When Ollama says the model is not there, `/api/tags` is read so the
 * error can list the models that are, and name the closest.
 */
import type { ChatResponse, Ollama } from "ollama";
import { closest } from "../closest.js";
import type { Completion, CompletionRequest, Provider } from "../provider.js";
import { ProviderFailure, retryAfterMs, usageOf } from "../provider.js";
import { failureFromClientError } from "./failures.js";

export const DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434";

export interface OllamaOptions {
  readonly host: string | undefined;
}

export function createOllamaProvider(options: OllamaOptions): Provider {
  const host = options.host ?? DEFAULT_OLLAMA_HOST;
  const connect = async (
    signal: AbortSignal | undefined,
    seen: { headers?: Headers },
    extra: Readonly<Record<string, string>> | undefined,
  ): Promise<Ollama> => {
    const { Ollama: Client } = await import("ollama");
    // ollama-js has no per-request signal or headers; a fetch bound to this call gives it both.
    // Its errors drop the response headers, so the last ones are kept here for `Retry-After`.
    const bound: typeof fetch = async (url, init) => {
      const headers = new Headers(init?.headers);
      for (const [name, value] of Object.entries(extra ?? {})) headers.set(name, value);
      const response = await fetch(url, { ...init, headers, ...(signal ? { signal } : {}) });
      seen.headers = response.headers;
      return response;
    };
    return new Client({ host, fetch: bound });
  };
  return {
    name: "ollama",
    async complete(request) {
      const seen: { headers?: Headers } = {};
      const client = await connect(request.signal, seen, request.headers);
      let response: ChatResponse;
      try {
        response = await client.chat({ ...body(request), stream: false });
      } catch (error) {
        const failure = withRetryAfter(failureFromClientError(error, "ollama"), seen.headers);
        if (failure.status === 404 && /not found/i.test(failure.message))
          throw await missingModel(client, request.model, failure);
        throw failure;
      }
      return completion(response);
    },
  };
}

function withRetryAfter(failure: ProviderFailure, headers: Headers | undefined): ProviderFailure {
  if (failure.status === undefined || failure.retryAfterMs !== undefined) return failure;
  const wait = retryAfterMs(headers);
  if (wait === undefined) return failure;
  return new ProviderFailure(failure.kind, failure.message, {
    status: failure.status,
    retryAfterMs: wait,
    body: failure.body,
    cause: failure.cause,
  });
}

export async function listOllamaModels(client: Ollama): Promise<string[]> {
  const { models } = await client.list();
  return models.map((m) => m.name).sort();
}

async function missingModel(
  client: Ollama,
  model: string,
  failure: ProviderFailure,
): Promise<ProviderFailure> {
  let available: string[] | undefined;
  try {
    available = await listOllamaModels(client);
  } catch {
    // The listing is only for the message.
  }
  const near = available === undefined ? undefined : closest(model, available);
  const listed =
    available === undefined
      ? ""
      : available.length === 0
        ? "; no model is pulled"
        : `; pulled: ${available.join(", ")}`;
  return new ProviderFailure(
    "request",
    `model '${model}' is not pulled on the Ollama server${listed}${near ? `; did you mean '${near}'?` : ""} (run: ollama pull ${model})`,
    { status: 404, body: { error: failure.message, available: available ?? null } },
  );
}

function body(request: CompletionRequest) {
  const p = request.params;
  const options: Record<string, unknown> = {};
  if (p.temperature !== undefined) options.temperature = p.temperature;
  if (p.top_p !== undefined) options.top_p = p.top_p;
  if (p.top_k !== undefined) options.top_k = p.top_k;
  if (p.min_p !== undefined) options.min_p = p.min_p;
  if (p.max_tokens !== undefined) options.num_predict = p.max_tokens;
  if (p.seed !== undefined) options.seed = p.seed;
  if (p.stop !== undefined) options.stop = typeof p.stop === "string" ? [p.stop] : [...p.stop];
  if (p.presence_penalty !== undefined) options.presence_penalty = p.presence_penalty;
  if (p.frequency_penalty !== undefined) options.frequency_penalty = p.frequency_penalty;
  if (p.repeat_penalty !== undefined) options.repeat_penalty = p.repeat_penalty;
  return {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    options,
    ...(request.schema === undefined ? {} : { format: { ...request.schema } }),
  };
}

function completion(response: ChatResponse): Completion {
  const text = response?.message?.content;
  if (typeof text !== "string")
    throw new ProviderFailure("malformed", "ollama answered without message.content", { body: response });
  return {
    text,
    usage: usageOf(response.prompt_eval_count, response.eval_count),
    model: typeof response.model === "string" ? response.model : "",
    finishReason: response.done_reason ?? undefined,
    raw: response,
  };
}
