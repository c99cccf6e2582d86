/**
 * What `--otel`, `--metrics-port` and `--metrics-file` set up around a command
 * (docs/observability.md), loaded only when one of them (or `OTEL_EXPORTER_OTLP_ENDPOINT`) is
 * there: the metrics first (a port in use stops the command before it starts, exit 2), then the
 * tracer; when the command ends, the spans are sent (bounded; a collector that is down is a
 * warning, not a failure), the server stops and the textfile is written.
 */
import { version } from "../driver/version.js";
import { setMetrics } from "../runtime/shared/metrics.js";
import { ExitCode } from "./exit-codes.js";
import type { MetricsSession } from "./metrics.js";
import type { ObservabilityFlags } from "./observe-command.js";
import { withUsage } from "./options.js";
import type { Tracing } from "./otel.js";

export async function withObservability(
  program: string,
  command: string,
  flags: ObservabilityFlags,
  run: () => Promise<number>,
): Promise<number> {
  let metrics: MetricsSession | undefined;
  if (flags.metricsPort !== undefined || flags.metricsFile !== undefined) {
    const { startMetrics } = await import("./metrics.js");
    const started = await withUsage(program, command, async () => {
      metrics = await startMetrics({
        ...(flags.metricsPort === undefined ? {} : { port: flags.metricsPort }),
        ...(flags.metricsHost === undefined ? {} : { host: flags.metricsHost }),
        ...(flags.metricsFile === undefined ? {} : { file: flags.metricsFile }),
      });
      return ExitCode.Ok;
    });
    if (started !== ExitCode.Ok) return started;
    setMetrics(metrics!.sink);
  }
  let tracing: Tracing | undefined;
  if (flags.otel) {
    const { endpointProblem, startOtlpTracing } = await import("./otel.js");
    const problem = endpointProblem(process.env);
    if (problem === undefined) tracing = await startOtlpTracing(version());
    else process.stderr.write(`${program}: warning: ${problem}\n`);
  }
  let code: number | undefined;
  try {
    code = await run();
  } finally {
    const warning = await tracing?.shutdown();
    if (warning !== undefined) process.stderr.write(`${program}: warning: ${warning}\n`);
    if (metrics !== undefined) {
      setMetrics(undefined);
      const session = metrics;
      // A textfile that cannot be written: said as RLC0009; the command's own failure, if any, wins.
      const written = await withUsage(program, command, async () => {
        await session.finish();
        return ExitCode.Ok;
      });
      if (code === ExitCode.Ok) code = written;
    }
  }
  return code;
}
