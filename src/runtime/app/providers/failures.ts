/**
 * Turns what the HTTP client libraries throw into {@link ProviderFailure}s. The OpenAI and
 * Anthropic SDKs share one error design (`APIError` with `status`, `headers` and the parsed
 * error body; `APIConnectionError`, `APIConnectionTimeoutError`, `APIUserAbortError`); ollama-js
 * throws `ResponseError` with `status_code`. Anything else that escapes a client while reading a
 * response — a body that is not JSON, a truncated one — is a malformed response.
 */
import { failureKindOfStatus, ProviderFailure, retryAfterMs } from "../provider.js";

interface HttpLikeError {
  readonly status?: unknown;
  readonly status_code?: unknown;
  readonly headers?: unknown;
  readonly error?: unknown;
  readonly message?: unknown;
  readonly name?: unknown;
}

export function failureFromClientError(error: unknown, provider: string): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as HttpLikeError;
  // The OpenAI SDK's error classes keep the inherited `name` "Error"; their class name tells them apart.
  const name = typeof e.name === "string" && e.name !== "Error" ? e.name : error?.constructor?.name;
  const message = typeof e.message === "string" ? e.message : String(error);
  const status =
    typeof e.status === "number" ? e.status : typeof e.status_code === "number" ? e.status_code : undefined;
  if (status !== undefined) {
    const headers = isHeaders(e.headers) ? e.headers : undefined;
    const wait = retryAfterMs(headers);
    return new ProviderFailure(
      failureKindOfStatus(status),
      `${provider} answered HTTP ${status}: ${firstLine(message)}`,
      {
        status,
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
        ...(e.error === undefined ? {} : { body: e.error }),
        cause: error,
      },
    );
  }
  if (name === "APIUserAbortError" || name === "AbortError")
    return new ProviderFailure("aborted", "the call was aborted", { cause: error });
  if (name === "APIConnectionTimeoutError")
    return new ProviderFailure("timeout", `${provider} did not answer in time`, { cause: error });
  if (name === "APIConnectionError" || isNetworkError(error))
    return new ProviderFailure("connection", `cannot reach ${provider}: ${connectionReason(error)}`, {
      cause: error,
    });
  // A body that is not JSON, or one cut off mid-transfer ("terminated"), is the server's fault
  // and worth another try; anything else is not a transport problem and is not retried.
  if (error instanceof SyntaxError || /JSON|terminated|Unexpected end|premature close/i.test(message))
    return new ProviderFailure(
      "malformed",
      `${provider} sent a response that could not be read: ${firstLine(message)}`,
      {
        cause: error,
      },
    );
  return new ProviderFailure("error", `${provider} failed: ${firstLine(message)}`, { cause: error });
}

function isHeaders(value: unknown): value is { get(name: string): string | null } {
  return (
    typeof value === "object" && value !== null && typeof (value as { get?: unknown }).get === "function"
  );
}

/** fetch() rejects with a TypeError whose cause carries the system error code. */
function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && /fetch failed|network|socket/i.test(error.message);
}

function connectionReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return `${code} (${firstLine(current.message)})`;
    current = current.cause;
  }
  return error instanceof Error ? firstLine(error.message) : String(error);
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
