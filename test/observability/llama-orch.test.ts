/**
 * What llama-orch reports reaches the traces and the metrics, through the built bin against the
 * test's llama-orch server (test/support/llama-orch-server.ts) and an OTLP collector on 127.0.0.1:
 * the call's span carries the task id, the correlation id, the queue position, the decode time and
 * the engine; the queue-wait histogram is fed; a rejected admission is a failed try named by the
 * backend's code (`QUEUE_FULL_DROP_LRU`) in both.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { orchError, startLlamaOrchServer } from "../support/llama-orch-server.js";
import { parseExposition, sampleValue } from "../support/prom-text.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

interface OtlpSpan {
  readonly name: string;
  readonly attributes: readonly {
    readonly key: string;
    readonly value: { stringValue?: string; intValue?: string | number };
  }[];
  readonly status?: { code?: number };
}

async function collector(): Promise<{ url: string; spans: OtlpSpan[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function attribute(span: OtlpSpan, key: string): string | number | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
}

describe.skipIf(!existsSync(BIN))("llama-orch in traces and metrics", () => {
  it("should trace the backend's facts of a task and count a rejected admission by its code", async () => {
    const orch = await startLlamaOrchServer({
      latencyMs: 300,
      answer: () => '{"keywords": ["retrieval"]}',
      admissions: [orchError("QUEUE_FULL_DROP_LRU", {}, { "X-Backoff-Ms": "50" })],
    });
    const otlp = await collector();
    const file = join(mkdtempSync(join(tmpdir(), "rllmc-orch-obs-")), "orch.prom");
    try {
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(
          ([k]) => !/^(LLM_|OLLAMA_HOST|LLAMA_ORCH_|TRACKING_BREADCRUMB|OTEL_)/.test(k),
        ),
      );
      const child = spawn(
        process.execPath,
        [
          BIN,
          "run",
          "examples/extract_keywords.rllm",
          "--input-file",
          "examples/extract_keywords.input.yaml",
          "--provider",
          "llama-orch",
          "--base-url",
          orch.url,
          "--metrics-file",
          file,
        ],
        {
          cwd: ROOT,
          env: {
            ...clean,
            RLLMC_STATS: "off",
            TRACKING_BREADCRUMB: "user=alice correlation_id=req-9",
            OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(code, stderr).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ keywords: ["retrieval"] });

      const admitted = orch
        .requestsTo("POST", "/v1/tasks")
        .map((r) => (r.body as { task_id: string }).task_id);
      expect(admitted).toHaveLength(2);
      const calls = otlp.spans.filter((s) => s.name.startsWith("chat "));
      expect(calls).toHaveLength(2);
      const [rejected, ok] = calls;
      expect(rejected!.status?.code).toBe(2);
      expect(attribute(rejected!, "rllmc.llm.error_code")).toBe("QUEUE_FULL_DROP_LRU");
      expect(attribute(ok!, "gen_ai.provider.name")).toBe("llama-orch");
      expect(attribute(ok!, "rllmc.llm.outcome")).toBe("ok");
      expect(attribute(ok!, "rllmc.llm.task_id")).toBe(admitted[1]);
      expect(String(attribute(ok!, "rllmc.llm.correlation_id"))).toMatch(/^req-9\./);
      expect(attribute(ok!, "rllmc.llm.engine")).toBe("llamacpp");
      expect(typeof attribute(ok!, "rllmc.llm.queue_position")).toBe("number");
      expect(typeof attribute(ok!, "rllmc.llm.queue_wait_ms")).toBe("number");
      expect(typeof attribute(ok!, "rllmc.llm.decode_ms")).toBe("number");
      expect(attribute(ok!, "gen_ai.usage.output_tokens")).toBeGreaterThan(0);

      const metrics = parseExposition(readFileSync(file, "utf8"));
      const labels = { provider: "llama-orch" };
      expect(sampleValue(metrics, "rllmc_llm_calls_total", { ...labels, outcome: "ok" })).toBe(1);
      expect(sampleValue(metrics, "rllmc_llm_calls_total", { ...labels, outcome: "error" })).toBe(1);
      expect(sampleValue(metrics, "rllmc_llm_errors_total", { ...labels, code: "QUEUE_FULL_DROP_LRU" })).toBe(
        1,
      );
      expect(sampleValue(metrics, "rllmc_llm_queue_wait_seconds_count", labels)).toBe(1);
      expect(sampleValue(metrics, "rllmc_llm_calls_in_flight", labels)).toBe(0);
    } finally {
      await otlp.close();
      await orch.close();
    }
  });
});
