/**
 * The bound before the first call (driver/batch/bound.ts) against what runs really spend: a
 * provider that bills like a BPE tokenizer (a token per four characters, four per message, the
 * answer cut at max_tokens) answers a composition (a parent with two `uses` children) with
 * answers that are off-schema for any number of attempts, of any length, over inputs of any
 * size, and retry limits 0–3. What the runs were billed is never above the bound.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchBound, PROVIDER_MAX_TOKENS } from "../../src/driver/batch/bound.js";
import { loadPrices } from "../../src/driver/batch/prices.js";
import type { AppDefinition } from "../../src/runtime/app/app.js";
import { prepareApp } from "../../src/runtime/app/compile-app.js";
import { type RunnableApp, runApp } from "../../src/runtime/app/compose.js";
import type { Completion, CompletionRequest, Provider } from "../../src/runtime/app/provider.js";

function app(name: string, prompt: string, maxTokens: number | undefined, window: number): AppDefinition {
  return {
    name,
    prompt,
    inputSchema: { type: "object", required: ["text"], properties: { text: { type: "string" } } },
    outputSchema: {
      type: "object",
      required: ["out"],
      additionalProperties: false,
      properties: { out: { type: "string", maxLength: 400 } },
    },
    llm: { provider: "billing", model: "m" },
    llmParams: maxTokens === undefined ? { temperature: 0 } : { max_tokens: maxTokens },
    maxContextWindow: window,
  };
}

function tree(maxTokens: number): RunnableApp {
  const leaf = (def: AppDefinition): RunnableApp => ({ prepared: prepareApp(def), blocks: [], children: [] });
  return {
    prepared: prepareApp(app("parent", "PARENT {{text}} / {{a.out}} / {{b.out}}", maxTokens, 6000)),
    blocks: [],
    children: [
      { name: "a", inputs: { text: "text" }, app: leaf(app("a", "CHILD-A {{text}}", maxTokens, 3000)) },
      {
        name: "b",
        inputs: { text: "a.out" },
        app: leaf(app("b", "CHILD-B {{text}}", Math.ceil(maxTokens / 2), 2000)),
      },
    ],
  };
}

/** Bills like a BPE tokenizer; answers off-schema `failures` times per app, then valid. */
function billingProvider(failures: number, answerChars: number) {
  const billed = { prompt: 0, completion: 0 };
  const calls = new Map<string, number>();
  const provider: Provider = {
    name: "billing",
    async complete(request: CompletionRequest): Promise<Completion> {
      const who = request.messages[0]!.content.split(" ")[0]!;
      const n = (calls.get(who) ?? 0) + 1;
      calls.set(who, n);
      let text =
        n <= failures ? `{"out": ${JSON.stringify("y".repeat(answerChars))}, "extra": 1}` : '{"out": "fine"}';
      const max = request.params.max_tokens;
      let finish = "stop";
      if (max !== undefined && Math.ceil(text.length / 4) > max) {
        text = text.slice(0, max * 4);
        finish = "length";
      }
      const prompt = request.messages.reduce((t, m) => t + Math.ceil(m.content.length / 4) + 4, 0);
      const completion = Math.ceil(text.length / 4);
      billed.prompt += prompt;
      billed.completion += completion;
      return {
        text,
        usage: { promptTokens: prompt, completionTokens: completion },
        model: request.model,
        finishReason: finish,
        raw: {},
      };
    },
  };
  return { provider, billed, reset: () => calls.clear() };
}

describe("batchBound", () => {
  it("should never be below what a batch of composed runs was billed, whatever the answers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 16, max: 600 }),
        fc.array(fc.string({ maxLength: 2000 }), { minLength: 1, maxLength: 4 }),
        async (maxRetries, failures, answerChars, maxTokens, texts) => {
          const root = tree(maxTokens);
          const inputs = texts.map((text) => ({ text }));
          const bound = batchBound(root, inputs, { maxRetries, provider: "billing", prices: loadPrices() });
          const { provider, billed, reset } = billingProvider(failures, answerChars);
          for (const input of inputs) {
            reset();
            await runApp(root, input, { provider, maxRetries }).catch(() => undefined);
          }
          expect(billed.prompt).toBeLessThanOrEqual(bound.promptTokens);
          expect(billed.completion).toBeLessThanOrEqual(bound.completionTokens);
          expect(bound.unbounded).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("should count 3 apps × (retries + 1) calls a line, and nothing for a line that cannot call", () => {
    const root = tree(100);
    const bound = batchBound(root, [{ text: "x" }, { nope: 1 }], {
      maxRetries: 2,
      provider: "billing",
      prices: loadPrices(),
    });
    expect(bound.callsPerLine).toBe(9);
    expect(bound.linesWithoutCalls).toBe(1);
    expect(bound.completionTokens).toBe(3 * (100 + 100 + 50));
    expect(bound.apps.map((a) => [a.app, a.firstPrompt])).toEqual([
      ["parent", "window"],
      ["parent → a", "window"],
      ["parent → b", "window"],
    ]);
  });

  it("should say an app without max_tokens has no bound, and a model without a price has no cost", () => {
    const root: RunnableApp = {
      prepared: prepareApp(app("solo", "SOLO {{text}}", undefined, 1000)),
      blocks: [],
      children: [],
    };
    const bound = batchBound(root, [{ text: "x" }], {
      maxRetries: 1,
      provider: "openai-compatible",
      prices: loadPrices(),
    });
    expect(bound.unbounded).toEqual([
      "solo has no llm_params.max_tokens: its answers are limited only by the model",
    ]);
    expect(bound.cost).toBeUndefined();
    expect(bound.unpriced).toEqual(["openai-compatible/m"]);
  });

  it("should bound an app without max_tokens by the default its provider always sends", () => {
    const root: RunnableApp = {
      prepared: prepareApp(app("solo", "SOLO {{text}}", undefined, 8000)),
      blocks: [],
      children: [],
    };
    const bound = batchBound(root, [{ text: "x" }], {
      maxRetries: 1,
      provider: "llama-orch",
      prices: loadPrices(),
    });
    expect(bound.unbounded).toEqual([]);
    expect(bound.completionTokens).toBe(2 * PROVIDER_MAX_TOKENS["llama-orch"]!);
    // The runtime reserves nothing for an answer without max_tokens: a re-ask may fill the window.
    expect(bound.promptTokens).toBeGreaterThan(8000);
    expect(bound.cost).toBe(0);
  });

  it("should render the first prompt of an app that depends on its input alone", () => {
    const root: RunnableApp = {
      prepared: prepareApp(app("solo", "SOLO {{text}}", 10, 1000)),
      blocks: [],
      children: [],
    };
    const short = batchBound(root, [{ text: "x" }], {
      maxRetries: 0,
      provider: "null",
      prices: loadPrices(),
    });
    const long = batchBound(root, [{ text: "x".repeat(300) }], {
      maxRetries: 0,
      provider: "null",
      prices: loadPrices(),
    });
    expect(long.promptTokens - short.promptTokens).toBe(100);
    expect(short.apps[0]!.firstPrompt).toBe("rendered");
    expect(short.cost).toBe(0);
    // A prompt over the window makes no call.
    const over = batchBound(root, [{ text: "x".repeat(3000) }], {
      maxRetries: 0,
      provider: "null",
      prices: loadPrices(),
    });
    expect(over.tokens).toBe(0);
    expect(over.linesWithoutCalls).toBe(1);
  });
});
