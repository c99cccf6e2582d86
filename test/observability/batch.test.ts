/**
 * A long `rllmc run --batch` seen from outside, through the built bin: `/metrics` scraped while
 * the lines run (several calls in flight at once, the budget gauges moving), the textfile at the
 * end agreeing with what the server billed, and the trace: one `app` span per input line, each
 * with its call, all under the command's span.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, echoApp, idIn, rllmcAsync, tempDir, writeInputs } from "../support/batch-fixtures.js";
import { startCapacityServer } from "../support/capacity-llm-server.js";
import { unusedPort } from "../support/fake-llm-server.js";
import { parseExposition, sampleValue } from "../support/prom-text.js";

interface OtlpSpan {
  readonly name: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
}

describe.skipIf(!existsSync(BIN))("a batch run's metrics and traces", () => {
  it("should serve the calls in flight and the budget spent while the batch runs, and trace each line", async () => {
    const llm = await startCapacityServer({
      capacity: 4,
      latencyMs: 250,
      answer: (request) => JSON.stringify({ id: idIn(request.messages.map((m) => m.content).join("\n")) }),
    });
    const spans: OtlpSpan[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", () => resolve()));
    const dir = tempDir("rllmc-batch-obs-");
    writeInputs(dir, 16);
    writeFileSync(join(dir, "echo.rllm"), echoApp({ maxTokens: 32 }));
    const port = await unusedPort();
    const file = join(dir, "batch.prom");
    try {
      const run = rllmcAsync(
        [
          "run",
          "echo.rllm",
          "--batch",
          "inputs.jsonl",
          "--base-url",
          llm.url,
          "--concurrency",
          "4",
          "--budget-tokens",
          "1000000",
          "--metrics-port",
          String(port),
          "--metrics-file",
          file,
        ],
        dir,
        { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` },
      );
      let exited = false;
      void run.done.then(() => (exited = true));
      let mostInFlight = 0;
      let tokensWhileRunning = 0;
      while (!exited) {
        try {
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          const live = parseExposition(text);
          const inFlight = live.samples
            .filter((s) => s.name === "rllmc_llm_calls_in_flight")
            .reduce((sum, s) => sum + s.value, 0);
          mostInFlight = Math.max(mostInFlight, inFlight);
          tokensWhileRunning = Math.max(
            tokensWhileRunning,
            sampleValue(live, "rllmc_budget_spent_tokens") ?? 0,
          );
        } catch {
          // Not serving yet, or already gone.
        }
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(mostInFlight).toBeGreaterThanOrEqual(2);
      expect(mostInFlight).toBeLessThanOrEqual(4);
      expect(tokensWhileRunning).toBeGreaterThan(0);

      const written = parseExposition(readFileSync(file, "utf8"));
      const labels = { provider: "openai-compatible", model: "test-model" };
      expect(sampleValue(written, "rllmc_llm_calls_total", { ...labels, outcome: "ok" })).toBe(16);
      const tokensIn = sampleValue(written, "rllmc_llm_tokens_total", { ...labels, direction: "in" })!;
      const tokensOut = sampleValue(written, "rllmc_llm_tokens_total", { ...labels, direction: "out" })!;
      expect(tokensIn).toBe(llm.billed.prompt);
      expect(tokensOut).toBe(llm.billed.completion);
      expect(sampleValue(written, "rllmc_budget_spent_tokens")).toBe(tokensIn + tokensOut);
      expect(sampleValue(written, "rllmc_budget_spent_seconds")).toBeGreaterThan(0);
      expect(sampleValue(written, "rllmc_llm_calls_in_flight", labels)).toBe(0);

      const [root, ...others] = spans.filter((s) => s.name === "rllmc run");
      expect(others).toEqual([]);
      const apps = spans.filter((s) => s.name === "app echo");
      expect(apps).toHaveLength(16);
      for (const app of apps) {
        expect(app.parentSpanId).toBe(root!.spanId);
        expect(
          spans.filter((s) => s.name === "chat test-model" && s.parentSpanId === app.spanId),
        ).toHaveLength(1);
      }
    } finally {
      await llm.close();
      await new Promise<void>((resolve) => {
        collector.close(() => resolve());
        collector.closeAllConnections();
      });
    }
  });
});
