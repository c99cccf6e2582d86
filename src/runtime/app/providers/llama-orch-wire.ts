/**
 * The wire side of the llama-orch provider (llama-orch.ts): the shapes of the OrchQueue v1 data
 * plane and the v2 meta API as its contracts define them (docs/providers.md#llama-orch), the prompt
 * template messages are rendered with, how an error answer becomes a {@link ProviderFailure} (the
 * backend's code, whether it is retried, how long to wait), and a line-level shim that lets a
 * standard SSE parser read the Pact's framing (a blank line between `event:` and `data:`).
 */
import type { Message } from "../provider.js";
import { failureKindOfStatus, ProviderFailure } from "../provider.js";

/** `POST /v1/tasks`. Required fields first; the optional ones are left out when rllmc has no value. */
export interface TaskRequest {
  readonly task_id: string;
  readonly session_id: string;
  readonly workload: "completion";
  readonly model_ref: string;
  readonly engine: string;
  readonly ctx: number;
  readonly priority: "interactive" | "batch";
  readonly max_tokens: number;
  readonly deadline_ms: number;
  readonly prompt: string;
  readonly seed?: number;
  readonly determinism?: "strict" | "best_effort";
  readonly sampler_profile_version?: string;
  readonly expected_tokens?: number;
  readonly kv_hint?: "reuse" | "cold";
}

export interface AdmissionResponse {
  readonly task_id: string;
  readonly queue_position: number;
  readonly predicted_start_ms: number;
  readonly backoff_ms: number;
}

/** One engine of `GET /v2/meta/capabilities` (or `/v1/capabilities`). */
export interface EngineCapability {
  readonly engine: string;
  readonly ctx_max?: number;
  readonly supported_workloads?: readonly string[];
  readonly features?: Readonly<Record<string, unknown>>;
  readonly rate_limits?: Readonly<Record<string, unknown>>;
}

export interface Capabilities {
  readonly api_version: string;
  readonly engines: readonly EngineCapability[];
  /** Which route answered. */
  readonly source: "/v2/meta/capabilities" | "/v1/capabilities";
}

/**
 * The prompt template (docs/providers.md#llama-orch): each message as a line `<|role|>` (`system`,
 * `user`, `assistant`) followed by its content and a newline, then `<|assistant|>` and a newline
 * for the answer to follow. llama-orch takes no message array, so the roles are marked in text.
 */
export function renderPrompt(messages: readonly Message[]): string {
  return `${messages.map((m) => `<|${m.role}|>\n${m.content}\n`).join("")}<|assistant|>\n`;
}

/**
 * Whether each backend code is retried when the envelope has no `retriable` (docs/errors.md):
 * backpressure, a pool not ready and worker-side failures are; invalid parameters, an internal
 * error, a deadline that cannot be met, a deprecated model and an untrusted artifact are not.
 */
export const RETRIABLE_BY_DEFAULT: Readonly<Record<string, boolean>> = {
  ADMISSION_REJECT: true,
  QUEUE_FULL_DROP_LRU: true,
  POOL_UNREADY: true,
  POOL_UNAVAILABLE: true,
  REPLICA_EXHAUSTED: true,
  DECODE_TIMEOUT: true,
  WORKER_RESET: true,
  INTERNAL: false,
  INVALID_PARAMS: false,
  DEADLINE_UNMET: false,
  MODEL_DEPRECATED: false,
  UNTRUSTED_ARTIFACT: false,
};

/** A header bag (fetch's `Headers`). */
export interface HeaderBag {
  get(name: string): string | null;
}

/**
 * How long a 429 asks us to wait: `X-Backoff-Ms`, else `Retry-After` (seconds or an HTTP date),
 * else the envelope's `retry_after_ms`. Undefined when none is there or readable.
 */
export function backoffOf(
  headers: HeaderBag | undefined,
  body: unknown,
  now = Date.now(),
): number | undefined {
  const ms = headers?.get("x-backoff-ms")?.trim();
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const after = headers?.get("retry-after")?.trim();
  if (after !== undefined && after !== "") {
    if (/^\d+(\.\d+)?$/.test(after)) return Math.ceil(Number(after) * 1000);
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const fromBody = envelopeOf(body)?.retry_after_ms;
  return typeof fromBody === "number" && fromBody >= 0 ? Math.ceil(fromBody) : undefined;
}

export interface ErrorEnvelope {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly engine?: unknown;
  readonly retriable?: unknown;
  readonly retry_after_ms?: unknown;
  readonly policy_label?: unknown;
}

export function envelopeOf(body: unknown): ErrorEnvelope | undefined {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as ErrorEnvelope)
    : undefined;
}

/**
 * The failure of an error answer (`doing` says what was asked, e.g. `admission`): the kind from
 * the status, the backend's `code`, retried when the envelope says `retriable`, else per
 * {@link RETRIABLE_BY_DEFAULT}, else per the status; a 429's wait per {@link backoffOf}; the
 * `policy_label` in the message.
 */
export function failureOfAnswer(
  status: number,
  headers: HeaderBag | undefined,
  body: unknown,
  doing: string,
): ProviderFailure {
  const envelope = envelopeOf(body);
  const code = typeof envelope?.code === "string" ? envelope.code : undefined;
  const said = typeof envelope?.message === "string" ? printable(envelope.message) : undefined;
  const policy = typeof envelope?.policy_label === "string" ? printable(envelope.policy_label) : undefined;
  const retriable =
    typeof envelope?.retriable === "boolean"
      ? envelope.retriable
      : code !== undefined
        ? RETRIABLE_BY_DEFAULT[code]
        : undefined;
  const wait = status === 429 || status === 503 ? backoffOf(headers, body) : undefined;
  const parts = [
    `llama-orch answered HTTP ${status} to the ${doing}`,
    code === undefined ? "" : ` ${printable(code)}`,
    said === undefined ? "" : `: ${said.slice(0, 300)}`,
    policy === undefined ? "" : ` (policy ${policy})`,
  ];
  return new ProviderFailure(failureKindOfStatus(status), parts.join(""), {
    status,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
    ...(body === undefined ? {} : { body }),
    ...(code === undefined ? {} : { code }),
    ...(retriable === undefined ? {} : { retriable }),
  });
}

/** The failure of an `error` event in a task's stream: like an answer's, without a status. */
export function failureOfErrorEvent(data: unknown): ProviderFailure {
  const envelope = envelopeOf(data);
  const code = typeof envelope?.code === "string" ? envelope.code : "INTERNAL";
  const said = typeof envelope?.message === "string" ? printable(envelope.message) : "no message";
  const retriable =
    typeof envelope?.retriable === "boolean" ? envelope.retriable : RETRIABLE_BY_DEFAULT[code];
  return new ProviderFailure(
    "server",
    `llama-orch reported ${printable(code)} during the task: ${said.slice(0, 300)}`,
    {
      body: data,
      code,
      retriable: retriable ?? false,
    },
  );
}

/**
 * A server's text as it goes into a message: its line breaks and terminal escapes shown escaped,
 * so that what it says cannot forge lines or rewrite the screen where the message is printed.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** The longest line of a task's stream, in characters (a token's `data:` line): 64 Mi. */
export const SSE_MAX_LINE = 64 * 1024 * 1024;

/**
 * Feeds an SSE parser lines in which a blank line right after an `event:` line is dropped when a
 * `data:` line follows it — the Pact's framing, which a standard parser reads as an event with no
 * data (ignored) followed by a data-only `message` event. Everything else passes as is.
 */
export function pactFramingShim(
  feed: (text: string) => void,
  maxLine = SSE_MAX_LINE,
): { push(chunk: string): void; end(): void } {
  let afterEvent = false;
  let heldBlank: string | undefined;
  const line = (text: string, eol: string) => {
    if (heldBlank !== undefined) {
      const held = heldBlank;
      heldBlank = undefined;
      if (!text.startsWith("data:")) feed(held);
    } else if (afterEvent && text === "") {
      heldBlank = eol;
      afterEvent = false;
      return;
    }
    afterEvent = text.startsWith("event:");
    feed(text + eol);
  };
  // The line being read, in pieces (none holds a line end): a long line that arrives in many
  // chunks costs its length, not its length squared. `cr`: the last chunk ended with a '\r',
  // which may be the first half of a '\r\n'.
  let pieces: string[] = [];
  let held = 0;
  let cr = false;
  const flush = (eol: string) => {
    const text = pieces.join("");
    pieces = [];
    held = 0;
    line(text, eol);
  };
  const hold = (piece: string) => {
    held += piece.length;
    // A line that never ends would hold the whole stream in memory until the deadline.
    if (held > maxLine)
      throw new ProviderFailure(
        "malformed",
        `llama-orch sent a stream line longer than ${maxLine} characters`,
      );
    pieces.push(piece);
  };
  return {
    push(chunk) {
      if (chunk === "") return;
      let start = 0;
      if (cr) {
        cr = false;
        if (chunk.startsWith("\n")) {
          flush("\r\n");
          start = 1;
        } else flush("\r");
      }
      const pattern = /\r\n|\r|\n/g;
      pattern.lastIndex = start;
      for (let m = pattern.exec(chunk); m !== null; m = pattern.exec(chunk)) {
        hold(chunk.slice(start, m.index));
        start = m.index + m[0].length;
        if (m[0] === "\r" && m.index === chunk.length - 1) {
          cr = true;
          break;
        }
        flush(m[0]);
      }
      if (start < chunk.length) hold(chunk.slice(start));
    },
    end() {
      if (heldBlank !== undefined) feed(heldBlank);
      heldBlank = undefined;
      const rest = pieces.join("") + (cr ? "\r" : "");
      pieces = [];
      held = 0;
      cr = false;
      if (rest !== "") feed(rest);
    },
  };
}

/** The first positive integer among `fields` of `objects`, in order. */
export function firstPositive(
  objects: readonly (Readonly<Record<string, unknown>> | undefined)[],
  fields: readonly string[],
): number | undefined {
  for (const object of objects)
    for (const field of fields) {
      const value = object?.[field];
      if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
    }
  return undefined;
}

/** A URL without its user and password, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(an invalid URL)";
  }
}
