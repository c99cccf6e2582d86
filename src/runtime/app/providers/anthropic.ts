/**
 * Anthropic messages, through the official `@anthropic-ai/sdk`. The output schema travels in the
 * system prompt rather than `output_config.format`: Anthropic's structured outputs accept only a
 * subset of JSON Schema (and refuse the rest with a 400), while the recovery loop already
 * enforces the whole schema for every provider. `max_tokens` is required by the protocol; when
 * the app sets none, {@link DEFAULT_MAX_TOKENS} is sent. The Messages API of version 2026-10-21
 * takes no sampling parameters (temperature, top_p, top_k): the compile-time check warns that
 * this provider ignores them.
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { Completion, CompletionRequest, Message, Provider } from "../provider.js";
import { ProviderFailure, usageOf } from "../provider.js";
import { failureFromClientError } from "./failures.js";

export const DEFAULT_MAX_TOKENS = 4096;

export interface AnthropicOptions {
  readonly apiKey: string | undefined;
  readonly baseUrl: string | undefined;
}

export function createAnthropicProvider(options: AnthropicOptions): Provider {
  let client: Promise<Anthropic> | undefined;
  return {
    name: "anthropic",
    async complete(request) {
      client ??= import("@anthropic-ai/sdk").then(
        ({ default: AnthropicClient }) =>
          new AnthropicClient({
            apiKey: options.apiKey ?? null,
            ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
            maxRetries: 0,
            timeout: 24 * 3600_000,
          }),
      );
      let response: Anthropic.Messages.Message;
      try {
        response = await (await client).messages.create(body(request), {
          ...(request.signal ? { signal: request.signal } : {}),
          ...(request.headers ? { headers: { ...request.headers } } : {}),
        });
      } catch (error) {
        throw failureFromClientError(error, "anthropic");
      }
      return completion(response);
    },
  };
}

export function schemaInstruction(schema: Readonly<Record<string, unknown>>): string {
  return `Answer with a single JSON value, and nothing else, that matches this JSON Schema:\n${JSON.stringify(schema)}`;
}

function body(request: CompletionRequest): Anthropic.Messages.MessageCreateParamsNonStreaming {
  const p = request.params;
  const system = request.messages.filter((m) => m.role === "system").map((m) => m.content);
  if (request.schema !== undefined) system.push(schemaInstruction(request.schema));
  const out: Anthropic.Messages.MessageCreateParamsNonStreaming = {
    model: request.model,
    max_tokens: p.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages: mergeTurns(request.messages.filter((m) => m.role !== "system")),
  };
  if (system.length > 0) out.system = system.join("\n\n");
  if (p.stop !== undefined) out.stop_sequences = typeof p.stop === "string" ? [p.stop] : [...p.stop];
  return out;
}

/** The protocol wants user and assistant turns to alternate: consecutive turns of one role are joined. */
function mergeTurns(messages: readonly Message[]): Anthropic.Messages.MessageParam[] {
  const out: { role: "user" | "assistant"; content: string }[] = [];
  for (const message of messages) {
    const role = message.role === "assistant" ? "assistant" : "user";
    const last = out.at(-1);
    if (last?.role === role) last.content += `\n\n${message.content}`;
    else out.push({ role, content: message.content });
  }
  return out;
}

function completion(response: Anthropic.Messages.Message): Completion {
  const blocks = Array.isArray(response?.content) ? response.content : undefined;
  if (blocks === undefined)
    throw new ProviderFailure("malformed", "anthropic answered without a content array", { body: response });
  const text = blocks
    .filter((b): b is Anthropic.Messages.TextBlock => b?.type === "text" && typeof b.text === "string")
    .map((b) => b.text)
    .join("");
  return {
    text,
    usage: usageOf(response.usage?.input_tokens, response.usage?.output_tokens),
    model: typeof response.model === "string" ? response.model : "",
    finishReason: response.stop_reason ?? undefined,
    raw: response,
  };
}
