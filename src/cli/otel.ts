/**
 * The OpenTelemetry SDK behind `--otel` (docs/observability.md), loaded only when traces are asked
 * for: a tracer provider with the `rllmc` resource, the AsyncLocalStorage context manager (so a
 * span started deep in an async call nests under the command's), and the OTLP/HTTP exporter
 * (JSON), configured by the standard `OTEL_EXPORTER_OTLP_*` variables.
 *
 * The provider is flushed and shut down when the command ends, within a bounded time: a
 * collector that is down or does not answer costs at most {@link SHUTDOWN_LIMIT_MS} and one
 * warning on stderr, never the command's exit code.
 */
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { disableTracing, enableTracing } from "../runtime/shared/telemetry.js";

/** How long the exporter waits for the collector on one request, unless OTEL_EXPORTER_OTLP_TIMEOUT says. */
const EXPORT_TIMEOUT_MS = 3000;
/** The most the end of a command waits for its spans to be sent. */
export const SHUTDOWN_LIMIT_MS = 4000;

export interface Tracing {
  /**
   * Sends what is left and shuts the provider down, waiting at most `limitMs`; resolves with a
   * warning for stderr when the spans could not be sent, else undefined. Never rejects.
   */
  shutdown(limitMs?: number): Promise<string | undefined>;
}

/**
 * Registers a tracer provider that hands its spans to `processor` (the OTLP exporter's batch
 * processor, or a test's in-memory one) and turns tracing on in the runtime.
 */
export async function installTracing(
  processor: SpanProcessor,
  version: string,
): Promise<Tracing & { readonly provider: BasicTracerProvider }> {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) override these.
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: "rllmc",
    [ATTR_SERVICE_VERSION]: version,
  }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  await enableTracing(version);
  return {
    provider,
    shutdown: async (limitMs = SHUTDOWN_LIMIT_MS) => {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), limitMs);
        timer.unref();
      });
      let outcome: "done" | "late" | Error;
      try {
        outcome = await Promise.race([provider.shutdown().then(() => "done" as const), limit]);
      } catch (error) {
        outcome = error instanceof Error ? error : new Error(String(error));
      } finally {
        clearTimeout(timer);
        disableTracing();
        trace.disable();
        context.disable();
      }
      if (outcome === "late") return `the spans were not all sent within ${limitMs / 1000} s`;
      if (outcome instanceof Error) return describeFailure(outcome);
      return undefined;
    },
  };
}

/**
 * Tracing to an OTLP/HTTP collector: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else `http://localhost:4318/v1/traces`; headers
 * from `OTEL_EXPORTER_OTLP_HEADERS`. A failed export becomes a warning naming the collector by
 * its origin only (no path, query or credentials).
 */
export async function startOtlpTracing(
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tracing> {
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
  const timeoutSet = [env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, env.OTEL_EXPORTER_OTLP_TIMEOUT].some(
    (value) => value !== undefined && value.trim() !== "",
  );
  const exporter = new WatchedExporter(
    new OTLPTraceExporter(timeoutSet ? {} : { timeoutMillis: EXPORT_TIMEOUT_MS }),
  );
  const tracing = await installTracing(new BatchSpanProcessor(exporter), version);
  return {
    shutdown: async (limitMs) => {
      const problem = (await tracing.shutdown(limitMs)) ?? exporter.failure;
      return problem === undefined
        ? undefined
        : `could not send traces to ${collectorOrigin(env)}: ${problem}`;
    },
  };
}

/** The exporter, remembering the first failure to say it once at the end. */
class WatchedExporter implements SpanExporter {
  failure: string | undefined;

  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    this.inner.export(spans, (result) => {
      if (result.code !== 0) this.failure ??= describeFailure(result.error);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function describeFailure(error: Error | undefined): string {
  if (error === undefined) return "the export failed";
  const code = (error as NodeJS.ErrnoException).code;
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause?.code;
  const text = typeof code === "string" ? code : typeof cause === "string" ? cause : error.message;
  // Whatever the message quotes, no credentials of a URL.
  return text
    .replace(/\/\/[^/@\s]*@/g, "//")
    .split("\n", 1)[0]!
    .slice(0, 200);
}

/** The variable that names the collector, and its value; undefined for the default. */
function endpoint(env: NodeJS.ProcessEnv): { readonly variable: string; readonly url: string } | undefined {
  for (const variable of ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]) {
    const url = env[variable]?.trim();
    if (url !== undefined && url !== "") return { variable, url };
  }
  return undefined;
}

/**
 * Why the collector's URL cannot be used (not a URL, not http or https), for a warning before
 * anything is traced; the exporter itself would quietly send to localhost instead. The value is
 * not quoted: it may hold credentials.
 */
export function endpointProblem(env: NodeJS.ProcessEnv): string | undefined {
  const named = endpoint(env);
  if (named === undefined) return undefined;
  let protocol: string;
  try {
    protocol = new URL(named.url).protocol;
  } catch {
    return `${named.variable} is not a URL; no traces are sent`;
  }
  return protocol === "http:" || protocol === "https:"
    ? undefined
    : `${named.variable} is not an http or https URL; no traces are sent`;
}

/** The collector, named by its scheme, host and port only. */
export function collectorOrigin(env: NodeJS.ProcessEnv): string {
  const named = endpoint(env);
  return named === undefined ? "http://localhost:4318" : new URL(named.url).origin;
}
