/**
 * The queue's behaviour around a batch, with a real redis-server: a poisoned job ends in the
 * failed list with its structured error after the configured attempts while the rest completes
 * (`queue failed`, `queue retry`, `queue status`); a URL's password is never printed; TLS
 * (rediss://) with a self-signed CA; results stored by reference; SIGTERM drains a worker;
 * Redis gone for good ends a batch with a clear error, never a hang; usage errors exit 2 within
 * seconds; a plain compile and `--version` load neither bullmq nor ioredis.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CompilePayload, compileKind } from "../../src/driver/queue/compile-kind.js";
import { parseRedisUrl, redactText } from "../../src/driver/queue/connection.js";
import { jobId } from "../../src/driver/queue/job-id.js";
import { type Outcome, submitAndCollect } from "../../src/driver/queue/submit.js";
import { startWorker as startInProcessWorker } from "../../src/driver/queue/worker.js";
import { runbookPlacement } from "../../src/driver/regenerate.js";
import { version } from "../../src/driver/version.js";
import {
  BIN,
  CORPUS,
  doneJobs,
  freePortFor,
  killAll,
  lastLine,
  type RedisServer,
  readTree,
  runBin,
  startRedis,
  startWorker,
  treeDifferences,
  type WorkerProcess,
} from "../support/queue.js";

const SAMPLE = ["README.md", "check_wraparound.md", "log_analysis.md", "mapping_statements.md"];
let dir: string;
let redis: RedisServer | undefined;
let workers: WorkerProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rllmc-queue-"));
  mkdirSync(join(dir, "tsgs"));
  for (const name of SAMPLE) cpSync(join(CORPUS, "gitlab/patroni", name), join(dir, "tsgs", name));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await killAll(workers);
  workers = [];
  await redis?.stop();
  redis = undefined;
});

function payloadOf(name: string): CompilePayload {
  const path = join("tsgs", name);
  return {
    v: 1,
    rllmc: version(),
    path,
    text: readFileSync(join(dir, path), "utf8"),
    placement: runbookPlacement(
      path,
      { runbook: join("out", name, "runbook.yaml"), mapping: join("out", name, "mapping.md") },
      { mode: "off" },
      dir,
    ),
    llm: { mode: "off", frozen: false },
  };
}

describe("a poisoned job", () => {
  it("should end in the failed list with its structured error after the configured attempts while the rest completes", async () => {
    redis = await startRedis();
    const target = parseRedisUrl(redis.url);
    const lines: string[] = [];
    const worker = await startInProcessWorker(target, {
      name: "in-test",
      queues: ["compile"],
      concurrency: 2,
      lockMs: 2_000,
      stalledIntervalMs: 500,
      maxStalled: 1,
      inlineLimit: 256 * 1024,
      cacheDir: join(dir, "cache"),
      env: {},
      log: (line) => lines.push(line),
    });
    try {
      const good = SAMPLE.slice(0, 3).map(payloadOf);
      const poison = {
        v: 1,
        rllmc: version(),
        path: "tsgs/poison.md",
        placement: good[0]!.placement,
        llm: good[0]!.llm,
      };
      const items = [...good, poison].map((payload) => ({
        id: jobId("compile", payload),
        name: (payload as { path: string }).path,
        payload,
      }));
      const outcomes = new Map<number, Outcome>();
      const progress = await submitAndCollect(target, items, {
        queue: "compile",
        settings: { attempts: 3, backoffMs: 50 },
        pollMs: 20,
        onSettled: (index, outcome) => {
          expect(outcomes.has(index)).toBe(false);
          outcomes.set(index, outcome);
        },
      });
      expect(progress).toMatchObject({ total: 4, done: 3, failed: 1, cached: 0 });
      for (const i of [0, 1, 2]) {
        const outcome = outcomes.get(i)!;
        expect(outcome.kind).toBe("done");
        // The worker's result is what the local compile function makes of the same input.
        const local = await compileKind.run(good[i]!, {
          worker: "local",
          attempt: 1,
          lastAttempt: true,
          env: {},
          cacheDir: join(dir, "cache"),
        });
        expect((outcome as { result: { yaml: string } }).result.yaml).toBe(local.yaml);
      }
      const failed = outcomes.get(3)!;
      expect(failed).toMatchObject({
        kind: "failed",
        attempts: 3,
        error: { code: "QUEUE_BAD_PAYLOAD", worker: "in-test" },
      });
      expect(
        lines.filter(
          (l) => /tsgs\/poison\.md|compile-[0-9a-f]+: failed/.test(l) && /failed \(attempt/.test(l),
        ),
      ).toHaveLength(3);
      expect(lines.some((l) => /failed \(attempt 3 of 3\).*moved to the failed list/.test(l))).toBe(true);

      // `queue failed` lists it with its error; `queue status` counts it; `queue retry` tries again.
      const list = await runBin(["queue", "failed", "--redis", redis.url], { cwd: dir });
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(`compile ${items[3]!.id} tsgs/poison.md: QUEUE_BAD_PAYLOAD: `);
      expect(list.stdout).toContain("(3 attempts, last on in-test");
      const json = JSON.parse(
        (await runBin(["queue", "failed", "--redis", redis.url, "--json"], { cwd: dir })).stdout,
      );
      expect(json.failed).toEqual([
        expect.objectContaining({
          id: items[3]!.id,
          name: "tsgs/poison.md",
          attempts: 3,
          error: expect.objectContaining({ code: "QUEUE_BAD_PAYLOAD" }),
        }),
      ]);
      const status = await runBin(["queue", "status", "--redis", redis.url], { cwd: dir });
      expect(status.stdout).toBe(
        "compile: 0 waiting, 0 active, 0 delayed (retry backoff), 3 completed, 1 failed; 1 worker (in-test)\n" +
          "run: 0 waiting, 0 active, 0 delayed (retry backoff), 0 completed, 0 failed; 0 workers\n",
      );
      const before = lines.length;
      const retry = await runBin(["queue", "retry", items[3]!.id, "--redis", redis.url], { cwd: dir });
      expect(retry).toMatchObject({ code: 0, stderr: "Retried 1 failed job.\n" });
      const until = Date.now() + 10_000;
      while (!lines.slice(before).some((l) => /attempt 3 of 3/.test(l)) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      expect(lines.slice(before).filter((l) => /failed \(attempt/.test(l))).toHaveLength(3);
      const unknown = await runBin(["queue", "retry", "compile-nope", "--redis", redis.url], { cwd: dir });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("no failed job 'compile-nope'");
      const all = await runBin(["queue", "retry", "--all", "--redis", redis.url, "--json"], { cwd: dir });
      expect(JSON.parse(all.stdout)).toEqual({ retried: [items[3]!.id], unknown: [] });
    } finally {
      await worker.drain();
    }
  }, 60_000);
});

describe("compile --redis with a password, TLS, results by reference and draining", () => {
  it("should never print the password of the URL, in the submitter's, the worker's or queue's output", async () => {
    const secret = "hunter2-Secret";
    redis = await startRedis({ password: secret });
    expect(redis.url).toContain(secret);
    workers = [startWorker(redis.url, "pw", { cwd: dir })];
    await workers[0]!.waitFor(/taking compile(, run)? jobs/);
    const outputs: string[] = [workers[0]!.log()];
    const remote = await runBin(["compile", "tsgs", "--out-dir", "pw-out", "--redis", redis.url], {
      cwd: dir,
    });
    expect(remote.code).toBe(0);
    expect(existsSync(join(dir, "pw-out", "README", "runbook.yaml"))).toBe(true);
    outputs.push(remote.stdout, remote.stderr);
    for (const action of ["status", "failed"]) {
      const r = await runBin(["queue", action, "--redis", redis.url, "--json"], { cwd: dir });
      expect(r.code).toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    const wrong = redis.url.replace(secret, "not-it");
    const refused = await runBin(["compile", "tsgs", "--out-dir", "x", "--redis", wrong], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `cannot reach Redis at redis://:***@127.0.0.1:${redis.port}: the user name or password is wrong`,
    );
    outputs.push(refused.stdout, refused.stderr);
    const none = await runBin(["queue", "status", "--redis", `redis://127.0.0.1:${redis.port}`], {
      cwd: dir,
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Redis asks for a password, and the URL gives none");
    // The worker logs its URL redacted, and nothing else of it.
    await redis.stop();
    await workers[0]!.waitFor(/Redis connection lost/);
    workers[0]!.child.kill("SIGTERM");
    expect(await workers[0]!.exited).toBe(0);
    outputs.push(workers[0]!.log());
    expect(workers[0]!.log()).toContain("redis://:***@127.0.0.1:");
    for (const text of outputs) expect(text).not.toContain(secret);
    // The redaction itself, for every place a URL can show up.
    const target = parseRedisUrl("rediss://ops:p%40ss-w0rd@cache.internal:6380/2");
    expect(target.redacted).toBe("rediss://ops:***@cache.internal:6380/2");
    expect(
      redactText("connect to rediss://ops:p%40ss-w0rd@cache.internal:6380/2 with p@ss-w0rd", target),
    ).toBe("connect to rediss://ops:***@cache.internal:6380/2 with ***");
  }, 60_000);

  it("should compile over rediss:// with a self-signed CA, store big results by reference, and drain on SIGTERM", async () => {
    const certs = join(dir, "certs");
    mkdirSync(certs, { recursive: true });
    const openssl = (args: string[]) => {
      const r = spawnSync("openssl", args, { cwd: certs, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    };
    openssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      "/CN=rllmc test CA",
    ]);
    openssl([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "redis.key",
      "-out",
      "redis.csr",
      "-subj",
      "/CN=127.0.0.1",
    ]);
    writeFileSync(join(certs, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl([
      "x509",
      "-req",
      "-in",
      "redis.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "redis.pem",
      "-days",
      "1",
      "-extfile",
      "san.ext",
    ]);
    redis = await startRedis({
      tls: { cert: join(certs, "redis.pem"), key: join(certs, "redis.key"), ca: join(certs, "ca.pem") },
    });
    expect(redis.url.startsWith("rediss://")).toBe(true);
    const env = { RLLMC_REDIS_CA: join(certs, "ca.pem") };

    // Without the CA the certificate is refused: a clear message, exit 2.
    const untrusted = await runBin(["queue", "status", "--redis", redis.url], { cwd: dir });
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toMatch(
      /cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+: .*(certificate|self.signed)/i,
    );

    workers = [startWorker(redis.url, "tls", { cwd: dir, env, args: ["--inline-limit", "0"] })];
    await workers[0]!.waitFor(/taking compile(, run)? jobs/);
    const remote = await runBin(["compile", "tsgs", "--out-dir", "tls-out", "--redis", redis.url], {
      cwd: dir,
      env,
    });
    const local = await runBin(["compile", "tsgs", "--out-dir", "tls-local", "--no-cache"], { cwd: dir });
    expect(remote.code).toBe(local.code);
    expect(lastLine(remote.stderr)).toBe(lastLine(local.stderr));
    expect(treeDifferences(readTree(join(dir, "tls-local")), readTree(join(dir, "tls-out")))).toEqual([]);
    expect(workers[0]!.log()).toMatch(
      /done in \d+ ms \(attempt 1\), result stored by reference \(\d+ bytes\)/,
    );
    expect(doneJobs(workers[0]!.log())).toHaveLength(SAMPLE.length);
    // A rerun takes the results of the finished jobs; --no-cache computes them again.
    const again = await runBin(["compile", "tsgs", "--out-dir", "tls-out", "--redis", redis.url], {
      cwd: dir,
      env,
    });
    expect(lastLine(again.stderr)).toContain("Compiled 4 of 4 files (4 unchanged, from the cache):");
    expect(doneJobs(workers[0]!.log())).toHaveLength(SAMPLE.length);
    const fresh = await runBin(
      ["compile", "tsgs", "--out-dir", "tls-out", "--redis", redis.url, "--no-cache"],
      {
        cwd: dir,
        env,
      },
    );
    expect(lastLine(fresh.stderr)).toBe(lastLine(local.stderr));
    expect(doneJobs(workers[0]!.log())).toHaveLength(2 * SAMPLE.length);
    expect(treeDifferences(readTree(join(dir, "tls-local")), readTree(join(dir, "tls-out")))).toEqual([]);

    workers[0]!.child.kill("SIGTERM");
    expect(await workers[0]!.exited).toBe(0);
    expect(workers[0]!.log()).toMatch(/SIGTERM: draining .*\n.*drained after 8 jobs; exiting/);
  }, 60_000);
});

describe("the batch's bounds and the command line's mistakes", () => {
  it("should end a batch whose Redis is gone for good with RLC0014 on each unfinished file, not hang", async () => {
    redis = await startRedis();
    const submit = runBin(
      ["compile", "tsgs", "--out-dir", "gone", "--redis", redis.url, "--redis-timeout", "2"],
      {
        cwd: dir,
        timeoutMs: 30_000,
      },
    );
    // No worker: the jobs wait; then Redis goes away and stays away.
    await new Promise((r) => setTimeout(r, 1_500));
    await redis.stop();
    const stopped = Date.now();
    const result = await submit;
    expect(Date.now() - stopped).toBeLessThan(10_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no worker is taking 'compile' jobs");
    expect(result.stderr).toMatch(
      new RegExp(`lost Redis at redis://127\\.0\\.0\\.1:${redis.port} for 2 s while`),
    );
    expect(result.stderr.match(/error RLC0014: not compiled: the queue batch stopped/g)).toHaveLength(
      SAMPLE.length,
    );
    expect(lastLine(result.stderr)).toMatch(/^Compiled 0 of 4 files: .* 4 errors\.$/);
    expect(existsSync(join(dir, "gone"))).toBe(false);
  }, 60_000);

  it("should say the command line's mistakes with exit 2 within seconds", async () => {
    const closed = await freePortFor();
    const cases: [string[], RegExp][] = [
      [
        ["compile", "tsgs", "--out-dir", "o", "--redis", "http://127.0.0.1:1"],
        /--redis must start with redis:\/\/ or rediss:\/\//,
      ],
      [
        ["compile", "tsgs", "--out-dir", "o", "--redis", "not a url"],
        /--redis must be a URL like redis:\/\/host:6379/,
      ],
      [
        ["compile", "tsgs", "--out-dir", "o", "--redis", "redis://:pw-in-url@127.0.0.1:1/x"],
        /the path is the database number.*redis:\/\/:\*\*\*@127\.0\.0\.1:1\/x/,
      ],
      [["compile", "tsgs", "--out-dir", "o", "--attempts", "3"], /--attempts goes with --redis URL/],
      [
        ["compile", "tsgs", "--out-dir", "o", "--redis", "redis://127.0.0.1:1", "--attempts", "0"],
        /--attempts must be a whole number from 1 to 100/,
      ],
      [
        ["compile", "app.rllm", "tsgs", "--out-dir", "o", "--redis", "redis://127.0.0.1:1"],
        /compile \.rllm apps and TSGs in separate commands/,
      ],
      [
        [
          "compile",
          "tsgs",
          "--out-dir",
          "o",
          "--redis",
          "redis://127.0.0.1:1",
          "--llm",
          "cached",
          "--provider",
          "replay",
          "--cassette",
          "c.json",
        ],
        /--cassette is a file on this machine; with --redis the workers' answer caches are used/,
      ],
      [
        ["compile", "tsgs", "--out-dir", "o", "--redis", `redis://:pw-in-url@127.0.0.1:${closed}`],
        new RegExp(`cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${closed}: connection refused`),
      ],
      [["worker"], /worker needs --redis URL \(or RLLMC_REDIS_URL\)/],
      [
        ["worker", "--redis", "redis://127.0.0.1:1", "--queues", "runn"],
        /--queues must be compile or run, not 'runn'; did you mean 'run'\?/,
      ],
      [
        ["worker", "--redis", "redis://127.0.0.1:1", "--queues", "compil"],
        /--queues must be compile or run, not 'compil'; did you mean 'compile'\?/,
      ],
      [
        ["worker", "--redis", "redis://127.0.0.1:1", "--concurrency", "0"],
        /--concurrency must be a whole number from 1 to 1000/,
      ],
      [["queue"], /expected status, failed or retry/],
      [
        ["queue", "stats", "--redis", "redis://127.0.0.1:1"],
        /queue must be one of status, failed, retry, not 'stats'; did you mean 'status'/,
      ],
      [["queue", "retry", "--redis", "redis://127.0.0.1:1"], /queue retry takes job ids .* or --all/],
      [
        ["queue", "status", "--redis", `redis://127.0.0.1:${closed}`],
        /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connection refused/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runBin(args, { cwd: dir, timeoutMs: 15_000 });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain("pw-in-url");
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.ms).toBeLessThan(8_000);
    }
  }, 120_000);

  it("should load neither bullmq nor ioredis for --version, --help or a compile without --redis", () => {
    const log = join(dir, "loaded.log");
    const hook = join(dir, "hook.mjs");
    writeFileSync(
      hook,
      `import { registerHooks } from "node:module";\nimport { appendFileSync } from "node:fs";\n` +
        `registerHooks({ resolve(specifier, context, next) { if (/bullmq|ioredis/.test(specifier)) appendFileSync(${JSON.stringify(log)}, specifier + "\\n"); return next(specifier, context); } });\n`,
    );
    for (const args of [
      ["--version"],
      ["compile", "--help"],
      ["compile", "tsgs", "--out-dir", "plain", "--no-cache"],
    ]) {
      const r = spawnSync(process.execPath, ["--import", hook, BIN, ...args], { cwd: dir, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(existsSync(log) ? readFileSync(log, "utf8") : "").toBe("");
    // The hook does see them when a queue command runs.
    spawnSync(
      process.execPath,
      ["--import", hook, BIN, "queue", "status", "--redis", "redis://127.0.0.1:1"],
      { cwd: dir },
    );
    expect(readFileSync(log, "utf8")).toMatch(/ioredis/);
  }, 60_000);
});
