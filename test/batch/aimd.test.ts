/**
 * `--concurrency auto` against a real HTTP server that answers 429 above its capacity: the
 * OpenAI-compatible adapter's 429s reach the scheduler through the batch's provider wrapper
 * (driver/batch/observe-provider.ts), the limit halves, the transport retries (after
 * `retry-after-ms`) finish every task, and the priority reaches every request.
 */
import { afterEach, describe, expect, it } from "vitest";
import { observeProvider } from "../../src/driver/batch/observe-provider.js";
import { BatchRun } from "../../src/driver/batch/run-batch.js";
import { Scheduler } from "../../src/driver/batch/scheduler.js";
import { callWithRetries, DEFAULT_RETRY_POLICY } from "../../src/runtime/app/call.js";
import type { CompletionRequest, Provider } from "../../src/runtime/app/provider.js";
import { createOpenAiProvider } from "../../src/runtime/app/providers/openai.js";
import { type CapacityServer, startCapacityServer } from "../support/capacity-llm-server.js";

let server: CapacityServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe("AIMD under a server's capacity", () => {
  it("should halve the limit on 429s and still finish every line, in order", async () => {
    server = await startCapacityServer({ capacity: 4, latencyMs: 40, retryAfterMs: 10, answer: () => "ok" });
    const limits: number[] = [];
    const scheduler = new Scheduler({
      concurrency: "auto",
      start: 16,
      max: 16,
      onLimit: (l) => limits.push(l),
    });
    const seen: CompletionRequest[] = [];
    const inner = createOpenAiProvider({
      flavour: "openai-compatible",
      apiKey: undefined,
      baseUrl: server.url,
    });
    const spy: Provider = {
      name: inner.name,
      complete: (r) => {
        seen.push(r);
        return inner.complete(r);
      },
    };
    const provider = observeProvider(spy, { scheduler, priority: "batch" });
    const lines = Array.from({ length: 40 }, (_, i) => ({ line: i + 1, text: String(i + 1) }));
    const emitted: number[] = [];
    const run = new BatchRun({
      lines,
      scheduler,
      budgetMode: "cancel",
      run: async (line, signal) => {
        const outcome = await callWithRetries(
          provider,
          { model: "m", messages: [{ role: "user", content: line.text }], params: {} },
          { policy: { ...DEFAULT_RETRY_POLICY, retries: 20, baseDelayMs: 5 }, signal },
        );
        return { line: line.line, ok: true, output: outcome.completion.text };
      },
      notRun: () => {
        throw new Error("every line runs");
      },
      emit: (record) => emitted.push(record.line),
    });
    const summary = await run.done;
    expect(summary.ok).toBe(40);
    expect(emitted).toEqual(lines.map((l) => l.line));
    expect(server.stats.rejected).toBeGreaterThan(0);
    expect(provider.rateLimited).toBe(server.stats.rejected);
    expect(scheduler.halvings).toBeGreaterThan(0);
    expect(limits[0]).toBe(8);
    expect(Math.min(...limits)).toBeLessThanOrEqual(4);
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(4);
    expect(seen.every((r) => r.priority === "batch")).toBe(true);
  });
});
