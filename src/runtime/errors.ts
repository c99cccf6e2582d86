/**
 * The structured errors of running an `.rllm` app. Every failure — of the file, the input, the
 * model or the provider — becomes one {@link RllmError} whose {@link ErrorPayload} is what the
 * CLI prints and what a calling program (or another LLM) reads. docs/errors.md lists every code.
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

/** Where docs/errors.md explains an error class. */
export function docRef(type: ErrorType): string {
  const { code } = ERROR_CLASSES[type];
  return `docs/errors.md#${code.toLowerCase()}-${type.toLowerCase()}`;
}

/** Any thrown value as an RllmError: ours unchanged, anything else as an InternalError. */
export function asRllmError(error: unknown): RllmError {
  if (error instanceof RllmError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RllmError("InternalError", { message: `internal error: ${message}` });
}
