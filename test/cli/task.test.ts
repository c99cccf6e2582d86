/**
 * `rllmc task list` and the command-line side of `rllmc task run` through the compiled bin:
 * the breadcrumb is checked before anything else, names resolve under $CONTEXT_ROOT/tasks with
 * "did you mean", option values are checked, `--dry-run` prints on stderr only, and stdout holds
 * nothing but the two blocks. (The end-to-end runs against a model server are in test/e2e.)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

function workspace() {
  const base = mkdtempSync(join(tmpdir(), "rllmc-task-cli-"));
  const repo = join(base, "repo");
  const context = join(base, "ctx");
  mkdirSync(join(repo, "docs"), { recursive: true });
  mkdirSync(join(context, "tasks"), { recursive: true });
  writeFileSync(join(repo, "docs", "api.md"), "# API\n");
  writeFileSync(join(context, "README.md"), "House rules.\n");
  writeFileSync(
    join(context, "tasks", "document-api.md"),
    "# Document the API\n\n```yaml\nname: document-api\nprompt: Document the {SERVICE} API.\ncontext:\n  - /workspace/context/README.md for house rules\noutputs:\n  - docs/api.md\n```\n",
  );
  writeFileSync(
    join(context, "tasks", "broken.md"),
    "# Broken\n\n```yaml\nprompt: p\noutputs: [../escape]\n```\n",
  );
  return { base, repo, context };
}

function cli(args: string[], env: Record<string, string | undefined>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(LLM_|TASK_VAR_|TRACKING_BREADCRUMB|REPO_ROOT|CONTEXT_ROOT)/.test(k),
    ),
  );
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...clean, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 20_000,
  });
  expect(result.error).toBeUndefined();
  expect(result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("rllmc task", () => {
  it("should list the tasks with their outputs and placeholders", () => {
    const w = workspace();
    const listed = cli(["task", "list"], { CONTEXT_ROOT: w.context });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(
      "broken\n  outputs: ../escape\n  placeholders: (none)\n  1 error(s): rllmc check tasks/broken.md\n" +
        "document-api\n  outputs: docs/api.md\n  placeholders: {SERVICE}\n",
    );
    const json = JSON.parse(cli(["task", "list", "--json", "--context", w.context], {}).stdout);
    expect(json[1]).toMatchObject({
      name: "document-api",
      outputs: ["docs/api.md"],
      placeholders: ["SERVICE"],
    });
  });

  it("should refuse to run without TRACKING_BREADCRUMB before looking at anything else", () => {
    const result = cli(["task", "run", "no-such-task", "--bogus"], {});
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/TRACKING_BREADCRUMB is not set/);
  });

  it("should say which tasks there are for an unknown name, and check option values", () => {
    const w = workspace();
    const env = { TRACKING_BREADCRUMB: "ci", REPO_ROOT: w.repo, CONTEXT_ROOT: w.context };
    const unknown = cli(["task", "run", "document-apis"], env);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toMatch(/no task 'document-apis' in .*; did you mean 'document-api'\?/);
    const bad = cli(["task", "run", "document-api", "--max-tokens", "lots"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-tokens must be a whole number/);
    const noRepo = cli(["task", "run", "document-api"], { ...env, REPO_ROOT: join(w.base, "nope") });
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toMatch(/the repository root '.*nope' is not a folder/);
  });

  it("should report a missing placeholder value as TSK4200 with exit 2, and an invalid task with exit 1", () => {
    const w = workspace();
    const env = {
      TRACKING_BREADCRUMB: "ci",
      REPO_ROOT: w.repo,
      CONTEXT_ROOT: w.context,
      LLM_PROVIDER: "null",
    };
    const missing = cli(["task", "run", "document-api"], env);
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toMatch(/TSK4200.*placeholder '\{SERVICE\}' has no value/);
    expect(missing.stderr).toMatch(/--var SERVICE=/);
    const broken = cli(["task", "run", "broken"], env);
    expect(broken).toMatchObject({ code: 1, stdout: "" });
    expect(broken.stderr).toMatch(/TSK4003/);
  });

  it("should print the prompt on stderr and nothing on stdout for --dry-run, values from TASK_VAR_", () => {
    const w = workspace();
    const result = cli(["task", "run", "document-api", "--dry-run"], {
      TRACKING_BREADCRUMB: "ci",
      REPO_ROOT: w.repo,
      CONTEXT_ROOT: w.context,
      TASK_VAR_SERVICE: "billing",
    });
    expect(result).toMatchObject({ code: 0, stdout: "" });
    expect(result.stderr).toContain("Document the billing API.");
    expect(result.stderr).toMatch(/dry run: 1 context file\(s\)\n {2}context:README\.md \(13 bytes\)/);
    expect(result.stderr).toMatch(/no model was called/);
  });

  it("should refuse an --audit or cache path that cannot be written before the model is asked", () => {
    const w = workspace();
    const answer = join(w.base, "answer.json");
    writeFileSync(
      answer,
      JSON.stringify({ commit_message: "x", files: [{ path: "docs/api.md", content: "b\n" }] }),
    );
    const env = {
      TRACKING_BREADCRUMB: "ci",
      REPO_ROOT: w.repo,
      CONTEXT_ROOT: w.context,
      LLM_PROVIDER: "null",
      LLM_NULL_ANSWER: answer,
    };
    const audit = cli(
      ["task", "run", "document-api", "--var", "SERVICE=b", "--audit", join(answer, "a.json")],
      env,
    );
    expect(audit).toMatchObject({ code: 2, stdout: "" });
    expect(audit.stderr).toMatch(/--audit: cannot write '.*a\.json': '.*answer\.json' is not a folder/);
    expect(audit.stderr).not.toMatch(/changed/);
    const folder = cli(["task", "run", "document-api", "--var", "SERVICE=b", "--audit", w.base], env);
    expect(folder).toMatchObject({ code: 2, stdout: "" });
    expect(folder.stderr).toMatch(/--audit: '.*' is a folder; give a file name/);
    const cache = cli(["task", "run", "document-api", "--var", "SERVICE=b", "--cache-dir", answer], env);
    expect(cache).toMatchObject({ code: 2, stdout: "" });
    expect(cache.stderr).toMatch(/the answer cache \(RLLMC_CACHE_DIR or --cache-dir\): cannot write/);
    const fine = cli(
      ["task", "run", "document-api", "--var", "SERVICE=b", "--audit", join(w.base, "out", "a.json")],
      { ...env, RLLMC_CACHE_DIR: join(w.base, "cache") },
    );
    expect(fine).toMatchObject({ code: 0 });
  });

  it("should exit 11 with nothing on stdout when no change is needed", () => {
    const w = workspace();
    const result = cli(["task", "run", "document-api", "--var", "SERVICE=billing"], {
      TRACKING_BREADCRUMB: "ci",
      REPO_ROOT: w.repo,
      CONTEXT_ROOT: w.context,
      LLM_PROVIDER: "null",
    });
    expect(result).toMatchObject({ code: 11, stdout: "" });
    expect(result.stderr).toMatch(/no change needed/);
  });

  it("should record the answers with --record and replay them byte for byte with --provider replay", () => {
    const w = workspace();
    const answer = join(w.base, "answer.json");
    writeFileSync(
      answer,
      JSON.stringify({
        commit_message: "docs: the billing API",
        files: [{ path: "docs/api.md", content: "# Billing API\n" }],
      }),
    );
    const cassette = join(w.base, "task.cassette.json");
    const env = {
      TRACKING_BREADCRUMB: "ci",
      REPO_ROOT: w.repo,
      CONTEXT_ROOT: w.context,
      TASK_VAR_SERVICE: "billing",
    };
    const live = cli(["task", "run", "document-api", "--record", cassette], {
      ...env,
      LLM_PROVIDER: "null",
      LLM_NULL_ANSWER: answer,
    });
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(
      /^---COMMIT_MSG---\ndocs: the billing API\n\nTracking: ci\n---PATCH---\ndiff --git /,
    );
    const replayed = cli(
      ["task", "run", "document-api", "--provider", "replay", "--cassette", cassette],
      env,
    );
    expect(replayed).toMatchObject({ code: 0, stdout: live.stdout });
  });

  it("should need a provider to run", () => {
    const w = workspace();
    const result = cli(["task", "run", "document-api", "--var", "SERVICE=billing"], {
      TRACKING_BREADCRUMB: "ci",
      REPO_ROOT: w.repo,
      CONTEXT_ROOT: w.context,
    });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/no provider: set LLM_PROVIDER/);
  });
});
