/**
 * OpenAI chat completions, through the official `openai` SDK — for OpenAI itself and for every
 * server that speaks its protocol (vLLM, the llama.cpp server, a LiteLLM proxy, …). The answer
 * is constrained with `response_format: json_schema` (non-strict: OpenAI's strict mode accepts
 * only a subset of JSON Schema; our own validation decides). The SDK's own retries are off:
 * call.ts retries every provider the same way.
 */
import type OpenAI from "openai";
import type { Completion, CompletionRequest, Provider } from "../provider.js";
import { ProviderFailure, usageOf } from "../provider.js";
import { failureFromClientError } from "./failures.js";

export interface OpenAiOptions {
  /** `openai` or `openai-compatible`: which parameters are sent under which names. */
  readonly flavour: "openai" | "openai-compatible";
  readonly apiKey: string | undefined;
  readonly baseUrl: string | undefined;
}

export function createOpenAiProvider(options: OpenAiOptions): Provider {
  let client: Promise<OpenAI> | undefined;
  const name = options.flavour;
  return {
    name,
    async complete(request) {
      client ??= import("openai").then(
        ({ default: OpenAIClient }) =>
          new OpenAIClient({
            // A local server needs no key, but the SDK refuses to start without one.
            apiKey: options.apiKey ?? (options.flavour === "openai" ? undefined : "unused"),
            baseURL: options.baseUrl ?? null,
            maxRetries: 0,
            timeout: 24 * 3600_000,
          }),
      );
      let response: OpenAI.Chat.Completions.ChatCompletion;
      try {
        response = await (await client).chat.completions.create(body(request, options.flavour), {
          ...(request.signal ? { signal: request.signal } : {}),
          ...(request.headers ? { headers: { ...request.headers } } : {}),
        });
      } catch (error) {
        throw failureFromClientError(error, name);
      }
      return completion(response, name);
    },
  };
}

type Body = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming & Record<string, unknown>;

function body(request: CompletionRequest, flavour: OpenAiOptions["flavour"]): Body {
  const p = request.params;
  const out: Body = {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
  };
  if (p.temperature !== undefined) out.temperature = p.temperature;
  if (p.top_p !== undefined) out.top_p = p.top_p;
  if (p.seed !== undefined) out.seed = p.seed;
  if (p.stop !== undefined) out.stop = typeof p.stop === "string" ? p.stop : [...p.stop];
  if (p.presence_penalty !== undefined) out.presence_penalty = p.presence_penalty;
  if (p.frequency_penalty !== undefined) out.frequency_penalty = p.frequency_penalty;
  if (p.max_tokens !== undefined) {
    // OpenAI's newer models refuse max_tokens; servers that copy the protocol mostly know only it.
    if (flavour === "openai") out.max_completion_tokens = p.max_tokens;
    else out.max_tokens = p.max_tokens;
  }
  if (flavour === "openai-compatible") {
    // vLLM and the llama.cpp server read these extensions from the same body.
    if (p.top_k !== undefined) out.top_k = p.top_k;
    if (p.min_p !== undefined) out.min_p = p.min_p;
    if (p.repeat_penalty !== undefined) {
      out.repeat_penalty = p.repeat_penalty;
      out.repetition_penalty = p.repeat_penalty;
    }
  }
  if (request.schema !== undefined)
    out.response_format = {
      type: "json_schema",
      json_schema: { name: request.schemaName ?? "output", schema: { ...request.schema }, strict: false },
    };
  return out;
}

function completion(response: OpenAI.Chat.Completions.ChatCompletion, provider: string): Completion {
  const choice = Array.isArray(response?.choices) ? response.choices[0] : undefined;
  const message = choice?.message;
  // A refusal is an answer (off-schema, so the recovery loop sees it), not a transport failure.
  const text = typeof message?.content === "string" ? message.content : message?.refusal;
  if (typeof text !== "string")
    throw new ProviderFailure("malformed", `${provider} answered without choices[0].message.content`, {
      body: response,
    });
  return {
    text,
    usage: usageOf(response.usage?.prompt_tokens, response.usage?.completion_tokens),
    model: typeof response.model === "string" ? response.model : "",
    finishReason: choice?.finish_reason ?? undefined,
    raw: response,
  };
}
