/**
 * OTLP export through the built bin: a collector started by the test on 127.0.0.1 receives the
 * spans of a run (OTLP/HTTP JSON), named by the standard variables or `--otel`; a collector that
 * refuses or never answers costs a bounded wait and one warning, never the command's exit code
 * or output; no credential of the endpoint or the provider reaches a span or the warning.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { unusedPort } from "../support/fake-llm-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const RUN = [
  "run",
  "examples/summary.rllm",
  "--provider",
  "replay",
  "--input-file",
  "examples/summary.input.json",
  "--no-cache",
];

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: OtlpBody;
}

interface OtlpAttribute {
  readonly key: string;
  readonly value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface OtlpSpan {
  readonly name: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly attributes: readonly OtlpAttribute[];
  readonly status?: { code?: number };
}
interface OtlpBody {
  readonly resourceSpans: readonly {
    readonly resource: { readonly attributes: readonly OtlpAttribute[] };
    readonly scopeSpans: readonly { readonly scope: { name: string }; readonly spans: readonly OtlpSpan[] }[];
  }[];
}

async function startCollector(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        path: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpBody,
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function rllmc(
  args: string[],
  extra: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LLM_|OLLAMA_HOST|OTEL_)/.test(k)),
  );
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...clean, ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })),
  );
}

const spansOf = (received: readonly Received[]) =>
  received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? value?.boolValue : Number(value.intValue));
};

describe.skipIf(!existsSync(BIN))("OTLP export", () => {
  it("should send a run's spans to the collector named by OTEL_EXPORTER_OTLP_ENDPOINT, as JSON", async () => {
    const collector = await startCollector();
    try {
      const result = await rllmc(RUN, {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer collector-SECRET-token",
        LLM_API_KEY: "sk-otlp-SECRET-0123456789",
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe("");
      expect(JSON.parse(result.stdout)).toMatchObject({ title: expect.any(String) });
      expect(collector.received.length).toBeGreaterThan(0);
      for (const r of collector.received) {
        expect(r.path).toBe("/v1/traces");
        expect(r.headers["content-type"]).toMatch(/application\/json/);
        expect(r.headers.authorization).toBe("Bearer collector-SECRET-token");
      }
      const resource = collector.received[0]!.body.resourceSpans[0]!;
      expect(resource.resource.attributes).toContainEqual({
        key: "service.name",
        value: { stringValue: "rllmc" },
      });
      expect(resource.scopeSpans[0]!.scope.name).toBe("rllmc");
      const spans = spansOf(collector.received);
      const root = spans.find((s) => s.name === "rllmc run")!;
      expect(root).toBeDefined();
      expect(attribute(root, "process.exit.code")).toBe(0);
      const app = spans.find((s) => s.name === "app summary")!;
      expect(app.parentSpanId).toBe(root.spanId);
      const calls = spans.filter((s) => s.name === "chat llama3.2:3b");
      expect(calls).toHaveLength(2);
      for (const call of calls) {
        expect(call.parentSpanId).toBe(app.spanId);
        expect(attribute(call, "gen_ai.provider.name")).toBe("replay");
        expect(attribute(call, "gen_ai.usage.input_tokens")).toBeGreaterThan(0);
      }
      expect(spans.filter((s) => s.name.startsWith("pass ")).length).toBe(6);
      expect(JSON.stringify(spans)).not.toContain("SECRET");
    } finally {
      await collector.close();
    }
  });

  it("should turn export on with --otel, before or after the command, and leave it off with OTEL_SDK_DISABLED", async () => {
    const collector = await startCollector();
    try {
      const endpoint = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/custom/traces` };
      const after = await rllmc([...RUN, "--otel"], endpoint);
      expect(after.code, after.stderr).toBe(0);
      const before = await rllmc(["--otel", ...RUN], endpoint);
      expect(before.code, before.stderr).toBe(0);
      expect(collector.received.map((r) => r.path)).toContain("/custom/traces");
      expect(spansOf(collector.received).filter((s) => s.name === "rllmc run")).toHaveLength(2);

      collector.received.length = 0;
      const disabled = await rllmc(RUN, { ...endpoint, OTEL_SDK_DISABLED: "true" });
      expect(disabled.code).toBe(0);
      expect(collector.received).toEqual([]);
    } finally {
      await collector.close();
    }
  });

  it("should warn, and send nothing, when the endpoint is not an http(s) URL", async () => {
    for (const [variable, value] of [
      ["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318 with-SECRET"],
      ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://someone:SECRET@127.0.0.1/v1/traces"],
    ] as const) {
      const result = await rllmc(RUN, { [variable]: value });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ title: expect.any(String) });
      expect(result.stderr).toMatch(
        new RegExp(`^rllmc: warning: ${variable} is not a(n http or https)? URL; no traces are sent\n$`),
      );
    }
  });

  it("should neither hang nor fail when the collector refuses the connection or never answers", async () => {
    const refused = await rllmc(RUN, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await unusedPort()}`,
    });
    expect(refused.code).toBe(0);
    expect(JSON.parse(refused.stdout)).toMatchObject({ title: expect.any(String) });
    expect(refused.stderr).toMatch(
      /^rllmc: warning: could not send traces to http:\/\/127\.0\.0\.1:\d+: .+\n$/,
    );
    expect(refused.ms).toBeLessThan(15_000);

    // Accepts the connection, never answers.
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const { port } = silent.address() as AddressInfo;
    try {
      const hung = await rllmc(RUN, {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://someone:hunter2-pass@127.0.0.1:${port}`,
      });
      expect(hung.code).toBe(0);
      expect(JSON.parse(hung.stdout)).toMatchObject({ title: expect.any(String) });
      expect(hung.stderr).toContain(`rllmc: warning: could not send traces to http://127.0.0.1:${port}`);
      expect(hung.stderr).not.toContain("hunter2");
      expect(hung.stderr.trim().split("\n")).toHaveLength(1);
      expect(hung.ms).toBeLessThan(15_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 60_000);
});
