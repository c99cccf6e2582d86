/**
 * `rllmc run` and `rllmc validate` end to end through the compiled bin: exit codes, one JSON
 * document on stdout, the bundled examples offline, and no secret in any output.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

function rllmc(args: string[], env: Record<string, string> = {}, input?: string) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LLM_|OLLAMA_HOST)/.test(k)),
  );
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...clean, ...env },
    ...(input === undefined ? { stdio: ["ignore", "pipe", "pipe"] } : { input }),
  });
  expect(result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    json: () => JSON.parse(result.stdout),
  };
}

const SUMMARY = [
  "run",
  "examples/summary.rllm",
  "--provider",
  "replay",
  "--input-file",
  "examples/summary.input.json",
];

describe("rllmc run", () => {
  it("should run the summary example offline from its bundled cassette, recovering once", () => {
    const run = rllmc([...SUMMARY, "--verbose"]);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ title: "Why runbooks matter in the container era" });
    expect(run.json().key_points).toHaveLength(4);
    expect(run.stderr).toContain("attempt 1  initial");
    expect(run.stderr).toContain("✗ /key_points: must be array");
    expect(run.stderr).toContain("attempt 2  recovery");
    expect(run.stderr).toContain("repairs: removed a code fence");
  });

  it("should run extract_keywords offline from YAML input, and from stdin", () => {
    const args = ["run", "examples/extract_keywords.rllm", "--provider", "replay"];
    const fromFile = rllmc([...args, "--input-file", "examples/extract_keywords.input.yaml"]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.json().keywords).toContain("search index");
    expect(fromFile.stderr).toBe("");
    const text = rllmc([
      "validate",
      "examples/extract_keywords.rllm",
      "--input-file",
      "examples/extract_keywords.input.yaml",
    ]).json().input;
    const fromStdin = rllmc([...args, "--input-file", "-"], {}, JSON.stringify(text));
    expect(fromStdin.json()).toEqual(fromFile.json());
  });

  it("should fill a one-string-field input from plain text, even text that parses as YAML or JSON", () => {
    const run = rllmc(["validate", "examples/summary.rllm", "--input", "A short text."]);
    expect(run.json()).toMatchObject({ valid: true, input: { text: "A short text.", max_sentences: 3 } });
    for (const text of ["Subject: meeting at 3pm", "2024", "- a\n- b"])
      expect(rllmc(["validate", "examples/summary.rllm", `--input=${text}`]).json().input).toEqual({
        text,
        max_sentences: 3,
      });
    const typo = rllmc(["validate", "examples/summary.rllm", "--input", '{"txt": "x"}']);
    expect(typo.code).toBe(4);
    expect(typo.json().details.errors.map((e: { pointer: string }) => e.pointer)).toEqual(["/text", "/txt"]);
  });

  it("should take the provider from LLM_PROVIDER", () => {
    const run = rllmc(["run", "examples/summary.rllm", "--input", "Some text."], { LLM_PROVIDER: "null" });
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ title: "", summary: "", key_points: [] });
  });

  it("should print an InputSchemaError and exit 4 for input that does not fit", () => {
    const run = rllmc([
      "run",
      "examples/summary.rllm",
      "--provider",
      "null",
      "--input",
      '{"text": "x", "max_sentences": 50}',
    ]);
    expect(run.code).toBe(4);
    expect(run.json()).toMatchObject({ error_code: "RUN2001", error_type: "InputSchemaError" });
    expect(run.json().details.errors[0]).toMatchObject({
      pointer: "/max_sentences",
      keyword: "maximum",
      found: "50",
    });
  });

  it("should refuse a prompt over max_context_window before any call, exit 4", () => {
    const run = rllmc(["validate", "examples/extract_keywords.rllm", "--input", "word ".repeat(20_000)]);
    expect(run.code).toBe(4);
    expect(run.json()).toMatchObject({
      error_type: "ContextWindowExceededError",
      details: { max_context_window: 4096 },
    });
  });

  it("should exit 6 with a ProviderError when the cassette has no answer", () => {
    const run = rllmc([
      "run",
      "examples/summary.rllm",
      "--provider",
      "replay",
      "--input",
      "A different text.",
    ]);
    expect(run.code).toBe(6);
    expect(run.json()).toMatchObject({ error_type: "ProviderError", details: { failure: "unavailable" } });
    expect(run.json().message).toContain("has no answer for this request");
  });

  it("should warn when the provider chosen at run time ignores some llm_params", () => {
    const run = rllmc(["run", "examples/summary.rllm", "--input", "x"], { LLM_PROVIDER: "anthropic" });
    expect(run.stderr).toContain(
      "warning: provider 'anthropic' ignores llm_params temperature, seed of examples/summary.rllm",
    );
    expect(
      rllmc(["run", "examples/summary.rllm", "--input", "x", "--quiet"], { LLM_PROVIDER: "anthropic" })
        .stderr,
    ).toBe("");
  });

  it("should refuse an unknown provider as a usage error (exit 2, did you mean), and exit 6 for a missing key", () => {
    const unknown = rllmc(["run", "examples/summary.rllm", "--provider", "olama", "--input", "x"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain(
      "--provider must be one of openai, anthropic, openai-compatible, ollama, local, null, replay, llama-orch, not 'olama'; did you mean 'ollama'?",
    );
    const keyless = rllmc(["run", "examples/summary.rllm", "--provider", "openai", "--input", "x"]);
    expect(keyless.json()).toMatchObject({ error_type: "ProviderError", details: { failure: "auth" } });
  });

  it("should exit 1 with the matching error class for an app with errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-run-"));
    const app = join(dir, "bad.rllm");
    writeFileSync(
      app,
      "---\nname: bad\ndescription: d\nversion: 1.0.0\nauthor: a\nmax_context_window: 100\ninput_schema: {type: object}\noutput_schema: {type: object}\nllm: {provider: ollama, model: m}\nllm_params: {temprature: 1}\n---\nHi\n",
    );
    const run = rllmc(["run", app, "--input", "{}"]);
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({ error_code: "RUN1003", error_type: "LLMParamValidationError" });
    expect(run.json().message).toContain(
      "bad.rllm:10:14 - error RLM2101: unknown LLM parameter 'temprature'",
    );
    expect(run.json().recovery_hint).toContain("did you mean 'temperature'?");
  });

  it("should run a composition from its bundled cassette: the children, then the parent", () => {
    const run = rllmc([
      "run",
      "examples/compose_summary_keywords.rllm",
      "--provider",
      "replay",
      "--input-file",
      "examples/compose_summary_keywords.input.json",
      "--verbose",
    ]);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      title: "Why runbooks matter in the container era",
      keywords: ["container orchestration", "runbooks", "deployments"],
    });
    expect(run.stderr).toMatch(/child {4}compose_summary_keywords → summary: ok after 1 attempt/);
    expect(run.stderr).toMatch(/child {4}compose_summary_keywords → extract_keywords: ok after 1 attempt/);
  });

  it("should fail a composition with the child's error and the chain of apps", () => {
    // A cassette with no answer for the first child: it fails, and the parent never calls.
    const run = rllmc([
      "run",
      "examples/compose_summary_keywords.rllm",
      "--provider",
      "replay",
      "--cassette",
      "examples/extract_keywords.cassette.json",
      "--input",
      "Cats purr.",
    ]);
    expect(run.code).toBe(6);
    expect(run.json()).toMatchObject({
      error_type: "ProviderError",
      details: { app_chain: ["compose_summary_keywords", "summary"] },
    });
    expect(run.json().message).toMatch(/^in compose_summary_keywords → summary: /);
  });

  it("should run an app's js pre block and python post block, and exit on its own", () => {
    // The null provider answers {"headline": ""}; the post block counts its words.
    const run = rllmc([
      "run",
      "goldens/rllm/code-blocks/input.rllm",
      "--provider",
      "null",
      "--input",
      "  a   b  ",
    ]);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ headline: "", words: 0 });
  });

  it("should refuse an app whose uses mapping breaks a child's contract, as a dependency error", () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-uses-"));
    const app = (name: string, input: string, extra: string, body: string) =>
      `---\nname: ${name}\ndescription: d\nversion: 1.0.0\nauthor: a\nmax_context_window: 4096\ninput_schema: ${input}\noutput_schema: { type: object }\nllm: { provider: ollama, model: m }\nllm_params: {}\n${extra}---\n${body}\n`;
    writeFileSync(
      join(dir, "kid.rllm"),
      app("kid", "{ type: object, required: [n], properties: { n: { type: integer } } }", "", "{{n}}"),
    );
    writeFileSync(
      join(dir, "parent.rllm"),
      app(
        "parent",
        "{ type: object, required: [text], properties: { text: { type: string } } }",
        "uses:\n  - name: kid\n    path: kid.rllm\n    inputs: { n: text }\n",
        "{{text}} {{json kid}}",
      ),
    );
    const run = rllmc(["run", join(dir, "parent.rllm"), "--provider", "null", "--input", "x"]);
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({ error_code: "RUN1004", error_type: "DependencyResolutionError" });
    expect(run.json().message).toContain("RLM2114: child 'kid' input 'n' expects integer, but gets string");
  });

  it("should never print a secret", () => {
    const secret = "sk-proj-0123456789abcdefSECRET";
    const run = rllmc(
      [
        "run",
        "examples/summary.rllm",
        "--provider",
        "null",
        "--input",
        JSON.stringify({ text: secret, extra: secret }),
        "--verbose",
      ],
      { LLM_API_KEY: secret, MY_SERVICE_TOKEN: "tok-value-42" },
    );
    expect(run.code).toBe(4);
    expect(run.stdout + run.stderr).not.toContain(secret);
    expect(run.stdout).toContain("[REDACTED]");
  });

  it("should load an unchanged app from the run cache, and a changed one afresh", () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-cached-"));
    const cache = join(dir, "cache");
    const app = join(dir, "summary.rllm");
    writeFileSync(app, readFileSync(join(ROOT, "examples/summary.rllm")));
    const args = ["run", app, "--provider", "null", "--input", "Some text.", "--verbose"];
    const first = rllmc(args, { RLLMC_CACHE_DIR: cache });
    expect(first.stderr).not.toContain("from the run cache");
    expect(readdirSync(cache)).toHaveLength(1);
    const second = rllmc(args, { RLLMC_CACHE_DIR: cache });
    expect(second.stderr).toContain("from the run cache");
    expect(second.stdout).toBe(first.stdout);
    // A broken entry is rebuilt, never an error.
    writeFileSync(join(cache, readdirSync(cache)[0]!), "export const definition = ;");
    const rebuilt = rllmc(args, { RLLMC_CACHE_DIR: cache });
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).not.toContain("from the run cache");
    expect(rllmc(args, { RLLMC_CACHE_DIR: cache }).stderr).toContain("from the run cache");
    // A changed app is a new entry, and its new warning is printed.
    writeFileSync(app, readFileSync(app, "utf8").replace("{{text}}", "text"));
    const changed = rllmc(args, { RLLMC_CACHE_DIR: cache });
    expect(changed.stderr).not.toContain("from the run cache");
    expect(changed.stderr).toContain("RLM2106");
    expect(rllmc(args, { RLLMC_CACHE_DIR: cache }).stderr).toContain("RLM2106");
    expect(rllmc([...args, "--no-cache"], { RLLMC_CACHE_DIR: cache }).stderr).not.toContain(
      "from the run cache",
    );
  });

  it("should report wrong command lines on stderr with exit 2", () => {
    expect(rllmc(["run", "examples/summary.rllm"]).code).toBe(2);
    expect(rllmc(["run", "examples/summary.rllm", "--input", "x", "--max-retries", "many"]).stderr).toContain(
      "--max-retries must be a whole number",
    );
    expect(rllmc(["run", "examples/summary.rllm", "--input", "x", "--modle", "m"]).stderr).toContain(
      "did you mean '--model'?",
    );
  });
});
