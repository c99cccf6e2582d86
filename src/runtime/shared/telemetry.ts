/**
 * Spans of the OpenTelemetry tracer named `rllmc` (issue 20, docs/observability.md): the CLI's
 * command span, the compile passes (through the pipelines' observer hook, filled by the driver),
 * every LLM call (the provider wrapper, `app/observe-provider.ts`) and every runbook step.
 *
 * A plain run pays nothing: `@opentelemetry/api` is not even imported until tracing is turned on
 * ({@link enableTracing}: the CLI does it for `--otel` or `OTEL_EXPORTER_OTLP_ENDPOINT`, after
 * registering the SDK; a program using `rllmc/runtime` gets it when its own OpenTelemetry SDK is
 * registered before it creates an app, see {@link enableTracingIfRegistered}). Until then
 * {@link inSpan} just calls its function.
 *
 * What goes into a span is chosen by the caller from a closed set of facts: ids, names, counts,
 * statuses, codes — never prompts, answers, command output, URLs or error messages (which may
 * quote any of them), so no secret can reach a collector.
 */
import type * as OtelApi from "@opentelemetry/api";

type Api = typeof OtelApi;

/** The tracer's name (the instrumentation scope of every span rllmc makes). */
export const TRACER_NAME = "rllmc";

export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** What a function running inside a span may do to it. */
export interface SpanHandle {
  /** Adds facts learnt while running (undefined values are left out). */
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed with a short code (`error.type`); no message, which could quote input. */
  fail(code: string): void;
}

export interface SpanOptions {
  /** `client` for a call to another service (an LLM provider); `internal` otherwise. */
  readonly kind?: "internal" | "client";
}

let api: Api | undefined;
let version = "";

const NO_SPAN: SpanHandle = { setAttributes() {}, fail() {} };

/**
 * Loads the OpenTelemetry API, so that {@link inSpan} makes spans through whatever tracer
 * provider is registered globally. `rllmcVersion` becomes the tracer's version.
 */
export async function enableTracing(rllmcVersion = ""): Promise<void> {
  api ??= await import("@opentelemetry/api");
  version = rllmcVersion;
}

/**
 * Turns tracing on when something in this process registered an OpenTelemetry API global (a
 * program that embeds `rllmc/runtime` and set up its own SDK). Reads one global symbol; imports
 * nothing when there is none.
 */
export async function enableTracingIfRegistered(): Promise<void> {
  if (api !== undefined) return;
  // The API keeps its registrations under this symbol (api/src/internal/global-utils.ts).
  const global = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[
    Symbol.for("opentelemetry.js.api.1")
  ];
  if (global?.trace !== undefined) await enableTracing();
}

/** Whether spans are being made (tracing was turned on). */
export function tracingEnabled(): boolean {
  return api !== undefined;
}

/** Turns tracing off again (tests). */
export function disableTracing(): void {
  api = undefined;
}

/**
 * Runs `run` inside a span named `name`, the current span's child; ends it when `run` returns
 * or its promise settles. A throw (or rejection) marks the span failed with the error's `code`
 * (or its class name) unless `run` already called `fail`; the error is rethrown unchanged.
 * Without tracing, just calls `run`.
 */
export function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  run: (span: SpanHandle) => T,
  options: SpanOptions = {},
): T {
  if (api === undefined) return run(NO_SPAN);
  const otel = api;
  const tracer = otel.trace.getTracer(TRACER_NAME, version || undefined);
  const kind = options.kind === "client" ? otel.SpanKind.CLIENT : otel.SpanKind.INTERNAL;
  return tracer.startActiveSpan(name, { kind, attributes: defined(attributes) }, (span) => {
    let failed = false;
    const handle: SpanHandle = {
      setAttributes: (more) => span.setAttributes(defined(more)),
      fail: (code) => {
        failed = true;
        span.setAttribute("error.type", code);
        span.setStatus({ code: otel.SpanStatusCode.ERROR, message: code });
      },
    };
    const thrown = (error: unknown) => {
      if (!failed) handle.fail(errorType(error));
      span.end();
    };
    let result: T;
    try {
      result = run(handle);
    } catch (error) {
      thrown(error);
      throw error;
    }
    if (isPromise(result))
      return result.then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          thrown(error);
          throw error;
        },
      ) as T;
    span.end();
    return result;
  });
}

/** A short, stable name for what was thrown: a coded error's code, else the error's class. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && /^[A-Za-z0-9_.:-]{1,64}$/.test(code)) return code;
  return error instanceof Error ? error.name : "error";
}

function defined(attributes: SpanAttributes): OtelApi.Attributes {
  const out: OtelApi.Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

function isPromise<T>(value: T): value is T & Promise<Awaited<T>> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
