import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ignoredParams, resolveConfig } from "../../src/runtime/app/config.js";
import { ProviderFailure } from "../../src/runtime/app/provider.js";
import {
  canonicalJson,
  createRecordingProvider,
  createReplayProvider,
  requestHash,
} from "../../src/runtime/app/providers/cassette.js";
import { Redactor } from "../../src/runtime/shared/redact.js";
import { scriptedProvider } from "../support/scripted-provider.js";

const app = { llm: { provider: "ollama", model: "llama3.2:3b" }, source: "apps/summary.rllm" };

describe("resolveConfig", () => {
  it("should take each setting from the flag, else the environment, else the app", () => {
    expect(resolveConfig(app, {}, {})).toMatchObject({
      provider: "ollama",
      model: "llama3.2:3b",
      baseUrl: undefined,
      origins: { provider: "app", model: "app", baseUrl: "default" },
    });
    const env = {
      LLM_PROVIDER: "openai-compatible",
      LLM_MODEL: "qwen",
      LLM_BASE_URL: "http://h:1/v1",
      LLM_API_KEY: "k",
    };
    expect(resolveConfig(app, {}, env)).toMatchObject({
      provider: "openai-compatible",
      model: "qwen",
      baseUrl: "http://h:1/v1",
      apiKey: "k",
      origins: { provider: "env", model: "env", baseUrl: "env" },
    });
    expect(resolveConfig(app, { provider: "null", model: "m", baseUrl: "http://f" }, env)).toMatchObject({
      provider: "null",
      model: "m",
      baseUrl: "http://f",
      origins: { provider: "flag", model: "flag", baseUrl: "flag" },
    });
  });

  it("should fall back to the app's base_url", () => {
    const withUrl = { llm: { provider: "openai-compatible", model: "m", baseUrl: "http://app:8000/v1" } };
    expect(resolveConfig(withUrl, {}, {})).toMatchObject({
      baseUrl: "http://app:8000/v1",
      origins: { baseUrl: "app" },
    });
    expect(resolveConfig(withUrl, {}, { LLM_BASE_URL: "http://env/v1" }).baseUrl).toBe("http://env/v1");
  });

  it("should never send a key to a server only the app names, nor let it redirect openai", () => {
    const env = { LLM_API_KEY: "user-key-123", OPENAI_API_KEY: "sk-user" };
    const compatible = { llm: { provider: "openai-compatible", model: "m", baseUrl: "http://elsewhere/v1" } };
    expect(resolveConfig(compatible, {}, env)).toMatchObject({
      baseUrl: "http://elsewhere/v1",
      apiKey: undefined,
    });
    expect(resolveConfig(compatible, { baseUrl: "http://mine/v1" }, env).apiKey).toBe("user-key-123");
    const openai = { llm: { provider: "openai", model: "m", baseUrl: "http://attacker/v1" } };
    expect(resolveConfig(openai, {}, env)).toMatchObject({ baseUrl: undefined, apiKey: "user-key-123" });
  });

  it("should read OLLAMA_HOST for ollama, with or without a scheme", () => {
    expect(resolveConfig(app, {}, { OLLAMA_HOST: "gpu-box:11434" }).baseUrl).toBe("http://gpu-box:11434");
    expect(
      resolveConfig(app, { provider: "openai-compatible" }, { OLLAMA_HOST: "x:1" }).baseUrl,
    ).toBeUndefined();
  });

  it("should take the API key from LLM_API_KEY, else the provider's own variable", () => {
    expect(resolveConfig(app, { provider: "openai" }, { OPENAI_API_KEY: "o" }).apiKey).toBe("o");
    expect(
      resolveConfig(app, { provider: "anthropic" }, { ANTHROPIC_API_KEY: "a", LLM_API_KEY: "l" }).apiKey,
    ).toBe("l");
  });

  it("should resolve a local model named by the app against the app's folder", () => {
    const local = { llm: { provider: "local", model: "models/tiny.gguf" }, source: "apps/x.rllm" };
    expect(resolveConfig(local, {}, {}).model).toBe(resolve("apps/models/tiny.gguf"));
    expect(resolveConfig(local, { model: "other.gguf" }, {}).model).toBe("other.gguf");
  });

  it("should default the cassette to <app>.cassette.json beside the app", () => {
    expect(resolveConfig(app, { provider: "replay" }, {}).cassette).toBe(
      resolve("apps/summary.cassette.json"),
    );
  });

  it("should say which parameters a provider ignores", () => {
    expect(ignoredParams("anthropic", { temperature: 0, seed: 1, max_tokens: 5, stop: "x" })).toEqual([
      "temperature",
      "seed",
    ]);
    expect(ignoredParams("ollama", { temperature: 0, seed: 1 })).toEqual([]);
    expect(ignoredParams("replay", { temperature: 0 })).toEqual([]);
  });

  it("should refuse an unknown provider, naming where it came from", () => {
    expect(() => resolveConfig(app, {}, { LLM_PROVIDER: "olama" })).toThrow(
      /unknown provider 'olama' \(from LLM_PROVIDER\)/,
    );
    expect(() => resolveConfig(app, {}, { LLM_PROVIDER: "olama" })).toThrow(ProviderFailure);
  });
});

describe("cassettes", () => {
  const request = {
    model: "m",
    messages: [{ role: "user" as const, content: "hi" }],
    schema: { type: "object", properties: { a: { type: "string" } } },
    params: { temperature: 0, seed: 1 },
  };

  it("should hash requests canonically, whatever the key order", () => {
    const reordered = {
      params: { seed: 1, temperature: 0 },
      schema: { properties: { a: { type: "string" } }, type: "object" },
      messages: request.messages,
      model: "m",
    };
    expect(requestHash(reordered)).toBe(requestHash(request));
    expect(requestHash({ ...request, model: "n" })).not.toBe(requestHash(request));
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });

  it("should record answers (redacted) and replay them by request hash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-cassette-"));
    const path = join(dir, "c.json");
    const inner = scriptedProvider(['{"a": "secret-value-123 ok"}']);
    const recorder = createRecordingProvider(inner, path, new Redactor(["secret-value-123"]));
    await recorder.complete(request);
    const stored = readFileSync(path, "utf8");
    expect(stored).not.toContain("secret-value-123");
    expect(JSON.parse(stored)).toMatchObject({
      version: 1,
      interactions: [{ request_hash: requestHash(request) }],
    });

    const replay = createReplayProvider(path);
    const answer = await replay.complete({ ...request, signal: AbortSignal.timeout(1000) });
    expect(answer.text).toBe('{"a": "[REDACTED] ok"}');
    await expect(replay.complete({ ...request, model: "other" })).rejects.toThrow(
      /has no answer for this request \(sha256:/,
    );
  });

  it("should fail, not retry, when the cassette cannot be written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-cassette-"));
    writeFileSync(join(dir, "file"), "");
    const recorder = createRecordingProvider(
      scriptedProvider(["{}"]),
      join(dir, "file", "c.json"),
      new Redactor([]),
    );
    const error = await recorder.complete(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailure);
    expect(error).toMatchObject({ kind: "unavailable", retryable: false });
    expect((error as Error).message).toContain("cannot write cassette");
  });

  it("should refuse a cassette that is missing or not a cassette, and never overwrite a broken one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-cassette-"));
    await expect(createReplayProvider(join(dir, "none.json")).complete(request)).rejects.toThrow(
      /does not exist/,
    );
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ nope");
    await expect(createReplayProvider(broken).complete(request)).rejects.toThrow(/is not JSON/);
    const recorder = createRecordingProvider(scriptedProvider(["{}"]), broken, new Redactor([]));
    await expect(recorder.complete(request)).rejects.toThrow(/is not JSON/);
    expect(readFileSync(broken, "utf8")).toBe("{ nope");
  });
});
