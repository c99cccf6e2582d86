/**
 * A `--llm live` compile on the queue, against a fake OpenAI-compatible server on 127.0.0.1:
 * the worker holding the job is killed with SIGKILL while its model call hangs, the job moves to
 * another worker once its lock expires (stall recovery), that worker's model call fails (HTTP 400)
 * and the job is retried after its backoff, and the runbook written is byte-identical to a local
 * `--llm live` compile of the same TSG with the same settings. The job carries no API key: the
 * worker reads its own.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeLlmServer, openAiCompletion, startFakeLlmServer } from "../support/fake-llm-server.js";
import {
  killAll,
  type RedisServer,
  ROOT,
  runBin,
  startRedis,
  startWorker,
  type WorkerProcess,
} from "../support/queue.js";

const REFINED = join(ROOT, "goldens/tsg/rb-llm-refined");
let redis: RedisServer | undefined;
let server: FakeLlmServer | undefined;
let workers: WorkerProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await killAll(workers);
  workers = [];
  await redis?.stop();
  redis = undefined;
  await server?.close();
  server = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("compile --redis --llm live", () => {
  it("should move a killed worker's job to another worker, retry a failed model call, and write the local compile's bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-queue-llm-"));
    dirs.push(dir);
    cpSync(join(REFINED, "input.md"), join(dir, "guide.md"));
    const answer = readFileSync(join(REFINED, "answer.json"), "utf8");
    const completion = {
      path: "/v1/chat/completions",
      body: openAiCompletion(`\`\`\`json\n${answer}\`\`\``, { model: "recorded-model" }),
    };
    server = await startFakeLlmServer({
      script: [
        // The first worker's call never gets an answer: the worker is killed meanwhile.
        { path: "/v1/chat/completions", stall: true },
        // The second worker's first try: a refusal, which no transport retry repeats.
        {
          path: "/v1/chat/completions",
          status: 400,
          body: { error: { message: "bad request, try again later" } },
        },
        // Its retry after the backoff.
        completion,
        // The local compile's call.
        completion,
      ],
    });
    const settings = ["--llm", "live", "--provider", "openai-compatible", "--model", "recorded-model"];
    const base = ["--base-url", `${server.url}/v1`, "--cache-dir", "answers"];
    redis = await startRedis();
    const env = { LLM_API_KEY: "sk-worker-only-key" };
    const first = startWorker(redis.url, "first", {
      cwd: dir,
      env,
      args: ["--cache-dir", join(dir, "w1-cache")],
    });
    workers = [first];
    await first.waitFor(/taking compile(, run)? jobs/);
    const submit = runBin(
      [
        "compile",
        "guide.md",
        "--out",
        "remote.yaml",
        "--redis",
        redis.url,
        "--backoff-ms",
        "200",
        ...settings,
        ...base,
      ],
      { cwd: dir, env: { LLM_API_KEY: "" } },
    );
    const until = Date.now() + 20_000;
    while (server.requests.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(server.requests).toHaveLength(1);
    const second = startWorker(redis.url, "second", {
      cwd: dir,
      env,
      args: ["--cache-dir", join(dir, "w2-cache")],
    });
    workers.push(second);
    await second.waitFor(/taking compile(, run)? jobs/);
    first.child.kill("SIGKILL");
    await first.exited;
    const remote = await submit;
    expect(remote.stderr).toContain("Compiled 1 of 1 file:");
    expect(remote.code).toBe(0);
    expect(server.requests).toHaveLength(3);
    // The key came from the worker's environment, never from the job.
    expect(server.requests[1]!.headers.authorization).toBe("Bearer sk-worker-only-key");
    expect(second.log()).toMatch(/compile-[0-9a-f]{40}: stalled \(its worker stopped\); back in the queue/);
    expect(second.log()).toMatch(
      /failed \(attempt 1 of 3\): QUEUE_MODEL_CALL_FAILED: RBK6206: .*; will retry/,
    );
    expect(second.log()).toMatch(/guide\.md: done in \d+ ms \(attempt 2\)/);
    const status = await runBin(["queue", "status", "--redis", redis.url, "--json"], { cwd: dir });
    expect(JSON.parse(status.stdout).queues[0]).toMatchObject({ completed: 1, failed: 0 });

    const local = await runBin(["compile", "guide.md", "--out", "local.yaml", ...settings, ...base], {
      cwd: dir,
    });
    expect(local.code).toBe(0);
    expect(readFileSync(join(dir, "remote.yaml"), "utf8")).toBe(
      readFileSync(join(dir, "local.yaml"), "utf8").replace("--out local.yaml", "--out remote.yaml"),
    );
  }, 60_000);

  it("should drain on the first Ctrl-C while a model call is in hand, and stop at once on the second (exit 130)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-queue-sigint-"));
    dirs.push(dir);
    cpSync(join(REFINED, "input.md"), join(dir, "guide.md"));
    server = await startFakeLlmServer({ script: [{ path: "/v1/chat/completions", stall: true }] });
    redis = await startRedis();
    const worker = startWorker(redis.url, "interrupted", { cwd: dir });
    workers = [worker];
    await worker.waitFor(/taking compile(, run)? jobs/);
    const submit = runBin(
      [
        "compile",
        "guide.md",
        "--out",
        "out.yaml",
        "--redis",
        redis.url,
        "--llm",
        "live",
        "--provider",
        "openai-compatible",
        "--model",
        "m",
        "--base-url",
        `${server.url}/v1`,
        "--idle-timeout",
        "3",
      ],
      { cwd: dir },
    );
    const until = Date.now() + 20_000;
    while (server.requests.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(server.requests).toHaveLength(1);
    worker.child.kill("SIGINT");
    await worker.waitFor(/Ctrl-C \(again to stop now\): draining/);
    // Draining waits for the job in hand, whose model call hangs.
    await new Promise((r) => setTimeout(r, 500));
    expect(worker.child.exitCode).toBeNull();
    const stopped = Date.now();
    worker.child.kill("SIGINT");
    expect(await worker.exited).toBe(130);
    expect(Date.now() - stopped).toBeLessThan(3_000);
    expect(worker.log()).toContain(
      "stopping now; the jobs in hand go back to the queue when their lock expires",
    );
    // No worker is left: the submitter gives up after its idle timeout, with RLC0014 and exit 1.
    const result = await submit;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "error RLC0014: not compiled: the queue batch stopped: no job finished for 3 s",
    );
  }, 60_000);
});
