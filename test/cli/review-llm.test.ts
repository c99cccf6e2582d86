/**
 * `rllmc review` through the bin with the LLM proposals phase: Stage B asks an
 * OpenAI-compatible server (a scripted one on 127.0.0.1), the answers land in the repository's
 * cache, and a later `--frozen` session answers from it without the server.
 */
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { compilePlan } from "../../src/driver/compile-runbooks.js";
import { SourceFile } from "../../src/ir/source-file.js";
import type { Runbook, Step } from "../../src/lang/runbook/types.js";
import { type FakeLlmServer, openAiCompletion, startFakeLlmServer } from "../support/fake-llm-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const TSG = readFileSync(join(ROOT, "test/review/fixtures/disk-pressure.md"), "utf8");

const temps: string[] = [];
const servers: FakeLlmServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The bin, asynchronously: the scripted server answers from this process. */
function cli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const { NO_COLOR: _n, FORCE_COLOR: _f, LLM_PROVIDER: _p, LLM_MODEL: _m, ...base } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, encoding: "utf8", env: { ...base, NO_COLOR: "1", ...env } },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : Number((error as { code?: number }).code ?? 1),
          stdout,
          stderr,
        }),
    );
  });
}

function repoWithRunbook(): string {
  const dir = mkdtempSync(join(tmpdir(), "rllmc-review-llm-"));
  temps.push(dir);
  mkdirSync(join(dir, "ops"));
  writeFileSync(join(dir, "ops/tsg.md"), TSG);
  return dir;
}

/** The model's answer: the deterministic runbook with a description and `kubectl get nodes` run as cli. */
async function answer(): Promise<string> {
  const { plan } = await compilePlan(new SourceFile("/x/tsg.md", TSG), undefined);
  const runbook = structuredClone(plan!.runbook) as Runbook;
  const promote = (steps: readonly Step[]): Step[] =>
    steps.map((step) =>
      step.type === "group"
        ? { ...step, steps: promote(step.steps) }
        : step.type === "manual" && step.command === "kubectl get nodes -o wide"
          ? { id: step.id, type: "cli", title: "List the nodes", with: { argv: step.command.split(" ") } }
          : step,
    );
  return JSON.stringify({
    ...runbook,
    meta: { ...runbook.meta, description: "Find the nodes under disk pressure." },
    steps: promote(runbook.steps),
  });
}

/** `rllmc review --auto` in `dir` against a model server that refuses every request (HTTP 400). */
async function reviewWithRefusingModel(dir: string): Promise<{ server: FakeLlmServer; run: Run }> {
  const server = await startFakeLlmServer({
    otherwise: { status: 400, body: { error: { message: "no such model" } } },
  });
  servers.push(server);
  const provider = ["--provider", "openai-compatible", "--model", "nope", "--base-url", `${server.url}/v1`];
  return { server, run: await cli(["review", "--auto", ...provider], dir) };
}

const events = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { event: string; id?: string; [k: string]: unknown });

describe("rllmc review with LLM proposals", () => {
  it("should ask the model once, apply its proposals with --auto, and answer a --frozen session from the cache", async () => {
    const dir = repoWithRunbook();
    const compiled = await cli(
      ["compile", "tsg.md", "--out", "runbook.yaml", "--mapping", "mapping.md"],
      join(dir, "ops"),
    );
    expect(compiled.code, compiled.stderr).toBe(0);
    const server = await startFakeLlmServer({
      script: [{ path: "/v1/chat/completions", body: openAiCompletion(await answer(), { model: "m1" }) }],
    });
    servers.push(server);
    const provider = ["--provider", "openai-compatible", "--model", "m1", "--base-url", `${server.url}/v1`];

    // Listed, not written, off a terminal without --auto.
    const listed = await cli(["review", ...provider], dir);
    expect(listed.code, `${listed.stderr}${listed.stdout}`).toBe(2);
    expect(listed.stderr).not.toContain("LLM proposals skipped");
    expect(
      events(listed.stdout)
        .filter((e) => e.event === "suggestion")
        .map((e) => [e.id, e.tier, e.confidence]),
    ).toEqual([
      ["llm-metadata:ops/runbook.yaml", "llm-metadata", "high"],
      // The TSG runs it on the bastion: a person (or --auto-confidence medium) decides.
      ["llm-promote:ops/runbook.yaml#kubectl_get_nodes", "llm-promote", "medium"],
    ]);
    expect(server.requests).toHaveLength(1);
    expect(readdirSync(join(dir, ".rllmc/cache/llm")).filter((f) => f.endsWith(".json"))).toHaveLength(1);

    // Applied from the cache, with the server gone.
    await server.close();
    servers.length = 0;
    const applied = await cli(
      ["review", "--auto", "--auto-confidence", "medium", "--frozen", ...provider],
      dir,
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(
      events(applied.stdout)
        .filter((e) => e.event === "applied")
        .map((e) => e.id),
    ).toEqual(["llm-metadata:ops/runbook.yaml", "llm-promote:ops/runbook.yaml#kubectl_get_nodes"]);
    const runbook = readFileSync(join(dir, "ops/runbook.yaml"), "utf8");
    expect(runbook).toContain("# Reviewed: rllmc review accepted a promotion to cli (`kubectl_get_nodes`)");
    expect(runbook).toContain("description: Find the nodes under disk pressure.");
    const validated = await cli(["validate", "runbook.yaml"], join(dir, "ops"));
    expect(validated.code, validated.stderr).toBe(0);

    // Nothing is left to propose; the runbook is not "drift" either.
    const again = await cli(["review", "--auto", "--frozen", ...provider], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(events(again.stdout).at(-1)).toMatchObject({ event: "summary", changes: 0 });
  });

  it("should read --cache-dir from the current folder, as PATHS and --changes, not from --repo", async () => {
    const dir = repoWithRunbook();
    const compiled = await cli(["compile", "tsg.md", "--out", "runbook.yaml"], join(dir, "ops"));
    expect(compiled.code, compiled.stderr).toBe(0);
    const server = await startFakeLlmServer({
      script: [{ path: "/v1/chat/completions", body: openAiCompletion(await answer(), { model: "m1" }) }],
    });
    servers.push(server);
    const run = await cli(
      [
        "review",
        "--repo",
        "..",
        "--cache-dir",
        "answers",
        "--provider",
        "openai-compatible",
        "--model",
        "m1",
        "--base-url",
        `${server.url}/v1`,
      ],
      join(dir, "ops"),
    );
    expect(run.code, run.stderr).toBe(2);
    expect(readdirSync(join(dir, "ops/answers/llm")).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    expect(existsSync(join(dir, "answers"))).toBe(false);
  });

  it("should skip the phase with one line without a model, and refuse LLM flags with --no-llm", async () => {
    const dir = repoWithRunbook();
    await cli(["compile", "tsg.md", "--out", "runbook.yaml"], join(dir, "ops"));
    const skipped = await cli(["review", "--provider", "openai-compatible"], dir);
    expect(skipped.stderr).toContain(
      "LLM proposals skipped: no model configured (give --provider and --model, or set LLM_PROVIDER and LLM_MODEL; --no-llm says you meant it)",
    );
    expect(skipped.code).toBe(0);
    const clash = await cli(["review", "--no-llm", "--model", "m"], dir);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain("--model asks for LLM proposals, but --no-llm skips them");
  });

  it("should report a model that refuses the request as no proposal, not a failure", async () => {
    const dir = repoWithRunbook();
    await cli(["compile", "tsg.md", "--out", "runbook.yaml"], join(dir, "ops"));
    const { run } = await reviewWithRefusingModel(dir);
    expect(run.code, run.stderr).toBe(0);
    const summary = events(run.stdout).at(-1)!;
    expect(summary).toMatchObject({ event: "summary", changes: 0 });
    expect(summary.not_proposed).toEqual([
      { output: "ops/runbook.yaml", reason: expect.stringMatching(/^RBK6206: /) },
    ]);
  });
});

describe("rllmc review with a provider that fails", () => {
  it("should ask no more once a call failed: the runbooks left get no proposal, with the first failure", async () => {
    const dir = repoWithRunbook();
    mkdirSync(join(dir, "ops2"));
    writeFileSync(join(dir, "ops2/tsg.md"), TSG.replace("# NodeDiskPressure", "# NodeDiskPressure2"));
    for (const folder of ["ops", "ops2"]) {
      const compiled = await cli(["compile", "tsg.md", "--out", "runbook.yaml"], join(dir, folder));
      expect(compiled.code, compiled.stderr).toBe(0);
    }
    const { server, run } = await reviewWithRefusingModel(dir);
    expect(run.code, run.stderr).toBe(0);
    // A provider that times out costs minutes a call: one failure is enough for the session.
    expect(server.requests).toHaveLength(1);
    expect(events(run.stdout).at(-1)!.not_proposed).toEqual([
      { output: "ops/runbook.yaml", reason: expect.stringMatching(/^RBK6206: .*no such model/) },
      {
        output: "ops2/runbook.yaml",
        reason: expect.stringMatching(
          /^RBK6206: .*not asked, since an earlier call of this review failed: .*no such model/,
        ),
      },
    ]);
  });
});

describe("rllmc review --changes limits", () => {
  it("should refuse a change set over 16 MiB with exit 2, and list an unreadable one as manual", async () => {
    const dir = repoWithRunbook();
    const big = join(dir, "big.json");
    writeFileSync(big, `{"changes":[],"x":"${"a".repeat(16 * 1024 * 1024)}"}`);
    const run = await cli(["review", "--no-llm", "--changes", big], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is larger than 16 MiB: split it into smaller change sets");
    writeFileSync(join(dir, "bad.json"), "not json");
    const bad = await cli(["review", "--auto", "--no-llm", "--changes", "bad.json"], dir);
    expect(bad.code).toBe(1);
    expect(events(bad.stdout).at(-1)).toMatchObject({
      event: "summary",
      manual: [
        {
          id: "bad.json",
          target: "bad.json",
          reason: expect.stringMatching(/^schema gate: neither a change set/),
        },
      ],
    });
  });
});
