/**
 * Every command's root span (`rllmc <command>`), and the observability flags every command
 * accepts (docs/observability.md), taken out of the command line before the command sees it,
 * before or after the command's name (not after a `--`):
 *
 * - `--otel`: export traces over OTLP/HTTP (also on when `OTEL_EXPORTER_OTLP_ENDPOINT` or
 *   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, unless `OTEL_SDK_DISABLED=true`);
 * - `--metrics-port P` (and `--metrics-host H`, default 127.0.0.1): serve `/metrics` while the
 *   command runs;
 * - `--metrics-file F`: write the metrics in the textfile-collector format when it ends.
 *
 * This module loads nothing: `observability.ts`, and through it the OpenTelemetry SDK and
 * prom-client, is imported only when one of these is asked for.
 */
import { inSpan } from "../runtime/shared/telemetry.js";

/**
 * Runs a command inside its root span, `<program> <command>` (`rllmc run`, `runbook exec`), with
 * its exit code; a code other than 0 marks the span failed (`exit_<code>`). The arguments are not
 * recorded (they can hold a secret). Without tracing, just runs it.
 */
export function inCommandSpan(program: string, command: string, run: () => Promise<number>): Promise<number> {
  return inSpan(`${program} ${command}`, { "rllmc.command": command }, async (span) => {
    const code = await run();
    span.setAttributes({ "process.exit.code": code });
    if (code !== 0) span.fail(`exit_${code}`);
    return code;
  });
}

export interface ObservabilityFlags {
  /** Export traces (OTLP/HTTP). */
  readonly otel: boolean;
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  readonly metricsFile?: string;
}

export type TakenFlags =
  | { readonly args: readonly string[]; readonly flags: ObservabilityFlags | undefined }
  | { readonly usage: string };

const VALUED = ["--metrics-port", "--metrics-host", "--metrics-file"] as const;

/** Splits the observability flags off `args`; `flags` is undefined when none is asked for. */
export function takeObservabilityFlags(args: readonly string[], env: NodeJS.ProcessEnv): TakenFlags {
  const end = args.indexOf("--");
  const own = end === -1 ? args : args.slice(0, end);
  const rest: string[] = [];
  const values: Partial<Record<(typeof VALUED)[number], string>> = {};
  let otel = false;
  for (let i = 0; i < own.length; i++) {
    const arg = own[i]!;
    if (arg === "--otel") {
      otel = true;
      continue;
    }
    const name = VALUED.find((flag) => arg === flag || arg.startsWith(`${flag}=`));
    if (name === undefined) {
      rest.push(arg);
      continue;
    }
    const value = arg === name ? own[++i] : arg.slice(name.length + 1);
    if (value === undefined || value === "" || (arg === name && value.startsWith("--")))
      return { usage: `${name} needs a value` };
    values[name] = value;
  }
  const args2 = end === -1 ? rest : [...rest, ...args.slice(end)];
  const fromEnv =
    env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== "true" &&
    [env.OTEL_EXPORTER_OTLP_ENDPOINT, env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT].some(
      (value) => value !== undefined && value.trim() !== "",
    );
  let metricsPort: number | undefined;
  if (values["--metrics-port"] !== undefined) {
    const text = values["--metrics-port"];
    metricsPort = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
    if (!(metricsPort >= 1 && metricsPort <= 65535))
      return { usage: `--metrics-port must be a port number from 1 to 65535, not '${text}'` };
  }
  if (values["--metrics-host"] !== undefined && metricsPort === undefined)
    return { usage: "--metrics-host needs --metrics-port" };
  if (!otel && !fromEnv && metricsPort === undefined && values["--metrics-file"] === undefined)
    return { args: args2, flags: undefined };
  return {
    args: args2,
    flags: {
      otel: otel || fromEnv,
      ...(metricsPort === undefined ? {} : { metricsPort }),
      ...(values["--metrics-host"] === undefined ? {} : { metricsHost: values["--metrics-host"] }),
      ...(values["--metrics-file"] === undefined ? {} : { metricsFile: values["--metrics-file"] }),
    },
  };
}
