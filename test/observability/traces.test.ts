/**
 * Traces, checked with the SDK's in-memory exporter: commands run in-process through the CLI's
 * dispatch (`cli/run.ts`) with the tracer installed as `--otel` installs it, only the exporter
 * differs. `rllmc run` gives the command span, the compile passes under it and one span per model
 * call (retries included) with its attributes; a failed call's span has the error status and
 * code; `runbook compile` gives the runbook passes, and `exec --mode replay` one span per step.
 * No secret (an API key in the environment, a password in a URL) reaches any attribute.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { installTracing, type Tracing } from "../../src/cli/otel.js";
import { run } from "../../src/cli/run.js";
import { openAiCompletion, startFakeLlmServer } from "../support/fake-llm-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ERROR = 2; // SpanStatusCode.ERROR

const exporter = new InMemorySpanExporter();
let tracing: Tracing;

beforeAll(async () => {
  tracing = await installTracing(new SimpleSpanProcessor(exporter), "test");
});
afterAll(async () => {
  await tracing.shutdown();
});
afterEach(() => {
  exporter.reset();
  vi.restoreAllMocks();
  delete process.env.LLM_API_KEY;
});

/** Runs a command in-process, its output kept out of the test's. */
async function cli(
  program: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const code = await run(program, args);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

const spans = () => exporter.getFinishedSpans();
const named = (name: string) => spans().filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** Every attribute value and span name, as text: where a secret must not be. */
function everything(): string {
  return JSON.stringify(spans().map((s) => ({ name: s.name, attributes: s.attributes, status: s.status })));
}

describe("traces", () => {
  it("should trace rllmc run as command span → pass spans → one span per model call, with its attributes", async () => {
    const result = await cli("rllmc", [
      "run",
      join(ROOT, "examples/summary.rllm"),
      "--provider",
      "replay",
      "--input-file",
      join(ROOT, "examples/summary.input.json"),
      "--no-cache",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const [root, ...others] = named("rllmc run");
    expect(others).toEqual([]);
    expect(root).toBeDefined();
    expect(parentOf(root!)).toBeUndefined();
    expect(root!.attributes).toMatchObject({ "rllmc.command": "run", "process.exit.code": 0 });
    expect(root!.status.code).not.toBe(ERROR);

    const passes = spans().filter((s) => s.name.startsWith("pass "));
    expect(passes.map((s) => s.attributes["rllmc.pass"])).toEqual([
      "check-llm-params",
      "check-io-schemas",
      "check-template-variables",
      "check-context-window",
      "resolve-uses",
      "check-uses-contracts",
    ]);
    for (const pass of passes) expect(parentOf(pass)).toBe(idOf(root!));

    // The app's span, under the command's, holds its calls.
    const [app, ...otherApps] = named("app summary");
    expect(otherApps).toEqual([]);
    expect(parentOf(app!)).toBe(idOf(root!));
    expect(app!.attributes).toMatchObject({
      "rllmc.app.name": "summary",
      "rllmc.app.version": "1.0.0",
      "rllmc.app.depth": 0,
      "rllmc.app.outcome": "ok",
      "rllmc.app.attempts": 2,
    });

    // The summary example answers off-schema once, then right: two calls, each its own span.
    const calls = spans().filter((s) => s.name.startsWith("chat "));
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(parentOf(call)).toBe(idOf(app!));
      expect(call.kind).toBe(2); // SpanKind.CLIENT
      expect(call.status.code).not.toBe(ERROR);
      expect(call.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "replay",
        "gen_ai.request.model": "llama3.2:3b",
        "rllmc.llm.outcome": "ok",
      });
      expect(call.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
      expect(call.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
      expect(call.endTime[0] * 1e9 + call.endTime[1]).toBeLessThanOrEqual(
        root!.endTime[0] * 1e9 + root!.endTime[1],
      );
    }
  });

  it("should nest a composed app's children under its span, each with its own calls", async () => {
    const result = await cli("rllmc", [
      "run",
      join(ROOT, "examples/compose_summary_keywords.rllm"),
      "--provider",
      "replay",
      "--input-file",
      join(ROOT, "examples/compose_summary_keywords.input.json"),
      "--no-cache",
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const [root] = named("rllmc run");
    const [parent] = named("app compose_summary_keywords");
    expect(parentOf(parent!)).toBe(idOf(root!));
    const children = spans().filter((s) => s.name.startsWith("app ") && s !== parent);
    expect(children.length).toBeGreaterThanOrEqual(2);
    for (const child of children) {
      expect(parentOf(child)).toBe(idOf(parent!));
      expect(child.attributes["rllmc.app.depth"]).toBe(1);
      const calls = spans().filter((s) => s.name.startsWith("chat ") && parentOf(s) === idOf(child));
      expect(calls.length).toBe(child.attributes["rllmc.app.attempts"]);
    }
  });

  it("should give a failed call's span the error status and the backend's code, and a retried call one span per try, with no secret", async () => {
    const key = "sk-test-SECRET-0123456789abcdef";
    process.env.LLM_API_KEY = key;
    const server = await startFakeLlmServer({
      script: [
        { status: 503, body: { error: { message: "overloaded", type: "server_error", code: "overloaded" } } },
        {
          body: openAiCompletion('{"title": "T", "summary": "S.", "key_points": ["a"]}', {
            promptTokens: 21,
            completionTokens: 9,
          }),
        },
      ],
    });
    try {
      const ok = await cli("rllmc", [
        "run",
        join(ROOT, "examples/summary.rllm"),
        "--provider",
        "openai-compatible",
        "--base-url",
        `${server.url}/v1`,
        "--model",
        "fake-model",
        "--input",
        "A short text.",
        "--no-cache",
      ]);
      expect(ok.code, ok.stderr + ok.stdout).toBe(0);
      const [first, second, ...more] = spans().filter((s) => s.name === "chat fake-model");
      expect(more).toEqual([]);
      expect(first!.status.code).toBe(ERROR);
      expect(first!.attributes).toMatchObject({
        "gen_ai.provider.name": "openai-compatible",
        "rllmc.llm.outcome": "error",
        "rllmc.llm.error_code": "overloaded",
        "error.type": "overloaded",
      });
      expect(second!.status.code).not.toBe(ERROR);
      expect(second!.attributes).toMatchObject({
        "rllmc.llm.outcome": "ok",
        "gen_ai.usage.input_tokens": 21,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.response.model": "gpt-fake",
      });
      expect(parentOf(first!)).toBe(parentOf(second!));

      // A request the server refuses (not retried): one span, failed, the body's code.
      exporter.reset();
      server.enqueue({
        status: 404,
        body: { error: { message: "no such model", type: "invalid_request_error", code: "model_not_found" } },
      });
      const refused = await cli("rllmc", [
        "run",
        join(ROOT, "examples/summary.rllm"),
        "--provider",
        "openai-compatible",
        "--base-url",
        `http://someone:hunter2-pass@127.0.0.1:${server.port}/v1`,
        "--model",
        "fake-model",
        "--input",
        "A short text.",
        "--no-cache",
      ]);
      expect(refused.code).toBe(6);
      const failed = spans().filter((s) => s.name.startsWith("chat "));
      expect(failed.length).toBeGreaterThanOrEqual(1);
      for (const span of failed) {
        expect(span.status.code).toBe(ERROR);
        expect(typeof span.attributes["rllmc.llm.error_code"]).toBe("string");
      }
      const [root] = named("rllmc run");
      expect(root!.status.code).toBe(ERROR);
      const [app] = named("app summary");
      expect(app!.status.code).toBe(ERROR);
      expect(app!.attributes).toMatchObject({
        "rllmc.app.outcome": "error",
        "rllmc.app.error_code": "RUN4001",
      });
      expect(root!.attributes["process.exit.code"]).toBe(6);
      expect(everything()).not.toContain("SECRET");
      expect(everything()).not.toContain("hunter2");
    } finally {
      await server.close();
    }
  });

  it("should trace runbook compile's passes and one span per step of a replayed run, without their output", async () => {
    const demo = join(ROOT, "examples/runbook-demo");
    const out = mkdtempSync(join(tmpdir(), "rllmc-traces-"));
    const runbook = join(out, "runbook.yaml");
    const compiled = await cli("runbook", [
      "compile",
      join(demo, "pod-crashloop.md"),
      "--llm",
      "cached",
      "--frozen",
      "--provider",
      "openai-compatible",
      "--model",
      "recorded-model",
      "--cache-dir",
      join(demo, "llm-cache"),
      "--out",
      runbook,
      "--no-cache",
    ]);
    expect(compiled.code, compiled.stderr).toBe(0);
    const [compileSpan] = named("runbook compile");
    expect(compileSpan).toBeDefined();
    const passNames = spans()
      .filter((s) => s.name.startsWith("pass ") && parentOf(s) === idOf(compileSpan!))
      .map((s) => s.attributes["rllmc.pass"]);
    expect(passNames).toEqual([
      "extract-runbook",
      "interpret-runbook",
      "check-runbook-schema",
      "check-runbook-policy",
      "check-runbook-coverage",
    ]);

    exporter.reset();
    const replayed = await cli("runbook", [
      "exec",
      runbook,
      "--mode",
      "replay",
      "--scenario",
      join(demo, "scenario.yaml"),
      "--var",
      "namespace=shop",
      "--var",
      "pod_name=checkout-7d9c6b5f4-x2x9z",
      "--as",
      "alice",
      "--role",
      "DRI",
      "--run-dir",
      out,
      "--run-id",
      "traced",
      "--no-input",
      "--approve",
      "kubectl_rollout_undo",
      "--approve",
      "confirm_recovery_manual",
      "--evidence",
      "confirm_recovery_manual.done=all",
      "--evidence",
      "confirm_recovery_manual.dashboard_link=https://grafana.example.com/d/checkout",
    ]);
    expect(replayed.code, replayed.stderr).toBe(0);
    const [execSpan] = named("runbook exec");
    const steps = named("runbook step");
    expect(steps.length).toBeGreaterThanOrEqual(4);
    for (const step of steps) {
      expect(parentOf(step)).toBe(idOf(execSpan!));
      expect(step.attributes["rllmc.runbook.run_id"]).toBe("traced");
      expect(step.attributes["rllmc.step.status"]).toBe("passed");
      expect(typeof step.attributes["rllmc.step.id"]).toBe("string");
    }
    const cliSteps = steps.filter((s) => s.attributes["rllmc.step.type"] === "cli");
    expect(cliSteps.length).toBeGreaterThanOrEqual(3);
    for (const step of cliSteps) expect(step.attributes["rllmc.step.exit_code"]).toBe(0);
    expect(steps.some((s) => s.attributes["rllmc.step.type"] === "manual")).toBe(true);
    expect(steps.map((s) => s.attributes["rllmc.step.index"])).toEqual(steps.map((_, i) => i));
    // What the commands printed is in the run's records, never in a span.
    expect(everything()).not.toContain("CrashLoopBackOff");
  });
});
