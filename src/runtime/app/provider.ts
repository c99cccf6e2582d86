/**
 * The one interface every LLM provider implements, and the records a call leaves behind.
 *
 * A provider turns a {@link CompletionRequest} (messages, an optional JSON Schema for the answer,
 * sampling parameters, an abort signal) into a {@link Completion} (text, token usage, timing, the
 * raw response). It does not retry, validate or parse the answer: the executor does that, the
 * same way for every provider. A provider that fails throws a {@link ProviderFailure}, saying
 * whether the call may be retried and after how long the server asked us to wait.
 */

export type Role = "system" | "user" | "assistant";

export interface Message {
  readonly role: Role;
  readonly content: string;
}

/** The sampling parameters of `llm_params` (grammar/llm/params.json), by their rllm names. */
export interface SamplingParams {
  readonly temperature?: number;
  readonly top_p?: number;
  readonly top_k?: number;
  readonly min_p?: number;
  readonly max_tokens?: number;
  readonly seed?: number;
  readonly stop?: string | readonly string[];
  readonly presence_penalty?: number;
  readonly frequency_penalty?: number;
  readonly repeat_penalty?: number;
}

export interface CompletionRequest {
  readonly model: string;
  readonly messages: readonly Message[];
  /** The JSON Schema the answer must follow; providers that can constrain decoding use it. */
  readonly schema?: Readonly<Record<string, unknown>>;
  /** A short name for the schema, where the wire protocol wants one (OpenAI's `json_schema.name`). */
  readonly schemaName?: string;
  readonly params: SamplingParams;
  readonly signal?: AbortSignal;
  /**
   * Extra HTTP headers for providers that speak HTTP (`X-Correlation-Id` of `rllmc task run`);
   * not part of what decides the answer (a cassette's key leaves them out).
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * How urgent the call is (`--priority`): sent to providers that schedule (llama-orch's
   * `priority`), and used by the batch scheduler (interactive first). Not part of a cassette's key.
   */
  readonly priority?: "interactive" | "batch";
  /**
   * The app's `max_context_window`, for providers that size a task's context (llama-orch `ctx`,
   * checked against the engine's `ctx_max` before admission).
   */
  readonly contextWindow?: number;
  /** How long the caller gives this try, in ms (the retry policy's timeout; llama-orch `deadline_ms`). */
  readonly deadlineMs?: number;
}

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface Completion {
  readonly text: string;
  /** Token counts as the provider reported them; undefined when it reported none. */
  readonly usage: Usage | undefined;
  /** The model that answered, as the provider named it. */
  readonly model: string;
  /** Why generation stopped, in the provider's words (`stop`, `length`, `end_turn`, …). */
  readonly finishReason: string | undefined;
  /** The response body as received, for the error report and for cassettes. */
  readonly raw: unknown;
  /** What a scheduling backend said about the call (llama-orch), for stats, cassettes and traces. */
  readonly meta?: CompletionMeta;
}

/** Facts of one call that a scheduling backend reports; every field optional. */
export interface CompletionMeta {
  /** The backend's id of the task (llama-orch `task_id`). */
  readonly taskId?: string;
  /** The `X-Correlation-Id` sent with the call. */
  readonly correlationId?: string;
  readonly seed?: number;
  readonly determinism?: string;
  readonly samplerProfileVersion?: string;
  readonly engine?: string;
  /** Admission: the task's place in the queue and when the backend expected it to start. */
  readonly queuePosition?: number;
  readonly predictedStartMs?: number;
  /** From admission to the first event of the task's run (`started`), in ms. */
  readonly queueWaitMs?: number;
  /** The backend's own decode time (llama-orch `end.decode_ms`). */
  readonly decodeMs?: number;
  /** The last `metrics` frame the backend sent during the call (an open object). */
  readonly metrics?: Readonly<Record<string, unknown>>;
}

/** What a backend says it can take, from its discovery endpoint. */
export interface ProviderCapacity {
  /** Tasks it takes at once (the batch scheduler's starting concurrency with `--concurrency auto`). */
  readonly maxInFlight?: number;
  /** The largest context window of the engine in use, in tokens. */
  readonly ctxMax?: number;
}

/** Usage from the counts a protocol reported, or undefined when it reported no prompt count. */
export function usageOf(promptTokens: unknown, completionTokens: unknown): Usage | undefined {
  if (typeof promptTokens !== "number") return undefined;
  return { promptTokens, completionTokens: typeof completionTokens === "number" ? completionTokens : 0 };
}

export interface Provider {
  /** The provider's name as written in `llm.provider` (`openai`, `ollama`, …). */
  readonly name: string;
  complete(request: CompletionRequest): Promise<Completion>;
  /** Frees what the provider holds (an in-process model); cancels what is in flight; optional. */
  close?(): Promise<void>;
  /** Discovery, for providers that have it (llama-orch): what the backend can take. */
  capacity?(): Promise<ProviderCapacity | undefined>;
}

/** Why a provider call failed, in categories the retry policy and the error report understand. */
export type FailureKind =
  /** 401/403: the key is missing or wrong. Not retried. */
  | "auth"
  /** 429. Retried, after `Retry-After` when the server sent one. */
  | "rate-limit"
  /** 5xx. Retried. */
  | "server"
  /** Other 4xx: the request itself was refused (unknown model, bad parameter). Not retried. */
  | "request"
  /** No answer within the timeout. Retried. */
  | "timeout"
  /** The server could not be reached (refused, reset, DNS). Retried. */
  | "connection"
  /** A body that is not the protocol's shape: not JSON, truncated, fields missing. Retried. */
  | "malformed"
  /** The caller aborted. Not retried. */
  | "aborted"
  /** The provider cannot run here (a missing optional package, no model file). Not retried. */
  | "unavailable"
  /** Anything else that went wrong inside the provider or its client. Not retried. */
  | "error";

const RETRYABLE: ReadonlySet<FailureKind> = new Set([
  "rate-limit",
  "server",
  "timeout",
  "connection",
  "malformed",
]);

export class ProviderFailure extends Error {
  override readonly name = "ProviderFailure";
  readonly kind: FailureKind;
  readonly status: number | undefined;
  /** How long the server asked us to wait before the next try (`Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;
  /** The body the server sent with the failure, when there was one. */
  readonly body: unknown;
  /** The backend's own error code, where it has one (llama-orch `POOL_UNREADY`, …). */
  readonly code: string | undefined;
  /** Whether the backend said the call may be retried; overrides the kind's rule when set. */
  readonly retriable: boolean | undefined;

  constructor(
    kind: FailureKind,
    message: string,
    options: {
      status?: number;
      retryAfterMs?: number;
      body?: unknown;
      cause?: unknown;
      code?: string;
      retriable?: boolean;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.body = options.body;
    this.code = options.code;
    this.retriable = options.retriable;
  }

  get retryable(): boolean {
    return this.retriable ?? RETRYABLE.has(this.kind);
  }
}

/** The failure kind of an HTTP status that is not a success. */
export function failureKindOfStatus(status: number): FailureKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 429) return "rate-limit";
  if (status === 408) return "timeout";
  if (status >= 500) return "server";
  return "request";
}

/**
 * Reads `Retry-After` (seconds or an HTTP date) and the non-standard `retry-after-ms`, as
 * OpenAI sends it. Returns undefined when neither is present or readable.
 */
export function retryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
