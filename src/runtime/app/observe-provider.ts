/**
 * Every model call, observed in one place: `createProvider` (config.ts) wraps the provider it
 * makes, so `rllmc run`, compiled modules, `runbook compile --llm` and `task run` are all
 * covered. Each call to `complete` — the first try and each retry of `callWithRetries` alike —
 * is one span (`chat <model>`, kind client; docs/observability.md lists its attributes) and one
 * observation for the process's metrics sink (`shared/metrics.ts`).
 *
 * Only ids, names, counts and codes are recorded: never the messages, the answer, the base URL
 * or the headers (which carry the API key).
 */
import { type CallObservation, metrics } from "../shared/metrics.js";
import { errorType, inSpan, type SpanHandle } from "../shared/telemetry.js";
import type { Completion, CompletionRequest, Provider } from "./provider.js";
import { ProviderFailure } from "./provider.js";

/** `provider` reported to the metrics sink and traced; `complete` behaves exactly as before. */
export function observeProvider(provider: Provider): Provider {
  const observed: Provider = {
    name: provider.name,
    complete: (request) => observedCall(provider, request),
  };
  if (provider.close !== undefined) observed.close = () => provider.close!();
  if (provider.capacity !== undefined) observed.capacity = () => provider.capacity!();
  return observed;
}

async function observedCall(provider: Provider, request: CompletionRequest): Promise<Completion> {
  const name = provider.name;
  const model = modelLabel(name, request.model);
  const started = performance.now();
  metrics().callStarted(name, model);
  const seconds = () => (performance.now() - started) / 1000;
  return inSpan(
    `chat ${model}`,
    {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": name,
      "gen_ai.request.model": model,
      "gen_ai.request.max_tokens": request.params.max_tokens,
      "gen_ai.request.seed": request.params.seed,
      "rllmc.llm.priority": request.priority,
      "rllmc.llm.correlation_id": header(request, "x-correlation-id"),
    },
    async (span) => {
      let completion: Completion;
      try {
        completion = await untilAborted(provider.complete(request), request.signal);
      } catch (error) {
        const code = failureCode(error);
        span.setAttributes({ "rllmc.llm.outcome": "error", "rllmc.llm.error_code": code });
        span.fail(code);
        metrics().callFinished({
          provider: name,
          model,
          outcome: "error",
          errorCode: code,
          latencySeconds: seconds(),
        });
        throw error;
      }
      record(span, name, completion);
      const meta = completion.meta;
      const observation: CallObservation = {
        provider: name,
        model,
        outcome: "ok",
        latencySeconds: seconds(),
        ...(completion.usage === undefined
          ? {}
          : { tokensIn: completion.usage.promptTokens, tokensOut: completion.usage.completionTokens }),
        ...(meta?.queueWaitMs === undefined ? {} : { queueWaitSeconds: meta.queueWaitMs / 1000 }),
      };
      metrics().callFinished(observation);
      return completion;
    },
    { kind: "client" },
  );
}

function record(span: SpanHandle, provider: string, completion: Completion): void {
  const meta = completion.meta;
  span.setAttributes({
    "rllmc.llm.outcome": "ok",
    "gen_ai.response.model": completion.model === "" ? undefined : modelLabel(provider, completion.model),
    "gen_ai.response.finish_reasons": completion.finishReason,
    "gen_ai.usage.input_tokens": completion.usage?.promptTokens,
    "gen_ai.usage.output_tokens": completion.usage?.completionTokens,
    "gen_ai.request.seed": meta?.seed,
    "rllmc.llm.task_id": meta?.taskId,
    "rllmc.llm.correlation_id": meta?.correlationId,
    "rllmc.llm.determinism": meta?.determinism,
    "rllmc.llm.sampler_profile_version": meta?.samplerProfileVersion,
    "rllmc.llm.engine": meta?.engine,
    "rllmc.llm.queue_position": meta?.queuePosition,
    "rllmc.llm.predicted_start_ms": meta?.predictedStartMs,
    "rllmc.llm.queue_wait_ms": meta?.queueWaitMs,
    "rllmc.llm.decode_ms": meta?.decodeMs,
  });
}

/**
 * The short code of a failed call: the backend's own error code when it sent one (llama-orch's
 * `code`, OpenAI's `error.code`), else the failure's kind (`rate-limit`, `timeout`, …).
 */
export function failureCode(error: unknown): string {
  if (error instanceof ProviderFailure) {
    const own = error.code !== undefined && CODE.test(error.code) ? error.code : undefined;
    return own ?? bodyCode(error.body) ?? error.kind;
  }
  return errorType(error);
}

const CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function bodyCode(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const nested = (value: unknown) =>
    typeof value === "object" && value !== null ? (value as Record<string, unknown>).code : undefined;
  for (const candidate of [b.error_code, b.code, nested(b.error), nested(b.details)])
    if (typeof candidate === "string" && CODE.test(candidate)) return candidate;
  return undefined;
}

/**
 * The model as a label: a local model is a file path, of which the file name is enough (a
 * folder can name a person; labels should be short and stable).
 */
function modelLabel(provider: string, model: string): string {
  if (provider !== "local") return model;
  return model.split(/[\\/]/).pop() ?? model;
}

function header(request: CompletionRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {}))
    if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * The call, or the signal's reason once the caller aborts: a provider that ignores its signal
 * still ends its span and leaves the in-flight gauge (callWithRetries races the same way).
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
