/**
 * The `.rllm` run lifecycle, after the compiler has loaded and checked the app:
 *
 *   validate input → pre hook → render prompt → enforce max_context_window → call the model →
 *   extract JSON leniently → validate against output_schema → on failure re-ask with the
 *   recovery prompt, up to max_retries → post hook → emit (→ finish hook).
 *
 * A retry sends the original prompt and one recovery message that names the failing locations
 * (JSON pointers) and the values found there — never the history of earlier attempts — so the
 * context of a retry does not grow with the number of retries. Every attempt is kept for the
 * result and for the error report.
 *
 * Hooks are where later features plug in without touching this loop: `pre`/`post` code blocks
 * and composition transform the input and output; stats observe the finished run.
 */
import { estimateMessageTokens } from "../../lang/llm/estimate-tokens.js";
import { type PreparedApp, type SchemaViolation, valueAtPointer } from "./app.js";
import {
  CallFailed,
  type CallOptions,
  callWithRetries,
  DEFAULT_RETRY_POLICY,
  type FailedTry,
  type RetryPolicy,
} from "./call.js";
import { AppErrors, appError, RllmError } from "./errors.js";
import { extractJson } from "./extract-json.js";
import type { CompletionMeta, Message, Provider, SamplingParams, Usage } from "./provider.js";
import { MAX_VALUE_DEPTH, nestedDeeperThan } from "./value-depth.js";

export const DEFAULT_MAX_RETRIES = 2;

/** Longest preview of a failing value or of an answer kept in reports and recovery prompts. */
const PREVIEW_CHARS = 300;
/** Most violations a recovery prompt lists. */
const MAX_LISTED_ERRORS = 20;

export interface RunHooks {
  /** Before the prompt is rendered, with the validated input; returns the input to render with. */
  readonly pre?: (input: unknown) => unknown | Promise<unknown>;
  /** After the output validated; returns the output to emit. */
  readonly post?: (output: unknown) => unknown | Promise<unknown>;
  /** After each attempt, successful or not. */
  readonly onAttempt?: (attempt: Attempt) => void;
  /** Once, at the end, with the result or the error. */
  readonly onFinish?: (outcome: { result?: RunResult; error?: RllmError }) => void | Promise<void>;
}

export interface RunOptions {
  readonly provider: Provider;
  /** Overrides `llm.model`. */
  readonly model?: string;
  readonly maxRetries?: number;
  /** Transport retries and per-call timeout; `llm_params.timeout_ms` overrides its timeout. */
  readonly retryPolicy?: Partial<RetryPolicy>;
  readonly signal?: AbortSignal;
  readonly hooks?: RunHooks;
  /** For tests: how to wait between transport retries. */
  readonly sleep?: CallOptions["sleep"];
  /**
   * Applied to text before it is cut into a preview for a report, so that a secret straddling
   * the cut is still recognised (the CLI passes its redactor; the whole payload is redacted again
   * when printed).
   */
  readonly redact?: Redact;
}

export type Redact = (text: string) => string;
const asIs: Redact = (text) => text;

/** What one call to the model was, and what came of it. */
export interface Attempt {
  /** 1 for the first call, 2 for the first retry, … */
  readonly number: number;
  readonly kind: "initial" | "recovery";
  readonly provider: string;
  readonly model: string;
  readonly params: SamplingParams;
  readonly seed: number | undefined;
  readonly estimatedPromptTokens: number;
  readonly messages: readonly Message[];
  /** The answer's text; undefined when the call itself failed. */
  readonly text: string | undefined;
  readonly usage: Usage | undefined;
  readonly finishReason: string | undefined;
  /** What a scheduling backend reported about the call (llama-orch: task id, queue, decode time). */
  readonly meta?: CompletionMeta;
  readonly durationMs: number;
  readonly failedTries: readonly FailedTry[];
  /** Lenient-parsing repairs that were needed (`removed a code fence`, …). */
  readonly repairs: readonly string[];
  /** Why the answer was rejected: not JSON, or schema violations. Empty when it was accepted. */
  readonly errors: readonly SchemaViolation[];
}

export interface RunResult {
  readonly output: unknown;
  readonly attempts: readonly Attempt[];
  readonly usage: Usage;
  readonly durationMs: number;
}

export async function execute(app: PreparedApp, input: unknown, options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  try {
    const result = await run(app, input, options, started);
    await options.hooks?.onFinish?.({ result });
    return result;
  } catch (error) {
    if (error instanceof RllmError) await options.hooks?.onFinish?.({ error });
    throw error;
  }
}

export interface Preflight {
  /** The input after validation, with the schema's defaults filled in. */
  readonly input: unknown;
  readonly messages: readonly Message[];
  readonly estimatedPromptTokens: number;
  readonly reservedTokens: number;
}

/**
 * Everything before the first call: validate the input, render the prompt, enforce the context
 * window. `rllmc validate --input` stops here; a run goes on to the model.
 */
export async function preflight(
  app: PreparedApp,
  rawInput: unknown,
  hooks?: RunHooks,
  redact: Redact = asIs,
): Promise<Preflight> {
  const { definition } = app;
  const checked = app.validateInput(rawInput);
  if (checked.errors.length > 0)
    throw appError(
      AppErrors.InputMismatch,
      { app: definition.name, summary: summarise(checked.errors) },
      {
        details: { errors: withFound(checked.errors, rawInput, redact) },
        expected_schema: definition.inputSchema,
        received_payload: bounded(rawInput, redact),
      },
    );
  const input = hooks?.pre ? await hooks.pre(checked.value) : checked.value;
  const messages: Message[] = [{ role: "user", content: app.renderPrompt(input) }];
  const reservedTokens = definition.llmParams.max_tokens ?? 0;
  return {
    input,
    messages,
    estimatedPromptTokens: enforceContextWindow(app, messages, reservedTokens),
    reservedTokens,
  };
}

async function run(
  app: PreparedApp,
  rawInput: unknown,
  options: RunOptions,
  started: number,
): Promise<RunResult> {
  const { definition } = app;
  const redact = options.redact ?? asIs;
  const { input, messages: firstMessages } = await preflight(app, rawInput, options.hooks, redact);
  const { timeout_ms, ...params } = definition.llmParams;
  const model = options.model ?? definition.llm.model;
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    ...(timeout_ms === undefined ? {} : { timeoutMs: timeout_ms }),
    ...options.retryPolicy,
  };
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;

  const attempts: Attempt[] = [];
  let messages = firstMessages;
  for (let number = 1; ; number++) {
    let estimatedPromptTokens: number;
    try {
      estimatedPromptTokens = enforceContextWindow(app, messages, params.max_tokens ?? 0);
    } catch (error) {
      // The first prompt fitted (preflight); a recovery prompt that does not is the end of the
      // retries, reported with the attempts that were made.
      if (!(error instanceof RllmError) || attempts.length === 0) throw error;
      throw outputError(app, attempts, number - 2, redact, { recovery_not_sent: error.payload.details });
    }
    const base = {
      number,
      kind: number === 1 ? ("initial" as const) : ("recovery" as const),
      provider: options.provider.name,
      model,
      params,
      seed: params.seed,
      estimatedPromptTokens,
      messages,
    };
    let outcome: Awaited<ReturnType<typeof callWithRetries>>;
    try {
      outcome = await callWithRetries(
        options.provider,
        {
          model,
          messages,
          schema: definition.outputSchema,
          schemaName: schemaName(definition.name),
          params,
          contextWindow: definition.maxContextWindow,
        },
        {
          policy,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.sleep ? { sleep: options.sleep } : {}),
        },
      );
    } catch (error) {
      if (!(error instanceof CallFailed)) throw error;
      throw providerError(error, attempts, base, redact);
    }
    const { completion } = outcome;
    const extraction = extractJson(completion.text);
    const value = extraction.ok ? app.validateOutput(extraction.value) : undefined;
    const errors: SchemaViolation[] = extraction.ok
      ? withFound(value!.errors, extraction.value, redact)
      : [{ pointer: "", message: extraction.reason, keyword: "json", schemaPath: "" }];
    const attempt: Attempt = {
      ...base,
      text: completion.text,
      usage: completion.usage,
      finishReason: completion.finishReason,
      ...(completion.meta === undefined ? {} : { meta: completion.meta }),
      durationMs: outcome.durationMs,
      failedTries: outcome.failedTries,
      repairs: extraction.ok ? extraction.repairs : [],
      errors,
    };
    attempts.push(attempt);
    options.hooks?.onAttempt?.(attempt);

    if (errors.length === 0) {
      const output = options.hooks?.post ? await options.hooks.post(value!.value) : value!.value;
      return { output, attempts, usage: totalUsage(attempts), durationMs: performance.now() - started };
    }
    if (number > maxRetries) throw outputError(app, attempts, maxRetries, redact);
    const response = extraction.ok ? extraction.value : preview(completion.text);
    const recovery = app.renderRecovery(input, {
      errors: errors.slice(0, MAX_LISTED_ERRORS),
      response,
      output_schema: definition.outputSchema,
    });
    messages = [...firstMessages, { role: "user" as const, content: recovery }];
  }
}

/** Throws ContextWindowExceededError when the messages plus the answer's budget cannot fit. */
function enforceContextWindow(app: PreparedApp, messages: readonly Message[], reserved: number): number {
  const estimated = estimateMessageTokens(messages);
  const window = app.definition.maxContextWindow;
  if (estimated + reserved > window)
    throw appError(
      AppErrors.ContextWindowExceeded,
      { estimated, reserved, window },
      {
        details: {
          estimated_prompt_tokens: estimated,
          reserved_completion_tokens: reserved,
          max_context_window: window,
          over_by: estimated + reserved - window,
          estimator: "conservative: 3 ASCII characters or 1 other character per token, 4 per message",
          attempt: messages.length > 1 ? "recovery" : "initial",
        },
      },
    );
  return estimated;
}

function outputError(
  app: PreparedApp,
  attempts: readonly Attempt[],
  maxRetries: number,
  redact: Redact,
  extra: Readonly<Record<string, unknown>> = {},
): RllmError {
  const last = attempts.at(-1)!;
  const lastValue = extractJson(last.text ?? "");
  const received = lastValue.ok ? bounded(lastValue.value, redact) : preview(redact(last.text ?? ""));
  const report = attempts.map((a) => ({
    attempt: a.number,
    kind: a.kind,
    model: a.model,
    seed: a.seed ?? null,
    finish_reason: a.finishReason ?? null,
    answer_preview: preview(redact(a.text ?? "")),
    errors: a.errors,
    ...(a.repairs.length > 0 ? { repairs: a.repairs } : {}),
  }));
  const cutOff = attempts.some((a) => a.finishReason === "length" || a.finishReason === "max_tokens");
  const hint = cutOff
    ? "An answer stopped at the token limit (finish_reason length): raise llm_params.max_tokens, or ask for a shorter answer."
    : extra.recovery_not_sent
      ? "The recovery prompt does not fit in max_context_window: raise it, lower max_tokens, or write a shorter :::recovery prompt."
      : undefined;
  const name = app.definition.name;
  if (maxRetries === 0)
    return appError(
      AppErrors.OutputMismatch,
      { app: name, summary: summarise(last.errors) },
      {
        details: { errors: last.errors, attempts: report, ...extra },
        expected_schema: app.definition.outputSchema,
        received_payload: received,
        ...(hint ? { recovery_hint: hint } : {}),
      },
    );
  return appError(
    AppErrors.RetriesExhausted,
    { app: name, attempts: attempts.length, maxRetries, summary: summarise(last.errors) },
    {
      details: { max_retries: maxRetries, attempts: report, ...extra },
      expected_schema: app.definition.outputSchema,
      received_payload: received,
      ...(hint ? { recovery_hint: hint } : {}),
    },
  );
}

function providerError(
  failure: CallFailed,
  attempts: readonly Attempt[],
  call: { provider: string; model: string; params: SamplingParams; number: number },
  redact: Redact,
): RllmError {
  const { last } = failure;
  const said = {
    provider: call.provider,
    model: call.model,
    status: last.status,
    detail: last.message,
    tries: failure.failedTries.length,
  };
  return appError(AppErrors.ProviderCallFailed, said, {
    details: {
      failure: last.kind,
      status: last.status ?? null,
      ...(last.code === undefined ? {} : { code: last.code, retriable: last.retryable }),
      provider: call.provider,
      model: call.model,
      params: call.params,
      attempt: call.number,
      tries: failure.failedTries,
      earlier_attempts: attempts.length,
      ...(last.body === undefined
        ? {}
        : { body: typeof last.body === "string" ? preview(redact(last.body)) : last.body }),
    },
    recovery_hint: last.kind === "connection" ? connectionHint(call.provider) : PROVIDER_HINTS[last.kind],
  });
}

/** Where the provider's address comes from, so the hint names only what applies. */
function connectionHint(provider: string): string {
  switch (provider) {
    case "ollama":
      return "The Ollama server could not be reached: start it (`ollama serve`), or point --base-url or OLLAMA_HOST at the one you run.";
    case "openai":
    case "anthropic":
      return `The ${provider} API could not be reached: check the network (and a proxy), or --base-url / LLM_BASE_URL if you use a gateway.`;
    case "openai-compatible":
      return "The server could not be reached: check --base-url / LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1) and that the server runs.";
    default:
      return PROVIDER_HINTS.connection!;
  }
}

const PROVIDER_HINTS: Readonly<Record<string, string>> = {
  auth: "The provider refused the credentials: set LLM_API_KEY (or the provider's own variable, e.g. OPENAI_API_KEY).",
  "rate-limit": "The provider kept rate-limiting the call; wait and run again, or lower the request rate.",
  server: "The provider kept failing with server errors; try again later or use another provider.",
  request: "The provider refused the request: check the model name and llm_params for this provider.",
  timeout: "No answer in time: raise llm_params.timeout_ms, or use a faster model.",
  connection:
    "The provider could not be reached: check --base-url / LLM_BASE_URL / OLLAMA_HOST and that the server runs.",
  malformed:
    "The provider answered with a body that is not its protocol; check --base-url points at the right kind of server.",
  aborted: "The run was aborted.",
  unavailable: "The provider cannot run here; the message says what is missing.",
  error: "The provider failed in an unexpected way; the message says how. It was not retried.",
};

/** Adds a `found` preview of the offending value to each violation. */
function withFound(errors: readonly SchemaViolation[], root: unknown, redact: Redact): SchemaViolation[] {
  return errors.map((error) => {
    const found = valueAtPointer(root, error.pointer);
    if (found === undefined) return error;
    if (nestedDeeperThan(found)) return { ...error, found: TOO_DEEP };
    return { ...error, found: preview(redact(JSON.stringify(found))) };
  });
}

function summarise(errors: readonly SchemaViolation[]): string {
  const first = errors[0];
  if (first === undefined) return "no details";
  const where = first.pointer === "" ? "" : `${first.pointer} `;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return `${where}${first.message}${more}`;
}

/** What a report shows of a value too deeply nested to print (value-depth.ts). */
const TOO_DEEP = `(a value nested more than ${MAX_VALUE_DEPTH} levels deep; not shown)`;

/** Most characters of a value echoed whole in a report; a larger one is shown as a preview. */
const MAX_ECHOED_CHARS = 65_536;

/** The value itself when small, else a preview of its JSON: a 30 MB input is not printed back. */
function bounded(value: unknown, redact: Redact): unknown {
  if (nestedDeeperThan(value)) return TOO_DEEP;
  const json = JSON.stringify(value) ?? "null";
  return json.length <= MAX_ECHOED_CHARS ? value : preview(redact(json));
}

function preview(text: string): string {
  return text.length <= PREVIEW_CHARS ? text : `${text.slice(0, PREVIEW_CHARS)}… (${text.length} characters)`;
}

function totalUsage(attempts: readonly Attempt[]): Usage {
  let promptTokens = 0;
  let completionTokens = 0;
  for (const attempt of attempts) {
    promptTokens += attempt.usage?.promptTokens ?? 0;
    completionTokens += attempt.usage?.completionTokens ?? 0;
  }
  return { promptTokens, completionTokens };
}

function schemaName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "output";
}
