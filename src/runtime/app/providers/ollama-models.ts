/**
 * Ollama model management before a run (docs/ollama.md). {@link ensureOllamaModel} asks the
 * server which models it has (`GET /api/tags`) and picks the one to run: the configured model if
 * the server has it; else, unless the user chose the model (`--model`, `LLM_MODEL`), the first of
 * the app's `recommended_models` it has. When none is there, nothing is downloaded unless asked:
 * without auto-pull the run fails with an OllamaModelMissingError (RUN4002) naming the pull
 * command; with it, the model is pulled (`POST /api/pull`) and its streamed progress is reported
 * through a callback, which {@link pullProgressPrinter} turns into stderr lines.
 *
 * This speaks Ollama's HTTP API with fetch rather than through ollama-js, which prints to stdout
 * when an error body is not JSON (stdout is where `run` prints its one JSON document) and does
 * not notice a pull stream that ends without `success`.
 */
import { closest } from "../closest.js";
import { type AppErrorDefinition, AppErrors, appError, RllmError } from "../errors.js";
import { type FailureKind, failureKindOfStatus } from "../provider.js";
import { failureFromClientError } from "./failures.js";
import { DEFAULT_OLLAMA_HOST } from "./ollama.js";

/** One line of a pull's progress, in Ollama's words, plus our own `failed` at the end of one that failed. */
export interface PullProgress {
  /** The model being pulled. */
  readonly model: string;
  /**
   * `pulling manifest`, `pulling <digest prefix>`, `verifying sha256 digest`, `writing manifest`,
   * `success` (the last line of a pull that worked) or `failed` (ours: the pull failed).
   */
  readonly status: string;
  /** The layer being downloaded. */
  readonly digest?: string;
  /** The layer's size, in bytes. */
  readonly total?: number;
  /** How much of the layer is there, in bytes. */
  readonly completed?: number;
}

export interface EnsureOllamaModelOptions {
  /** The Ollama server; {@link DEFAULT_OLLAMA_HOST} when undefined. */
  readonly host: string | undefined;
  /** The model the run is configured with (`""` when none is). */
  readonly model: string;
  /** The app's `recommended_models`, in its order. */
  readonly recommended?: readonly string[];
  /** The user chose the model (`--model`, `LLM_MODEL`): it is never replaced by a recommended one. */
  readonly explicit?: boolean;
  /** Pull a missing model instead of failing (`--ollama-auto-pull`, `RLLMC_OLLAMA_AUTO_PULL=1`). */
  readonly autoPull?: boolean;
  readonly onProgress?: (progress: PullProgress) => void;
  readonly signal?: AbortSignal;
  /** How long listing the server's models may take; default {@link LIST_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** How long a pull may go without sending a line; default {@link PULL_IDLE_TIMEOUT_MS}. */
  readonly pullIdleTimeoutMs?: number;
}

export interface EnsuredModel {
  /** The model to run, as the configuration or the app spelled it. */
  readonly model: string;
  readonly pulled: boolean;
  /** A sentence for stderr when the model to run is not the configured one. */
  readonly notice: string | undefined;
}

export const LIST_TIMEOUT_MS = 10_000;
export const PULL_IDLE_TIMEOUT_MS = 300_000;

/** Makes sure the server has a model to run, pulling it only when `autoPull` allows. */
export async function ensureOllamaModel(options: EnsureOllamaModelOptions): Promise<EnsuredModel> {
  const server = (options.host ?? DEFAULT_OLLAMA_HOST).replace(/\/+$/, "");
  const configured = options.model.trim();
  const recommended = (options.recommended ?? []).map((m) => m.trim()).filter((m) => m !== "");
  const available = await listOllamaModelNames(server, options);
  const has = (name: string) => available.some((a) => sameOllamaModel(a, name));

  if (configured !== "" && has(configured)) return { model: configured, pulled: false, notice: undefined };
  const present = recommended.filter(has);
  if (!options.explicit && present[0] !== undefined) {
    const instead = present[0];
    return {
      model: instead,
      pulled: false,
      notice:
        configured === ""
          ? `ollama: using ${instead} from the app's recommended_models`
          : `ollama: ${configured} is not on the server at ${server}; using ${instead} from the app's recommended_models`,
    };
  }
  const target = configured !== "" ? configured : recommended[0];
  if (target === undefined) throw providerError("request", AppErrors.OllamaNoModel, {}, { server });
  if (!options.autoPull)
    throw missingModel(server, target, unique([target, ...recommended]), available, present);
  await pullOllamaModel(server, target, options);
  return { model: target, pulled: true, notice: undefined };
}

/** Whether two model names mean the same model: `llama3.2` is `llama3.2:latest`, case aside. */
export function sameOllamaModel(a: string, b: string): boolean {
  return normaliseOllamaName(a) === normaliseOllamaName(b);
}

/**
 * A model name in full, as Ollama resolves it: `[host/][namespace/]model[:tag]` with the
 * defaults `registry.ollama.ai`, `library` and `latest`, lower-cased.
 */
export function normaliseOllamaName(name: string): string {
  const trimmed = name.trim().toLowerCase();
  const slash = trimmed.lastIndexOf("/");
  const colon = trimmed.lastIndexOf(":");
  const [path, tag] =
    colon > slash ? [trimmed.slice(0, colon), trimmed.slice(colon + 1)] : [trimmed, "latest"];
  const parts = path.split("/");
  const full =
    parts.length === 1
      ? ["registry.ollama.ai", "library", ...parts]
      : parts.length === 2
        ? ["registry.ollama.ai", ...parts]
        : parts;
  return `${full.join("/")}:${tag}`;
}

/** The names of the models the server has (`GET /api/tags`), sorted. */
export async function listOllamaModelNames(
  host: string,
  options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {},
): Promise<string[]> {
  const server = host.replace(/\/+$/, "");
  const timeout = AbortSignal.timeout(options.timeoutMs ?? LIST_TIMEOUT_MS);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const context: Context = { server, doing: "listing its models", timeout, caller: options.signal };
  const response = await send(context, "api/tags", { method: "GET", signal });
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw transportError(context, error);
  }
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: reported below with the text.
  }
  const models = (typeof body === "object" ? (body as { models?: unknown } | null) : null)?.models;
  const names = Array.isArray(models)
    ? models.map(
        (m) => (m as { name?: unknown; model?: unknown } | null)?.name ?? (m as { model?: unknown })?.model,
      )
    : undefined;
  if (names === undefined || !names.every((n): n is string => typeof n === "string"))
    throw providerError(
      "malformed",
      AppErrors.OllamaNotModelList,
      { server },
      { server, status: response.status, received: preview(body) },
    );
  return [...names].sort();
}

/**
 * Pulls a model (`POST /api/pull`, streamed), reporting each line through `onProgress` and a
 * last `failed` when the pull fails. Fails with a ProviderError on an HTTP error, an `error`
 * line, a line that is not JSON, no line for `pullIdleTimeoutMs`, or a stream that ends
 * without `success`.
 */
export async function pullOllamaModel(
  host: string,
  model: string,
  options: Pick<EnsureOllamaModelOptions, "onProgress" | "signal" | "pullIdleTimeoutMs"> = {},
): Promise<void> {
  const server = host.replace(/\/+$/, "");
  const idleMs = options.pullIdleTimeoutMs ?? PULL_IDLE_TIMEOUT_MS;
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new Error(`no progress for ${idleMs} ms`)), idleMs);
  };
  const signal = options.signal === undefined ? idle.signal : AbortSignal.any([options.signal, idle.signal]);
  const context: Context = {
    server,
    doing: `pulling ${model}`,
    timeout: idle.signal,
    caller: options.signal,
    model,
  };
  touch();
  try {
    const response = await send(context, "api/pull", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, stream: true }),
      signal,
    });
    let last: PullProgress | undefined;
    const onLine = (line: string) => {
      last = progressOf(context, line);
      options.onProgress?.(last);
    };
    try {
      await readLines(response, () => touch(), onLine);
    } catch (error) {
      throw error instanceof RllmError ? error : transportError(context, error);
    }
    const lastStatus = (last as PullProgress | undefined)?.status;
    if (lastStatus !== "success")
      throw providerError(
        "connection",
        AppErrors.OllamaPullUnfinished,
        { server, model, lastStatus },
        pullDetails(context, { status: response.status, last: lastStatus ?? null }),
      );
  } catch (error) {
    options.onProgress?.({ model, status: "failed" });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the environment opts in to auto-pull: `RLLMC_OLLAMA_AUTO_PULL` is `1`, `true`, `yes` or `on`. */
export function autoPullFromEnv(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes|on)$/i.test(env.RLLMC_OLLAMA_AUTO_PULL?.trim() ?? "");
}

export interface PullPrinterOptions {
  readonly write: (text: string) => void;
  /** A terminal: one line rewritten in place. Otherwise one line per status change. */
  readonly tty: boolean;
}

/**
 * A progress callback that prints a pull for people: on a terminal one line rewritten in place
 * (status, percent, MB of MB); in a log or pipe one line each time the status changes, so a
 * download of gigabytes is a handful of lines.
 */
export function pullProgressPrinter(options: PullPrinterOptions): (progress: PullProgress) => void {
  let shown: string | undefined;
  let open = false;
  return (progress) => {
    const end = progress.status === "success" || progress.status === "failed";
    if (!options.tty) {
      const key = end ? progress.status : `${progress.model} ${progress.status}`;
      if (key === shown) return;
      shown = key;
      options.write(`${describeProgress(progress, false)}\n`);
      return;
    }
    const line = describeProgress(progress, true);
    if (line === shown && !end) return;
    shown = line;
    if (end && !open && progress.status === "failed") return;
    options.write(`\r\x1b[2K${line}${end ? "\n" : ""}`);
    open = !end;
  };
}

function describeProgress(p: PullProgress, live: boolean): string {
  if (p.status === "success") return `ollama: pulled ${p.model}`;
  if (p.status === "failed") return `ollama: pulling ${p.model} failed`;
  const head = `ollama: pulling ${p.model}: ${p.status}`;
  if (p.total === undefined || p.total <= 0) return head;
  if (!live) return `${head} (${megabytes(p.total, p.total)} MB)`;
  const done = Math.min(p.completed ?? 0, p.total);
  return `${head} ${Math.floor((done / p.total) * 100)}% (${megabytes(done, p.total)} of ${megabytes(p.total, p.total)} MB)`;
}

/** Decimal megabytes, as Ollama's own CLI counts them; a decimal place for layers under 10 MB. */
function megabytes(bytes: number, scale: number): string {
  return (bytes / 1_000_000).toFixed(scale < 10_000_000 ? 1 : 0);
}

// The HTTP exchange and its failures.

interface Context {
  readonly server: string;
  /** What we were doing, for messages: `listing its models`, `pulling llama3.2`. */
  readonly doing: string;
  /** Aborted when our own time limit ran out. */
  readonly timeout: AbortSignal;
  /** The caller's signal. */
  readonly caller: AbortSignal | undefined;
  /** The model being pulled, when one is. */
  readonly model?: string;
}

async function send(context: Context, path: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${context.server}/${path}`, init);
  } catch (error) {
    throw transportError(context, error);
  }
  if (response.ok) return response;
  const said = errorMessageOf(await response.text().catch(() => ""));
  const status = response.status;
  throw providerError(
    failureKindOfStatus(status),
    AppErrors.OllamaHttpStatus,
    { server: context.server, status, doing: context.doing, said, model: context.model },
    context.model === undefined
      ? { server: context.server, status, error: said ?? null }
      : pullDetails(context, { status, error: said ?? null }),
  );
}

/** Reads a body of newline-separated JSON, line by line, calling `onChunk` for every chunk. */
async function readLines(response: Response, onChunk: () => void, onLine: (line: string) => void) {
  if (response.body === null) return;
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of response.body) {
    onChunk();
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== "") onLine(line);
      newline = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  if (pending.trim() !== "") onLine(pending.trim());
}

function progressOf(context: Context, line: string): PullProgress {
  const model = context.model ?? "";
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  const fields = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof fields.error === "string")
    throw providerError(
      "request",
      AppErrors.OllamaPullRefused,
      { model, error: fields.error },
      pullDetails(context, { status: null, error: fields.error }),
    );
  if (typeof fields.status !== "string")
    throw providerError(
      "malformed",
      AppErrors.OllamaBadProgress,
      { server: context.server, model, line: preview(line) },
      pullDetails(context, { status: null, received: preview(line) }),
    );
  return {
    model,
    status: fields.status,
    ...(typeof fields.digest === "string" ? { digest: fields.digest } : {}),
    ...(typeof fields.total === "number" ? { total: fields.total } : {}),
    ...(typeof fields.completed === "number" ? { completed: fields.completed } : {}),
  };
}

function transportError(context: Context, error: unknown): RllmError {
  const details = (extra: Record<string, unknown>) =>
    context.model === undefined ? { server: context.server, ...extra } : pullDetails(context, extra);
  if (context.timeout.aborted)
    return providerError(
      "timeout",
      AppErrors.OllamaTimedOut,
      { server: context.server, doing: context.doing, model: context.model },
      details({ status: null }),
    );
  if (context.caller?.aborted)
    return providerError(
      "aborted",
      AppErrors.OllamaAborted,
      { doing: context.doing },
      details({ status: null }),
    );
  const failure = failureFromClientError(error, "ollama");
  if (failure.kind === "connection" || failure.kind === "malformed") {
    const reason = failure.message.replace(
      /^(cannot reach ollama|ollama sent a response that could not be read): /,
      "",
    );
    return providerError(
      "connection",
      AppErrors.OllamaUnreachable,
      { server: context.server, doing: context.doing, reason, model: context.model },
      details({ status: null }),
    );
  }
  return providerError(
    failure.kind,
    AppErrors.OllamaRequestFailed,
    { server: context.server, doing: context.doing, detail: failure.message },
    details({
      status: failure.status ?? null,
    }),
  );
}

function missingModel(
  server: string,
  model: string,
  lookedFor: readonly string[],
  available: readonly string[],
  presentRecommended: readonly string[],
): RllmError {
  const said = {
    server,
    model,
    others: lookedFor.slice(1),
    available,
    near: closest(model, available),
    presentRecommended,
  };
  return appError(AppErrors.OllamaModelMissing, said, {
    details: {
      server,
      model,
      looked_for: lookedFor,
      available,
      recommended_available: presentRecommended,
      pull_command: `ollama pull ${model}`,
      auto_pull: false,
    },
  });
}

function providerError<A>(
  failure: FailureKind,
  definition: AppErrorDefinition<A>,
  args: A,
  details: Readonly<Record<string, unknown>>,
): RllmError {
  return appError(definition, args, { details: { failure, status: null, ...details } });
}

function pullDetails(context: Context, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    server: context.server,
    model: context.model,
    pull_command: `ollama pull ${context.model}`,
    ...extra,
  };
}

/** Ollama's error bodies are `{"error": "..."}`; anything else is shown as text. */
function errorMessageOf(text: string): string | undefined {
  try {
    const value = JSON.parse(text) as { error?: unknown };
    if (typeof value?.error === "string") return value.error;
  } catch {
    // Not JSON: the text itself.
  }
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line === "" ? undefined : preview(line);
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function unique(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = normaliseOllamaName(name);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
