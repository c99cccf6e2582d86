/**
 * The structured errors of running an `.rllm` app. Every failure — of the file, the input, the
 * model or the provider — becomes one {@link RllmError} whose {@link ErrorPayload} is what the
 * CLI prints and what a calling program (or another LLM) reads. `ERROR_CLASSES` names each class
 * once with its code (RUN), exit code and default hint; `AppErrors` is the catalogue of messages,
 * one entry per situation, each with its class and a message built from typed arguments, in the
 * shape of the compiler's `ir/diagnostic-catalogue.ts`. docs/errors.md lists every code
 * (test/architecture/codes.test.ts checks it, and that no registry reuses another's code).
 */

/** The JSON object every failure is reported as (seed: runllm §7). */
export interface ErrorPayload {
  readonly error_code: string;
  readonly error_type: ErrorType;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly expected_schema: unknown;
  readonly received_payload: unknown;
  readonly recovery_hint: string;
  readonly doc_ref: string;
}

interface ErrorClass {
  readonly code: string;
  /** The process exit code `rllmc run` ends with. */
  readonly exit: number;
  /** Said when the failure site has no better hint. */
  readonly hint: string;
}

/** Exit codes of `rllmc run` (docs/errors.md). 2 (usage) and 3 (internal) are shared with every command. */
export const RunExit = {
  Ok: 0,
  /** The app file has errors: parse, metadata, parameters, `uses`. */
  App: 1,
  Usage: 2,
  Internal: 3,
  /** The input does not fit the app: schema, context window. */
  Input: 4,
  /** The model never answered in the shape of `output_schema`. */
  Output: 5,
  /** The provider failed: unreachable, refused, rate-limited past the retries, timed out. */
  Provider: 6,
  /** A `pre`/`post` code block failed, timed out, ran out of memory or returned off-contract. */
  CodeBlock: 7,
  /** A budget stopped the run, or its bound refused to start it (`--budget-*`, docs/batch.md). */
  Budget: 8,
  /** `run --batch`: every line ran, and at least one ended in an error (each line says which). */
  LinesFailed: 9,
  /** Interrupted (Ctrl-C, SIGINT): calls in flight were cancelled. 128 + SIGINT, as shells say. */
  Interrupted: 130,
} as const;

/** Every error class, its stable code and exit code. Add a class here and in docs/errors.md. */
export const ERROR_CLASSES = {
  ParseError: {
    code: "RUN1001",
    exit: RunExit.App,
    hint: "Fix the syntax error at the reported location; `rllmc check` prints it with a code frame.",
  },
  MetadataValidationError: {
    code: "RUN1002",
    exit: RunExit.App,
    hint: "Fix the frontmatter field named in details; `rllmc check` prints every problem with its location.",
  },
  LLMParamValidationError: {
    code: "RUN1003",
    exit: RunExit.App,
    hint: "Use only the llm_params listed in docs/rllm-spec.md, with values in range.",
  },
  DependencyResolutionError: {
    code: "RUN1004",
    exit: RunExit.App,
    hint: "Check that every `uses` path exists, parses, and that the apps do not use each other in a cycle.",
  },
  UnsupportedFeatureError: {
    code: "RUN1005",
    exit: RunExit.App,
    hint: "Run the app without the feature named in the message, or use a version of rllmc that supports it.",
  },
  FileReadError: {
    code: "RUN1006",
    exit: RunExit.Usage,
    hint: "Check the path on the command line: it must name an existing, readable file.",
  },
  InputSchemaError: {
    code: "RUN2001",
    exit: RunExit.Input,
    hint: "Change the input so it matches input_schema; details.errors says where it does not.",
  },
  ContextWindowExceededError: {
    code: "RUN2002",
    exit: RunExit.Input,
    hint: "Shorten the input, lower llm_params.max_tokens, or raise max_context_window if the model allows it.",
  },
  OutputSchemaError: {
    code: "RUN3001",
    exit: RunExit.Output,
    hint: "The answer did not match output_schema; see details.errors. Retries may fix it (--max-retries).",
  },
  RetryExhaustedError: {
    code: "RUN3002",
    exit: RunExit.Output,
    hint: "Every attempt answered off-schema. Try a stronger model, a clearer prompt or recovery prompt, or more --max-retries.",
  },
  ProviderError: {
    code: "RUN4001",
    exit: RunExit.Provider,
    hint: "Check the provider, model, base URL and API key (LLM_PROVIDER, LLM_MODEL, LLM_BASE_URL, LLM_API_KEY).",
  },
  OllamaModelMissingError: {
    code: "RUN4002",
    exit: RunExit.Provider,
    hint: "Pull the model with the command in details.pull_command, or run again with --ollama-auto-pull.",
  },
  CodeBlockExecutionError: {
    code: "RUN5001",
    exit: RunExit.CodeBlock,
    hint: "Fix the code block at the location in details.block; it runs sandboxed, with only its declared inputs and outputs.",
  },
  BudgetExceededError: {
    code: "RUN6001",
    exit: RunExit.Budget,
    hint: "Raise the budget (--budget-tokens, --budget-cost, --budget-time), or run the rest later with --resume.",
  },
  InterruptedError: {
    code: "RUN6002",
    exit: RunExit.Interrupted,
    hint: "The run was interrupted; run it again (a batch with --out continues with --resume).",
  },
  InternalError: {
    code: "RUN9999",
    exit: RunExit.Internal,
    hint: "This is a bug in rllmc; please report it with the command that caused it.",
  },
} as const satisfies Record<string, ErrorClass>;

export type ErrorType = keyof typeof ERROR_CLASSES;

export interface ErrorFields {
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly expected_schema?: unknown;
  readonly received_payload?: unknown;
  readonly recovery_hint?: string;
}

export class RllmError extends Error {
  override readonly name = "RllmError";
  readonly payload: ErrorPayload;

  constructor(type: ErrorType, fields: ErrorFields) {
    super(fields.message);
    const cls = ERROR_CLASSES[type];
    this.payload = {
      error_code: cls.code,
      error_type: type,
      message: fields.message,
      details: fields.details ?? {},
      expected_schema: fields.expected_schema ?? null,
      received_payload: fields.received_payload ?? null,
      recovery_hint: fields.recovery_hint ?? cls.hint,
      doc_ref: docRef(type),
    };
  }

  get type(): ErrorType {
    return this.payload.error_type;
  }

  get exitCode(): number {
    return ERROR_CLASSES[this.payload.error_type].exit;
  }
}

/** One thing the app runtime can say: its error class, its message from typed arguments, and a hint. */
export interface AppErrorDefinition<A> {
  readonly type: ErrorType;
  readonly message: (args: A) => string;
  /** Said instead of the class's hint. */
  readonly hint?: (args: A) => string | undefined;
}

const OLLAMA_START_SERVER_HINT =
  "Start the Ollama server (`ollama serve`), or point --base-url or OLLAMA_HOST at the one you run.";

function ollamaPullHint(model: string): string {
  return `Run \`ollama pull ${model}\` yourself to see the whole error; check the model's name, the server's disk space and its network.`;
}

function m<A>(
  type: ErrorType,
  message: (args: A) => string,
  hint?: (args: A) => string | undefined,
): AppErrorDefinition<A> {
  return hint === undefined ? { type, message } : { type, message, hint };
}

/**
 * The messages of the app runtime's errors. Details, the expected schema and the received payload
 * are data, given where the error is made; an error passed on from a child app keeps its own
 * message behind the chain of apps (`compose.ts`).
 */
export const AppErrors = {
  InputMismatch: m<{ app: string; summary: string }>(
    "InputSchemaError",
    (a) => `the input does not match input_schema of '${a.app}': ${a.summary}`,
  ),
  ContextWindowExceeded: m<{ estimated: number; reserved: number; window: number }>(
    "ContextWindowExceededError",
    (a) =>
      `the prompt needs about ${a.estimated} tokens${a.reserved ? ` plus ${a.reserved} for the answer (max_tokens)` : ""}, over max_context_window ${a.window}`,
  ),
  OutputMismatch: m<{ app: string; summary: string }>(
    "OutputSchemaError",
    (a) => `the answer of '${a.app}' does not match output_schema: ${a.summary}`,
  ),
  RetriesExhausted: m<{ app: string; attempts: number; maxRetries: number; summary: string }>(
    "RetryExhaustedError",
    (a) =>
      `'${a.app}' answered off-schema ${a.attempts} times (1 call and ${a.maxRetries} ${a.maxRetries === 1 ? "retry" : "retries"}); last: ${a.summary}`,
  ),
  ProviderCallFailed: m<{
    provider: string;
    model: string;
    status: number | undefined;
    detail: string;
    tries: number;
  }>(
    "ProviderError",
    (a) =>
      `provider '${a.provider}' failed for model '${a.model}'${a.status === undefined ? "" : ` (HTTP ${a.status})`}: ${a.detail}${a.tries > 1 ? ` — ${a.tries} tries` : ""}`,
  ),
  /** A provider could not be made or reached; its own words (`ProviderFailure`). */
  ProviderFailed: m<{ detail: string }>("ProviderError", (a) => a.detail),
  OllamaModelMissing: m<{
    server: string;
    model: string;
    others: readonly string[];
    available: readonly string[];
    near: string | undefined;
    presentRecommended: readonly string[];
  }>(
    "OllamaModelMissingError",
    (a) =>
      [
        `model ${a.model} is not on the Ollama server at ${a.server}`,
        a.others.length > 0 && a.presentRecommended.length === 0
          ? `nor is any of the app's recommended_models (${a.others.join(", ")})`
          : undefined,
        a.available.length === 0 ? "it has no models" : `it has ${a.available.join(", ")}`,
        a.near === undefined ? undefined : `did you mean ${a.near}?`,
        a.presentRecommended.length > 0
          ? `the app recommends ${a.presentRecommended.join(", ")}, which the server has; run without --model or LLM_MODEL to use it`
          : undefined,
      ]
        .filter((p) => p !== undefined)
        .join("; "),
    (a) =>
      `Run \`ollama pull ${a.model}\` (with OLLAMA_HOST=${a.server} if that is not your local server), or run again with --ollama-auto-pull or RLLMC_OLLAMA_AUTO_PULL=1.`,
  ),
  OllamaNoModel: m<Record<string, never>>(
    "ProviderError",
    () => "no Ollama model is configured: set llm.model, --model or LLM_MODEL",
  ),
  OllamaNotModelList: m<{ server: string }>(
    "ProviderError",
    (a) => `the server at ${a.server} answered GET /api/tags with something that is not Ollama's model list`,
    () =>
      'Check that --base-url or OLLAMA_HOST names an Ollama server: it answers GET /api/tags with {"models": [...]}.',
  ),
  OllamaHttpStatus: m<{
    server: string;
    status: number;
    doing: string;
    said: string | undefined;
    model?: string;
  }>(
    "ProviderError",
    (a) =>
      `the Ollama server at ${a.server} answered HTTP ${a.status} when ${a.doing}${a.said ? `: ${a.said}` : ""}`,
    (a) =>
      a.model === undefined
        ? "Check that --base-url or OLLAMA_HOST names an Ollama server, and that it is healthy."
        : ollamaPullHint(a.model),
  ),
  OllamaTimedOut: m<{ server: string; doing: string; model?: string }>(
    "ProviderError",
    (a) =>
      a.model === undefined
        ? `the Ollama server at ${a.server} did not answer in time when ${a.doing}`
        : `the pull of ${a.model} from ${a.server} sent nothing for too long`,
    (a) => (a.model === undefined ? OLLAMA_START_SERVER_HINT : ollamaPullHint(a.model)),
  ),
  OllamaAborted: m<{ doing: string }>("ProviderError", (a) => `${a.doing} was aborted`),
  OllamaUnreachable: m<{ server: string; doing: string; reason: string; model?: string }>(
    "ProviderError",
    (a) =>
      a.model === undefined
        ? `cannot reach the Ollama server at ${a.server}: ${a.reason}`
        : `the connection to the Ollama server at ${a.server} broke while ${a.doing}: ${a.reason}`,
    (a) => (a.model === undefined ? OLLAMA_START_SERVER_HINT : ollamaPullHint(a.model)),
  ),
  OllamaRequestFailed: m<{ server: string; doing: string; detail: string }>(
    "ProviderError",
    (a) => `${a.doing} on ${a.server} failed: ${a.detail}`,
  ),
  OllamaPullUnfinished: m<{ server: string; model: string; lastStatus: string | undefined }>(
    "ProviderError",
    (a) =>
      `the Ollama server at ${a.server} stopped answering before the pull of ${a.model} finished${a.lastStatus === undefined ? "" : ` (last status: ${a.lastStatus})`}`,
    (a) => ollamaPullHint(a.model),
  ),
  OllamaPullRefused: m<{ model: string; error: string }>(
    "ProviderError",
    (a) => `Ollama could not pull ${a.model}: ${a.error}`,
    (a) => ollamaPullHint(a.model),
  ),
  OllamaBadProgress: m<{ server: string; model: string; line: string }>(
    "ProviderError",
    (a) => `the Ollama server at ${a.server} sent a pull progress line that is not Ollama's: ${a.line}`,
    (a) => ollamaPullHint(a.model),
  ),
  InputFileUnreadable: m<{ path: string; reason: string }>(
    "FileReadError",
    (a) => `cannot read the input file '${a.path}': ${a.reason}`,
    () => "Pass an existing JSON or YAML file with --input-file, or the input itself with --input.",
  ),
  InputFileNotJson: m<{ path: string; detail: string }>(
    "InputSchemaError",
    (a) => `the input file '${a.path}' is not valid JSON: ${a.detail}`,
  ),
  InputFileNotYaml: m<{ path: string; detail: string | undefined }>(
    "InputSchemaError",
    (a) => `the input file '${a.path}' is not valid YAML: ${a.detail}`,
  ),
  CodeBlockFailed: m<{
    phase: string;
    language: string;
    name: string;
    location: string;
    error: string;
    line: number | undefined;
  }>(
    "CodeBlockExecutionError",
    (a) =>
      `${a.phase} ${a.language} block '${a.name}' (${a.location}) failed: ${a.error}${a.line === undefined ? "" : ` (line ${a.line})`}`,
  ),
  PostBlocksOffContract: m<{ app: string; blocks: number; pointer: string; detail: string }>(
    "CodeBlockExecutionError",
    (a) =>
      `after the post block${a.blocks > 1 ? "s" : ""} of '${a.app}' ran, the output no longer matches output_schema: ${a.pointer || "(output)"} ${a.detail}`,
  ),
  BoundOverBudget: m<{ kind: "tokens" | "cost"; bound: string; budget: string }>(
    "BudgetExceededError",
    (a) => `the worst case of this run is ${a.bound}, over --budget-${a.kind} ${a.budget}: nothing was sent`,
    () =>
      "Raise the budget, lower llm_params.max_tokens or --max-retries, split the input, or give --allow-over-budget to run until the budget stops it (docs/batch.md).",
  ),
  BoundUnknown: m<{ kind: "tokens" | "cost"; reasons: readonly string[] }>(
    "BudgetExceededError",
    (a) =>
      `a ${a.kind} budget needs a bound, and this run has none: ${a.reasons.join("; ")}: nothing was sent`,
    (a) =>
      a.kind === "cost"
        ? "Give every model a price with --prices FILE (docs/batch.md), set llm_params.max_tokens on every app, or give --allow-over-budget."
        : "Set llm_params.max_tokens on every app of the composition, or give --allow-over-budget to run until the budget stops it.",
  ),
  BudgetNotRun: m<{ line?: number; kind: string; cancelled: boolean }>("BudgetExceededError", (a) =>
    a.line === undefined
      ? `the run was cancelled: the ${a.kind} budget was reached`
      : a.cancelled
        ? `line ${a.line} was cancelled while it ran: the ${a.kind} budget was reached`
        : `line ${a.line} was not run: the ${a.kind} budget was reached`,
  ),
  Interrupted: m<{ line?: number; cancelled: boolean }>("InterruptedError", (a) =>
    a.line === undefined
      ? "the run was interrupted; calls in flight were cancelled"
      : a.cancelled
        ? `line ${a.line} was cancelled while it ran: interrupted`
        : `line ${a.line} was not run: interrupted`,
  ),
  Internal: m<{ detail: string }>("InternalError", (a) => `internal error: ${a.detail}`),
} as const;

/**
 * The error an entry of {@link AppErrors} says for `args`; `fields` adds the data, and a
 * `recovery_hint` there overrides the entry's (as a catalogue hint is overridden where a better
 * one is known).
 */
export function appError<A>(
  definition: AppErrorDefinition<A>,
  args: A,
  fields: Omit<ErrorFields, "message"> = {},
): RllmError {
  const hint = fields.recovery_hint ?? definition.hint?.(args);
  return new RllmError(definition.type, {
    ...fields,
    message: definition.message(args),
    ...(hint === undefined ? {} : { recovery_hint: hint }),
  });
}

/** Where docs/errors.md explains an error class. */
export function docRef(type: ErrorType): string {
  const { code } = ERROR_CLASSES[type];
  return `docs/errors.md#${code.toLowerCase()}-${type.toLowerCase()}`;
}

/** Any thrown value as an RllmError: ours unchanged, anything else as an InternalError. */
export function asRllmError(error: unknown): RllmError {
  if (error instanceof RllmError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return appError(AppErrors.Internal, { detail: message });
}
