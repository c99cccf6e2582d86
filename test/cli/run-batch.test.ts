/**
 * `rllmc run --batch` end to end through the built bin, against servers on 127.0.0.1: llama-orch
 * (test/support/llama-orch-server.ts) for capacity, discovery, priority and cancel, and an
 * OpenAI-compatible server with a capacity and realistic token counts
 * (test/support/capacity-llm-server.ts) for budgets, the bound and resume. docs/batch.md.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  echoApp,
  idIn,
  jsonLines,
  parentApp,
  rllmc,
  rllmcAsync,
  summaryOf,
  tempDir,
  until,
  writeInputs,
} from "../support/batch-fixtures.js";
import { type CapacityServer, startCapacityServer } from "../support/capacity-llm-server.js";
import { type LlamaOrchServer, startLlamaOrchServer } from "../support/llama-orch-server.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function orch(options: Parameters<typeof startLlamaOrchServer>[0]): Promise<LlamaOrchServer> {
  const server = await startLlamaOrchServer(options);
  closers.push(() => server.close());
  return server;
}

async function capacityServer(options: Parameters<typeof startCapacityServer>[0]): Promise<CapacityServer> {
  const server = await startCapacityServer(options);
  closers.push(() => server.close());
  return server;
}

const echo = (p: { messages: readonly { content: string }[] }) =>
  JSON.stringify({ id: idIn(p.messages.map((m) => m.content).join("\n")) });

function setup(n: number, app = echoApp({ maxTokens: 32 })) {
  const dir = tempDir();
  writeFileSync(join(dir, "echo.rllm"), app);
  writeInputs(dir, n);
  return dir;
}

describe("rllmc run --batch", () => {
  it("should run 200 inputs against llama-orch with capacity 8: never more than 8 in flight, in order, within 1.3× the ideal time", async () => {
    const latencyMs = 150;
    const server = await orch({
      capacity: 8,
      latencyMs,
      answer: (task) => JSON.stringify({ id: idIn(String(task.prompt)) }),
    });
    const dir = setup(200, echoApp({ maxTokens: 32 }));
    const run = rllmcAsync(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        "--provider",
        "llama-orch",
        "--base-url",
        server.url,
        "--json",
        "--quiet",
      ],
      dir,
    );
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines).toHaveLength(200);
    lines.forEach((line, i) => {
      expect(line).toEqual({ line: i + 1, ok: true, output: { id: `item-${i + 1}` } });
    });
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(8);
    expect(server.stats.maxInFlight).toBe(8);
    const summary = summaryOf(result.stderr);
    expect(summary.max_in_flight).toBe(8);
    // Discovery started `auto` at the server's capacity, and capped it there: not one 429.
    expect(summary.concurrency).toEqual({ start: 8, end: 8, max: 8, halvings: 0 });
    expect(server.stats.rejected).toBe(0);
    const ideal = Math.ceil(200 / 8) * latencyMs;
    expect(summary.elapsed_ms as number).toBeLessThanOrEqual(1.3 * ideal);
  });

  it("should send --priority on every llama-orch task", async () => {
    const server = await orch({ answer: (task) => JSON.stringify({ id: idIn(String(task.prompt)) }) });
    const dir = setup(3, echoApp({ maxTokens: 32 }));
    const run = await rllmc(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        "--provider",
        "llama-orch",
        "--base-url",
        server.url,
        "--priority",
        "interactive",
      ],
      dir,
    );
    expect(run.code, run.stderr).toBe(0);
    expect([...server.tasks.values()].map((t) => t.priority)).toEqual([
      "interactive",
      "interactive",
      "interactive",
    ]);
  });

  it("should keep going after a failed line, say so on that line, and exit 9", async () => {
    const server = await capacityServer({
      answer: (r) => (idIn(r.messages[0]!.content) === "item-2" ? '{"id": "nope"}' : echo(r)),
    });
    const dir = setup(3);
    writeFileSync(join(dir, "inputs.jsonl"), `${readFileSync(join(dir, "inputs.jsonl"), "utf8")}{"id": 3\n`);
    const run = await rllmc(
      ["run", "echo.rllm", "--batch", "inputs.jsonl", "--base-url", server.url, "--max-retries", "0"],
      dir,
    );
    expect(run.code).toBe(9);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => [l.line, l.ok])).toEqual([
      [1, true],
      [2, false],
      [3, true],
      [4, false],
    ]);
    expect((lines[1]!.error as { error_code: string }).error_code).toBe("RUN3001");
    expect(lines[3]!.error).toMatchObject({
      error_code: "RUN2001",
      message: expect.stringContaining("the input file 'inputs.jsonl:4' is not valid JSON"),
    });
    expect(run.stderr).toContain("2 ok, 2 failed");
  });

  it("should print the bound with --plan and send nothing", async () => {
    const server = await capacityServer({ answer: echo });
    const dir = setup(10);
    const run = await rllmc(
      ["run", "echo.rllm", "--batch", "inputs.jsonl", "--base-url", server.url, "--plan", "--json"],
      dir,
    );
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout).plan;
    expect(plan.to_run).toBe(10);
    expect(plan.calls_per_line).toBe(3);
    expect(plan.bound.bounded).toBe(true);
    // 3 answers of 32 tokens and 2 re-asks of (2048 − 32) each line, plus the first prompts and schemas.
    expect(plan.bound.completion_tokens).toBe(10 * 3 * 32);
    expect(plan.bound.prompt_tokens).toBeGreaterThan(10 * 2 * (2048 - 32));
    expect(server.stats.answered + server.stats.rejected).toBe(0);
    const text = await rllmc(
      ["run", "echo.rllm", "--batch", "inputs.jsonl", "--base-url", server.url, "--dry-run"],
      dir,
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^bound {4}[\d,]+ tokens/m);
    expect(text.stdout).toContain("inputs   10 valid, 0 invalid");
  });

  it("should refuse to start when the bound is over --budget-tokens (exit 8, RUN6001), and run until the budget with --allow-over-budget", async () => {
    const server = await capacityServer({ answer: echo });
    const dir = setup(50);
    const refused = await rllmc(
      ["run", "echo.rllm", "--batch", "inputs.jsonl", "--base-url", server.url, "--budget-tokens", "5000"],
      dir,
    );
    expect(refused.code).toBe(8);
    const error = JSON.parse(refused.stdout);
    expect(error.error_code).toBe("RUN6001");
    expect(error.details.bound.tokens).toBeGreaterThan(5000);
    expect(server.stats.answered + server.stats.rejected).toBe(0);

    const allowed = await rllmc(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        "--base-url",
        server.url,
        "--budget-tokens",
        "500",
        "--allow-over-budget",
        "--concurrency",
        "1",
        "--json",
      ],
      dir,
    );
    expect(allowed.code).toBe(8);
    const summary = summaryOf(allowed.stderr);
    expect(summary.stopped_by).toBe("tokens");
    // Each line costs the same: admission stops at the first line that reaches the budget.
    const perLine = (server.billed.prompt + server.billed.completion) / server.stats.answered;
    expect(server.stats.answered).toBe(Math.ceil(500 / perLine));
    const lines = jsonLines(allowed.stdout);
    expect(lines).toHaveLength(50);
    expect(lines.filter((l) => l.ok)).toHaveLength(server.stats.answered);
    expect((lines.at(-1)!.error as { message: string }).message).toBe(
      "line 50 was not run: the tokens budget was reached",
    );
  });

  it("should refuse a token budget for an app without max_tokens (no bound), unless --allow-over-budget", async () => {
    const server = await capacityServer({ answer: echo });
    const dir = setup(2, echoApp({}));
    const run = await rllmc(
      ["run", "echo.rllm", "--batch", "inputs.jsonl", "--base-url", server.url, "--budget-tokens", "100000"],
      dir,
    );
    expect(run.code).toBe(8);
    expect(JSON.parse(run.stdout).message).toContain("has no llm_params.max_tokens");
    const allowed = await rllmc(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        "--base-url",
        server.url,
        "--budget-tokens",
        "100000",
        "--allow-over-budget",
      ],
      dir,
    );
    expect(allowed.code).toBe(0);
  });

  it.each(["cancel", "drain"] as const)(
    "should stop admission when the token budget is reached, and %s the lines in flight",
    async (mode) => {
      // Line 1 answers at once; lines 2–4 are slow: the budget is reached while they run.
      const server = await capacityServer({
        answer: echo,
        latencyMs: (r) => (idIn(r.messages[0]!.content) === "item-1" ? 10 : 600),
      });
      const dir = setup(12);
      const run = await rllmc(
        [
          "run",
          "echo.rllm",
          "--batch",
          "inputs.jsonl",
          "--base-url",
          server.url,
          "--concurrency",
          "4",
          "--budget-tokens",
          "1",
          "--allow-over-budget",
          "--budget-mode",
          mode,
          "--json",
        ],
        dir,
      );
      expect(run.code, run.stderr).toBe(8);
      const lines = jsonLines(run.stdout);
      expect(lines).toHaveLength(12);
      const summary = summaryOf(run.stderr);
      expect(summary.stopped_by).toBe("tokens");
      expect(lines[0]!.ok).toBe(true);
      const inFlight = lines.slice(1, 4);
      if (mode === "cancel") {
        expect(summary.cancelled).toBe(3);
        for (const line of inFlight)
          expect((line.error as { details: { cancelled: boolean } }).details.cancelled).toBe(true);
      } else {
        expect(summary.cancelled).toBe(0);
        expect(inFlight.every((l) => l.ok)).toBe(true);
      }
      expect(summary.not_run).toBe(8);
      for (const line of lines.slice(4))
        expect((line.error as { error_code: string }).error_code).toBe("RUN6001");
    },
  );

  it("should price the calls from --prices and stop at --budget-cost", async () => {
    const server = await capacityServer({ answer: echo });
    const dir = setup(20);
    writeFileSync(
      join(dir, "prices.json"),
      JSON.stringify({ providers: { "openai-compatible": { "test-model": { input: 1000, output: 2000 } } } }),
    );
    const common = [
      "run",
      "echo.rllm",
      "--batch",
      "inputs.jsonl",
      "--base-url",
      server.url,
      "--concurrency",
      "1",
    ];
    const unpriced = await rllmc([...common, "--budget-cost", "1"], dir);
    expect(unpriced.code).toBe(8);
    expect(JSON.parse(unpriced.stdout).message).toContain("no price for openai-compatible/test-model");
    const run = await rllmc(
      [...common, "--prices", "prices.json", "--budget-cost", "0.2", "--allow-over-budget", "--json"],
      dir,
    );
    expect(run.code, run.stderr).toBe(8);
    const summary = summaryOf(run.stderr);
    expect(summary.stopped_by).toBe("cost");
    const cost = (server.billed.prompt * 1000 + server.billed.completion * 2000) / 1e6;
    expect(summary.cost).toBeCloseTo(cost, 9);
    const perLine = cost / server.stats.answered;
    expect(server.stats.answered).toBe(Math.ceil(0.2 / perLine - 1e-9));
  });

  it.each(["cancel", "drain"] as const)(
    "should stop at --budget-time, and %s the lines in flight",
    async (mode) => {
      // Two lines are always in flight (150 ms each) when the 500 ms run out.
      const server = await capacityServer({ answer: echo, latencyMs: 150 });
      const dir = setup(30);
      const run = await rllmc(
        [
          "run",
          "echo.rllm",
          "--batch",
          "inputs.jsonl",
          "--base-url",
          server.url,
          "--concurrency",
          "2",
          "--budget-time",
          "500ms",
          "--budget-mode",
          mode,
          "--json",
        ],
        dir,
      );
      expect(run.code).toBe(8);
      const summary = summaryOf(run.stderr);
      expect(summary.stopped_by).toBe("time");
      expect(summary.ok as number).toBeGreaterThan(0);
      expect(summary.not_run as number).toBeGreaterThan(0);
      expect((summary.ok as number) + (summary.not_run as number) + (summary.cancelled as number)).toBe(30);
      if (mode === "drain") expect(summary.cancelled).toBe(0);
      else expect(summary.cancelled as number).toBeGreaterThan(0);
      // The cancelled requests were dropped by the client (the server sees it when their time is
      // up). One may have been answered in the same instant as the client gave up on it, on a
      // loaded machine: the server never counts more cancellations than the client made, and
      // every request ends one way or the other.
      await until(() => server.stats.cancelled + server.stats.answered === server.prompts.length, 3000);
      expect(server.stats.cancelled).toBeLessThanOrEqual(summary.cancelled as number);
      if (mode === "cancel") expect(server.stats.cancelled).toBeGreaterThan(0);
      expect(server.stats.answered).toBeGreaterThanOrEqual(summary.ok as number);
    },
  );

  it("should never spend more than the bound, over answers that use every retry, with uses children", async () => {
    // Every answer is off-schema until the last allowed attempt, and as long as max_tokens lets
    // it be; the child's answers too. Some lines fail every attempt.
    const attempts = new Map<string, number>();
    let allowed = 0;
    const server = await capacityServer({
      answer: (r) => {
        const prompt = r.messages.map((m) => m.content).join("\n");
        const key = `${r.messages[0]!.content.slice(0, 40)}|${idIn(r.messages[0]!.content)}`;
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        const failsAlways = idIn(prompt).endsWith("7");
        if (failsAlways || n <= allowed) return "x".repeat(1000);
        return JSON.stringify({ id: idIn(r.messages[0]!.content) });
      },
    });
    for (const retries of [0, 1, 2, 3]) {
      attempts.clear();
      server.billed.prompt = 0;
      server.billed.completion = 0;
      allowed = retries;
      const dir = setup(20);
      writeFileSync(join(dir, "parent.rllm"), parentApp());
      const args = [
        "run",
        "parent.rllm",
        "--batch",
        "inputs.jsonl",
        "--base-url",
        server.url,
        "--max-retries",
        String(retries),
      ];
      const plan = JSON.parse((await rllmc([...args, "--plan", "--json"], dir)).stdout).plan;
      const run = await rllmc([...args, "--json"], dir);
      const summary = summaryOf(run.stderr);
      expect(summary.tokens).toBe(server.billed.prompt + server.billed.completion);
      expect(server.billed.prompt).toBeLessThanOrEqual(plan.bound.prompt_tokens);
      expect(server.billed.completion).toBeLessThanOrEqual(plan.bound.completion_tokens);
      expect(summary.tokens as number).toBeLessThanOrEqual(plan.bound.tokens);
      // Every retry was used: 2 apps × (retries + 1) calls for each line that ends ok.
      expect(summary.ok).toBe(18);
    }
  });

  it("should lose and repeat nothing when resumed after kill -9", async () => {
    const server = await capacityServer({ answer: echo, latencyMs: 80 });
    const dir = setup(60);
    const args = [
      "run",
      "echo.rllm",
      "--batch",
      "inputs.jsonl",
      "--base-url",
      server.url,
      "--concurrency",
      "4",
      "--out",
      "results.jsonl",
    ];
    const first = rllmcAsync(args, dir);
    const journal = join(dir, "results.jsonl.journal");
    const journaled = () =>
      existsSync(journal) ? readFileSync(journal, "utf8").split("\n").filter(Boolean).length : 0;
    await until(() => journaled() >= 15);
    first.child.kill("SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    const done = new Set(
      readFileSync(journal, "utf8")
        .split("\n")
        .filter((l) => l.endsWith("}"))
        .map((l) => `item-${JSON.parse(l).line}`),
    );
    expect(done.size).toBeGreaterThanOrEqual(15);
    expect(done.size).toBeLessThan(60);
    const sentBefore = server.prompts.length;

    const again = await rllmc(
      ["run", "echo.rllm", "--batch", "inputs.jsonl", "--base-url", server.url, "--out", "results.jsonl"],
      dir,
    );
    expect(again.stderr).toContain("already holds results");
    expect(again.code).toBe(2);
    const resumed = await rllmc([...args, "--resume"], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    const results = jsonLines(readFileSync(join(dir, "results.jsonl"), "utf8"));
    expect(results.map((r) => r.line)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(existsSync(journal)).toBe(false);
    // Nothing journaled was asked again; every other line exactly once after the kill.
    const resent = server.prompts.slice(sentBefore).map(idIn);
    expect(resent.filter((id) => done.has(id))).toEqual([]);
    expect(new Set(resent).size).toBe(resent.length);
    expect(resent.length).toBe(60 - done.size);
    // A resume of a finished batch runs nothing.
    const nothing = await rllmc([...args, "--resume", "--json"], dir);
    expect(nothing.code).toBe(0);
    expect(summaryOf(nothing.stderr).resumed).toBe(60);
  });

  it("should cancel the tasks in flight at llama-orch on Ctrl-C, write what is done, and exit 130", async () => {
    const server = await orch({
      capacity: 4,
      latencyMs: 5_000,
      answer: (task) => JSON.stringify({ id: idIn(String(task.prompt)) }),
    });
    const dir = setup(10, echoApp({ maxTokens: 32 }));
    const run = rllmcAsync(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        "--provider",
        "llama-orch",
        "--base-url",
        server.url,
        "--concurrency",
        "4",
        "--out",
        "results.jsonl",
        "--json",
      ],
      dir,
    );
    await until(() => server.stats.inFlight === 4);
    run.child.kill("SIGINT");
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(server.stats.cancelled).toHaveLength(4);
    expect(summaryOf(result.stderr)).toMatchObject({ stopped_by: "interrupt", cancelled: 4, not_run: 6 });
    const lines = jsonLines(readFileSync(join(dir, "results.jsonl"), "utf8"));
    expect(lines).toHaveLength(10);
    expect(lines.every((l) => (l.error as { error_code: string }).error_code === "RUN6002")).toBe(true);
    expect(existsSync(join(dir, "results.jsonl.journal"))).toBe(true);
  });

  it("should cancel the llama-orch tasks in flight when the token budget is reached (cancel mode)", async () => {
    const server = await orch({
      capacity: 8,
      latencyMs: 5_000,
      answer: (task) => JSON.stringify({ id: idIn(String(task.prompt)) }),
      stream: (task) => (idIn(String(task.prompt)) === "item-1" ? { latencyMs: 20 } : {}),
    });
    const dir = setup(10);
    const run = await rllmc(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        "--provider",
        "llama-orch",
        "--base-url",
        server.url,
        "--concurrency",
        "4",
        "--budget-tokens",
        "1",
        "--allow-over-budget",
        "--json",
      ],
      dir,
    );
    expect(run.code, run.stderr).toBe(8);
    expect(summaryOf(run.stderr)).toMatchObject({ stopped_by: "tokens", ok: 1, cancelled: 3, not_run: 6 });
    expect(server.stats.cancelled).toHaveLength(3);
    expect(server.stats.admitted).toBe(4);
  });

  it("should cancel a single run's call at llama-orch on Ctrl-C and exit 130", async () => {
    const server = await orch({ latencyMs: 5_000, answer: () => '{"id": "item-1"}' });
    const dir = setup(1, echoApp({ maxTokens: 32 }));
    const run = rllmcAsync(
      [
        "run",
        "echo.rllm",
        "--input",
        '{"id": "item-1"}',
        "--provider",
        "llama-orch",
        "--base-url",
        server.url,
      ],
      dir,
    );
    await until(() => server.stats.inFlight === 1);
    run.child.kill("SIGINT");
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(JSON.parse(result.stdout).error_code).toBe("RUN6002");
    expect(server.stats.cancelled).toHaveLength(1);
  });

  it("should bound a single run too: --plan, a refusal over --budget-tokens, and a budget that cancels its re-ask", async () => {
    const server = await capacityServer({
      answer: (r) => (r.messages.length === 1 ? '{"id": "wrong"}' : echo(r)),
      latencyMs: (r) => (r.messages.length === 1 ? 0 : 2_000),
    });
    const dir = setup(1);
    const single = ["run", "echo.rllm", "--input", '{"id": "item-1"}', "--base-url", server.url];
    const plan = await rllmc([...single, "--plan", "--json"], dir);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).plan).toMatchObject({
      lines: 1,
      calls_per_line: 3,
      bound: { bounded: true },
    });
    const refused = await rllmc([...single, "--budget-tokens", "100"], dir);
    expect(refused.code).toBe(8);
    expect(JSON.parse(refused.stdout).error_code).toBe("RUN6001");
    expect(server.prompts).toHaveLength(0);
    // The first answer is off-schema and spends the budget: the re-ask is cancelled.
    const stopped = await rllmc([...single, "--budget-tokens", "1", "--allow-over-budget"], dir);
    expect(stopped.code).toBe(8);
    expect(JSON.parse(stopped.stdout)).toMatchObject({
      error_code: "RUN6001",
      message: "the run was cancelled: the tokens budget was reached",
    });
    expect(server.stats.answered).toBe(1);
  });

  it("should refuse batch flags without --batch, and bad values, as usage errors", async () => {
    const dir = setup(1);
    for (const args of [
      ["--input", "{}", "--concurrency", "4"],
      ["--input", "{}", "--json"],
      ["--batch", "inputs.jsonl", "--concurrency", "0"],
      ["--batch", "inputs.jsonl", "--budget-time", "soon"],
      ["--batch", "inputs.jsonl", "--budget-mode", "stop"],
      ["--batch", "inputs.jsonl", "--resume"],
      ["--batch", "missing.jsonl"],
      ["--batch", "inputs.jsonl", "--priority", "urgent"],
    ]) {
      const run = await rllmc(["run", "echo.rllm", ...args], dir);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("should read a BOM and CRLF, refuse bytes that are not UTF-8, and refuse an --out it cannot write, before any call", async () => {
    const dir = setup(1);
    writeFileSync(join(dir, "bom.jsonl"), '\uFEFF{"id": "a"}\r\n\r\n{"id": "b"}\r\n');
    const bom = await rllmc(
      ["run", "echo.rllm", "--provider", "null", "--batch", "bom.jsonl", "--quiet"],
      dir,
    );
    // `null` answers "" (off the id's pattern): every line ran, none was refused as input.
    expect(bom.code, bom.stderr).toBe(9);
    const read = jsonLines(bom.stdout);
    expect(read.map((l) => l.line)).toEqual([1, 3]);
    for (const l of read) expect((l.error as { error_type: string }).error_type).not.toBe("InputSchemaError");
    writeFileSync(join(dir, "latin1.jsonl"), Buffer.from('{"id": "a"}\n{"id": "caf\xe9"}\n', "latin1"));
    const mkdir = (await import("node:fs")).mkdirSync;
    mkdir(join(dir, "folder"));
    for (const [args, message] of [
      [["--batch", "latin1.jsonl"], "'latin1.jsonl' line 2 is not UTF-8 text"],
      [["--batch", "inputs.jsonl", "--out", "folder"], "--out folder is a folder"],
      [["--batch", "inputs.jsonl", "--out", "-"], "without --out the results go to stdout"],
      [["--batch", "inputs.jsonl", "--out", "/dev/null"], "--out /dev/null is not a regular file"],
      [["--batch", "inputs.jsonl", "--out", "inputs.jsonl"], "is the --batch inputs file"],
      [["--batch", "inputs.jsonl", "--out", "./inputs.jsonl", "--resume"], "is the --batch inputs file"],
      [["--batch", "inputs.jsonl", "--out", "missing/results.jsonl"], "the folder missing does not exist"],
      [["--batch", "inputs.jsonl", "--budget-time", "99999999h"], "--budget-time must be at most"],
    ] as const) {
      const run = await rllmc(["run", "echo.rllm", "--provider", "null", ...args], dir);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe("");
    }
    expect(existsSync(join(dir, "missing"))).toBe(false);
    expect(readFileSync(join(dir, "inputs.jsonl"), "utf8")).not.toContain('"ok"');
  });

  it("should refuse to --resume the journal of another app", async () => {
    const dir = setup(3);
    writeFileSync(join(dir, "other.rllm"), echoApp({ maxTokens: 32, name: "other" }));
    const common = ["--provider", "null", "--max-retries", "0", "--out", "results.jsonl", "--quiet"];
    const first = await rllmc(
      [
        "run",
        "echo.rllm",
        "--batch",
        "inputs.jsonl",
        ...common,
        "--concurrency",
        "1",
        "--budget-tokens",
        "1",
        "--allow-over-budget",
      ],
      dir,
    );
    expect(first.code, first.stderr).toBe(8);
    expect(existsSync(join(dir, "results.jsonl.journal"))).toBe(true);
    const other = await rllmc(["run", "other.rllm", "--batch", "inputs.jsonl", ...common, "--resume"], dir);
    expect(other.code, other.stderr).toBe(2);
    expect(other.stderr).toContain("holds the results of the app 'echo', not 'other'");
    const same = await rllmc(["run", "echo.rllm", "--batch", "inputs.jsonl", ...common, "--resume"], dir);
    expect(same.code, same.stderr).toBe(9);
  });
});
