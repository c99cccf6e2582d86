import { describe, expect, it } from "vitest";
import type { AppDefinition } from "../../src/runtime/app/app.js";
import { prepareApp } from "../../src/runtime/app/compile-app.js";
import { type ErrorPayload, RllmError } from "../../src/runtime/app/errors.js";
import { execute, preflight } from "../../src/runtime/app/execute.js";
import { ProviderFailure } from "../../src/runtime/app/provider.js";
import { scriptedProvider } from "../support/scripted-provider.js";

const APP: AppDefinition = {
  name: "greet",
  prompt: "Greet {{name}} in {{#if language}}{{language}}{{else}}English{{/if}}, {{times}} times.",
  inputSchema: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: {
      name: { type: "string", maxLength: 100 },
      language: { type: "string" },
      times: { type: "integer", default: 2 },
    },
  },
  outputSchema: {
    type: "object",
    required: ["greeting", "words"],
    additionalProperties: false,
    properties: { greeting: { type: "string" }, words: { type: "integer", minimum: 1 } },
  },
  llm: { provider: "scripted", model: "m1" },
  llmParams: { temperature: 0, seed: 7, max_tokens: 50 },
  maxContextWindow: 4096,
};

const VALID = '{"greeting": "Hello, Ada", "words": 2}';
const noSleep = async () => {};

async function failure(promise: Promise<unknown>): Promise<ErrorPayload> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RllmError);
    return (error as RllmError).payload;
  }
  throw new Error("expected the run to fail");
}

function expectPayloadShape(payload: ErrorPayload): void {
  expect(Object.keys(payload)).toEqual([
    "error_code",
    "error_type",
    "message",
    "details",
    "expected_schema",
    "received_payload",
    "recovery_hint",
    "doc_ref",
  ]);
  expect(payload.error_code).toMatch(/^RUN\d{4}$/);
  expect(payload.doc_ref).toMatch(/^docs\/errors\.md#run\d{4}-/);
  expect(payload.recovery_hint.length).toBeGreaterThan(10);
}

describe("execute", () => {
  it("should render the prompt with schema defaults and return the validated output", async () => {
    const provider = scriptedProvider([VALID]);
    const result = await execute(prepareApp(APP), { name: "Ada" }, { provider });
    expect(result.output).toEqual({ greeting: "Hello, Ada", words: 2 });
    expect(result.attempts).toHaveLength(1);
    expect(provider.requests[0]!.messages).toEqual([
      { role: "user", content: "Greet Ada in English, 2 times." },
    ]);
    expect(provider.requests[0]!.schema).toEqual(APP.outputSchema);
    expect(provider.requests[0]!.params).toEqual({ temperature: 0, seed: 7, max_tokens: 50 });
    const attempt = result.attempts[0]!;
    expect([attempt.model, attempt.seed, attempt.provider]).toEqual(["m1", 7, "scripted"]);
  });

  it("should accept JSON in a code fence with prose and trailing commas, and say so", async () => {
    const answer = 'Sure! Here it is:\n```json\n{"greeting": "Hi", "words": 1,}\n```\nAnything else?';
    const result = await execute(prepareApp(APP), { name: "Ada" }, { provider: scriptedProvider([answer]) });
    expect(result.output).toEqual({ greeting: "Hi", words: 1 });
    expect(result.attempts[0]!.repairs).toEqual(["removed a code fence", "removed trailing commas"]);
  });

  it("should succeed after one retry when the first answer is off-schema", async () => {
    const provider = scriptedProvider(['{"greeting": 5}', VALID]);
    const result = await execute(prepareApp(APP), { name: "Ada" }, { provider });
    expect(result.output).toEqual({ greeting: "Hello, Ada", words: 2 });
    expect(result.attempts.map((a) => a.kind)).toEqual(["initial", "recovery"]);
    expect(result.attempts[0]!.errors.map((e) => e.pointer)).toEqual(["/greeting", "/words"]);
    const retry = provider.requests[1]!.messages;
    expect(retry).toHaveLength(2);
    expect(retry[0]).toEqual(provider.requests[0]!.messages[0]);
    expect(retry[1]!.content).toContain("/greeting: must be string (found: 5)");
    expect(retry[1]!.content).toContain("/words: is required but missing");
  });

  it("should not grow the context with each retry", async () => {
    const bad = (n: number) => `{"greeting": ${n}, "words": 0}`;
    const provider = scriptedProvider([bad(1), bad(2), bad(3), bad(4), bad(5)]);
    await failure(execute(prepareApp(APP), { name: "Ada" }, { provider, maxRetries: 4 }));
    const sizes = provider.requests.map((r) => r.messages.reduce((n, m) => n + m.content.length, 0));
    expect(provider.requests).toHaveLength(5);
    expect(new Set(sizes.slice(1)).size).toBe(1);
    // No retry carries an earlier attempt's answer beyond the latest failing values.
    expect(provider.requests[4]!.messages.some((m) => m.content.includes("found: 1)"))).toBe(false);
    expect(provider.requests[4]!.messages[1]!.content).toContain("found: 4)");
  });

  it("should end in RetryExhaustedError listing every attempt", async () => {
    const provider = scriptedProvider([
      "not json at all",
      '{"greeting": "x"}',
      '{"greeting": "x", "words": 0}',
    ]);
    const payload = await failure(execute(prepareApp(APP), { name: "Ada" }, { provider }));
    expectPayloadShape(payload);
    expect(payload.error_type).toBe("RetryExhaustedError");
    expect(payload.error_code).toBe("RUN3002");
    const attempts = payload.details.attempts as {
      attempt: number;
      errors: { pointer: string; keyword: string }[];
    }[];
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts[0]!.errors[0]!.keyword).toBe("json");
    expect(attempts[1]!.errors.map((e) => e.pointer)).toEqual(["/words"]);
    expect(attempts[2]!.errors.map((e) => [e.pointer, e.keyword])).toEqual([["/words", "minimum"]]);
    expect(payload.expected_schema).toEqual(APP.outputSchema);
    expect(payload.received_payload).toEqual({ greeting: "x", words: 0 });
    expect(provider.requests).toHaveLength(3);
  });

  it("should report OutputSchemaError when retries are off", async () => {
    const payload = await failure(
      execute(
        prepareApp(APP),
        { name: "Ada" },
        { provider: scriptedProvider(['{"greeting": "x"}']), maxRetries: 0 },
      ),
    );
    expectPayloadShape(payload);
    expect(payload.error_type).toBe("OutputSchemaError");
    expect(payload.message).toContain("/words is required but missing");
  });

  it("should use the app's own recovery prompt with @errors, @response and @output_schema", async () => {
    const app = prepareApp({
      ...APP,
      recovery:
        "Fix {{#each @errors}}[{{this.pointer}}]{{/each}} in {{json @response}}; schema keys: {{#each @output_schema.properties}}{{@key}} {{/each}}",
    });
    const provider = scriptedProvider(['{"greeting": "x"}', VALID]);
    await execute(app, { name: "Ada" }, { provider });
    expect(provider.requests[1]!.messages[1]!.content).toBe(
      'Fix [/words] in {"greeting":"x"}; schema keys: greeting words ',
    );
  });

  it("should reject input that does not match input_schema before any call", async () => {
    const provider = scriptedProvider([VALID]);
    const payload = await failure(execute(prepareApp(APP), { name: 3, extra: true }, { provider }));
    expectPayloadShape(payload);
    expect(payload.error_type).toBe("InputSchemaError");
    const errors = payload.details.errors as { pointer: string; found?: string }[];
    expect(errors.map((e) => e.pointer).sort()).toEqual(["/extra", "/name"]);
    expect(payload.received_payload).toEqual({ name: 3, extra: true });
    expect(provider.requests).toHaveLength(0);
  });

  it("should raise ContextWindowExceededError before any call", async () => {
    const provider = scriptedProvider([VALID]);
    const app = prepareApp({ ...APP, maxContextWindow: 60 });
    const payload = await failure(execute(app, { name: "A".repeat(100) }, { provider }));
    expectPayloadShape(payload);
    expect(payload.error_type).toBe("ContextWindowExceededError");
    expect(payload.details).toMatchObject({ reserved_completion_tokens: 50, max_context_window: 60 });
    expect(payload.details.estimated_prompt_tokens).toBeGreaterThan(10);
    expect(provider.requests).toHaveLength(0);
  });

  it("should end with the attempts made when a recovery prompt would not fit", async () => {
    const provider = scriptedProvider(['{"greeting": "x"}', VALID]);
    const app = prepareApp({ ...APP, llmParams: { max_tokens: 5 }, maxContextWindow: 30 });
    const payload = await failure(execute(app, { name: "Ada" }, { provider }));
    expect(payload.error_type).toBe("OutputSchemaError");
    expect(payload.details).toMatchObject({
      recovery_not_sent: { max_context_window: 30, attempt: "recovery" },
    });
    expect(payload.recovery_hint).toContain("recovery prompt does not fit");
    expect(provider.requests).toHaveLength(1);
  });

  it("should point at max_tokens when an answer was cut off", async () => {
    const cut = scriptedProvider(['{"greeting": "Hel']);
    const truncated = {
      ...cut,
      complete: async (r: Parameters<typeof cut.complete>[0]) => ({
        ...(await cut.complete(r)),
        finishReason: "length",
      }),
    };
    const payload = await failure(
      execute(prepareApp(APP), { name: "Ada" }, { provider: truncated, maxRetries: 1 }),
    );
    expect(payload.error_type).toBe("RetryExhaustedError");
    expect(payload.recovery_hint).toContain("raise llm_params.max_tokens");
    expect((payload.details.attempts as { finish_reason: string }[])[0]!.finish_reason).toBe("length");
  });

  it("should redact before cutting a preview, so no secret is cut in half", async () => {
    const secret = "SECRET-VALUE-0123456789";
    const answer = `${"x".repeat(290)}${secret}`;
    const payload = await failure(
      execute(
        prepareApp(APP),
        { name: "Ada" },
        {
          provider: scriptedProvider([answer]),
          maxRetries: 0,
          redact: (text) => text.split(secret).join("[REDACTED]"),
        },
      ),
    );
    expect(JSON.stringify(payload)).not.toContain("SECRET-VALUE");
  });

  it("should honour Retry-After on 429 and report the provider's failure after the last try", async () => {
    const waits: number[] = [];
    const limited = new ProviderFailure("rate-limit", "slow down", { status: 429, retryAfterMs: 1500 });
    const provider = scriptedProvider([limited, limited, limited, limited]);
    const payload = await failure(
      execute(
        prepareApp(APP),
        { name: "Ada" },
        {
          provider,
          retryPolicy: { retries: 3, serverWaitJitter: 0 },
          sleep: async (ms) => {
            waits.push(ms);
          },
        },
      ),
    );
    expectPayloadShape(payload);
    expect(waits).toEqual([1500, 1500, 1500]);
    expect(payload.error_type).toBe("ProviderError");
    expect(payload.details).toMatchObject({ failure: "rate-limit", status: 429, model: "m1" });
    expect((payload.details.tries as unknown[]).length).toBe(4);
  });

  it("should not retry an authentication failure", async () => {
    const provider = scriptedProvider([new ProviderFailure("auth", "bad key", { status: 401 }), VALID]);
    const payload = await failure(execute(prepareApp(APP), { name: "Ada" }, { provider, sleep: noSleep }));
    expect(payload.details).toMatchObject({ failure: "auth", status: 401 });
    expect(provider.requests).toHaveLength(1);
  });

  it.each([
    ["ollama", "OLLAMA_HOST", "LLM_BASE_URL"],
    ["openai-compatible", "LLM_BASE_URL", "OLLAMA_HOST"],
    ["openai", "network", "OLLAMA_HOST"],
  ])("should name what sets the %s server's address when it cannot be reached", async (name, says, not) => {
    const refused = () => new ProviderFailure("connection", "cannot reach it: ECONNREFUSED");
    const provider = scriptedProvider([refused(), refused(), refused(), refused()], name);
    const payload = await failure(execute(prepareApp(APP), { name: "Ada" }, { provider, sleep: noSleep }));
    expect(payload.recovery_hint).toContain(says);
    expect(payload.recovery_hint).not.toContain(not);
  });

  it("should give up on a call that never answers after the timeout", async () => {
    const provider = scriptedProvider([() => new Promise<string>(() => {})]);
    const started = performance.now();
    const payload = await failure(
      execute(
        prepareApp(APP),
        { name: "Ada" },
        { provider, retryPolicy: { timeoutMs: 50, retries: 1 }, sleep: noSleep },
      ),
    );
    expect(payload.details).toMatchObject({ failure: "timeout" });
    expect(provider.requests).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("should run the pre and post hooks around the model call", async () => {
    const provider = scriptedProvider([VALID]);
    const seen: string[] = [];
    const result = await execute(
      prepareApp(APP),
      { name: "ada" },
      {
        provider,
        hooks: {
          pre: (input) => ({ ...(input as object), name: "ADA" }),
          post: (output) => ({ ...(output as object), post: true }),
          onFinish: ({ result }) => {
            seen.push(result ? "ok" : "error");
          },
        },
      },
    );
    expect(provider.requests[0]!.messages[0]!.content).toContain("Greet ADA");
    expect(result.output).toMatchObject({ post: true });
    expect(seen).toEqual(["ok"]);
  });

  it("preflight should validate and render without calling anything", async () => {
    const checked = await preflight(prepareApp(APP), { name: "Ada", language: "French" });
    expect(checked.input).toEqual({ name: "Ada", language: "French", times: 2 });
    expect(checked.messages[0]!.content).toBe("Greet Ada in French, 2 times.");
    expect(checked.reservedTokens).toBe(50);
  });
});
