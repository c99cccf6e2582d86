import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CallFailed, callWithRetries, type RetryPolicy, type Sleep } from "../../src/runtime/app/call.js";
import type { CompletionRequest, Provider } from "../../src/runtime/app/provider.js";
import { ProviderFailure } from "../../src/runtime/app/provider.js";
import { createRecordingProvider, createReplayProvider } from "../../src/runtime/app/providers/cassette.js";
import {
  createLlamaOrchProvider,
  type LlamaOrchOptions,
  llamaOrchOptionsFromEnv,
} from "../../src/runtime/app/providers/llama-orch.js";
import {
  backoffOf,
  failureOfAnswer,
  failureOfErrorEvent,
  pactFramingShim,
  renderPrompt,
} from "../../src/runtime/app/providers/llama-orch-wire.js";
import { Redactor } from "../../src/runtime/shared/redact.js";
import {
  type LlamaOrchServer,
  type LlamaOrchServerOptions,
  orchError,
  startLlamaOrchServer,
} from "../support/llama-orch-server.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REQUEST: CompletionRequest = {
  model: "repo:Org/Model",
  messages: [
    { role: "system", content: "Answer in JSON." },
    { role: "user", content: "Say hi." },
  ],
  params: { max_tokens: 64, seed: 7, temperature: 0 },
};
const POLICY: RetryPolicy = {
  retries: 2,
  baseDelayMs: 1,
  maxDelayMs: 10_000,
  timeoutMs: 10_000,
  serverWaitJitter: 0,
};

const servers: LlamaOrchServer[] = [];
const providers: Provider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close?.()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(
  serverOptions: LlamaOrchServerOptions = {},
  providerOptions: Partial<LlamaOrchOptions> = {},
): Promise<{ server: LlamaOrchServer; provider: Provider; logs: string[] }> {
  const server = await startLlamaOrchServer(serverOptions);
  servers.push(server);
  const logs: string[] = [];
  const provider = createLlamaOrchProvider({
    baseUrl: server.url,
    correlationId: "sess-1",
    log: (line) => logs.push(line),
    ...providerOptions,
  });
  providers.push(provider);
  return { server, provider, logs };
}

async function failureOf(promise: Promise<unknown>): Promise<ProviderFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderFailure);
  return error as ProviderFailure;
}

describe("llama-orch provider: admission and stream", () => {
  it("should send every required field, render the prompt and assemble the stream", async () => {
    const { server, provider } = await setup({ answer: () => '{"greeting": "hi"}', capacity: 4 });
    const completion = await provider.complete({ ...REQUEST, contextWindow: 4096 });
    const second = await provider.complete({ ...REQUEST, priority: "batch", params: { max_tokens: 8 } });

    expect(completion.text).toBe('{"greeting": "hi"}');
    const [first, next] = server
      .requestsTo("POST", "/v1/tasks")
      .map((r) => r.body as Record<string, unknown>);
    const prompt = "<|system|>\nAnswer in JSON.\n<|user|>\nSay hi.\n<|assistant|>\n";
    expect(first).toEqual({
      task_id: expect.stringMatching(UUID),
      session_id: expect.stringMatching(UUID),
      workload: "completion",
      model_ref: "repo:Org/Model",
      engine: "llamacpp",
      ctx: 4096,
      priority: "interactive",
      max_tokens: 64,
      deadline_ms: 120_000,
      prompt,
      seed: 7,
      determinism: "strict",
      expected_tokens: Math.ceil(prompt.length / 3),
      kv_hint: "cold",
    });
    expect(next).toMatchObject({
      priority: "batch",
      determinism: "best_effort",
      kv_hint: "reuse",
      max_tokens: 8,
    });
    expect(next!.session_id).toBe(first!.session_id);
    expect(next!.task_id).not.toBe(first!.task_id);
    expect(next!.ctx).toBe(Math.ceil(prompt.length / 3) + 8);
    expect(completion.usage).toEqual({ promptTokens: Math.ceil(prompt.length / 3), completionTokens: 2 });
    expect(completion.finishReason).toBe("stop");
    expect(completion.meta).toEqual({
      taskId: first!.task_id,
      correlationId: "sess-1.1",
      seed: 7,
      determinism: "strict",
      engine: "llamacpp",
      queuePosition: 0,
      predictedStartMs: 0,
      queueWaitMs: expect.any(Number),
      decodeMs: expect.any(Number),
      metrics: { queue_depth: 1, on_time_probability: 0.99, kv_warmth: true, tokens_per_s: 42 },
    });
    expect(second.meta?.correlationId).toBe("sess-1.2");
    const ids = server.requests.map((r) => r.headers["x-correlation-id"]);
    expect(ids).toEqual(["sess-1.discovery", "sess-1.1", "sess-1.1", "sess-1.2", "sess-1.2"]);
  });

  it("should join events framed as in the Pact (a blank line between event and data)", async () => {
    const { provider } = await setup({ framing: "pact", answer: () => "framed the Pact way" });
    expect((await provider.complete(REQUEST)).text).toBe("framed the Pact way");
  });

  it("should assemble tokens in i order", async () => {
    const { provider } = await setup({ stream: () => ({ tokens: ["b", "a", "c"], indexes: [1, 0, 2] }) });
    expect((await provider.complete(REQUEST)).text).toBe("abc");
  });

  it.each([
    { what: "a gap", indexes: [0, 2, 3], says: "token 1 is missing" },
    { what: "a duplicate", indexes: [0, 1, 1], says: "token 1 arrived twice" },
  ])("should fail as malformed on $what in the token indexes", async ({ indexes, says }) => {
    const { provider } = await setup({ stream: () => ({ tokens: ["a", "b", "c"], indexes }) });
    const failure = await failureOf(provider.complete(REQUEST));
    expect(failure.kind).toBe("malformed");
    expect(failure.message).toContain(says);
  });

  it("should fail with the backend's code on an error event mid-stream, retriable per its default", async () => {
    const { provider } = await setup({ stream: () => ({ tokens: ["a", "b", "c"], errorAfter: 1 }) });
    const failure = await failureOf(provider.complete(REQUEST));
    expect([failure.code, failure.retryable]).toEqual(["WORKER_RESET", true]);
    expect(failure.message).toContain("worker was reset");
  });

  it("should fail as malformed when the stream ends without 'end', and cancel the task", async () => {
    const { server, provider } = await setup({ stream: () => ({ tokens: ["a", "b", "c"], cutAfter: 2 }) });
    const failure = await failureOf(provider.complete(REQUEST));
    expect(failure.kind).toBe("malformed");
    expect(failure.message).toMatch(/before its 'end' event|without an 'end'/);
    expect(server.stats.cancelled).toEqual([...server.tasks.keys()]);
  });

  it("should wait an accepted task's backoff_ms before reading its stream", async () => {
    const { server, provider } = await setup({
      admissions: [
        { status: 202, body: { task_id: "t", queue_position: 5, predicted_start_ms: 900, backoff_ms: 150 } },
      ],
    });
    await provider.complete(REQUEST);
    const [post] = server.requestsTo("POST", "/v1/tasks");
    const [stream] = server.requestsTo("GET", "/v1/tasks/");
    expect(stream!.at - post!.at).toBeGreaterThanOrEqual(140);
  });

  it("should cancel an accepted task whose backoff_ms reaches its deadline, and leave the wait to the retry policy", async () => {
    const { server, provider } = await setup({
      admissions: [
        { status: 202, body: { task_id: "t", queue_position: 0, predicted_start_ms: 0, backoff_ms: 1e12 } },
      ],
    });
    const started = performance.now();
    const failure = await failureOf(provider.complete({ ...REQUEST, deadlineMs: 60_000 }));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(failure.kind).toBe("rate-limit");
    expect(failure.retryAfterMs).toBe(1e12);
    expect(failure.message).toContain("past its deadline of 60000 ms");
    expect(server.requestsTo("GET", "/v1/tasks/")).toHaveLength(0);
    expect(server.stats.cancelled).toHaveLength(1);
  });

  it("should send the caller's headers, its X-Correlation-Id as the session's id", async () => {
    const { server, provider } = await setup();
    const completion = await provider.complete({
      ...REQUEST,
      headers: { "X-Correlation-Id": "audit-1", "X-Tenant": "t1" },
    });
    expect(completion.meta?.correlationId).toBe("audit-1.1");
    for (const r of server.requests.filter((r) => r.path.startsWith("/v1/tasks")))
      expect([r.headers["x-correlation-id"], r.headers["x-tenant"]]).toEqual(["audit-1.1", "t1"]);
  });

  it("should say 'length' when the answer used max_tokens", async () => {
    const { provider } = await setup({ stream: () => ({ tokens: ["a"], tokensOut: 64 }) });
    expect((await provider.complete(REQUEST)).finishReason).toBe("length");
  });
});

describe("llama-orch provider: errors and backpressure", () => {
  it.each<{ what: string; headers: Record<string, string>; body: Record<string, unknown>; wait: number }>([
    {
      what: "X-Backoff-Ms before Retry-After",
      headers: { "X-Backoff-Ms": "250", "Retry-After": "3" },
      body: { retry_after_ms: 9 },
      wait: 250,
    },
    {
      what: "Retry-After in seconds",
      headers: { "Retry-After": "2" },
      body: { retry_after_ms: 9 },
      wait: 2000,
    },
    { what: "the body's retry_after_ms last", headers: {}, body: { retry_after_ms: 750 }, wait: 750 },
  ])("should wait per $what", async ({ headers, body, wait }) => {
    const { server, provider } = await setup({
      admissions: [orchError("QUEUE_FULL_DROP_LRU", body, headers)],
    });
    const sleep = vi.fn<Sleep>(async () => {});
    const outcome = await callWithRetries(provider, REQUEST, { policy: POLICY, sleep });
    expect(outcome.completion.text).toBe("ok");
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([wait]);
    expect(outcome.failedTries).toMatchObject([
      { kind: "rate-limit", status: 429, code: "QUEUE_FULL_DROP_LRU" },
    ]);
    expect(server.stats).toMatchObject({ admitted: 1, rejected: 1 });
  });

  it("should read Retry-After as an HTTP date", () => {
    const now = Date.parse("2026-12-06T08:00:00Z");
    const headers = new Headers({ "Retry-After": "Sun, 06 Dec 2026 08:00:05 GMT" });
    expect(backoffOf(headers, undefined, now)).toBe(5000);
  });

  it("should report the policy label and the Pact's headers of ADMISSION_REJECT", async () => {
    const { provider } = await setup({
      admissions: [orchError("ADMISSION_REJECT", { policy_label: "tenant-quota" })],
    });
    const failure = await failureOf(provider.complete(REQUEST));
    expect(failure.message).toContain("(policy tenant-quota)");
    expect([failure.kind, failure.code, failure.retryAfterMs, failure.retryable]).toEqual([
      "rate-limit",
      "ADMISSION_REJECT",
      2000,
      true,
    ]);
  });

  it.each([
    { code: "INVALID_PARAMS", tries: 1 },
    { code: "POOL_UNREADY", tries: 2 },
    { code: "POOL_UNAVAILABLE", tries: 2 },
    { code: "REPLICA_EXHAUSTED", tries: 2 },
    { code: "DECODE_TIMEOUT", tries: 2 },
    { code: "WORKER_RESET", tries: 2 },
    { code: "INTERNAL", tries: 1 },
  ] as const)(
    "should try $code $tries time(s) (Pact envelope: code, engine, message only)",
    async ({ code, tries }) => {
      const { server, provider } = await setup({ admissions: [orchError(code)] });
      const call = callWithRetries(provider, REQUEST, { policy: POLICY, sleep: async () => {} });
      if (tries === 1) {
        const error = await call.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CallFailed);
        expect((error as CallFailed).last.code).toBe(code);
        expect((error as CallFailed).failedTries).toHaveLength(1);
      } else expect((await call).failedTries).toMatchObject([{ code }]);
      expect(server.requestsTo("POST", "/v1/tasks")).toHaveLength(tries);
    },
  );

  it("should follow the envelope's retriable over the code's default", async () => {
    const { server, provider } = await setup({
      admissions: [orchError("POOL_UNAVAILABLE", { retriable: false })],
    });
    const error = await callWithRetries(provider, REQUEST, { policy: POLICY, sleep: async () => {} }).catch(
      (e: unknown) => e,
    );
    expect((error as CallFailed).last.retryable).toBe(false);
    expect(server.requestsTo("POST", "/v1/tasks")).toHaveLength(1);
  });

  it("should answer 400 INVALID_PARAMS for max_tokens 0 from the server itself", async () => {
    const { provider } = await setup();
    const failure = await failureOf(provider.complete({ ...REQUEST, params: { max_tokens: 0 } }));
    expect([failure.kind, failure.status, failure.code, failure.retryable]).toEqual([
      "request",
      400,
      "INVALID_PARAMS",
      false,
    ]);
  });

  it("should stay under the server's capacity by retrying its 429s", async () => {
    const { server, provider } = await setup({ capacity: 2, latencyMs: 100, capacityBackoffMs: 30 });
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        callWithRetries(provider, REQUEST, { policy: { ...POLICY, retries: 20 } }),
      ),
    );
    expect(outcomes.map((o) => o.completion.text)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(server.stats.maxInFlight).toBe(2);
    expect(server.stats.rejected).toBeGreaterThan(0);
  });

  it("should stop retrying when the waits would pass maxTotalWaitMs", async () => {
    const { provider } = await setup({
      admissions: [
        orchError("QUEUE_FULL_DROP_LRU"),
        orchError("QUEUE_FULL_DROP_LRU"),
        orchError("QUEUE_FULL_DROP_LRU"),
      ],
    });
    const sleep = vi.fn<Sleep>(async () => {});
    const error = await callWithRetries(provider, REQUEST, {
      policy: { ...POLICY, retries: 5, maxTotalWaitMs: 2500 },
      sleep,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallFailed);
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([1000, 1000]);
    expect((error as CallFailed).failedTries.at(-1)!.message).toContain("2500 ms allowed in all");
  });

  it("should lengthen a server-asked wait by up to the jitter", async () => {
    const { provider } = await setup({ admissions: [orchError("QUEUE_FULL_DROP_LRU")] });
    const sleep = vi.fn<Sleep>(async () => {});
    await callWithRetries(provider, REQUEST, {
      policy: { ...POLICY, serverWaitJitter: 0.1 },
      sleep,
      random: () => 0.5,
    });
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([1050]);
  });
});

describe("llama-orch provider: cancel and deadline", () => {
  it("should cancel the task when the request's signal aborts", async () => {
    const { server, provider } = await setup({ latencyMs: 20_000 });
    const controller = new AbortController();
    const call = provider.complete({ ...REQUEST, signal: controller.signal });
    await vi.waitUntil(
      () => server.stats.inFlight === 1 && server.requestsTo("GET", "/v1/tasks").length === 1,
    );
    controller.abort();
    const failure = await failureOf(call);
    expect(failure.kind).toBe("aborted");
    const [taskId] = [...server.tasks.keys()];
    expect(server.stats.cancelled).toEqual([taskId]);
    expect(server.requestsTo("POST", `/v1/tasks/${taskId}/cancel`)[0]!.headers["x-correlation-id"]).toBe(
      "sess-1.1",
    );
    expect(server.stats.inFlight).toBe(0);
  });

  it("should cancel every task in flight on close()", async () => {
    const { server, provider } = await setup({ latencyMs: 20_000 });
    const calls = [provider.complete(REQUEST), provider.complete(REQUEST), provider.complete(REQUEST)].map(
      (c) =>
        c.then(
          () => undefined,
          (e: unknown) => e as ProviderFailure,
        ),
    );
    await vi.waitUntil(() => server.requestsTo("GET", "/v1/tasks").length === 3);
    await provider.close!();
    expect(server.stats.cancelled.sort()).toEqual([...server.tasks.keys()].sort());
    for (const call of calls) expect((await call)?.kind).toBe("aborted");
    expect(server.stats.inFlight).toBe(0);
  });

  it("should send deadline_ms and cancel the task when it passes", async () => {
    const { server, provider } = await setup({ latencyMs: 20_000 });
    const failure = await failureOf(provider.complete({ ...REQUEST, deadlineMs: 200 }));
    expect([failure.kind, failure.code]).toEqual(["timeout", "DEADLINE_EXCEEDED"]);
    expect(server.requestsTo("POST", "/v1/tasks")[0]!.body).toMatchObject({ deadline_ms: 200 });
    expect(server.stats.cancelled).toEqual([...server.tasks.keys()]);
  });
});

describe("llama-orch provider: discovery and correlation", () => {
  it("should read capacity and ctx_max from /v2/meta/capabilities", async () => {
    const { server, provider } = await setup({ capacity: 6 });
    expect(await provider.capacity!()).toEqual({ maxInFlight: 6, ctxMax: 8192 });
    expect(server.requests.map((r) => r.path)).toEqual(["/v2/meta/capabilities"]);
  });

  it("should not take an advertised capacity past --concurrency's own ceiling", async () => {
    const { provider } = await setup({
      engines: [{ engine: "llamacpp", ctx_max: 4096, rate_limits: { max_in_flight: 1_000_000_000 } }],
    });
    expect(await provider.capacity!()).toEqual({ maxInFlight: 10_000, ctxMax: 4096 });
  });

  it("should fall back to /v1/capabilities, then to none", async () => {
    const v1 = await setup({ capabilities: "v1", capacity: 3 });
    expect(await v1.provider.capacity!()).toEqual({ maxInFlight: 3, ctxMax: 8192 });
    expect(v1.server.requests.map((r) => r.path)).toEqual(["/v2/meta/capabilities", "/v1/capabilities"]);
    const none = await setup({ capabilities: "none" });
    expect(await none.provider.capacity!()).toBeUndefined();
    await none.provider.complete(REQUEST);
    expect(none.server.requestsTo("POST", "/v1/tasks")[0]!.body).toMatchObject({ engine: "llamacpp" });
  });

  it("should pick the first engine that does completions, or the one LLAMA_ORCH_ENGINE names", async () => {
    const engines = [
      { engine: "triton", ctx_max: 512, supported_workloads: ["embedding"] },
      { engine: "vllm", ctx_max: 32768, supported_workloads: ["completion"], features: { slots: 12 } },
    ];
    const found = await setup({ engines });
    await found.provider.complete(REQUEST);
    expect(found.server.requestsTo("POST", "/v1/tasks")[0]!.body).toMatchObject({ engine: "vllm" });
    expect(await found.provider.capacity!()).toEqual({ maxInFlight: 12, ctxMax: 32768 });
    const named = await setup({ engines }, { engine: "tgi" });
    await named.provider.complete(REQUEST);
    expect(named.server.requestsTo("POST", "/v1/tasks")[0]!.body).toMatchObject({ engine: "tgi" });
  });

  it("should refuse a max_context_window over ctx_max before admission, with a code, not retried", async () => {
    const { server, provider } = await setup();
    const error = await callWithRetries(
      provider,
      { ...REQUEST, contextWindow: 16_000 },
      { policy: POLICY },
    ).catch((e: unknown) => e);
    const { last } = error as CallFailed;
    expect([last.kind, last.code, last.retryable]).toEqual(["request", "CTX_MAX_EXCEEDED", false]);
    expect(last.message).toContain("ctx_max 8192");
    expect(server.requestsTo("POST", "/v1/tasks")).toHaveLength(0);
  });

  it("should cap an estimated ctx at ctx_max when the request has no context window", async () => {
    const { server, provider } = await setup();
    await provider.complete({ ...REQUEST, params: { max_tokens: 9000 } });
    expect(server.requestsTo("POST", "/v1/tasks")[0]!.body).toMatchObject({ ctx: 8192, max_tokens: 9000 });
  });

  it("should log an echoed correlation id that differs, once", async () => {
    const { provider, logs } = await setup({ correlation: "mismatch" });
    await provider.complete(REQUEST);
    await provider.complete(REQUEST);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain("echoed X-Correlation-Id 'other-sess-1.discovery' for 'sess-1.discovery'");
  });

  it("should take the session's correlation id from TRACKING_BREADCRUMB", async () => {
    const server = await startLlamaOrchServer();
    servers.push(server);
    const options = llamaOrchOptionsFromEnv(server.url, {
      TRACKING_BREADCRUMB: "user=alice correlation_id=req-42",
      LLAMA_ORCH_DEADLINE_MS: "5000",
      LLAMA_ORCH_SAMPLER_PROFILE: "v1",
    });
    const provider = createLlamaOrchProvider(options);
    providers.push(provider);
    const completion = await provider.complete(REQUEST);
    expect(completion.meta).toMatchObject({ correlationId: "req-42.1", samplerProfileVersion: "v1" });
    expect(server.requestsTo("POST", "/v1/tasks")[0]!.body).toMatchObject({
      deadline_ms: 5000,
      sampler_profile_version: "v1",
    });
    await provider.complete({ ...REQUEST, deadlineMs: 60_000 });
    await provider.complete({ ...REQUEST, deadlineMs: 800 });
    expect(
      server.requestsTo("POST", "/v1/tasks").map((r) => (r.body as { deadline_ms: number }).deadline_ms),
    ).toEqual([5000, 5000, 800]);
    expect(llamaOrchOptionsFromEnv(server.url, {}).correlationId).toMatch(/^rllmc-[0-9a-f-]{36}$/);
  });
});

describe("llama-orch provider: cassettes", () => {
  it("should keep the call's meta in a recorded cassette and give it back on replay", async () => {
    const { provider } = await setup({ answer: () => "recorded" });
    const cassette = join(mkdtempSync(join(tmpdir(), "rllmc-orch-cassette-")), "c.json");
    const recording = createRecordingProvider(provider, cassette, new Redactor([]));
    const live = await recording.complete(REQUEST);
    expect(await recording.capacity!()).toEqual({ ctxMax: 8192 });
    const replayed = await createReplayProvider(cassette).complete({ ...REQUEST, priority: "batch" });
    expect(replayed.text).toBe("recorded");
    expect(replayed.meta).toEqual(live.meta);
    expect(replayed.meta).toMatchObject({
      seed: 7,
      determinism: "strict",
      queuePosition: 0,
      engine: "llamacpp",
    });
  });
});

describe("llama-orch wire", () => {
  it("should render messages with the documented template", () => {
    expect(renderPrompt([{ role: "user", content: "x" }])).toBe("<|user|>\nx\n<|assistant|>\n");
  });

  it("should join a Pact-framed event split across chunks", () => {
    const fed: string[] = [];
    const shim = pactFramingShim((t) => fed.push(t));
    for (const chunk of ["event: tok", "en\r", "\n\r\ndata: {}\n", "\nevent: end\n\ndata: {}\n\n"])
      shim.push(chunk);
    shim.end();
    expect(fed.join("")).toBe("event: token\r\ndata: {}\n\nevent: end\ndata: {}\n\n");
  });

  it("should put no line break or terminal escape of the server's into a failure's message", () => {
    const body = { code: "POOL\u001b[2J", message: "down\n  forged line\u001b[31m", policy_label: "p\r" };
    for (const failure of [failureOfAnswer(503, undefined, body, "admission"), failureOfErrorEvent(body)]) {
      for (const raw of ["\n", "\r", "\u001b"]) expect(failure.message).not.toContain(raw);
      expect(failure.message).toContain("down\\u000a  forged line\\u001b[31m");
    }
  });

  it("should fail a stream line that passes the longest one, as malformed", () => {
    const fed: string[] = [];
    const shim = pactFramingShim((t) => fed.push(t), 1000);
    shim.push(`data: ${"x".repeat(500)}\n`);
    shim.push(`data: ${"y".repeat(900)}`);
    let failure: unknown;
    try {
      shim.push("y".repeat(200));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ProviderFailure);
    expect((failure as ProviderFailure).kind).toBe("malformed");
    expect(fed).toEqual([`data: ${"x".repeat(500)}\n`]);
  });

  it("should read a line that arrives in many chunks in time linear in its length", () => {
    let got = 0;
    const shim = pactFramingShim((t) => {
      got += t.length;
    });
    const chunk = "x".repeat(65_536);
    const started = performance.now();
    shim.push('event: token\ndata: {"t":"');
    for (let i = 0; i < 512; i++) shim.push(chunk); // a 32 MB token
    shim.push('","i":0}\r');
    shim.push("\n\r\n");
    shim.end();
    expect(got).toBe(32 * 1024 * 1024 + 'event: token\ndata: {"t":"'.length + '","i":0}\r\n\r\n'.length);
    // Searching the whole held line again at every chunk took ~10 s here.
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});

describe("llama-orch provider: a user and password in the base URL", () => {
  it("should send them as Basic auth, never in a URL or a message", async () => {
    const server = await startLlamaOrchServer({ answer: () => "hi" });
    servers.push(server);
    const logs: string[] = [];
    const url = server.url.replace("http://", "http://bob:s3cret%40pw@");
    const provider = createLlamaOrchProvider({
      baseUrl: url,
      correlationId: "sess-1",
      log: (l) => logs.push(l),
    });
    providers.push(provider);
    const completion = await provider.complete(REQUEST);
    expect(completion.text).toBe("hi");
    const auth = server.requestsTo("POST", "/v1/tasks")[0]!.headers.authorization;
    expect(auth).toBe(`Basic ${Buffer.from("bob:s3cret@pw").toString("base64")}`);
    // An API key wins over the URL's credentials.
    const keyed = createLlamaOrchProvider({ baseUrl: url, apiKey: "key-123456789", correlationId: "s" });
    providers.push(keyed);
    await keyed.complete(REQUEST);
    expect(server.requestsTo("POST", "/v1/tasks")[1]!.headers.authorization).toBe("Bearer key-123456789");
    // A server that cannot be reached: the message has no password.
    const down = createLlamaOrchProvider({ baseUrl: "http://bob:s3cretpw@127.0.0.1:1", correlationId: "s" });
    providers.push(down);
    const failure = await down.complete(REQUEST).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(ProviderFailure);
    expect(failure!.message).not.toContain("s3cret");
    expect(failure!.message).not.toContain("credentials");
    expect(logs.join("\n")).not.toContain("s3cret");
  });
});
