/**
 * ensureOllamaModel against a fake Ollama server on loopback: which model a run gets, the
 * OllamaModelMissingError payload, auto-pull with streamed progress, and every way a listing or a
 * pull can fail.
 */
import { afterEach, describe, expect, it } from "vitest";
import { RllmError } from "../../src/runtime/app/errors.js";
import {
  type EnsureOllamaModelOptions,
  ensureOllamaModel,
  normaliseOllamaName,
  type PullProgress,
  sameOllamaModel,
} from "../../src/runtime/app/providers/ollama-models.js";
import { startFakeLlmServer, unusedPort } from "../support/fake-llm-server.js";
import { type FakeOllama, type FakeOllamaOptions, pullLines, startFakeOllama } from "./fake-ollama.js";

const servers: FakeOllama[] = [];

async function serve(options: FakeOllamaOptions): Promise<FakeOllama> {
  const server = await startFakeOllama(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** What ensureOllamaModel threw, which must be an RllmError. */
async function failure(options: EnsureOllamaModelOptions): Promise<RllmError> {
  const error = await ensureOllamaModel(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RllmError);
  return error as RllmError;
}

function paths(server: FakeOllama): string[] {
  return server.requests.map((r) => `${r.method} ${r.path}`);
}

describe("model names", () => {
  it.each([
    ["llama3.2", "llama3.2:latest", true],
    ["LLama3.2:Latest", "llama3.2", true],
    ["llama3.2", "llama3.2:3b", false],
    ["llama3.2:3b", "llama3.2:1b", false],
    ["registry.ollama.ai/library/qwen2.5:7b", "qwen2.5:7b", true],
    ["user/model", "registry.ollama.ai/user/model:latest", true],
    ["hf.co/org/repo:Q4_K_M", "hf.co/org/repo:q4_k_m", true],
    ["localhost:5000/team/m", "localhost:5000/team/m:latest", true],
  ])("should say %s and %s are the same model: %s", (a, b, same) => {
    expect(sameOllamaModel(a, b)).toBe(same);
  });

  it("should keep a registry port apart from the tag", () => {
    expect(normaliseOllamaName("localhost:5000/team/m")).toBe("localhost:5000/team/m:latest");
    expect(normaliseOllamaName("llama3.2")).toBe("registry.ollama.ai/library/llama3.2:latest");
  });
});

describe("choosing the model", () => {
  it("should use the configured model when the server has it, without pulling", async () => {
    const server = await serve({ models: ["llama3.2:3b", "qwen2.5:7b"] });
    const ready = await ensureOllamaModel({ host: server.url, model: "llama3.2:3b" });
    expect(ready).toEqual({ model: "llama3.2:3b", pulled: false, notice: undefined });
    expect(paths(server)).toEqual(["GET /api/tags"]);
  });

  it("should find a model named without a tag when the server lists it as name:latest", async () => {
    const server = await serve({ models: ["mistral:latest"] });
    const ready = await ensureOllamaModel({ host: `${server.url}/`, model: "mistral" });
    expect(ready.model).toBe("mistral");
  });

  it("should not take name:latest for a model named with another tag", async () => {
    const server = await serve({ models: ["llama3.2:latest"] });
    const error = await failure({ host: server.url, model: "llama3.2:3b" });
    expect(error.payload.error_type).toBe("OllamaModelMissingError");
    expect(error.message).toContain("did you mean llama3.2:latest?");
  });

  it("should use the first recommended model the server has, with a notice, when the app's own model is missing", async () => {
    const server = await serve({ models: ["qwen2.5:7b", "phi3:latest"] });
    const ready = await ensureOllamaModel({
      host: server.url,
      model: "llama3.2:3b",
      recommended: ["llama3.2:3b", "phi3", "qwen2.5:7b"],
    });
    expect(ready).toEqual({
      model: "phi3",
      pulled: false,
      notice: `ollama: llama3.2:3b is not on the server at ${server.url}; using phi3 from the app's recommended_models`,
    });
  });

  it("should prefer a recommended model the server has to pulling, even with auto-pull", async () => {
    const server = await serve({ models: ["qwen2.5:7b"] });
    const ready = await ensureOllamaModel({
      host: server.url,
      model: "llama3.2:3b",
      recommended: ["qwen2.5:7b"],
      autoPull: true,
    });
    expect(ready.model).toBe("qwen2.5:7b");
    expect(paths(server)).toEqual(["GET /api/tags"]);
  });

  it("should never swap a model the user chose, but say the recommended one is there", async () => {
    const server = await serve({ models: ["qwen2.5:7b"] });
    const error = await failure({
      host: server.url,
      model: "llama3.2:3b",
      recommended: ["qwen2.5:7b"],
      explicit: true,
    });
    expect(error.payload.error_type).toBe("OllamaModelMissingError");
    expect(error.payload.details).toMatchObject({ recommended_available: ["qwen2.5:7b"] });
    expect(error.message).toContain("run without --model or LLM_MODEL to use it");
  });

  it("should take the first recommended model when none is configured", async () => {
    const server = await serve({ models: ["qwen2.5:7b"] });
    const ready = await ensureOllamaModel({ host: server.url, model: "", recommended: ["qwen2.5:7b"] });
    expect(ready.model).toBe("qwen2.5:7b");
    expect(ready.notice).toBe("ollama: using qwen2.5:7b from the app's recommended_models");
  });
});

describe("a missing model", () => {
  it("should fail with OllamaModelMissingError naming the server, the models and the pull command", async () => {
    const server = await serve({ models: ["mistral:latest", "gemma2:2b"] });
    const error = await failure({
      host: server.url,
      model: "llama3.2:3b",
      recommended: ["llama3.2:3b", "qwen2.5:7b"],
    });
    expect(error.exitCode).toBe(6);
    const { doc_ref, recovery_hint, ...payload } = error.payload;
    const shown = JSON.parse(JSON.stringify(payload).replaceAll(server.url, "<server>"));
    expect(shown).toMatchInlineSnapshot(`
      {
        "details": {
          "auto_pull": false,
          "available": [
            "gemma2:2b",
            "mistral:latest",
          ],
          "looked_for": [
            "llama3.2:3b",
            "qwen2.5:7b",
          ],
          "model": "llama3.2:3b",
          "pull_command": "ollama pull llama3.2:3b",
          "recommended_available": [],
          "server": "<server>",
        },
        "error_code": "RUN4002",
        "error_type": "OllamaModelMissingError",
        "expected_schema": null,
        "message": "model llama3.2:3b is not on the Ollama server at <server>; nor is any of the app's recommended_models (qwen2.5:7b); it has gemma2:2b, mistral:latest",
        "received_payload": null,
      }
    `);
    expect(doc_ref).toBe("docs/errors.md#run4002-ollamamodelmissingerror");
    expect(recovery_hint).toContain("ollama pull llama3.2:3b");
    expect(recovery_hint).toContain("--ollama-auto-pull");
    expect(paths(server)).toEqual(["GET /api/tags"]);
  });

  it("should say the server has no models when it has none", async () => {
    const server = await serve({ models: [] });
    const error = await failure({ host: server.url, model: "llama3.2" });
    expect(error.message).toContain("it has no models");
    expect(error.payload.details).toMatchObject({ available: [], pull_command: "ollama pull llama3.2" });
  });
});

describe("auto-pull", () => {
  it("should pull the configured model, streaming its progress, then use it", async () => {
    const server = await serve({ models: ["mistral:latest"] });
    const seen: PullProgress[] = [];
    const ready = await ensureOllamaModel({
      host: server.url,
      model: "llama3.2:3b",
      recommended: ["qwen2.5:7b"],
      autoPull: true,
      onProgress: (p) => seen.push(p),
    });
    expect(ready).toEqual({ model: "llama3.2:3b", pulled: true, notice: undefined });
    expect(paths(server)).toEqual(["GET /api/tags", "POST /api/pull"]);
    expect(server.requests[1]!.body).toEqual({ model: "llama3.2:3b", stream: true });
    expect(seen.map((p) => p.status)).toEqual(pullLines().map((l) => l.status));
    expect(seen[2]).toEqual({
      model: "llama3.2:3b",
      status: "pulling abababababab",
      digest: `sha256:${"ab".repeat(32)}`,
      total: 2_000_000_000,
      completed: 1_000_000_000,
    });
    expect(server.models).toContain("llama3.2:3b");
  });

  it("should fail with the server's words when the stream carries an error line", async () => {
    const server = await serve({
      pulls: [
        {
          lines: [{ status: "pulling manifest" }, { error: "pull model manifest: file does not exist" }],
        },
      ],
    });
    const seen: string[] = [];
    const error = await failure({
      host: server.url,
      model: "no-such-model",
      autoPull: true,
      onProgress: (p) => seen.push(p.status),
    });
    expect(error.payload).toMatchObject({
      error_code: "RUN4001",
      error_type: "ProviderError",
      message: "Ollama could not pull no-such-model: pull model manifest: file does not exist",
      details: {
        failure: "request",
        server: server.url,
        model: "no-such-model",
        error: "pull model manifest: file does not exist",
        pull_command: "ollama pull no-such-model",
      },
    });
    expect(error.exitCode).toBe(6);
    expect(seen).toEqual(["pulling manifest", "failed"]);
  });

  it("should fail on an HTTP 500 from /api/pull", async () => {
    const server = await serve({ pulls: [{ status: 500, error: "disk full" }] });
    const error = await failure({ host: server.url, model: "llama3.2", autoPull: true });
    expect(error.payload).toMatchObject({
      error_type: "ProviderError",
      details: { failure: "server", status: 500, error: "disk full", model: "llama3.2" },
    });
    expect(error.message).toBe(
      `the Ollama server at ${server.url} answered HTTP 500 when pulling llama3.2: disk full`,
    );
  });

  it("should fail when the server goes away mid-stream", async () => {
    const server = await serve({ pulls: [{ destroyAfter: 3 }] });
    const seen: string[] = [];
    const error = await failure({
      host: server.url,
      model: "llama3.2",
      autoPull: true,
      onProgress: (p) => seen.push(p.status),
    });
    expect(error.payload.details).toMatchObject({ failure: "connection", model: "llama3.2" });
    expect(error.message).toMatch(/broke while pulling llama3\.2|stopped answering before the pull/);
    expect(seen.at(-1)).toBe("failed");
  });

  it("should fail when the stream ends cleanly without success", async () => {
    const server = await serve({ pulls: [{ lines: pullLines().slice(0, 4) }] });
    const error = await failure({ host: server.url, model: "llama3.2", autoPull: true });
    expect(error.payload.details).toMatchObject({ failure: "connection", last: "pulling abababababab" });
    expect(error.message).toContain("stopped answering before the pull of llama3.2 finished");
  });

  it("should fail on a progress line that is not JSON", async () => {
    const server = await serve({ pulls: [{ lines: [{ status: "pulling manifest" }, "<html>"] }] });
    const error = await failure({ host: server.url, model: "llama3.2", autoPull: true });
    expect(error.payload.details).toMatchObject({ failure: "malformed", received: "<html>" });
  });

  it("should give up on a pull that sends nothing for the idle timeout", async () => {
    const server = await serve({ pulls: [{ lineDelayMs: 1_000 }] });
    const error = await failure({
      host: server.url,
      model: "llama3.2",
      autoPull: true,
      pullIdleTimeoutMs: 100,
    });
    expect(error.payload.details).toMatchObject({ failure: "timeout", model: "llama3.2" });
  });
});

describe("an unusable server", () => {
  it("should fail with a connection ProviderError and the ollama serve hint when nothing listens", async () => {
    const host = `http://127.0.0.1:${await unusedPort()}`;
    const error = await failure({ host, model: "llama3.2" });
    expect(error.payload).toMatchObject({
      error_code: "RUN4001",
      error_type: "ProviderError",
      details: { failure: "connection", server: host, status: null },
    });
    expect(error.message).toMatch(new RegExp(`^cannot reach the Ollama server at ${host}: ECONNREFUSED`));
    expect(error.payload.recovery_hint).toContain("ollama serve");
    expect(error.payload.recovery_hint).toContain("OLLAMA_HOST");
  });

  it.each([
    ["a body that is not JSON", "<html>not ollama</html>"],
    ["JSON without models", { data: [] }],
    ["models without names", { models: [{ size: 1 }] }],
  ])("should fail with a malformed ProviderError when /api/tags answers %s", async (_, body) => {
    const server = await serve({ tags: { body } });
    const error = await failure({ host: server.url, model: "llama3.2" });
    expect(error.payload).toMatchObject({
      error_type: "ProviderError",
      details: { failure: "malformed", server: server.url, status: 200 },
    });
    expect(error.payload.recovery_hint).toContain("GET /api/tags");
  });

  it("should fail with the status when /api/tags answers an HTTP error", async () => {
    const server = await serve({ tags: { status: 404, body: "404 page not found" } });
    const error = await failure({ host: server.url, model: "llama3.2" });
    expect(error.payload.details).toMatchObject({
      failure: "request",
      status: 404,
      error: "404 page not found",
    });
  });

  it("should time out a listing that does not answer", async () => {
    const stalled = await startFakeLlmServer({ otherwise: { stall: true } });
    try {
      const error = await failure({ host: stalled.url, model: "llama3.2", timeoutMs: 100 });
      expect(error.payload.details).toMatchObject({ failure: "timeout", server: stalled.url });
      expect(error.message).toBe(
        `the Ollama server at ${stalled.url} did not answer in time when listing its models`,
      );
    } finally {
      await stalled.close();
    }
  });

  it("should stop when the caller aborts", async () => {
    const server = await serve({ models: [] });
    const error = await failure({ host: server.url, model: "llama3.2", signal: AbortSignal.abort() });
    expect(error.payload.details).toMatchObject({ failure: "aborted" });
  });
});
