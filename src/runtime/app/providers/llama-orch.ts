/**
 * The llama-orch provider: a completion is one task of llama-orch's OrchQueue v1 API
 * (docs/providers.md#llama-orch; the wire shapes are in llama-orch-wire.ts).
 *
 * A call discovers the backend once (`GET /v2/meta/capabilities`, else `/v1/capabilities`, else
 * nothing), refuses a context larger than the engine's `ctx_max`, admits the task
 * (`POST /v1/tasks`), reads its SSE stream (`GET /v1/tasks/{id}/stream`) with eventsource-parser
 * and assembles the tokens in `i` order. An abort of the request's signal, a passed deadline, a
 * stream that breaks off and {@link Provider.close} cancel the task (`POST /v1/tasks/{id}/cancel`).
 * Every request carries `X-Correlation-Id`: the session's id, `.n` for the n-th task; an answer
 * that echoes another is logged once per kind of mismatch.
 */
import { randomUUID } from "node:crypto";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { estimateTokens } from "../../../lang/llm/estimate-tokens.js";
import { sessionCorrelationId } from "../../shared/correlation-id.js";
import { sleep } from "../call.js";
import type {
  Completion,
  CompletionMeta,
  CompletionRequest,
  Provider,
  ProviderCapacity,
} from "../provider.js";
import { ProviderFailure } from "../provider.js";
import { failureFromClientError } from "./failures.js";
import {
  type AdmissionResponse,
  type Capabilities,
  type EngineCapability,
  failureOfAnswer,
  failureOfErrorEvent,
  firstPositive,
  pactFramingShim,
  renderPrompt,
  safeUrl,
  type TaskRequest,
} from "./llama-orch-wire.js";

export const LLAMA_ORCH_DEFAULT_ENGINE = "llamacpp";
/** `max_tokens` when the app sets none (llama-orch requires one). */
export const LLAMA_ORCH_DEFAULT_MAX_TOKENS = 1024;
/** `deadline_ms` when the caller gives none. */
export const LLAMA_ORCH_DEFAULT_DEADLINE_MS = 120_000;
/** The most {@link Provider.capacity} says, whatever the server advertises (`--concurrency`'s own ceiling). */
export const LLAMA_ORCH_MAX_CAPACITY = 10_000;
/** How long `close()` and an aborted call wait for their cancel requests. */
export const LLAMA_ORCH_CANCEL_WAIT_MS = 2_000;

/** The `rate_limits` and `features` fields read (in this order) for {@link ProviderCapacity.maxInFlight}. */
export const CAPACITY_FIELDS = ["max_in_flight", "max_concurrency", "concurrency", "slots"] as const;

export interface LlamaOrchOptions {
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  readonly apiKey?: string;
  /** The engine to ask for (`LLAMA_ORCH_ENGINE`); default: discovery's first engine that does completions. */
  readonly engine?: string;
  /** The session's correlation id; default from `TRACKING_BREADCRUMB`, else `rllmc-<uuid>`. */
  readonly correlationId?: string;
  /** The longest `deadline_ms` (`LLAMA_ORCH_DEADLINE_MS`): a shorter try timeout wins. */
  readonly deadlineMs?: number;
  /** `sampler_profile_version`, sent when set (`LLAMA_ORCH_SAMPLER_PROFILE`). */
  readonly samplerProfileVersion?: string;
  /** Where mismatching correlation ids and failed cancels are reported (default: stderr). */
  readonly log?: (line: string) => void;
  readonly cancelWaitMs?: number;
}

/** The provider's options from the environment (docs/providers.md#llama-orch). */
export function llamaOrchOptionsFromEnv(
  baseUrl: string,
  env: Readonly<Record<string, string | undefined>>,
  apiKey?: string,
): LlamaOrchOptions {
  const deadline = Number(env.LLAMA_ORCH_DEADLINE_MS);
  const engine = env.LLAMA_ORCH_ENGINE?.trim();
  const profile = env.LLAMA_ORCH_SAMPLER_PROFILE?.trim();
  return {
    baseUrl,
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(engine ? { engine } : {}),
    ...(profile ? { samplerProfileVersion: profile } : {}),
    ...(Number.isInteger(deadline) && deadline > 0 ? { deadlineMs: deadline } : {}),
    correlationId: sessionCorrelationId(env),
  };
}

/** One HTTP answer, its body parsed as JSON when it is (else the text; undefined when empty). */
export interface OrchAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** The plain HTTP side, shared by the provider and `rllmc orch`. */
export class LlamaOrchClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly log: (line: string) => void;
  private readonly mismatches = new Set<string>();

  /** `Authorization: Basic …` from a user and password in the base URL (a proxy in front). */
  private readonly basic: string | undefined;

  constructor(options: { baseUrl: string; apiKey?: string; log?: (line: string) => void }) {
    // fetch refuses a URL with credentials (and its error quotes the URL, password included):
    // they are taken out of the URL and sent as Basic auth, unless an API key is given.
    const { url, basic } = splitCredentials(options.baseUrl);
    this.baseUrl = url.replace(/\/+$/, "");
    this.basic = basic;
    this.apiKey = options.apiKey;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  headers(correlationId: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    return {
      ...extra,
      "X-Correlation-Id": correlationId,
      ...(this.apiKey !== undefined
        ? { Authorization: `Bearer ${this.apiKey}` }
        : this.basic !== undefined
          ? { Authorization: `Basic ${this.basic}` }
          : {}),
    };
  }

  /** Sends a request and reads the whole answer. Throws a {@link ProviderFailure} on a transport failure. */
  async request(
    method: string,
    path: string,
    options: {
      correlationId: string;
      body?: unknown;
      signal?: AbortSignal;
      headers?: Readonly<Record<string, string>>;
    },
  ): Promise<OrchAnswer> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: this.headers(
          options.correlationId,
          options.body === undefined
            ? { ...options.headers }
            : { ...options.headers, "Content-Type": "application/json" },
        ),
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      this.checkEcho(response, options.correlationId, `${method} ${path.replace(/[0-9a-f-]{36}/g, "{id}")}`);
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: parseJson(text) };
    } catch (error) {
      throw failureFromClientError(options.signal?.aborted ? options.signal.reason : error, "llama-orch");
    }
  }

  /** Opens a stream (the caller reads the body). */
  async open(
    path: string,
    correlationId: string,
    signal: AbortSignal,
    extra: Readonly<Record<string, string>> = {},
  ): Promise<Response> {
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        headers: this.headers(correlationId, { ...extra, Accept: "text/event-stream" }),
        signal,
      });
      this.checkEcho(response, correlationId, "GET /v1/tasks/{id}/stream");
      return response;
    } catch (error) {
      throw failureFromClientError(signal.aborted ? signal.reason : error, "llama-orch");
    }
  }

  /** Logs an answer whose `X-Correlation-Id` is missing or another than sent, once per kind. */
  checkEcho(response: Response, sent: string, what: string): void {
    const echoed = response.headers.get("x-correlation-id");
    if (echoed === sent) return;
    const kind = echoed === null ? "missing" : "different";
    if (this.mismatches.has(kind)) return;
    this.mismatches.add(kind);
    this.log(
      echoed === null
        ? `llama-orch: ${safeUrl(this.baseUrl)} did not echo X-Correlation-Id '${sent}' (${what}); later answers like this are not reported`
        : `llama-orch: ${safeUrl(this.baseUrl)} echoed X-Correlation-Id '${echoed.slice(0, 128)}' for '${sent}' (${what}); later mismatches are not reported`,
    );
  }

  /**
   * `GET /v2/meta/capabilities`, else `GET /v1/capabilities`; undefined when neither route exists
   * (404, 405 or 501). Any other answer is a failure.
   */
  async capabilities(correlationId: string, signal?: AbortSignal): Promise<Capabilities | undefined> {
    for (const source of ["/v2/meta/capabilities", "/v1/capabilities"] as const) {
      const answer = await this.request("GET", source, { correlationId, ...(signal ? { signal } : {}) });
      if (answer.status === 404 || answer.status === 405 || answer.status === 501) continue;
      if (answer.status !== 200)
        throw failureOfAnswer(answer.status, answer.headers, answer.body, "discovery");
      const body = answer.body as Partial<Capabilities> | undefined;
      if (typeof body !== "object" || body === null || !Array.isArray(body.engines))
        throw new ProviderFailure("malformed", `llama-orch answered ${source} without an engines list`, {
          body: answer.body,
        });
      const engines = body.engines.filter(
        (e): e is EngineCapability => typeof e === "object" && e !== null && typeof e.engine === "string",
      );
      return { api_version: String(body.api_version ?? ""), engines, source };
    }
    return undefined;
  }
}

interface InFlight {
  readonly taskId: string;
  readonly correlationId: string;
  readonly abort: (reason: unknown) => void;
  /** The admission was sent (the task may exist at the backend). */
  sent: boolean;
  /** The task ended (`end`, `error`, or an admission that was refused). */
  ended: boolean;
  cancel?: Promise<void>;
}

interface Discovered {
  readonly capabilities: Capabilities | undefined;
  readonly engine: string;
  readonly chosen: EngineCapability | undefined;
}

export function createLlamaOrchProvider(options: LlamaOrchOptions): Provider {
  const log = options.log ?? defaultLog;
  const client = new LlamaOrchClient({ ...options, log });
  const session = options.correlationId ?? `rllmc-${randomUUID()}`;
  const sessionId = randomUUID();
  const cancelWait = options.cancelWaitMs ?? LLAMA_ORCH_CANCEL_WAIT_MS;
  const inFlight = new Map<string, InFlight>();
  let tasks = 0;
  let discovery: Promise<Discovered> | undefined;

  const discover = (): Promise<Discovered> => {
    discovery ??= (async () => {
      const capabilities = await client.capabilities(`${session}.discovery`, AbortSignal.timeout(10_000));
      const doing = capabilities?.engines.filter(
        (e) => e.supported_workloads === undefined || e.supported_workloads.includes("completion"),
      );
      const named =
        options.engine === undefined
          ? undefined
          : capabilities?.engines.find((e) => e.engine === options.engine);
      const chosen = options.engine === undefined ? doing?.[0] : named;
      return { capabilities, engine: options.engine ?? chosen?.engine ?? LLAMA_ORCH_DEFAULT_ENGINE, chosen };
    })();
    // A discovery that failed (the server down) is tried again by the next call.
    discovery.catch(() => {
      discovery = undefined;
    });
    return discovery;
  };

  const cancel = (task: InFlight): Promise<void> => {
    task.cancel ??= client
      .request("POST", `/v1/tasks/${encodeURIComponent(task.taskId)}/cancel`, {
        correlationId: task.correlationId,
        signal: AbortSignal.timeout(cancelWait),
      })
      .then(
        (answer) => {
          if (answer.status >= 300 && answer.status !== 404)
            log(`llama-orch: cancelling task ${task.taskId} answered HTTP ${answer.status}`);
        },
        (error: unknown) =>
          log(
            `llama-orch: could not cancel task ${task.taskId}: ${error instanceof Error ? error.message : String(error)}`,
          ),
      );
    return task.cancel;
  };

  async function complete(request: CompletionRequest): Promise<Completion> {
    const found = await discover();
    const prompt = renderPrompt(request.messages);
    const promptTokens = estimateTokens(prompt);
    const maxTokens = request.params.max_tokens ?? LLAMA_ORCH_DEFAULT_MAX_TOKENS;
    const ctxMax = typeof found.chosen?.ctx_max === "number" ? found.chosen.ctx_max : undefined;
    // The app's max_context_window is checked against the engine's ctx_max; without one, the
    // (conservative) estimate is only a request, capped at ctx_max, and the backend judges.
    if (request.contextWindow !== undefined && ctxMax !== undefined && request.contextWindow > ctxMax)
      throw new ProviderFailure(
        "request",
        `max_context_window ${request.contextWindow} is over the ctx_max ${ctxMax} of llama-orch engine '${found.engine}'`,
        { code: "CTX_MAX_EXCEEDED", retriable: false },
      );
    const ctx =
      request.contextWindow ?? Math.min(promptTokens + maxTokens, ctxMax ?? Number.POSITIVE_INFINITY);
    const n = ++tasks;
    // The caller's headers go along; its X-Correlation-Id (task run's) becomes the session's id.
    const given = Object.entries(request.headers ?? {});
    const base = given.find(([name]) => name.toLowerCase() === "x-correlation-id")?.[1] ?? session;
    const extra = Object.fromEntries(given.filter(([name]) => name.toLowerCase() !== "x-correlation-id"));
    const correlationId = `${base}.${n}`;
    const taskId = randomUUID();
    const { seed, temperature } = request.params;
    const determinism = seed !== undefined && temperature === 0 ? "strict" : "best_effort";
    // The try's timeout, or LLAMA_ORCH_DEADLINE_MS when that is shorter.
    const limits = [request.deadlineMs, options.deadlineMs].filter((ms): ms is number => ms !== undefined);
    const deadlineMs = limits.length === 0 ? LLAMA_ORCH_DEFAULT_DEADLINE_MS : Math.min(...limits);
    const body: TaskRequest = {
      task_id: taskId,
      session_id: sessionId,
      workload: "completion",
      model_ref: request.model,
      engine: found.engine,
      ctx,
      priority: request.priority ?? "interactive",
      max_tokens: maxTokens,
      deadline_ms: deadlineMs,
      prompt,
      ...(seed === undefined ? {} : { seed }),
      determinism,
      ...(options.samplerProfileVersion === undefined
        ? {}
        : { sampler_profile_version: options.samplerProfileVersion }),
      expected_tokens: promptTokens,
      kv_hint: n === 1 ? "cold" : "reuse",
    };

    const local = new AbortController();
    const signal =
      request.signal === undefined ? local.signal : AbortSignal.any([request.signal, local.signal]);
    const task: InFlight = {
      taskId,
      correlationId,
      abort: (reason) => local.abort(reason),
      sent: false,
      ended: false,
    };
    inFlight.set(taskId, task);
    const deadline = setTimeout(
      () =>
        local.abort(
          new ProviderFailure(
            "timeout",
            `llama-orch task ${taskId} passed its deadline of ${deadlineMs} ms`,
            {
              code: "DEADLINE_EXCEEDED",
            },
          ),
        ),
      deadlineMs,
    );
    const meta: {
      -readonly [K in keyof CompletionMeta]: CompletionMeta[K];
    } = {
      taskId,
      correlationId,
      ...(seed === undefined ? {} : { seed }),
      determinism,
      ...(options.samplerProfileVersion === undefined
        ? {}
        : { samplerProfileVersion: options.samplerProfileVersion }),
      engine: found.engine,
    };
    try {
      if (signal.aborted) throw signal.reason;
      task.sent = true;
      const answer = await client.request("POST", "/v1/tasks", {
        correlationId,
        body,
        signal,
        headers: extra,
      });
      if (answer.status !== 202) {
        task.ended = true;
        throw failureOfAnswer(answer.status, answer.headers, answer.body, "admission");
      }
      const admission = answer.body as Partial<AdmissionResponse> | undefined;
      if (typeof admission?.queue_position === "number") meta.queuePosition = admission.queue_position;
      if (typeof admission?.predicted_start_ms === "number")
        meta.predictedStartMs = admission.predicted_start_ms;
      const admittedAt = performance.now();
      // A backoff on an accepted task asks us to wait before reading its stream.
      if (typeof admission?.backoff_ms === "number" && admission.backoff_ms > 0) {
        // A wait that reaches the deadline would only end in DEADLINE_EXCEEDED (and each retry
        // again): the task is cancelled and the wait left to the retry policy, which takes it
        // or, when it is too long, ends the call at once.
        if (admission.backoff_ms >= deadlineMs)
          throw new ProviderFailure(
            "rate-limit",
            `llama-orch admitted task ${taskId} but asked to wait ${Math.round(admission.backoff_ms)} ms before reading it, past its deadline of ${deadlineMs} ms`,
            { retryAfterMs: Math.ceil(admission.backoff_ms) },
          );
        await sleep(admission.backoff_ms, signal);
      }
      const streamed = await readStream(client, taskId, correlationId, signal, meta, admittedAt, extra);
      task.ended = true;
      const text = streamed.tokens.join("");
      return {
        text,
        usage: { promptTokens: streamed.promptTokens ?? promptTokens, completionTokens: streamed.tokensOut },
        model: request.model,
        finishReason: streamed.tokensOut >= maxTokens ? "length" : "stop",
        raw: { admission: answer.body, end: streamed.end },
        meta,
      };
    } catch (error) {
      if (task.sent && !task.ended) await boundedWait(cancel(task), cancelWait);
      if (signal.aborted) {
        const reason: unknown = signal.reason;
        if (reason instanceof ProviderFailure) throw reason;
        throw new ProviderFailure("aborted", "the call was aborted", { cause: reason });
      }
      throw failureFromClientError(error, "llama-orch");
    } finally {
      clearTimeout(deadline);
      inFlight.delete(taskId);
    }
  }

  return {
    name: "llama-orch",
    complete,
    async capacity(): Promise<ProviderCapacity | undefined> {
      const found = await discover();
      if (found.capabilities === undefined) return undefined;
      const advertised = firstPositive([found.chosen?.rate_limits, found.chosen?.features], CAPACITY_FIELDS);
      // A server's word, but not past what --concurrency itself takes: a million lines in flight
      // at once would run out of sockets and file descriptors long before the server's slots.
      const maxInFlight =
        advertised === undefined ? undefined : Math.min(advertised, LLAMA_ORCH_MAX_CAPACITY);
      const ctxMax = found.chosen?.ctx_max;
      return {
        ...(maxInFlight === undefined ? {} : { maxInFlight }),
        ...(typeof ctxMax === "number" ? { ctxMax } : {}),
      };
    },
    async close(): Promise<void> {
      const pending = [...inFlight.values()];
      const cancels = pending.filter((t) => t.sent && !t.ended).map((t) => cancel(t));
      for (const t of pending) t.abort(new ProviderFailure("aborted", "the llama-orch provider was closed"));
      await boundedWait(Promise.allSettled(cancels), cancelWait);
    },
  };
}

interface Streamed {
  readonly tokens: readonly string[];
  readonly tokensOut: number;
  readonly promptTokens: number | undefined;
  readonly end: unknown;
}

/** Reads a task's stream to its `end` (or throws: an `error` event, a cut, a malformed frame). */
async function readStream(
  client: LlamaOrchClient,
  taskId: string,
  correlationId: string,
  signal: AbortSignal,
  meta: { -readonly [K in keyof CompletionMeta]: CompletionMeta[K] },
  admittedAt: number,
  extra: Readonly<Record<string, string>>,
): Promise<Streamed> {
  const response = await client.open(
    `/v1/tasks/${encodeURIComponent(taskId)}/stream`,
    correlationId,
    signal,
    extra,
  );
  if (response.status !== 200 || response.body === null) {
    const text = await response.text().catch(() => "");
    throw failureOfAnswer(response.status, response.headers, parseJson(text), "stream request");
  }
  const byIndex = new Map<number, string>();
  let outcome: { end: Record<string, unknown> } | { failure: ProviderFailure } | undefined;
  const malformed = (why: string, body?: unknown) =>
    new ProviderFailure("malformed", `llama-orch task ${taskId}: ${why}`, body === undefined ? {} : { body });

  const onEvent = (message: EventSourceMessage) => {
    if (outcome !== undefined) return;
    let data: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(message.data);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not an object");
      data = parsed as Record<string, unknown>;
    } catch {
      outcome = {
        failure: malformed(
          `a '${message.event ?? "message"}' event whose data is not a JSON object`,
          message.data.slice(0, 200),
        ),
      };
      return;
    }
    switch (message.event) {
      case "started":
        meta.queueWaitMs = Math.round(performance.now() - admittedAt);
        if (typeof data.queue_position === "number") meta.queuePosition = data.queue_position;
        if (typeof data.predicted_start_ms === "number") meta.predictedStartMs = data.predicted_start_ms;
        return;
      case "token": {
        const { t, i } = data;
        if (typeof t !== "string" || typeof i !== "number" || !Number.isInteger(i) || i < 0) {
          outcome = { failure: malformed("a token event without a text 't' and an index 'i'", data) };
          return;
        }
        if (byIndex.has(i)) {
          outcome = { failure: malformed(`token ${i} arrived twice`, data) };
          return;
        }
        byIndex.set(i, t);
        return;
      }
      case "metrics":
        meta.metrics = data;
        return;
      case "end":
        outcome = { end: data };
        return;
      case "error":
        outcome = { failure: failureOfErrorEvent(data) };
        return;
      default:
        return; // events this client does not know are skipped
    }
  };
  const parser = createParser({ onEvent });
  const shim = pactFramingShim((text) => parser.feed(text));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (outcome === undefined) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (signal.aborted) throw error;
        throw malformed(
          `the stream broke off before its 'end' event (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      if (chunk.done) break;
      shim.push(chunk.value);
    }
    if (outcome === undefined) {
      shim.end();
      parser.reset({ consume: true });
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
  if (outcome === undefined) throw malformed("the stream ended without an 'end' or 'error' event");
  if ("failure" in outcome) throw outcome.failure;
  const { end } = outcome;
  const indexes = [...byIndex.keys()].sort((a, b) => a - b);
  const gap = indexes.findIndex((index, k) => index !== k);
  if (gap >= 0) throw malformed(`token ${gap} is missing (the stream had tokens up to ${indexes.at(-1)})`);
  if (typeof end.decode_ms === "number") meta.decodeMs = end.decode_ms;
  const tokensOut = typeof end.tokens_out === "number" ? end.tokens_out : indexes.length;
  const promptTokens =
    typeof end.tokens_in === "number"
      ? end.tokens_in
      : typeof end.prompt_tokens === "number"
        ? end.prompt_tokens
        : undefined;
  return { tokens: indexes.map((i) => byIndex.get(i)!), tokensOut, promptTokens, end };
}

function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function boundedWait(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.then(
      () => {},
      () => {},
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** The URL without its user and password, and those as a Basic credential (undefined without them). */
function splitCredentials(baseUrl: string): { readonly url: string; readonly basic: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    return { url: baseUrl, basic: undefined };
  }
  if (parsed.username === "" && parsed.password === "") return { url: baseUrl, basic: undefined };
  const user = decodeURIComponentSafe(parsed.username);
  const password = decodeURIComponentSafe(parsed.password);
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.toString(), basic: Buffer.from(`${user}:${password}`).toString("base64") };
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
