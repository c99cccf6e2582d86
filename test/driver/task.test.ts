/**
 * The driver of `rllmc task run` (src/driver/task/): where a task's paths point and when they are
 * refused, what is read as context, the outputs' current state, the answer cache, the commit
 * message, and whole runs in process with a scripted answer.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cachedProvider } from "../../src/driver/task/answer-cache.js";
import { readContext, readOutputs } from "../../src/driver/task/context.js";
import { locateContext, locateOutput, type TaskRoots } from "../../src/driver/task/paths.js";
import {
  commitMessage,
  correlationId,
  outputProblems,
  runTask,
  schemasForOutputs,
  type TaskRunRequest,
} from "../../src/driver/task/run-task.js";
import type { TaskEntry } from "../../src/passes/task/resolve-task.js";
import type { CompletionRequest, Provider } from "../../src/runtime/app/provider.js";
import { ProviderFailure } from "../../src/runtime/app/provider.js";

function roots(): TaskRoots & { base: string } {
  const base = mkdtempSync(join(tmpdir(), "rllmc-task-"));
  const repo = join(base, "repo");
  const context = join(base, "ctx");
  mkdirSync(repo);
  mkdirSync(context);
  return { base, repo, context };
}

const span = { file: "task.md", start: 0, end: 1 };
const entry = (path: string, description?: string): TaskEntry => ({ path, description, span });

describe("task paths", () => {
  it("should map relative paths, mounts and absolute paths under a root", () => {
    const r = roots();
    const where = (path: string, kind: "context" | "output") => {
      const found = kind === "context" ? locateContext(path, r) : locateOutput(path, r);
      return found.ok ? `${found.located.root}:${found.located.relative}` : `refused: ${found.reason}`;
    };
    expect(where("docs/a.md", "context")).toBe("repo:docs/a.md");
    expect(where("/workspace/context/README.md", "context")).toBe("context:README.md");
    expect(where("/mounts/specifications/.schemas", "context")).toBe("context:.schemas");
    expect(where("/mounts/repo/src/a.ts", "context")).toBe("repo:src/a.ts");
    expect(where(join(r.context, "x", "y.md"), "context")).toBe("context:x/y.md");
    expect(where("./docs//openapi.yaml", "output")).toBe("repo:docs/openapi.yaml");
    expect(where("/mounts/repo/docs/index.html", "output")).toBe("repo:docs/index.html");
    expect(where("/workspace/repo/docs/index.html", "output")).toBe("repo:docs/index.html");
  });

  it("should refuse a path that leaves its root, directly or by '..'", () => {
    const r = roots();
    const refused = (found: ReturnType<typeof locateContext>) => (found.ok ? "ok" : found.reason);
    expect(refused(locateContext("/etc/passwd", r))).toBe("is outside the context and repository roots");
    expect(refused(locateOutput("/workspace/context/a.md", r))).toBe("is outside the repository root");
    expect(refused(locateOutput("docs/../../x", r))).toBe("leaves the repository root through '..'");
    expect(refused(locateContext("/mounts/specifications/../../etc", r))).toMatch(/outside|'\.\.'/);
    // A placeholder value can put '..' into a path: refused the same way after filling.
    expect(refused(locateOutput("docs/../../../etc/cron.d/x", r))).toBe(
      "leaves the repository root through '..'",
    );
    // A placeholder value with a newline makes an output no answer can name.
    expect(refused(locateOutput("docs/a.md\nb", r))).toMatch(/control character/);
    expect(refused(locateContext("/workspace/context/a\u001b[2J", r))).toMatch(/control character/);
  });

  it("should refuse a path that leaves its root through a symlink, and a dangling symlink", () => {
    const r = roots();
    const outside = mkdtempSync(join(tmpdir(), "rllmc-outside-"));
    writeFileSync(join(outside, "secret.txt"), "secret\n");
    symlinkSync(outside, join(r.repo, "linked"));
    symlinkSync(join(outside, "nothing-yet"), join(r.repo, "dangling.txt"));
    const context = locateContext("linked/secret.txt", r);
    expect(context.ok ? "ok" : context.reason).toMatch(
      /^resolves through a symlink to '.*', outside its root/,
    );
    // A new file under a symlinked folder would be written outside too.
    const output = locateOutput("linked/new.txt", r);
    expect(output.ok ? "ok" : output.reason).toMatch(/through a symlink/);
    const dangling = locateOutput("dangling.txt", r);
    expect(dangling.ok ? "ok" : dangling.reason).toMatch(/symlink whose target does not exist/);
  });
});

describe("task context", () => {
  it("should read folders in byte order without .git, skip binary files with a note, and read a file once", () => {
    const r = roots();
    mkdirSync(join(r.context, "specs", ".git"), { recursive: true });
    writeFileSync(join(r.context, "specs", "b.md"), "b\n");
    writeFileSync(join(r.context, "specs", "B.md"), "B\n");
    writeFileSync(join(r.context, "specs", "a.md"), "a\n");
    writeFileSync(join(r.context, "specs", ".git", "HEAD"), "ref\n");
    writeFileSync(join(r.context, "specs", "logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]));
    writeFileSync(join(r.context, "specs", "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    const read = readContext(
      [entry("/workspace/context/specs", "for the specs"), entry("/workspace/context/specs/a.md")],
      r,
      { fileBytes: 1000, totalBytes: 10_000 },
    );
    expect(read.files.map((f) => f.label)).toEqual([
      "context:specs/B.md",
      "context:specs/a.md",
      "context:specs/b.md",
    ]);
    expect(read.files[0]?.description).toBe("for the specs");
    expect(read.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["TSK4203", "'context:specs/latin1.txt' was left out of the context: it is not UTF-8 text"],
      ["TSK4203", "'context:specs/logo.png' was left out of the context: it has NUL bytes (a binary file)"],
    ]);
    expect(read.notes).toHaveLength(2);
  });

  it("should leave out a FIFO with a warning rather than block on it", () => {
    const r = roots();
    mkdirSync(join(r.context, "specs"));
    writeFileSync(join(r.context, "specs", "a.md"), "a\n");
    execFileSync("mkfifo", [join(r.context, "specs", "pipe"), join(r.context, "pipe")]);
    const read = readContext([entry("/workspace/context/specs"), entry("/workspace/context/pipe")], r, {
      fileBytes: 1000,
      totalBytes: 10_000,
    });
    expect(read.files.map((f) => f.label)).toEqual(["context:specs/a.md"]);
    expect(read.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["TSK4203", "'context:specs/pipe' was left out of the context: it is not a regular file"],
      ["TSK4203", "'context:pipe' was left out of the context: it is not a regular file"],
    ]);
  });

  it.skipIf(process.getuid?.() === 0)("should leave out an unreadable file or folder with a warning", () => {
    const r = roots();
    mkdirSync(join(r.context, "specs", "sub"), { recursive: true });
    writeFileSync(join(r.context, "specs", "a.md"), "a\n");
    writeFileSync(join(r.context, "specs", "b.md"), "b\n");
    chmodSync(join(r.context, "specs", "b.md"), 0);
    chmodSync(join(r.context, "specs", "sub"), 0);
    const read = readContext([entry("/workspace/context/specs")], r, { fileBytes: 1000, totalBytes: 10_000 });
    expect(read.files.map((f) => f.label)).toEqual(["context:specs/a.md"]);
    expect(read.diagnostics.map((d) => d.message)).toEqual([
      "'context:specs/b.md' was left out of the context: it cannot be read (EACCES)",
      "'context:specs/sub' was left out of the context: it is a folder that cannot be read",
    ]);
  });

  it("should refuse a context over the per-file or total limit, naming the largest files", () => {
    const r = roots();
    writeFileSync(join(r.repo, "big.md"), "x".repeat(500));
    writeFileSync(join(r.repo, "mid.md"), "x".repeat(300));
    writeFileSync(join(r.repo, "small.md"), "x".repeat(10));
    const entries = [entry("big.md"), entry("mid.md"), entry("small.md")];
    const perFile = readContext(entries, r, { fileBytes: 400, totalBytes: 10_000 });
    expect(perFile.diagnostics.map((d) => d.message)).toEqual([
      "the task's context is too large: 1 file is over the per-file limit of 400 bytes; largest files: repo:big.md (500 bytes), repo:mid.md (300 bytes), repo:small.md (10 bytes)",
    ]);
    const total = readContext(entries, r, { fileBytes: 1000, totalBytes: 600 });
    expect(total.diagnostics.map((d) => d.code)).toEqual(["TSK4202"]);
    expect(total.diagnostics[0]?.message).toMatch(/810 bytes in 3 files, over the limit of 600 bytes/);
  });

  it("should report a missing context path and a file inside a context folder that links outside", () => {
    const r = roots();
    const outside = mkdtempSync(join(tmpdir(), "rllmc-outside-"));
    writeFileSync(join(outside, "secret.txt"), "secret\n");
    mkdirSync(join(r.context, "docs"));
    symlinkSync(join(outside, "secret.txt"), join(r.context, "docs", "innocent.md"));
    const read = readContext([entry("/workspace/context/nope.md"), entry("/workspace/context/docs")], r, {
      fileBytes: 1000,
      totalBytes: 10_000,
    });
    expect(read.diagnostics.map((d) => d.code)).toEqual(["TSK4204", "TSK4201"]);
    expect(read.files).toEqual([]);
  });
});

describe("task outputs", () => {
  it("should give each output's current content and mode, and a folder rule's files", () => {
    const r = roots();
    mkdirSync(join(r.repo, "docs", "api"), { recursive: true });
    writeFileSync(join(r.repo, "docs", "a.md"), "a\n");
    writeFileSync(join(r.repo, "run.sh"), "#!/bin/sh\n");
    chmodSync(join(r.repo, "run.sh"), 0o755);
    writeFileSync(join(r.repo, "docs", "api", "x.yaml"), "x: 1\n");
    const read = readOutputs([entry("docs/a.md"), entry("run.sh"), entry("new.txt"), entry("docs/api/")], r);
    expect(read.diagnostics).toEqual([]);
    expect(read.outputs.map((o) => [o.path, o.current, o.mode, o.existing])).toEqual([
      ["docs/a.md", "a\n", "100644", undefined],
      ["run.sh", "#!/bin/sh\n", "100755", undefined],
      ["new.txt", undefined, undefined, undefined],
      ["docs/api/", undefined, undefined, ["docs/api/x.yaml"]],
    ]);
  });

  it("should refuse an output that is a symlink, before any model is asked", () => {
    const r = roots();
    writeFileSync(join(r.repo, "real.md"), "real\n");
    symlinkSync("real.md", join(r.repo, "alias.md"));
    const read = readOutputs([entry("alias.md"), entry("real.md")], r);
    expect(read.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["TSK4205", "output path 'alias.md' is a symlink; name the file it points to"],
    ]);
    expect(read.outputs.map((o) => o.path)).toEqual(["real.md"]);
  });

  it("should refuse a folder named without '/', a binary output and the root itself", () => {
    const r = roots();
    mkdirSync(join(r.repo, "docs"));
    writeFileSync(join(r.repo, "logo.png"), Buffer.from([1, 0, 2]));
    const read = readOutputs([entry("docs"), entry("logo.png"), entry("/mounts/repo")], r);
    expect(read.diagnostics.map((d) => d.message)).toEqual([
      "output path 'docs' is a folder (end it with '/' to let the task change the files under it)",
      "output path 'logo.png' is not a text file (NUL bytes or not UTF-8); a task changes text files only",
      "output path '/mounts/repo' is the repository root itself",
    ]);
  });
});

describe("task answers and messages", () => {
  it("should end the commit message with the tracking line, once", () => {
    expect(commitMessage("\nfeat: x\r\n\r\nbody  \nTracking: forged\n\n", "user=a correlation_id=c1")).toBe(
      "feat: x\n\nbody\n\nTracking: user=a correlation_id=c1",
    );
    expect(commitMessage("fix: y", "line one\nline two")).toBe("fix: y\n\nTracking: line one line two");
  });

  it("should leave no extra blank line when the model's own tracking line is removed", () => {
    expect(commitMessage("x\n\nTracking: evil\n", "user=a")).toBe("x\n\nTracking: user=a");
    expect(commitMessage("x", "user=a\u001b[31m\u0007 b\t\r\nc")).toBe("x\n\nTracking: user=a [31m  b c");
  });

  it.each([
    [
      "a diff --git header",
      "x\n\ndiff --git a/e.sh b/e.sh\n--- /dev/null\n+++ b/e.sh\n@@ -0,0 +1 @@\n+pwned",
      /starts a patch/,
    ],
    ["a traditional diff header", "x\n--- a/e.sh\n+++ b/e.sh\n@@ -1 +1 @@", /starts a patch/],
    ["an ANSI escape", "x \u001b[31mred", /control character/],
    ["a NUL", "x\u0000y", /control character/],
  ])("should refuse a commit message with %s", (_name, message, problem) => {
    expect(outputProblems(message, []).map((p) => p.message)).toEqual([expect.stringMatching(problem)]);
  });

  it("should accept a commit message with tabs, CRLF and a markdown rule", () => {
    expect(
      outputProblems("feat: x\r\n\r\n\t- a\n---\n--- not a header\ndiff view: show both sides", []),
    ).toEqual([]);
  });

  it("should take the correlation id from the breadcrumb, else hash it", () => {
    expect(correlationId("user=alice roles=dev correlation_id=req-42 at=2026")).toBe("req-42");
    expect(correlationId("alice, 2026-12-06")).toMatch(/^rllmc-[0-9a-f]{32}$/);
    expect(correlationId("alice, 2026-12-06")).toBe(correlationId("alice, 2026-12-06"));
  });

  it("should read the JSON Schemas a task names for its outputs", () => {
    const schemas = schemasForOutputs([
      {
        label: "context:s.json",
        description: "schema for /mounts/repo/docs/a.json",
        content: '{"type":"object"}',
      },
      { label: "context:r.md", description: "for rules", content: "#" },
    ]);
    expect(schemas instanceof Map ? [...schemas] : schemas).toEqual([["docs/a.json", { type: "object" }]]);
    const broken = schemasForOutputs([
      { label: "context:s.json", description: "schema for a.json", content: "{" },
    ]);
    expect(broken instanceof Error ? broken.message : "").toMatch(
      /named as the schema for a.json but is not JSON/,
    );
  });

  it("should answer a seen request from the cache, and fail a new one when frozen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-task-cache-"));
    const calls: CompletionRequest[] = [];
    const inner: Provider = {
      name: "scripted",
      async complete(request) {
        calls.push(request);
        return {
          text: `answer ${calls.length}`,
          usage: undefined,
          model: "m",
          finishReason: "stop",
          raw: {},
        };
      },
    };
    const request: CompletionRequest = {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      params: {},
    };
    const live = cachedProvider(inner, { dir, frozen: false, promptVersion: "v1" });
    expect((await live.complete(request)).text).toBe("answer 1");
    // Headers do not decide the answer: the same request with another correlation id is a hit.
    expect((await live.complete({ ...request, headers: { "X-Correlation-Id": "other" } })).text).toBe(
      "answer 1",
    );
    expect(calls).toHaveLength(1);
    const frozen = cachedProvider(inner, { dir, frozen: true, promptVersion: "v1" });
    expect((await frozen.complete(request)).text).toBe("answer 1");
    await expect(
      frozen.complete({ ...request, messages: [{ role: "user", content: "new" }] }),
    ).rejects.toThrow(ProviderFailure);
    // Another prompt version is another key.
    await expect(
      cachedProvider(inner, { dir, frozen: true, promptVersion: "v2" }).complete(request),
    ).rejects.toThrow(/--frozen/);
  });
});

describe("runTask, in process", () => {
  function setup(taskYaml: string, files: Record<string, string> = {}) {
    const r = roots();
    mkdirSync(join(r.context, "tasks"));
    writeFileSync(join(r.context, "tasks", "t.md"), `# T\n\n\`\`\`yaml\n${taskYaml}\`\`\`\n`);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(r.base, path, ".."), { recursive: true });
      writeFileSync(join(r.base, path), text);
    }
    const log: string[] = [];
    const request = (extra: Partial<TaskRunRequest> = {}): TaskRunRequest => ({
      taskPath: join(r.context, "tasks", "t.md"),
      roots: r,
      breadcrumb: "user=test correlation_id=t-1",
      values: new Map([["SERVICE", "orders"]]),
      flags: { provider: "null" },
      env: {},
      cacheDir: undefined,
      frozen: false,
      dryRun: false,
      maxRetries: undefined,
      maxTokens: 100,
      limits: { fileBytes: 10_000, totalBytes: 100_000, contextTokens: 100_000 },
      log: (line) => log.push(line),
      ...extra,
    });
    return { r, request, log };
  }

  it("should assemble a prompt with no absolute path on a dry run", async () => {
    const { r, request } = setup(
      "prompt: Document the {SERVICE} API.\ncontext:\n  - /workspace/context/README.md for rules\noutputs:\n  - /mounts/repo/docs/api.md\n",
      { "ctx/README.md": "Rules.\n", "repo/docs/api.md": "# API\n" },
    );
    const outcome = await runTask(request({ dryRun: true }));
    expect(outcome.kind).toBe("dry-run");
    expect(outcome.prompt).toContain("Document the orders API.");
    expect(outcome.prompt).toContain("## context:README.md — for rules");
    expect(outcome.prompt).toContain("## repo:docs/api.md\n\n```\n# API\n```");
    expect(outcome.prompt).not.toContain(r.base);
    expect(outcome.audit.context).toEqual([
      { file: "context:README.md", sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: 7 },
    ]);
  });

  it("should stop before anything is read when a placeholder has no value", async () => {
    const { request } = setup("prompt: Do {THING} for {SERVICE}.\noutputs: [a.md]\n");
    const outcome = await runTask(request());
    expect(outcome.kind).toBe("usage");
    expect(outcome.diagnostics.map((d) => [d.code, d.message, d.hint])).toEqual([
      ["TSK4200", "placeholder '{THING}' has no value", "pass --var THING=… or set TASK_VAR_THING"],
    ]);
  });

  it("should refuse a prompt over the model's context, naming the largest files", async () => {
    const { request } = setup(
      "prompt: p\ncontext: [/workspace/context/big.md, /workspace/context/small.md]\noutputs: [a.md]\n",
      {
        "ctx/big.md": "word ".repeat(4000),
        "ctx/small.md": "word\n",
      },
    );
    const outcome = await runTask(
      request({ limits: { fileBytes: 100_000, totalBytes: 100_000, contextTokens: 2000 } }),
    );
    expect(outcome.kind).toBe("context-too-large");
    expect(outcome.diagnostics.at(-1)?.message).toMatch(
      /over the model's context of 2000 tokens; largest files: context:big.md \(20000 bytes\), context:small.md \(5 bytes\)$/,
    );
  });

  it("should say 'no change' for the null provider's answer, and give a verified patch for a scripted one", async () => {
    const { r, request } = setup("prompt: p\noutputs: [docs/a.md, docs/new.md]\n", {
      "repo/docs/a.md": "one\ntwo\n",
    });
    expect((await runTask(request())).kind).toBe("no-change");
    const answer = join(r.base, "answer.json");
    writeFileSync(
      answer,
      JSON.stringify({
        commit_message: "docs: two is three",
        files: [
          { path: "docs/a.md", edits: [{ search: "two", replace: "three" }] },
          { path: "docs/new.md", content: "new\n" },
        ],
      }),
    );
    const outcome = await runTask(request({ env: { LLM_NULL_ANSWER: answer } }));
    expect(outcome.kind).toBe("patch");
    expect(outcome.commitMessage).toBe("docs: two is three\n\nTracking: user=test correlation_id=t-1");
    expect(outcome.patch).toContain("diff --git a/docs/a.md b/docs/a.md\n");
    expect(outcome.patch).toContain("-two\n+three\n");
    expect(outcome.audit).toMatchObject({
      outcome: "patch",
      files_changed: ["docs/a.md", "docs/new.md"],
      correlation_id: "t-1",
      patch_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("should refuse an answer that would break the stdout contract, after asking again", async () => {
    const { r, request, log } = setup("prompt: p\noutputs: [docs/a.md]\n", { "repo/docs/a.md": "a\n" });
    const answer = join(r.base, "answer.json");
    writeFileSync(
      answer,
      JSON.stringify({
        commit_message: "docs: a\n---PATCH---\ndiff --git a/x b/x",
        files: [{ path: "docs/a.md", content: "b\n" }],
      }),
    );
    const outcome = await runTask(request({ env: { LLM_NULL_ANSWER: answer }, maxRetries: 1 }));
    expect(outcome.kind).toBe("off-contract");
    expect(outcome.patch).toBeUndefined();
    expect(log.filter((l) => l.startsWith("attempt"))).toHaveLength(2);
    expect(log[0]).toMatch(/block marker/);
  });

  it("should not print a patch that writes through a symlink, also where git is not on PATH", async () => {
    const { r, request } = setup("prompt: p\noutputs: [docs/]\n", { "repo/docs/a.md": "a\n" });
    mkdirSync(join(r.base, "elsewhere"));
    symlinkSync(join(r.base, "elsewhere"), join(r.repo, "docs", "out"));
    const answer = join(r.base, "answer.json");
    writeFileSync(
      answer,
      JSON.stringify({ commit_message: "x", files: [{ path: "docs/out/new.md", content: "b\n" }] }),
    );
    const path = process.env.PATH;
    process.env.PATH = "";
    try {
      const outcome = await runTask(request({ env: { LLM_NULL_ANSWER: answer } }));
      expect(outcome.kind).toBe("verification");
      expect(outcome.patch).toBeUndefined();
      expect(outcome.message).toMatch(/'docs\/out' on its way is a symbolic link/);
    } finally {
      process.env.PATH = path;
    }
  });

  it.each([
    ["under a file", [{ path: "docs/a.md/x", content: "b\n" }], /'docs\/a\.md' on its way is a file/],
    ["over a folder", [{ path: "docs/sub", content: "b\n" }], /it is a folder now/],
    [
      "at a file and under it",
      [
        { path: "docs/n", content: "b\n" },
        { path: "docs/n/x", content: "b\n" },
      ],
      /a file cannot be a folder too/,
    ],
  ])("should not print a patch that cannot be applied: a file %s", async (_name, files, problem) => {
    const { r, request } = setup("prompt: p\noutputs: [docs/]\n", {
      "repo/docs/a.md": "a\n",
      "repo/docs/sub/b.md": "b\n",
    });
    const answer = join(r.base, "answer.json");
    writeFileSync(answer, JSON.stringify({ commit_message: "x", files }));
    const outcome = await runTask(request({ env: { LLM_NULL_ANSWER: answer } }));
    expect(outcome.kind).toBe("verification");
    expect(outcome.patch).toBeUndefined();
    expect(outcome.message).toMatch(problem);
  });

  it("should not print a patch into a .git folder, also where git is not on PATH", async () => {
    const { r, request } = setup("prompt: p\noutputs: [.git/hooks/post-checkout, docs/]\n", {
      "repo/docs/a.md": "a\n",
    });
    const path = process.env.PATH;
    process.env.PATH = "";
    try {
      for (const file of [".git/hooks/post-checkout", "docs/.GIT/config"]) {
        const answer = join(r.base, "answer.json");
        writeFileSync(
          answer,
          JSON.stringify({ commit_message: "x", files: [{ path: file, content: "b\n" }] }),
        );
        const outcome = await runTask(request({ env: { LLM_NULL_ANSWER: answer } }));
        expect(outcome.kind).toBe("verification");
        expect(outcome.message).toMatch(/inside a \.git folder/);
      }
    } finally {
      process.env.PATH = path;
    }
  });

  it("should refuse a blank placeholder value in a path: it would widen an output to a folder", async () => {
    const { request } = setup("prompt: p {FILE}\noutputs:\n  - docs/{FILE}\n", { "repo/docs/a.md": "a\n" });
    const outcome = await runTask(request({ values: new Map([["FILE", " "]]) }));
    expect(outcome.patch).toBeUndefined();
    expect(outcome.diagnostics?.map((d) => [d.code, d.span.start])).toEqual([
      ["TSK4200", expect.any(Number)],
    ]);
  });

  it("should refuse a placeholder value that turns a file output into a folder", async () => {
    const { request } = setup("prompt: p\noutputs:\n  - docs/{FILE}\n", { "repo/docs/a.md": "a\n" });
    const outcome = await runTask(request({ values: new Map([["FILE", "sub/"]]) }));
    expect(outcome.kind).toBe("usage");
    expect(outcome.diagnostics?.map((d) => [d.code, d.message])).toEqual([
      [
        "TSK4205",
        "output path 'docs/sub/' ends in '/' only through a placeholder's value; a value cannot make a file output a folder",
      ],
    ]);
  });

  it("should fail a change outside the outputs without a patch", async () => {
    const { r, request } = setup("prompt: p\noutputs: [docs/a.md]\n", { "repo/docs/a.md": "a\n" });
    const answer = join(r.base, "answer.json");
    writeFileSync(
      answer,
      JSON.stringify({
        commit_message: "x",
        files: [{ path: ".github/workflows/ci.yml", content: "on: push\n" }],
      }),
    );
    const outcome = await runTask(request({ env: { LLM_NULL_ANSWER: answer } }));
    expect(outcome.kind).toBe("outside-outputs");
    expect(outcome.patch).toBeUndefined();
    expect(outcome.message).toMatch(/'\.github\/workflows\/ci\.yml'/);
  });
});
