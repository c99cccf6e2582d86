/**
 * A provider that answers from a script, for tests: each call takes the next entry — a text, a
 * ProviderFailure to throw, or a function of the request — and every request is recorded.
 */
import type { Completion, CompletionRequest, Provider } from "../../src/runtime/app/provider.js";

export type ScriptEntry = string | Error | ((request: CompletionRequest) => string | Promise<string>);

export interface ScriptedProvider extends Provider {
  readonly requests: CompletionRequest[];
}

export function scriptedProvider(script: readonly ScriptEntry[], name = "scripted"): ScriptedProvider {
  const requests: CompletionRequest[] = [];
  return {
    name,
    requests,
    async complete(request): Promise<Completion> {
      requests.push(request);
      const entry = script[Math.min(requests.length, script.length) - 1];
      if (entry === undefined) throw new Error("the script is empty");
      if (entry instanceof Error) throw entry;
      const text = typeof entry === "function" ? await entry(request) : entry;
      return {
        text,
        usage: { promptTokens: 10, completionTokens: 5 },
        model: request.model,
        finishReason: "stop",
        raw: { text },
      };
    },
  };
}
