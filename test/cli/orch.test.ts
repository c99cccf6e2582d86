/**
 * The llama-orch provider and `rllmc orch` through the compiled bin, against the test server
 * (test/support/llama-orch-server.ts): a run end to end, a backend error in the run's payload,
 * ctx_max refused before admission, status, session show and drop, usage errors.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { StatsStore } from "../../src/runtime/app/stats/store.js";
import {
  type LlamaOrchServer,
  type LlamaOrchServerOptions,
  orchError,
  startLlamaOrchServer,
} from "../support/llama-orch-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

const servers: LlamaOrchServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: LlamaOrchServerOptions = {}): Promise<LlamaOrchServer> {
  const server = await startLlamaOrchServer(options);
  servers.push(server);
  return server;
}

/** Runs the bin without blocking this process's event loop (the server answers from it). */
function rllmc(
  args: readonly string[],
  env: Record<string, string> = {},
  onSpawn?: (child: ReturnType<typeof spawn>) => void,
) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(LLM_|OLLAMA_HOST|LLAMA_ORCH_|TRACKING_BREADCRUMB)/.test(k),
    ),
  );
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...clean, RLLMC_STATS: "off", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    onSpawn?.(child);
    child.on("close", (code) => {
      expect(stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
      resolve({ code, stdout, stderr });
    });
  });
}

const RUN = [
  "run",
  "examples/extract_keywords.rllm",
  "--input-file",
  "examples/extract_keywords.input.yaml",
  "--provider",
  "llama-orch",
];

describe("rllmc run --provider llama-orch", () => {
  it("should redact a --base-url password that the server echoes as plain text", async () => {
    const server = await serve({ answer: () => "{}" });
    server.enqueueAdmission(
      orchError("INVALID_PARAMS", { message: "bad ctx for user bob, password hunter2-s3cret" }),
    );
    const url = server.url.replace("http://", "http://bob:hunter2-s3cret@");
    const run = await rllmc([...RUN, "--base-url", url, "--model", "m"]);
    expect(run.code).toBe(6);
    expect(`${run.stdout}${run.stderr}`).toContain("password [REDACTED]");
    expect(`${run.stdout}${run.stderr}`).not.toContain("hunter2-s3cret");
  });

  it("should run an app through llama-orch end to end, recording what the backend said in stats", async () => {
    const server = await serve({ answer: () => '{"keywords": ["retrieval", "search index"]}' });
    const home = mkdtempSync(join(tmpdir(), "rllmc-orch-"));
    const run = await rllmc([...RUN, "--base-url", server.url, "--model", "repo:Org/Model"], {
      TRACKING_BREADCRUMB: "user=alice correlation_id=req-7",
      RLLMC_STATS: "on",
      RLLMC_HOME: home,
    });
    // llama-orch takes no temperature (determinism says whether sampling is strict).
    expect(run.stderr).toBe(
      "warning: provider 'llama-orch' ignores llm_params temperature of examples/extract_keywords.rllm\n",
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ keywords: ["retrieval", "search index"] });
    const [admission] = server.requestsTo("POST", "/v1/tasks");
    expect(admission!.body).toMatchObject({
      model_ref: "repo:Org/Model",
      workload: "completion",
      ctx: 4096,
      max_tokens: 256,
      priority: "interactive",
      deadline_ms: 120_000,
    });
    expect(admission!.headers["x-correlation-id"]).toBe("req-7.1");
    expect(server.stats.completed).toBe(1);
    const store = StatsStore.open(join(home, "stats.sqlite"));
    const rows = store.all(
      "SELECT provider, model, seed, determinism, queue_position, predicted_start_ms, queue_wait_ms, decode_ms, task_id, correlation_id FROM runs",
    );
    store.close();
    expect(rows).toEqual([
      {
        provider: "llama-orch",
        model: "repo:Org/Model",
        seed: null,
        determinism: "best_effort",
        queue_position: 0,
        predicted_start_ms: 0,
        queue_wait_ms: expect.any(Number),
        decode_ms: expect.any(Number),
        task_id: (admission!.body as { task_id: string }).task_id,
        correlation_id: "req-7.1",
      },
    ]);
  });

  it("should take the provider and server from LLM_PROVIDER and LLM_BASE_URL", async () => {
    const server = await serve({ answer: () => '{"keywords": ["rag"]}' });
    const args = [
      "run",
      "examples/extract_keywords.rllm",
      "--input-file",
      "examples/extract_keywords.input.yaml",
    ];
    const run = await rllmc(args, { LLM_PROVIDER: "llama-orch", LLM_BASE_URL: server.url });
    expect([run.code, JSON.parse(run.stdout)]).toEqual([0, { keywords: ["rag"] }]);
    expect(server.requestsTo("POST", "/v1/tasks")[0]!.body).toMatchObject({ model_ref: "llama3.2:3b" });
  });

  it("should print the backend's code in the payload of a failed run, without retrying INTERNAL", async () => {
    const server = await serve({ admissions: [orchError("INTERNAL")] });
    const run = await rllmc([...RUN, "--base-url", server.url]);
    expect(run.code).toBe(6);
    const payload = JSON.parse(run.stdout);
    expect(payload).toMatchObject({
      error_code: "RUN4001",
      error_type: "ProviderError",
      details: { failure: "server", status: 500, code: "INTERNAL", retriable: false },
    });
    expect(server.requestsTo("POST", "/v1/tasks")).toHaveLength(1);
  });

  it("should refuse an app whose max_context_window is over the engine's ctx_max before admission", async () => {
    const server = await serve({
      engines: [{ engine: "llamacpp", ctx_max: 2048, supported_workloads: ["completion"] }],
    });
    const run = await rllmc([...RUN, "--base-url", server.url]);
    expect(run.code).toBe(6);
    const payload = JSON.parse(run.stdout);
    expect(payload.details).toMatchObject({ failure: "request", code: "CTX_MAX_EXCEEDED", retriable: false });
    expect(payload.message).toContain("over the ctx_max 2048");
    expect(server.requestsTo("POST", "/v1/tasks")).toHaveLength(0);
  });

  it("should cancel the task in flight on Ctrl-C", async () => {
    const server = await serve({ latencyMs: 60_000 });
    const run = await rllmc([...RUN, "--base-url", server.url], {}, (child) => {
      const poll = setInterval(() => {
        if (server.requestsTo("GET", "/v1/tasks/").length === 0) return;
        clearInterval(poll);
        child.kill("SIGINT");
      }, 20);
    });
    expect(run.code).toBe(130);
    expect(server.stats.cancelled).toEqual([...server.tasks.keys()]);
    expect(server.stats.inFlight).toBe(0);
  });

  it("should need a base URL", async () => {
    const run = await rllmc(RUN);
    expect(run.code).toBe(6);
    expect(JSON.parse(run.stdout).message).toContain("provider 'llama-orch' needs the orchestrator's URL");
  });
});

describe("runbook compile --llm live --provider llama-orch", () => {
  it("should ask llama-orch for the Stage B answer and build the runbook from it", async () => {
    const answer = readFileSync(join(ROOT, "goldens/tsg/rb-llm-refined/answer.json"), "utf8");
    const server = await serve({ answer: () => answer });
    const cache = mkdtempSync(join(tmpdir(), "rllmc-orch-compile-"));
    const run = await rllmc([
      "compile",
      "goldens/tsg/rb-llm-refined/input.md",
      "--llm",
      "live",
      "--provider",
      "llama-orch",
      "--model",
      "repo:Org/Model",
      "--base-url",
      server.url,
      "--cache-dir",
      cache,
    ]);
    expect(run.stderr).toContain("Compiled 1 of 1 file:");
    expect(run.code).toBe(0);
    const golden = readFileSync(join(ROOT, "goldens/tsg/rb-llm-refined/runbook.yaml"), "utf8");
    const withoutHeader = (text: string) =>
      text
        .replace(/^(#.*\n)+\n?/, "")
        .replaceAll("file: goldens/tsg/rb-llm-refined/input.md", "file: input.md");
    expect(withoutHeader(run.stdout)).toBe(withoutHeader(golden));
    const [task] = server.requestsTo("POST", "/v1/tasks");
    expect((task!.body as { prompt: string }).prompt).toContain("Never invent a command");
    expect(task!.body).toMatchObject({ model_ref: "repo:Org/Model", workload: "completion" });
  });
});

describe("rllmc orch", () => {
  it("should print capabilities, version and replica load", async () => {
    const server = await serve({ capacity: 8, replicasets: true });
    const text = await rllmc(["orch", "status", "--base-url", server.url]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        `llama-orch at ${server.url}`,
        "  version: api 2.0.0, build 0123abc (2026-01-01T00:00:00Z)",
        "  capabilities (/v2/meta/capabilities, api 2.0.0):",
        "    llamacpp: ctx_max 8192, workloads completion, embedding, max in flight 8",
        "  replica sets:",
        '    pool-0, engine llamacpp, load 0%, slots 8/8 free, {"slo":{"p95_first_token_ms":120}}',
        "",
      ].join("\n"),
    );
    const json = await rllmc(["orch", "status", "--base-url", server.url, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      base_url: server.url,
      capabilities: { source: "/v2/meta/capabilities", engines: [{ engine: "llamacpp", ctx_max: 8192 }] },
      version: { api_version: "2.0.0" },
      replicasets: [{ id: "pool-0", slots_total: 8 }],
    });
  });

  it("should say what a server without discovery does not advertise", async () => {
    const server = await serve({ capabilities: "none", version: false });
    const run = await rllmc(["orch", "status"], { LLM_BASE_URL: server.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("version: not advertised");
    expect(run.stdout).toContain("capabilities: not advertised");
    expect(run.stdout).not.toContain("replica sets");
  });

  it("should show and drop a session", async () => {
    const server = await serve();
    const session = randomUUID();
    await fetch(`${server.url}/v1/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        task_id: randomUUID(),
        session_id: session,
        workload: "completion",
        model_ref: "m",
        engine: "llamacpp",
        ctx: 512,
        priority: "batch",
        max_tokens: 8,
        deadline_ms: 1000,
      }),
    });
    const show = await rllmc(["orch", "session", "show", session, "--base-url", server.url, "--json"]);
    expect([show.code, JSON.parse(show.stdout)]).toEqual([
      0,
      { session_id: session, ttl_ms_remaining: 600_000, turns: 1, kv_bytes: 0, kv_warmth: true },
    ]);
    const drop = await rllmc(["orch", "session", "drop", session, "--base-url", server.url]);
    expect([drop.code, drop.stdout]).toEqual([0, `dropped session ${session}\n`]);
    expect(server.stats.droppedSessions).toEqual([session]);
    const gone = await rllmc(["orch", "session", "show", session, "--base-url", server.url]);
    expect([gone.code, gone.stderr]).toEqual([1, `llama-orch has no session '${session}'\n`]);
  });

  it.each([
    { args: ["orch"], says: "expected 'status', 'session show ID' or 'session drop ID'" },
    { args: ["orch", "stat", "--base-url", "http://127.0.0.1:1"], says: "unknown subcommand 'stat'" },
    { args: ["orch", "session", "show", "--base-url", "http://127.0.0.1:1"], says: "needs a session id" },
    { args: ["orch", "status"], says: "needs the llama-orch server's URL" },
    { args: ["orch", "status", "--base-url", "ftp://x"], says: "must be an http(s) URL" },
    { args: ["orch", "status", "--base-url", "127.0.0.1:8080"], says: "not '127.0.0.1:8080'" },
    { args: ["orch", "status", "--base-url", "ftp://bob:s3cretpw@host"], says: "not 'ftp://…@host'" },
  ])("should be a usage error: $args", async ({ args, says }) => {
    const run = await rllmc(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(says);
    expect(run.stderr).not.toContain("s3cretpw");
  });

  it("should not print a key or a password the server's error message echoes", async () => {
    const { createServer } = await import("node:http");
    const server = createServer((request, response) => {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          code: "INTERNAL",
          message: `refused: ${request.headers.authorization} as s3cretpw`,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const keyed = await rllmc(["orch", "status", "--base-url", `http://127.0.0.1:${port}`], {
        LLM_API_KEY: "orch-key-0123456789",
      });
      expect(keyed.code).toBe(1);
      expect(keyed.stderr).toContain("INTERNAL: refused: Bearer [REDACTED]");
      expect(keyed.stderr).not.toContain("orch-key-0123456789");
      const basic = await rllmc(["orch", "status", "--base-url", `http://bob:s3cretpw@127.0.0.1:${port}`]);
      expect(basic.code).toBe(1);
      expect(basic.stderr).toContain("INTERNAL: refused: Basic [REDACTED]");
      expect(basic.stderr).not.toContain("s3cretpw");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("should print a server's line breaks and terminal escapes escaped, never as they came", async () => {
    const { formatStatus } = await import("../../src/cli/commands/orch.js");
    const text = formatStatus({
      base_url: "http://127.0.0.1:1",
      capabilities: {
        api_version: "2",
        source: "/v2/meta/capabilities",
        engines: [{ engine: "llamacpp\n  version: forged", ctx_max: 8 }],
      },
      version: { api_version: "\u001b[2J\u001b[31m2" },
      replicasets: null,
    });
    expect(text.split("\n")).toHaveLength(5);
    expect(text).not.toContain("\u001b");
    expect(text).toContain("llamacpp\\u000a  version: forged");
    expect(text).toContain("\\u001b[2J");
  });

  it("should say a server that cannot be reached is, with exit 1", async () => {
    const server = await serve();
    const url = server.url;
    await server.close();
    servers.length = 0;
    const run = await rllmc(["orch", "status", "--base-url", url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rllmc orch: cannot reach llama-orch: ECONNREFUSED/);
  });
});
