/**
 * `rllmc run` on Ollama end to end through the compiled bin, against a fake Ollama server in this
 * process: a missing model is RUN4002 with exit 6 and nothing downloaded; `--ollama-auto-pull`
 * (or RLLMC_OLLAMA_AUTO_PULL=1) pulls it, with progress on stderr, then runs.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { unusedPort } from "../support/fake-llm-server.js";
import { type FakeOllama, type FakeOllamaOptions, startFakeOllama } from "./fake-ollama.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The built bin; RLLMC_TEST_BIN points at another build (one compiled to a scratch folder). */
const BIN = process.env.RLLMC_TEST_BIN ?? join(ROOT, "dist/src/cli/main.js");

const ANSWER = JSON.stringify({
  title: "Runbooks in the container era",
  summary: "Containers became the default. Runbooks matter more than ever.",
  key_points: ["Deployments are repeatable.", "On-call engineers need runbooks."],
});

let server: FakeOllama | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(options: FakeOllamaOptions): Promise<FakeOllama> {
  server = await startFakeOllama({ answer: ANSWER, ...options });
  return server;
}

/** What stdout holds: the app's output, or an error payload. */
type Printed = Record<string, unknown> & {
  readonly details: Readonly<Record<string, unknown>>;
  readonly recovery_hint: string;
};

/** Runs the bin without blocking this process, whose HTTP server must answer it. */
function rllmc(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string; json: () => Printed }> {
  // Settings that would change the run go; RLLMC_HOME (and HOME, XDG_*) stay: the test setup
  // points them at temporary folders, and the bin must not record its runs in the user's stats.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k === "RLLMC_HOME" || !/^(LLM_|OLLAMA_HOST|RLLMC_)/.test(k)),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...clean, RLLMC_CACHE_DIR: mkdtempSync(join(tmpdir(), "rllmc-ollama-")), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      expect(stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
    });
  });
}

function summary(url: string, ...extra: string[]): string[] {
  return [
    "run",
    "examples/summary.rllm",
    "--provider",
    "ollama",
    "--base-url",
    url,
    "--input-file",
    "examples/summary.input.json",
    ...extra,
  ];
}

function paths(s: FakeOllama): string[] {
  return s.requests.map((r) => `${r.method} ${r.path}`);
}

describe("rllmc run on Ollama", () => {
  it("should exit 6 with the OllamaModelMissingError payload, and pull nothing, when the model is missing", async () => {
    const s = await serve({ models: ["mistral:latest"] });
    const run = await rllmc(summary(s.url));
    expect(run.code).toBe(6);
    const payload = run.json();
    expect(payload).toMatchObject({
      error_code: "RUN4002",
      error_type: "OllamaModelMissingError",
      details: {
        server: s.url,
        model: "llama3.2:3b",
        available: ["mistral:latest"],
        pull_command: "ollama pull llama3.2:3b",
        auto_pull: false,
      },
      doc_ref: "docs/errors.md#run4002-ollamamodelmissingerror",
    });
    expect(payload.details.looked_for).toContain("llama3.2:3b");
    expect(payload.recovery_hint).toContain("--ollama-auto-pull");
    expect(paths(s)).toEqual(["GET /api/tags"]);
  });

  it("should pull the model with --ollama-auto-pull, show progress on stderr, then run", async () => {
    const s = await serve({ models: [] });
    const run = await rllmc(summary(s.url, "--ollama-auto-pull"));
    expect(run.stdout).not.toContain("error_code");
    expect(run.code).toBe(0);
    expect(run.json()).toEqual(JSON.parse(ANSWER));
    expect(paths(s)).toEqual(["GET /api/tags", "POST /api/pull", "POST /api/chat"]);
    expect(s.requests[1]!.body).toEqual({ model: "llama3.2:3b", stream: true });
    expect(s.requests[2]!.body).toMatchObject({ model: "llama3.2:3b" });
    expect(run.stderr.split("\n")).toEqual([
      "ollama: pulling llama3.2:3b: pulling manifest",
      "ollama: pulling llama3.2:3b: pulling abababababab (2000 MB)",
      "ollama: pulling llama3.2:3b: verifying sha256 digest",
      "ollama: pulling llama3.2:3b: writing manifest",
      "ollama: pulled llama3.2:3b",
      "",
    ]);
    // The run is recorded in this test worker's RLLMC_HOME (test/setup/isolate-home.ts), never in
    // the user's own stats.
    expect(existsSync(join(process.env.RLLMC_HOME!, "stats.sqlite"))).toBe(true);
  });

  it("should pull when RLLMC_OLLAMA_AUTO_PULL=1, and print nothing with --quiet", async () => {
    const s = await serve({ models: [] });
    const run = await rllmc(summary(s.url, "--quiet"), { RLLMC_OLLAMA_AUTO_PULL: "1" });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(paths(s)).toContain("POST /api/pull");
  });

  it("should exit 6 with the server's words when the pull fails", async () => {
    const s = await serve({ pulls: [{ status: 500, error: "no space left on device" }] });
    const run = await rllmc(summary(s.url, "--ollama-auto-pull"));
    expect(run.code).toBe(6);
    expect(run.json()).toMatchObject({
      error_code: "RUN4001",
      details: { failure: "server", status: 500, error: "no space left on device" },
    });
    expect(run.stderr).toBe("ollama: pulling llama3.2:3b failed\n");
  });

  it("should not swap a model chosen with --model for a recommended one", async () => {
    const s = await serve({ models: ["qwen2.5:7b"] });
    const run = await rllmc(summary(s.url, "--model", "llama3.2:1b"));
    expect(run.code).toBe(6);
    expect(run.json()).toMatchObject({ error_code: "RUN4002", details: { model: "llama3.2:1b" } });
    expect(paths(s)).toEqual(["GET /api/tags"]);
  });

  it("should run on a recommended model the server has, with a notice, when the app's own is missing", async () => {
    const s = await serve({ models: ["qwen2.5:7b"] });
    const run = await rllmc(summary(s.url));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("using qwen2.5:7b from the app's recommended_models");
    expect(s.requests.at(-1)!.body).toMatchObject({ model: "qwen2.5:7b" });
  });

  it("should exit 6 with a connection ProviderError when no Ollama server listens", async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const run = await rllmc(summary(url));
    expect(run.code).toBe(6);
    expect(run.json()).toMatchObject({
      error_code: "RUN4001",
      details: { failure: "connection", server: url },
    });
    expect(run.json().recovery_hint).toContain("ollama serve");
  });
});
