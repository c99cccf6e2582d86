/**
 * `runbook compile DIR --llm cached` over many TSGs goes through the batch scheduler
 * (driver/batch/compile-files.ts, docs/batch.md): as many interpretation calls at once as
 * `--concurrency` allows, never more, the outputs and the report in file order, and a second
 * build from the answer cache with `--frozen` that asks nothing and writes the same bytes.
 */
import { cpSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, rllmc, tempDir } from "../support/batch-fixtures.js";
import { type CapacityServer, startCapacityServer } from "../support/capacity-llm-server.js";

const REFINED = join(ROOT, "goldens/tsg/rb-llm-refined");
let server: CapacityServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("runbook compile DIR --llm cached through the scheduler", () => {
  it("should ask at most --concurrency at once, and keep the files' order", async () => {
    const answer = readFileSync(join(REFINED, "answer.json"), "utf8");
    server = await startCapacityServer({
      capacity: 8,
      latencyMs: 300,
      answer: () => `\`\`\`json\n${answer}\`\`\``,
    });
    const dir = tempDir("rllmc-compile-batch-");
    const names = ["a", "b", "c", "d", "e", "f"];
    // Different names make different requests (the model is told the file's name).
    mkdirSync(join(dir, "tsgs"));
    for (const name of names) cpSync(join(REFINED, "input.md"), join(dir, "tsgs", `${name}.md`));
    const args = [
      "compile",
      "tsgs",
      "--out-dir",
      "out",
      "--llm",
      "cached",
      "--provider",
      "openai-compatible",
      "--model",
      "recorded-model",
      "--cache-dir",
      "cache",
      "--json",
    ];
    const run = await rllmc([...args, "--base-url", server.url, "--concurrency", "3"], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(server.stats.answered).toBe(6);
    expect(server.stats.maxInFlight).toBe(3);
    const report = JSON.parse(run.stdout);
    expect(report.files.map((f: { path: string }) => f.path)).toEqual(
      names.map((n) => join("tsgs", `${n}.md`)),
    );
    // The runbooks without their header (which names the command that remakes them).
    const body = (n: string) =>
      readFileSync(join(dir, "out", n, "runbook.yaml"), "utf8")
        .split("\n")
        .filter((line) => !line.startsWith("#"))
        .join("\n");
    const first = names.map(body);
    expect(first.every((yaml) => yaml.includes("steps:"))).toBe(true);

    const frozen = await rllmc([...args, "--frozen", "--concurrency", "2"], dir);
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(server.stats.answered).toBe(6);
    expect(names.map(body)).toEqual(first);
  });

  it("should refuse --concurrency without the LLM pass", async () => {
    const dir = tempDir("rllmc-compile-batch-");
    cpSync(join(REFINED, "input.md"), join(dir, "input.md"));
    const run = await rllmc(["compile", "input.md", "--concurrency", "4"], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--concurrency goes with --llm live|cached");
  });
});
