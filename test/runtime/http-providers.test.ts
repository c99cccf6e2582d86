/**
 * The HTTP providers (OpenAI chat completions in both flavours, Anthropic messages, Ollama
 * /api/chat) through their real SDKs, against a scripted server on loopback
 * (test/support/fake-llm-server.ts): what goes on the wire, how each failure a server can
 * produce maps to a {@link FailureKind}, and that call.ts retries the right ones.
 */

import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppDefinition } from "../../src/runtime/app/app.js";
import { CallFailed, callWithRetries, type RetryPolicy, type Sleep } from "../../src/runtime/app/call.js";
import { prepareApp } from "../../src/runtime/app/compile-app.js";
import { execute } from "../../src/runtime/app/execute.js";
import type { CompletionRequest, Provider } from "../../src/runtime/app/provider.js";
import { createAnthropicProvider, schemaInstruction } from "../../src/runtime/app/providers/anthropic.js";
import { createOllamaProvider } from "../../src/runtime/app/providers/ollama.js";
import { createOpenAiProvider } from "../../src/runtime/app/providers/openai.js";
import {
  anthropicMessage,
  type FakeLlmServer,
  type FakeLlmServerOptions,
  ollamaChat,
  ollamaTags,
  openAiCompletion,
  type ReplyOptions,
  startFakeLlmServer,
  unusedPort,
} from "../support/fake-llm-server.js";

const API_KEY = "sk-test-123";

/** One wire protocol: where it posts, how its answers look, how to point an adapter at a server. */
interface Protocol {
  readonly name: string;
  readonly path: string;
  provider(url: string): Provider;
  reply(text: string, options?: ReplyOptions): Record<string, unknown>;
  /** A 200 body that is JSON but lacks the field the text is read from. */
  readonly missingText: Record<string, unknown>;
}

const OPENAI: Protocol = {
  name: "openai",
  path: "/chat/completions",
  provider: (url) => createOpenAiProvider({ flavour: "openai", apiKey: API_KEY, baseUrl: url }),
  reply: openAiCompletion,
  missingText: { id: "chatcmpl-fake", object: "chat.completion", model: "gpt-fake" },
};

const OPENAI_COMPATIBLE: Protocol = {
  ...OPENAI,
  name: "openai-compatible",
  provider: (url) => createOpenAiProvider({ flavour: "openai-compatible", apiKey: API_KEY, baseUrl: url }),
};

const ANTHROPIC: Protocol = {
  name: "anthropic",
  path: "/v1/messages",
  provider: (url) => createAnthropicProvider({ apiKey: API_KEY, baseUrl: url }),
  reply: anthropicMessage,
  missingText: { id: "msg_fake", type: "message", role: "assistant", model: "claude-fake" },
};

const OLLAMA: Protocol = {
  name: "ollama",
  path: "/api/chat",
  provider: (url) => createOllamaProvider({ host: url }),
  reply: ollamaChat,
  missingText: { model: "llama-fake", done: true },
};

const PROTOCOLS = [OPENAI, OPENAI_COMPATIBLE, ANTHROPIC, OLLAMA];

const SCHEMA = {
  type: "object",
  required: ["greeting"],
  properties: { greeting: { type: "string" } },
  additionalProperties: false,
};

const REQUEST: Omit<CompletionRequest, "signal"> = {
  model: "test-model",
  messages: [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Say hi to Ada" },
  ],
  schema: SCHEMA,
  schemaName: "greeter",
  params: {
    temperature: 0.2,
    top_p: 0.9,
    top_k: 40,
    min_p: 0.05,
    max_tokens: 64,
    seed: 7,
    stop: ["\n\n"],
    presence_penalty: 0.1,
    frequency_penalty: 0.3,
    repeat_penalty: 1.1,
  },
};

const POLICY: RetryPolicy = { retries: 2, baseDelayMs: 1, maxDelayMs: 5_000, timeoutMs: 5_000 };
const noSleep: Sleep = async () => {};

const servers: FakeLlmServer[] = [];

async function serve(options: FakeLlmServerOptions): Promise<FakeLlmServer> {
  const server = await startFakeLlmServer(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  const closing = servers.splice(0);
  await Promise.all(closing.map((s) => s.close()));
  // A request the script did not expect means the adapter sent more than the test thought.
  for (const server of closing) expect(server.unexpected).toEqual([]);
});

/** Runs the call through call.ts and returns what it threw, which must be a CallFailed. */
async function callFailure(provider: Provider, policy: Partial<RetryPolicy> = {}): Promise<CallFailed> {
  const error = await callWithRetries(provider, REQUEST, {
    policy: { ...POLICY, ...policy },
    sleep: noSleep,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallFailed);
  return error as CallFailed;
}

type Body = Record<string, unknown>;

function bodyOf(server: FakeLlmServer, index = 0): Body {
  const request = server.requests[index];
  expect(request).toBeDefined();
  return request!.body as Body;
}

describe("HTTP providers on the wire", () => {
  it("should send OpenAI's parameter names and a json_schema response_format when the flavour is openai", async () => {
    const server = await serve({
      script: [
        { body: openAiCompletion('{"greeting":"hi"}', { model: "gpt-4.1-2025", finishReason: "stop" }) },
      ],
    });
    const completion = await OPENAI.provider(server.url).complete(REQUEST);

    expect(completion).toMatchObject({
      text: '{"greeting":"hi"}',
      usage: { promptTokens: 11, completionTokens: 7 },
      model: "gpt-4.1-2025",
      finishReason: "stop",
    });
    const [request] = server.requests;
    expect(request).toMatchObject({ method: "POST", path: "/chat/completions" });
    expect(request!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request!.body).toEqual({
      model: "test-model",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say hi to Ada" },
      ],
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ["\n\n"],
      presence_penalty: 0.1,
      frequency_penalty: 0.3,
      max_completion_tokens: 64,
      response_format: {
        type: "json_schema",
        json_schema: { name: "greeter", schema: SCHEMA, strict: false },
      },
    });
  });

  it("should send max_tokens and the sampling extensions when the flavour is openai-compatible", async () => {
    const server = await serve({ script: [{ body: openAiCompletion("ok", { finishReason: "length" }) }] });
    const completion = await OPENAI_COMPATIBLE.provider(server.url).complete(REQUEST);

    expect(completion).toMatchObject({ text: "ok", model: "gpt-fake", finishReason: "length" });
    const body = bodyOf(server);
    expect(body).toMatchObject({
      max_tokens: 64,
      top_k: 40,
      min_p: 0.05,
      repeat_penalty: 1.1,
      repetition_penalty: 1.1,
      temperature: 0.2,
      response_format: { type: "json_schema", json_schema: { name: "greeter", schema: SCHEMA } },
    });
    expect(body).not.toHaveProperty("max_completion_tokens");
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it("should leave top_k, min_p and repeat_penalty out when the flavour is openai", async () => {
    const server = await serve({ script: [{ body: openAiCompletion("ok") }] });
    await OPENAI.provider(server.url).complete(REQUEST);
    const body = bodyOf(server);
    for (const key of ["max_tokens", "top_k", "min_p", "repeat_penalty", "repetition_penalty"])
      expect(body).not.toHaveProperty(key);
  });

  it("should send Anthropic's names, the schema in the system prompt and no sampling parameters", async () => {
    const server = await serve({
      script: [
        { body: anthropicMessage('{"greeting":"hi"}', { model: "claude-x", finishReason: "end_turn" }) },
      ],
    });
    const completion = await ANTHROPIC.provider(server.url).complete(REQUEST);

    expect(completion).toMatchObject({
      text: '{"greeting":"hi"}',
      usage: { promptTokens: 11, completionTokens: 7 },
      model: "claude-x",
      finishReason: "end_turn",
    });
    const [request] = server.requests;
    expect(request).toMatchObject({ method: "POST", path: "/v1/messages" });
    // Anthropic's API takes the key as x-api-key; @anthropic-ai/sdk 1.x sends it as a bearer token.
    const key = request!.headers["x-api-key"] ?? request!.headers.authorization?.replace(/^Bearer /, "");
    expect(key).toBe(API_KEY);
    expect(request!.headers["anthropic-version"]).toBeTruthy();
    expect(request!.body).toEqual({
      model: "test-model",
      max_tokens: 64,
      messages: [{ role: "user", content: "Say hi to Ada" }],
      system: `You are terse.\n\n${schemaInstruction(SCHEMA)}`,
      stop_sequences: ["\n\n"],
    });
  });

  it("should send Ollama's option names and the schema as format", async () => {
    const server = await serve({
      script: [{ body: ollamaChat('{"greeting":"hi"}', { model: "llama3.2:3b", finishReason: "stop" }) }],
    });
    const completion = await OLLAMA.provider(server.url).complete(REQUEST);

    expect(completion).toMatchObject({
      text: '{"greeting":"hi"}',
      usage: { promptTokens: 11, completionTokens: 7 },
      model: "llama3.2:3b",
      finishReason: "stop",
    });
    const [request] = server.requests;
    expect(request).toMatchObject({ method: "POST", path: "/api/chat" });
    expect(request!.body).toEqual({
      model: "test-model",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say hi to Ada" },
      ],
      stream: false,
      format: SCHEMA,
      options: {
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        min_p: 0.05,
        num_predict: 64,
        seed: 7,
        stop: ["\n\n"],
        presence_penalty: 0.1,
        frequency_penalty: 0.3,
        repeat_penalty: 1.1,
      },
    });
  });

  it("should wait as long as OpenAI's retry-after-ms says", async () => {
    const server = await serve({
      script: [
        { status: 429, headers: { "retry-after-ms": "250" }, body: { error: { message: "slow down" } } },
        { body: openAiCompletion("ok") },
      ],
    });
    const sleep = vi.fn<Sleep>(async () => {});
    const outcome = await callWithRetries(OPENAI.provider(server.url), REQUEST, { policy: POLICY, sleep });

    expect(outcome.completion.text).toBe("ok");
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([250]);
    expect(outcome.failedTries).toMatchObject([{ kind: "rate-limit", status: 429, waitedMs: 250 }]);
  });

  it("should name the pulled models and suggest ollama pull when Ollama does not have the model", async () => {
    const server = await serve({
      script: [
        { path: "/api/chat", status: 404, body: { error: 'model "x" not found, try pulling it first' } },
        { path: "/api/tags", body: ollamaTags(["llama3.2:3b", "qwen2.5:7b"]) },
      ],
    });
    const failure = await callFailure(OLLAMA.provider(server.url));

    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /api/chat", "GET /api/tags"]);
    expect(failure.last).toMatchObject({ kind: "request", status: 404, retryable: false });
    expect(failure.last.message).toContain("llama3.2:3b");
    expect(failure.last.message).toContain("ollama pull test-model");
    expect(failure.failedTries).toHaveLength(1);
  });
});

describe("answers that are not transport failures", () => {
  it("should take an OpenAI refusal as the answer, for the recovery loop to see", async () => {
    const body = openAiCompletion("", {});
    const choices = body.choices as { message: Record<string, unknown> }[];
    choices[0]!.message = { role: "assistant", content: null, refusal: "I cannot help with that." };
    const server = await serve({ script: [{ body }] });
    const completion = await OPENAI.provider(server.url).complete(REQUEST);
    expect(completion.text).toBe("I cannot help with that.");
  });
});

describe("failures inside a provider", () => {
  it("should not retry an unexpected error, and say it was not a transport failure", async () => {
    let calls = 0;
    const broken = {
      name: "broken",
      complete: async () => {
        calls++;
        throw new RangeError("something inside broke");
      },
    };
    const error = await callWithRetries(broken, REQUEST, {
      policy: { retries: 3, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 1000 },
      sleep: async () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallFailed);
    expect((error as CallFailed).last.kind).toBe("error");
    expect(calls).toBe(1);
  });
});

describe.each(PROTOCOLS)("$name provider failures", (protocol) => {
  const { path } = protocol;

  it("should wait the Retry-After seconds when the server answers 429", async () => {
    const server = await serve({
      script: [
        { status: 429, headers: { "retry-after": "1" }, body: { error: { message: "rate limited" } } },
        { body: protocol.reply("ok") },
      ],
    });
    const sleep = vi.fn<Sleep>(async () => {});
    const outcome = await callWithRetries(protocol.provider(server.url), REQUEST, { policy: POLICY, sleep });

    expect(outcome.completion.text).toBe("ok");
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([1000]);
    expect(outcome.failedTries).toMatchObject([{ kind: "rate-limit", status: 429, waitedMs: 1000 }]);
    expect(server.requests.map((r) => r.path)).toEqual([path, path]);
  });

  it("should succeed after two 500s and record both failed tries", async () => {
    const server = await serve({
      script: [
        { status: 500, body: { error: "boom" } },
        { status: 500, body: { error: "boom" } },
        { body: protocol.reply("third time") },
      ],
    });
    const outcome = await callWithRetries(protocol.provider(server.url), REQUEST, {
      policy: POLICY,
      sleep: noSleep,
    });

    expect(outcome.completion.text).toBe("third time");
    expect(outcome.failedTries).toMatchObject([
      { kind: "server", status: 500 },
      { kind: "server", status: 500 },
    ]);
    expect(server.requests).toHaveLength(3);
  });

  it("should give up with kind server after retries + 1 requests when the server always answers 500", async () => {
    const server = await serve({ otherwise: { status: 500, body: { error: "down" } } });
    const failure = await callFailure(protocol.provider(server.url), { retries: 2 });

    expect(failure.last).toMatchObject({ kind: "server", status: 500 });
    expect(failure.failedTries).toHaveLength(3);
    expect(server.requests).toHaveLength(3);
  });

  it("should time out when the server never answers", async () => {
    const server = await serve({ script: [{ stall: true }] });
    const started = performance.now();
    const failure = await callFailure(protocol.provider(server.url), { retries: 0, timeoutMs: 200 });

    expect(failure.last.kind).toBe("timeout");
    expect(failure.last.retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it("should report a body that is not JSON as malformed, and retry it", async () => {
    const server = await serve({ script: [{ body: "not json" }, { body: protocol.reply("ok") }] });
    const outcome = await callWithRetries(protocol.provider(server.url), REQUEST, {
      policy: POLICY,
      sleep: noSleep,
    });

    expect(outcome.completion.text).toBe("ok");
    expect(outcome.failedTries).toMatchObject([{ kind: "malformed" }]);
  });

  it("should report a complete response whose JSON is cut off as malformed", async () => {
    const text = JSON.stringify(protocol.reply("ok"));
    const server = await serve({ script: [{ body: text.slice(0, text.length / 2) }] });
    const failure = await callFailure(protocol.provider(server.url), { retries: 0 });

    expect(failure.last.kind).toBe("malformed");
    expect(failure.last.retryable).toBe(true);
  });

  // undici rejects the body read with "terminated"; the adapters call that unreadable, i.e. malformed.
  it.each(["end", "destroy"] as const)(
    "should report a body cut off by a socket %s as malformed, and retry it",
    async (truncate) => {
      const server = await serve({
        script: [{ body: protocol.reply("ok"), truncate }, { body: protocol.reply("ok") }],
      });
      const outcome = await callWithRetries(protocol.provider(server.url), REQUEST, {
        policy: POLICY,
        sleep: noSleep,
      });

      expect(outcome.failedTries).toMatchObject([{ kind: "malformed" }]);
      expect(outcome.failedTries[0]!.message).toMatch(/terminated/);
      expect(outcome.completion.text).toBe("ok");
      expect(server.requests).toHaveLength(2);
    },
  );

  it("should report a JSON body without the answer's field as malformed", async () => {
    const server = await serve({ script: [{ body: protocol.missingText }] });
    const failure = await callFailure(protocol.provider(server.url), { retries: 0 });

    expect(failure.last.kind).toBe("malformed");
    expect(failure.last.retryable).toBe(true);
  });

  it("should not retry a 401", async () => {
    const server = await serve({ otherwise: { status: 401, body: { error: { message: "invalid key" } } } });
    const failure = await callFailure(protocol.provider(server.url), { retries: 2 });

    expect(failure.last).toMatchObject({ kind: "auth", status: 401, retryable: false });
    expect(failure.failedTries).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
  });

  it("should report a refused connection as kind connection, and retry it", async () => {
    const port = await unusedPort();
    const failure = await callFailure(protocol.provider(`http://127.0.0.1:${port}`), { retries: 1 });

    expect(failure.last.kind).toBe("connection");
    expect(failure.last.message).toMatch(/ECONNREFUSED|connect|fetch failed/i);
    expect(failure.failedTries.map((t) => t.kind)).toEqual(["connection", "connection"]);
  });
});

const GREETER: Omit<AppDefinition, "llm"> = {
  name: "greeter",
  prompt: "Say hi to {{name}}",
  inputSchema: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
  outputSchema: SCHEMA,
  llmParams: { temperature: 0, max_tokens: 64 },
  maxContextWindow: 4096,
};

describe.each([OPENAI, ANTHROPIC, OLLAMA])("execute() through $name", (protocol) => {
  it("should re-ask with the recovery prompt when the first answer is off-schema", async () => {
    const server = await serve({
      script: [
        { body: protocol.reply('```json\n{"greting": "hi"}\n```') },
        { body: protocol.reply('{"greeting": "Hi, Ada!"}') },
      ],
    });
    const app = prepareApp({ ...GREETER, llm: { provider: protocol.name, model: "test-model" } });
    const result = await execute(
      app,
      { name: "Ada" },
      {
        provider: protocol.provider(server.url),
        retryPolicy: POLICY,
        sleep: noSleep,
      },
    );

    expect(result.output).toEqual({ greeting: "Hi, Ada!" });
    expect(result.attempts).toHaveLength(2);
    expect(result.attempts[0]!.errors.map((e) => e.pointer)).toContain("/greeting");
    expect(result.usage).toEqual({ promptTokens: 22, completionTokens: 14 });
    expect(server.requests).toHaveLength(2);

    const texts = (index: number) =>
      (bodyOf(server, index).messages as { role: string; content: string }[])
        .map((m) => m.content)
        .join("\n");
    expect(texts(0)).toBe("Say hi to Ada");
    expect(texts(1)).toContain("Say hi to Ada");
    expect(texts(1)).toContain("Your previous answer did not match the required JSON Schema.");
    expect(texts(1)).toContain("/greeting");
    expect(texts(1)).not.toContain("```"); // the failing places, not the whole previous answer
  });
});
