/**
 * Ordinary mistakes on the command line are the user's, said as coded diagnostics with exit 2 —
 * never "a bug in rllmc" (RLC0999, exit 3), a hang or a stack trace: output paths that cannot be
 * written, option values with typos, a file of the wrong kind, a missing app file. Through the
 * compiled bin, in temporary folders.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { errorSummary, summaryOnStderr } from "../../src/cli/commands/run.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const TSG = join(ROOT, "examples/pod-crashloop.md");
const APP = join(ROOT, "examples/summary.rllm");
const RUNBOOK = join(ROOT, "goldens/tsg/rb-state-changes-and-samples/runbook.yaml");
const SCENARIO = join(ROOT, "examples/runbook-demo/scenario.yaml");

function cli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LLM_|OLLAMA_HOST|OPENAI_|ANTHROPIC_)/.test(k)),
  );
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    env: { ...clean, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: options.timeout ?? 20_000,
  });
  expect(result.error).toBeUndefined();
  expect(result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  expect(result.stderr).not.toContain("RLC0999");
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "rllmc-user-errors-"));
}

/** A folder with a file `notes.md` in it, to stand in the way of a folder. */
function folderWithFile(): string {
  const dir = tempDir();
  writeFileSync(join(dir, "notes.md"), "# Notes\n");
  return dir;
}

describe("output paths that cannot be written", () => {
  it.each([
    ["--out names a folder", (d: string) => ["compile", TSG, "--out", d], "it is a folder; give a file name"],
    [
      "--out is under a file",
      (d: string) => ["compile", TSG, "--out", join(d, "notes.md", "x.yaml")],
      "notes.md' is a file, not a folder",
    ],
    [
      "--out-dir is under a file (TSGs)",
      (d: string) => [
        "compile",
        TSG,
        join(ROOT, "goldens/tsg/rb-prose-only/input.md"),
        "--out-dir",
        join(d, "notes.md", "out"),
      ],
      "notes.md' is a file, not a folder",
    ],
    [
      "--out-dir is under a file (apps)",
      (d: string) => ["compile", APP, "--out-dir", join(d, "notes.md", "out")],
      "notes.md' is a file, not a folder",
    ],
  ])("should report RLC0009 with exit 2 when %s", (_what, args, reason) => {
    const dir = folderWithFile();
    const run = cli(args(dir));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error RLC0009: cannot write");
    expect(run.stderr).toContain(reason);
    expect(run.stderr).toContain("hint: give an output path in a folder you can write to");
    // Nothing half-written: no temp file left behind.
    expect(readdirSync(dir)).toEqual(["notes.md"]);
  });

  it.runIf(process.platform === "linux")(
    "should fail fast with RLC0009 for an output folder under /proc",
    () => {
      for (const args of [
        ["compile", TSG, "--out-dir", "/proc/rllmc-test/out"],
        ["compile", APP, "--out-dir", "/proc/rllmc-test"],
        ["compile", TSG, "--out", "/proc/rllmc-test.yaml"],
      ]) {
        const started = Date.now();
        const run = cli(args, { timeout: 10_000 });
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(
          /error RLC0009: cannot write '\/proc[^']*': '\/proc' does not allow a new (folder|file) in it/,
        );
      }
    },
  );

  it("should refuse --run-dir naming a file before running anything", () => {
    const dir = folderWithFile();
    // Manual steps only: a run of it would start, write its folder and wait for evidence.
    const manual = join(ROOT, "goldens/tsg/rb-prose-only/runbook.yaml");
    const run = cli(["exec", manual, "--mode", "real", "--no-input", "--run-dir", join(dir, "notes.md")], {
      cwd: dir,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error RLC0009");
    expect(run.stderr).toContain("--run-dir takes a folder");
    const under = cli(
      ["exec", manual, "--mode", "real", "--no-input", "--run-dir", join(dir, "notes.md", "runs")],
      {
        cwd: dir,
      },
    );
    expect(under.code).toBe(2);
    expect(under.stderr).toContain("notes.md' is a file, not a folder");
  });
});

describe("option values", () => {
  it("should refuse a provider typo as a usage error with did you mean, for run and compile", () => {
    const run = cli(["run", APP, "--provider", "replya", "--input", "x"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("not 'replya'; did you mean 'replay'?");
    const fromEnv = cli(["run", APP, "--input", "x"], { env: { LLM_PROVIDER: "opnai" } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain("LLM_PROVIDER must be one of");
    const compile = cli(["compile", TSG, "--llm", "cached", "--provider", "replya"]);
    expect(compile.code).toBe(2);
    expect(compile.stderr).toContain("did you mean 'replay'?");
    const mode = cli(["compile", TSG, "--llm", "cahced"]);
    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain("did you mean 'cached'?");
  });
});

describe("a file of the wrong kind", () => {
  it.each([
    ["a TSG", TSG, "is a TSG (a troubleshooting guide in Markdown), not a runbook", "runbook compile"],
    ["an app", APP, "is an .rllm app, not a runbook", "rllmc run"],
    ["a scenario", SCENARIO, "is a cli-replay scenario, not a runbook", "--scenario"],
  ])("should tell exec given %s what to do instead (RLC0011, exit 2)", (_what, path, message, next) => {
    const run = cli(["exec", path, "--mode", "dry-run"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error RLC0011: '${path}' ${message}`);
    expect(run.stderr).toContain(next);
    expect(run.stderr).not.toContain("YML1004");
  });

  it("should say so when --scenario is given a runbook", () => {
    const run = cli(["exec", RUNBOOK, "--mode", "replay", "--scenario", RUNBOOK]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is a runbook, not a cli-replay scenario");
  });

  it("should validate each kind as what it is: a TSG, a scenario, a runbook, a task", () => {
    const tsg = cli(["validate", TSG]);
    expect(tsg.code).toBe(0);
    expect(tsg.stdout).toContain("a TSG that compiles to a runbook of 5 steps");
    const scenario = cli(["validate", SCENARIO, "--json"]);
    expect(scenario.code).toBe(0);
    expect(JSON.parse(scenario.stdout)).toMatchObject({ valid: true, kind: "scenario", steps: 5 });
    const runbook = cli(["validate", RUNBOOK]);
    expect(runbook.code).toBe(0);
    expect(runbook.stdout).toContain("valid runbook/v0");
    const task = cli(["validate", "examples/generate-openapi.task.md"]);
    expect(task.code).toBe(0);
    expect(task.stdout).toContain("a valid task");
  });

  it("should check runbooks and scenarios, by content or --kind", () => {
    const run = cli(["check", RUNBOOK, SCENARIO, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).files).toEqual([
      { path: RUNBOOK, kind: "runbook" },
      { path: SCENARIO, kind: "scenario" },
    ]);
    const wrong = cli(["check", "--kind", "scenario", RUNBOOK]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).not.toContain("RLC0004");
    const dir = tempDir();
    cpSync(RUNBOOK, join(dir, "a.yaml"));
    const globbed = cli(["check", `${dir}/*.yaml`]);
    expect(globbed.code).toBe(0);
    expect(globbed.stderr).toContain("Checked 1 file");
  });
});

describe("rllmc run's errors", () => {
  it("should report a missing app file or input file as a usage error (RUN1006, exit 2)", () => {
    const app = cli(["run", "no-such-app.rllm", "--input", "x"]);
    expect(app.code).toBe(2);
    expect(JSON.parse(app.stdout)).toMatchObject({
      error_code: "RUN1006",
      error_type: "FileReadError",
      message: "cannot read 'no-such-app.rllm': no such file",
    });
    expect(app.stdout).not.toContain("syntax error");
    const input = cli(["run", APP, "--input-file", "no-such-input.json"]);
    expect(input.code).toBe(2);
    expect(JSON.parse(input.stdout)).toMatchObject({ error_code: "RUN1006" });
  });

  it("should name a malformed API key's variable without printing the key", () => {
    const key = "sk-‘pasted-from-docs’";
    const run = cli(
      ["run", APP, "--provider", "openai-compatible", "--base-url", "http://127.0.0.1:9/v1", "--input", "x"],
      {
        env: { LLM_API_KEY: key },
      },
    );
    const payload = JSON.parse(run.stdout);
    expect(payload.message).toContain(
      "the API key in LLM_API_KEY is malformed: character 4 of 21 is not ASCII (U+2018)",
    );
    expect(run.stdout).not.toContain("pasted-from-docs");
    expect(run.stdout).not.toContain("ByteString");
  });

  it("should print a one-line summary on stderr only when stderr is a terminal", () => {
    expect(summaryOnStderr({ quiet: false, stderrIsTty: true })).toBe(true);
    expect(summaryOnStderr({ quiet: false, stderrIsTty: false })).toBe(false);
    expect(summaryOnStderr({ quiet: true, stderrIsTty: true })).toBe(false);
    const line = errorSummary("rllmc", {
      error_code: "RUN1006",
      error_type: "FileReadError",
      message: "cannot read 'x.rllm': no such file",
      details: {},
      expected_schema: null,
      received_payload: null,
      recovery_hint: "",
      doc_ref: "",
    });
    expect(line).toBe("rllmc run: error RUN1006 FileReadError: cannot read 'x.rllm': no such file\n");
    // Piped, stderr stays empty: the JSON on stdout is the whole answer.
    expect(cli(["run", "no-such-app.rllm", "--input", "x"]).stderr).toBe("");
  });

  it.runIf(process.platform === "linux" && existsSync("/usr/bin/script"))(
    "should print the summary through a real terminal",
    () => {
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run no-such-app.rllm --input x >/dev/null`;
      const result = spawnSync("script", ["-qfec", command, "/dev/null"], {
        cwd: tempDir(),
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(result.stdout).toContain(
        "rllmc run: error RUN1006 FileReadError: cannot read 'no-such-app.rllm'",
      );
    },
  );

  it("should record a failed run under the model that was asked for, not the app's", () => {
    const home = tempDir();
    const env = { RLLMC_HOME: home };
    const failed = cli(
      ["run", APP, "--provider", "replay", "--model", "other-model", "--input", '{"x": 1}'],
      { env },
    );
    expect(failed.code).toBe(4);
    const stats = cli(["stats", APP, "--json"], { env });
    const models = JSON.parse(stats.stdout).models as { model: string; runs: number }[];
    expect(models.map((m) => [m.model, m.runs])).toEqual([["other-model", 1]]);
  });
});
