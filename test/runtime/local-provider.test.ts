/**
 * The local provider against a real model: the tiny random-weight GGUF of test/support/tiny-gguf.ts,
 * run by node-llama-cpp. If node-llama-cpp cannot run here, these tests fail rather than skip.
 */

import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletionRequest, Provider } from "../../src/runtime/app/provider.js";
import { ProviderFailure } from "../../src/runtime/app/provider.js";
import { createLocalProvider } from "../../src/runtime/app/providers/local.js";
import { tinyModelPath } from "../support/tiny-gguf.js";

const FLAT = {
  type: "object",
  properties: {
    name: { type: "string", maxLength: 20 },
    age: { type: "integer" },
    score: { type: "number" },
    active: { type: "boolean" },
    role: { enum: ["admin", "user", "guest"] },
  },
  required: ["name", "age", "score", "active", "role"],
  additionalProperties: false,
};

const NESTED = {
  type: "object",
  properties: {
    title: { type: "string", maxLength: 16 },
    tags: { type: "array", items: { type: "string", maxLength: 8 }, maxItems: 2 },
    owner: {
      type: "object",
      properties: { name: { type: "string", maxLength: 12 }, id: { type: "integer" } },
      required: ["name", "id"],
      additionalProperties: false,
    },
    items: {
      type: "array",
      maxItems: 2,
      items: {
        type: "object",
        properties: {
          label: { type: "string", maxLength: 8 },
          count: { type: "integer" },
          done: { type: "boolean" },
        },
        required: ["label", "count", "done"],
        additionalProperties: false,
      },
    },
  },
  required: ["title", "tags", "owner", "items"],
  additionalProperties: false,
};

const RUNS = 20;

function request(schema: Record<string, unknown> | undefined, seed: number): CompletionRequest {
  return {
    model: "tiny",
    messages: [
      { role: "system", content: "Answer with JSON only." },
      { role: "user", content: "Describe a record." },
    ],
    schema,
    params: { temperature: 1, seed, max_tokens: 400 },
  };
}

describe("local provider", () => {
  let provider: Provider;

  beforeAll(async () => {
    provider = createLocalProvider({ modelPath: await tinyModelPath() });
  });

  afterAll(async () => {
    await provider.close?.();
  });

  it.each([
    ["flat", FLAT],
    ["nested", NESTED],
  ])("should always answer schema-valid JSON when given a %s schema", async (_, schema) => {
    const validate = new Ajv().compile(schema);
    const texts = new Set<string>();
    for (let seed = 0; seed < RUNS; seed++) {
      const completion = await provider.complete(request(schema, seed));
      expect(completion.finishReason, completion.text).toBe("stop");
      const value: unknown = JSON.parse(completion.text);
      expect(validate(value), `${completion.text}\n${JSON.stringify(validate.errors)}`).toBe(true);
      texts.add(completion.text);
    }
    expect(texts.size).toBeGreaterThan(RUNS / 2);
  });

  it("should give the same text when given the same seed", async () => {
    const first = await provider.complete(request(NESTED, 7));
    await provider.complete(request(NESTED, 8));
    const again = await provider.complete(request(NESTED, 7));
    expect(again.text).toBe(first.text);
  });

  it("should report the model, token usage and a raw record", async () => {
    const completion = await provider.complete(request(undefined, 1));
    expect(completion.model).toBe("tiny-v1.gguf");
    expect(completion.usage?.promptTokens).toBeGreaterThan(10);
    expect(completion.usage?.completionTokens).toBeGreaterThan(0);
    expect(completion.raw).toEqual({ text: completion.text, stopReason: expect.any(String) });
  });

  it("should stop at max_tokens and report length", async () => {
    const completion = await provider.complete({
      ...request(undefined, 3),
      params: { temperature: 1, seed: 3, max_tokens: 5 },
    });
    expect(completion.finishReason).toBe("length");
    expect(completion.usage?.completionTokens).toBe(5);
  });

  it("should refuse a prompt over the model's context instead of cutting it", async () => {
    const long = {
      ...request(undefined, 1),
      messages: [{ role: "user" as const, content: "word ".repeat(5000) }],
    };
    const failure = await provider.complete(long).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: "ProviderFailure", kind: "request", retryable: false });
    expect((failure as Error).message).toMatch(
      /^the prompt is \d+ tokens.*over the model's context of \d+ tokens; nothing was cut/,
    );
  });

  it("should fail as aborted when the signal aborts", async () => {
    const before = provider.complete({ ...request(undefined, 1), signal: AbortSignal.abort() });
    await expect(before).rejects.toMatchObject({ name: "ProviderFailure", kind: "aborted" });

    const controller = new AbortController();
    const during = provider.complete({ ...request(undefined, 1), signal: controller.signal });
    setTimeout(() => controller.abort(), 0);
    await expect(during).rejects.toMatchObject({ name: "ProviderFailure", kind: "aborted" });
  });

  it("should fail as unavailable when the model file is missing", async () => {
    const modelPath = join(await tinyModelPath(), "..", "missing.gguf");
    const missing = createLocalProvider({ modelPath });
    const failure = await missing.complete(request(FLAT, 1)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderFailure);
    expect(failure).toMatchObject({ kind: "unavailable", retryable: false });
    expect((failure as Error).message).toContain(modelPath);
    await missing.close?.();
  });
});
