/**
 * The observability flags, taken off the command line before the command sees it
 * (`cli/observe-command.ts`): anywhere before a `--`, `--flag value` or `--flag=value`, the OTLP
 * variables turning traces on, and each mistake a usage message.
 */
import { describe, expect, it } from "vitest";
import { takeObservabilityFlags } from "../../src/cli/observe-command.js";

describe("takeObservabilityFlags", () => {
  const cases: [string, string[], NodeJS.ProcessEnv, unknown][] = [
    [
      "should leave a command line without them alone",
      ["run", "a.rllm", "--input", "x"],
      {},
      {
        args: ["run", "a.rllm", "--input", "x"],
        flags: undefined,
      },
    ],
    [
      "should take --otel before the command",
      ["--otel", "run", "a.rllm"],
      {},
      {
        args: ["run", "a.rllm"],
        flags: { otel: true },
      },
    ],
    [
      "should take the metrics flags after it, in both spellings",
      ["run", "a.rllm", "--metrics-port", "9464", "--metrics-host=0.0.0.0", "--metrics-file=m.prom"],
      {},
      {
        args: ["run", "a.rllm"],
        flags: { otel: false, metricsPort: 9464, metricsHost: "0.0.0.0", metricsFile: "m.prom" },
      },
    ],
    [
      "should not look after a --",
      ["exec", "r.yaml", "--", "--otel"],
      {},
      {
        args: ["exec", "r.yaml", "--", "--otel"],
        flags: undefined,
      },
    ],
    [
      "should turn traces on for OTEL_EXPORTER_OTLP_ENDPOINT",
      ["run"],
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" },
      {
        args: ["run"],
        flags: { otel: true },
      },
    ],
    [
      "should turn traces on for the traces endpoint alone",
      ["run"],
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c/v1/traces" },
      {
        args: ["run"],
        flags: { otel: true },
      },
    ],
    [
      "should ignore an empty endpoint",
      ["run"],
      { OTEL_EXPORTER_OTLP_ENDPOINT: " " },
      { args: ["run"], flags: undefined },
    ],
    [
      "should not let the variables turn traces on with OTEL_SDK_DISABLED=true",
      ["run"],
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "TRUE" },
      { args: ["run"], flags: undefined },
    ],
    [
      "should refuse port 0",
      ["run", "--metrics-port", "0"],
      {},
      {
        usage: "--metrics-port must be a port number from 1 to 65535, not '0'",
      },
    ],
    [
      "should refuse a port above 65535",
      ["run", "--metrics-port=65536"],
      {},
      {
        usage: "--metrics-port must be a port number from 1 to 65535, not '65536'",
      },
    ],
    [
      "should refuse a flag for a value",
      ["run", "--metrics-file", "--otel"],
      {},
      { usage: "--metrics-file needs a value" },
    ],
    [
      "should refuse an empty value",
      ["run", "--metrics-file="],
      {},
      { usage: "--metrics-file needs a value" },
    ],
    [
      "should refuse a host without a port",
      ["run", "--metrics-host", "::1"],
      {},
      {
        usage: "--metrics-host needs --metrics-port",
      },
    ],
  ];
  for (const [name, args, env, expected] of cases)
    it(name, () => {
      expect(takeObservabilityFlags(args, env)).toEqual(expected);
    });
});
