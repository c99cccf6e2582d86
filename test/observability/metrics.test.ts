/**
 * Metrics through the built bin: `/metrics` scraped while a run waits on a slow model server (the
 * call in flight), the `--metrics-file` textfile read when it ends, both parsed as the Prometheus
 * text format; names that follow the conventions; a failed call counted by its code; the
 * command-line mistakes (a port in use, a bad port, a folder for the file) are usage errors
 * (exit 2); no secret in any label.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openAiCompletion, startFakeLlmServer, unusedPort } from "../support/fake-llm-server.js";
import { parseExposition, sampleValue } from "../support/prom-text.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const KEY = "sk-metrics-SECRET-abcdef0123456789";
const ANSWER = '{"title": "T", "summary": "S.", "key_points": ["a", "b"]}';

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LLM_|OLLAMA_HOST|OTEL_)/.test(k)),
  );
  return { ...clean, LLM_API_KEY: KEY, RLLMC_NO_CACHE: "1", ...extra };
}

function runArgs(baseUrl: string): string[] {
  return [
    "run",
    "examples/summary.rllm",
    "--provider",
    "openai-compatible",
    "--base-url",
    baseUrl,
    "--model",
    "fake-model",
    "--input",
    "A short text.",
  ];
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

async function scrape(
  url: string,
): Promise<{ status: number; type: string | null; text: string } | undefined> {
  try {
    const response = await fetch(url);
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      text: await response.text(),
    };
  } catch {
    return undefined; // not serving yet
  }
}

describe.skipIf(!existsSync(BIN))("metrics", () => {
  it("should serve /metrics during a run (the call in flight) and write the textfile at the end", async () => {
    const server = await startFakeLlmServer({
      script: [{ delayMs: 2500, body: openAiCompletion(ANSWER, { promptTokens: 40, completionTokens: 12 }) }],
    });
    const dir = mkdtempSync(join(tmpdir(), "rllmc-metrics-"));
    const file = join(dir, "out", "rllmc.prom");
    const port = await unusedPort();
    try {
      const child = spawn(
        process.execPath,
        [BIN, "--metrics-port", String(port), ...runArgs(`${server.url}/v1`), "--metrics-file", file],
        { cwd: ROOT, env: env(), stdio: ["ignore", "pipe", "pipe"] },
      );
      const done = finished(child);
      let during: string | undefined;
      let contentType: string | null = null;
      let exited = false;
      void done.then(() => (exited = true));
      while (!exited) {
        const scraped = await scrape(`http://127.0.0.1:${port}/metrics`);
        if (scraped !== undefined) {
          expect(scraped.status).toBe(200);
          contentType = scraped.type;
          const parsed = parseExposition(scraped.text);
          if (sampleValue(parsed, "rllmc_llm_calls_in_flight", { provider: "openai-compatible" }) === 1) {
            during = scraped.text;
            break;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const result = await done;
      expect(result.code, result.stderr).toBe(0);
      expect(during, "never saw the call in flight").toBeDefined();
      expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      const live = parseExposition(during!);
      expect(sampleValue(live, "rllmc_llm_calls_in_flight", { model: "fake-model" })).toBe(1);
      expect(sampleValue(live, "rllmc_llm_calls_total", { outcome: "ok" })).toBeUndefined();
      // The process's own metrics are served live.
      expect(live.types.process_cpu_user_seconds_total).toBe("counter");
      expect(live.types.nodejs_eventloop_lag_seconds).toBe("gauge");
      expect(
        await scrape(`http://127.0.0.1:${port}/metrics`),
        "the server outlived the command",
      ).toBeUndefined();

      const text = readFileSync(file, "utf8");
      const written = parseExposition(text);
      const labels = { provider: "openai-compatible", model: "fake-model" };
      expect(sampleValue(written, "rllmc_llm_calls_total", { ...labels, outcome: "ok" })).toBe(1);
      expect(sampleValue(written, "rllmc_llm_tokens_total", { ...labels, direction: "in" })).toBe(40);
      expect(sampleValue(written, "rllmc_llm_tokens_total", { ...labels, direction: "out" })).toBe(12);
      expect(sampleValue(written, "rllmc_llm_calls_in_flight", labels)).toBe(0);
      expect(
        sampleValue(written, "rllmc_llm_call_duration_seconds_count", { ...labels, outcome: "ok" }),
      ).toBe(1);
      const seconds = sampleValue(written, "rllmc_llm_call_duration_seconds_sum", {
        ...labels,
        outcome: "ok",
      })!;
      expect(seconds).toBeGreaterThanOrEqual(2.4);
      expect(
        sampleValue(written, "rllmc_llm_call_duration_seconds_bucket", {
          ...labels,
          outcome: "ok",
          le: "+Inf",
        }),
      ).toBe(1);
      expect(
        sampleValue(written, "rllmc_llm_call_duration_seconds_bucket", { ...labels, outcome: "ok", le: "1" }),
      ).toBe(0);
      expect(written.samples.filter((s) => s.name === "rllmc_llm_errors_total")).toEqual([]);
      // Ours only in the textfile, named by the conventions.
      for (const [name, type] of Object.entries(written.types)) {
        expect(name).toMatch(/^rllmc_/);
        if (type === "counter") expect(name).toMatch(/_total$/);
        else expect(name).not.toMatch(/_total$/);
      }
      expect(Object.keys(written.types).sort()).toEqual([
        "rllmc_budget_spent_cost",
        "rllmc_budget_spent_seconds",
        "rllmc_budget_spent_tokens",
        "rllmc_llm_call_duration_seconds",
        "rllmc_llm_calls_in_flight",
        "rllmc_llm_calls_total",
        "rllmc_llm_errors_total",
        "rllmc_llm_queue_wait_seconds",
        "rllmc_llm_tokens_total",
      ]);
      expect(written.types.rllmc_llm_call_duration_seconds).toBe("histogram");
      expect(text).not.toContain("SECRET");
      expect(during).not.toContain("SECRET");
    } finally {
      await server.close();
    }
  });

  it("should count a failed call by the backend's code, with no password of the URL in any label", () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-metrics-"));
    const file = join(dir, "failed.prom");
    return (async () => {
      const server = await startFakeLlmServer({
        otherwise: {
          status: 404,
          body: {
            error: { message: "no such model", type: "invalid_request_error", code: "model_not_found" },
          },
        },
      });
      try {
        const child = spawn(
          process.execPath,
          [BIN, ...runArgs(`${server.url}/v1`), `--metrics-file=${file}`],
          { cwd: ROOT, env: env(), stdio: ["ignore", "pipe", "pipe"] },
        );
        const result = await finished(child);
        expect(result.code, result.stderr).toBe(6);
        const written = parseExposition(readFileSync(file, "utf8"));
        expect(
          sampleValue(written, "rllmc_llm_errors_total", {
            provider: "openai-compatible",
            code: "model_not_found",
          }),
        ).toBe(1);
        expect(sampleValue(written, "rllmc_llm_calls_total", { outcome: "error" })).toBe(1);
        expect(sampleValue(written, "rllmc_llm_calls_in_flight", { provider: "openai-compatible" })).toBe(0);

        // A password in the base URL: the call fails one way or another, and the password is nowhere.
        const withPassword = `http://someone:hunter2-pass@127.0.0.1:${server.port}/v1`;
        const second = join(dir, "password.prom");
        const failed = spawnSync(
          process.execPath,
          [BIN, ...runArgs(withPassword), "--metrics-file", second],
          {
            cwd: ROOT,
            env: env(),
            encoding: "utf8",
          },
        );
        expect(failed.status).toBe(6);
        const text = readFileSync(second, "utf8");
        expect(parseExposition(text).samples.length).toBeGreaterThan(0);
        expect(text).not.toContain("hunter2");
        expect(text).not.toContain("SECRET");
      } finally {
        await server.close();
      }
    })();
  });

  it("should refuse a port in use, a bad port and a folder for the file as usage errors (exit 2), running nothing", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", () => resolve()));
    const { port } = taken.address() as AddressInfo;
    const server = await startFakeLlmServer({ otherwise: { body: openAiCompletion(ANSWER) } });
    const dir = mkdtempSync(join(tmpdir(), "rllmc-metrics-"));
    try {
      const cli = (args: string[]) =>
        spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: env(), encoding: "utf8" });
      const inUse = cli([...runArgs(`${server.url}/v1`), "--metrics-port", String(port)]);
      expect(inUse.status).toBe(2);
      expect(inUse.stderr).toContain(`cannot serve metrics on 127.0.0.1:${port}: the port is in use`);
      expect(inUse.stdout).toBe("");
      for (const bad of ["0", "70000", "http", "-1"]) {
        const wrong = cli(["--metrics-port", bad, ...runArgs(`${server.url}/v1`)]);
        expect(wrong.status).toBe(2);
        expect(wrong.stderr).toContain(`--metrics-port must be a port number from 1 to 65535, not '${bad}'`);
      }
      const missing = cli([...runArgs(`${server.url}/v1`), "--metrics-file"]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain("--metrics-file needs a value");
      const hostAlone = cli(["--metrics-host", "127.0.0.1", ...runArgs(`${server.url}/v1`)]);
      expect(hostAlone.status).toBe(2);
      expect(hostAlone.stderr).toContain("--metrics-host needs --metrics-port");
      mkdirSync(join(dir, "folder"));
      const folder = cli([...runArgs(`${server.url}/v1`), "--metrics-file", join(dir, "folder")]);
      expect(folder.status).toBe(2);
      expect(folder.stderr).toContain("RLC0009");
      expect(folder.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
      expect(server.requests).toEqual([]);
    } finally {
      taken.close();
      await server.close();
    }
  });
});
