/**
 * The provider wrapper (`runtime/app/observe-provider.ts`) on its own: what a scheduling backend
 * reports (`Completion.meta`: task id, correlation id, seed, queue wait …) reaches the call's span
 * and the metrics sink; a failure is named by the backend's code; a call whose provider ignores
 * the abort still ends its span and leaves the in-flight count; without tracing, nothing changes.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { installTracing, type Tracing } from "../../src/cli/otel.js";
import { failureCode, observeProvider } from "../../src/runtime/app/observe-provider.js";
import { type Completion, type Provider, ProviderFailure } from "../../src/runtime/app/provider.js";
import { type CallObservation, type MetricsSink, setMetrics } from "../../src/runtime/shared/metrics.js";

const exporter = new InMemorySpanExporter();
let tracing: Tracing;

/** A sink that keeps what it is told, in order. */
function recordingSink() {
  const events: (["started", string, string] | ["finished", CallObservation])[] = [];
  const sink: MetricsSink = {
    callStarted: (provider, model) => events.push(["started", provider, model]),
    callFinished: (o) => events.push(["finished", o]),
    budgetSpent: () => {},
  };
  return { sink, events };
}

const ANSWER: Completion = {
  text: "{}",
  usage: { promptTokens: 30, completionTokens: 8 },
  model: "llama-3-8b",
  finishReason: "stop",
  raw: {},
  meta: {
    taskId: "t-0001",
    correlationId: "corr-1/t-0001",
    seed: 42,
    determinism: "strict",
    engine: "llamacpp",
    queuePosition: 3,
    predictedStartMs: 120,
    queueWaitMs: 250,
    decodeMs: 900,
  },
};

function provider(complete: Provider["complete"]): Provider {
  return { name: "llama-orch", complete };
}

beforeAll(async () => {
  tracing = await installTracing(new SimpleSpanProcessor(exporter), "test");
});
afterAll(async () => {
  await tracing.shutdown();
});
afterEach(() => {
  exporter.reset();
  setMetrics(undefined);
});

describe("observeProvider", () => {
  it("should record the backend's facts of a call on its span and report it to the metrics sink", async () => {
    const { sink, events } = recordingSink();
    setMetrics(sink);
    const observed = observeProvider(provider(async () => ANSWER));
    const completion = await observed.complete({
      model: "llama-3-8b",
      messages: [{ role: "user", content: "a prompt with sk-SECRET-in-it" }],
      params: { seed: 42, max_tokens: 64 },
      headers: { "X-Correlation-Id": "corr-1/t-0001", Authorization: "Bearer SECRET" },
      priority: "batch",
    });
    expect(completion).toBe(ANSWER);
    const [span, ...more] = exporter.getFinishedSpans();
    expect(more).toEqual([]);
    expect(span!.name).toBe("chat llama-3-8b");
    expect(span!.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "llama-orch",
      "gen_ai.request.model": "llama-3-8b",
      "gen_ai.request.max_tokens": 64,
      "gen_ai.request.seed": 42,
      "gen_ai.response.model": "llama-3-8b",
      "gen_ai.response.finish_reasons": "stop",
      "gen_ai.usage.input_tokens": 30,
      "gen_ai.usage.output_tokens": 8,
      "rllmc.llm.priority": "batch",
      "rllmc.llm.outcome": "ok",
      "rllmc.llm.task_id": "t-0001",
      "rllmc.llm.correlation_id": "corr-1/t-0001",
      "rllmc.llm.determinism": "strict",
      "rllmc.llm.engine": "llamacpp",
      "rllmc.llm.queue_position": 3,
      "rllmc.llm.predicted_start_ms": 120,
      "rllmc.llm.queue_wait_ms": 250,
      "rllmc.llm.decode_ms": 900,
    });
    expect(JSON.stringify(span!.attributes)).not.toContain("SECRET");
    expect(events).toEqual([
      ["started", "llama-orch", "llama-3-8b"],
      [
        "finished",
        {
          provider: "llama-orch",
          model: "llama-3-8b",
          outcome: "ok",
          latencySeconds: expect.any(Number),
          tokensIn: 30,
          tokensOut: 8,
          queueWaitSeconds: 0.25,
        },
      ],
    ]);
  });

  it("should name a failed call by the backend's code, else the body's, else the failure's kind", async () => {
    const cases: [unknown, string][] = [
      [
        new ProviderFailure("rate-limit", "queue full", { status: 429, code: "QUEUE_FULL_DROP_LRU" }),
        "QUEUE_FULL_DROP_LRU",
      ],
      [
        new ProviderFailure("server", "x", { status: 503, body: { code: "POOL_UNAVAILABLE" } }),
        "POOL_UNAVAILABLE",
      ],
      [
        new ProviderFailure("request", "x", { status: 404, body: { code: "model_not_found", message: "m" } }),
        "model_not_found",
      ],
      [
        new ProviderFailure("server", "x", { status: 500, body: { error: { code: "has spaces in it" } } }),
        "server",
      ],
      [new ProviderFailure("timeout", "no answer"), "timeout"],
      [new TypeError("boom"), "TypeError"],
    ];
    for (const [error, code] of cases) expect(failureCode(error)).toBe(code);

    const { sink, events } = recordingSink();
    setMetrics(sink);
    const failing = observeProvider(
      provider(async () => {
        throw cases[0]![0];
      }),
    );
    await expect(failing.complete({ model: "m", messages: [], params: {} })).rejects.toBe(cases[0]![0]);
    const [span] = exporter.getFinishedSpans();
    expect(span!.status.code).toBe(2); // ERROR
    expect(span!.attributes).toMatchObject({
      "rllmc.llm.outcome": "error",
      "rllmc.llm.error_code": "QUEUE_FULL_DROP_LRU",
      "error.type": "QUEUE_FULL_DROP_LRU",
    });
    expect(span!.events).toEqual([]); // no exception event: its message could quote input
    expect(events[1]).toEqual([
      "finished",
      {
        provider: "llama-orch",
        model: "m",
        outcome: "error",
        errorCode: "QUEUE_FULL_DROP_LRU",
        latencySeconds: expect.any(Number),
      },
    ]);
  });

  it("should end the span and the in-flight count when the caller aborts a call its provider ignores", async () => {
    const { sink, events } = recordingSink();
    setMetrics(sink);
    const never = observeProvider(provider(() => new Promise<Completion>(() => {})));
    const controller = new AbortController();
    const call = never.complete({ model: "m", messages: [], params: {}, signal: controller.signal });
    controller.abort(new ProviderFailure("aborted", "the run was aborted"));
    await expect(call).rejects.toMatchObject({ kind: "aborted" });
    expect(exporter.getFinishedSpans()[0]!.attributes["rllmc.llm.error_code"]).toBe("aborted");
    expect(events.map((e) => e[0])).toEqual(["started", "finished"]);
  });

  it("should keep close and capacity, and name a local model by its file name", async () => {
    let closed = false;
    const inner: Provider = {
      name: "local",
      complete: async (request) => ({ ...ANSWER, model: request.model, meta: undefined }),
      close: async () => {
        closed = true;
      },
      capacity: async () => ({ maxInFlight: 8 }),
    };
    const observed = observeProvider(inner);
    expect(await observed.capacity!()).toEqual({ maxInFlight: 8 });
    await observed.close!();
    expect(closed).toBe(true);
    await observed.complete({ model: "/home/someone/models/tiny.gguf", messages: [], params: {} });
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe("chat tiny.gguf");
    expect(JSON.stringify(span!.attributes)).not.toContain("someone");
  });
});
