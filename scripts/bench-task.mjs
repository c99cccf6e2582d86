#!/usr/bin/env node
// Section 12 of `npm run bench` (scripts/bench.mjs), also runnable alone after a build
// (`node scripts/bench-task.mjs`): the overhead of `rllmc task run` without a model. A git
// repository of 2,000 files (the task's outputs are 2 of them) and a context folder of 50 files
// that the task names as one entry are generated in a temp folder; the model is
// `LLM_PROVIDER=null` with `LLM_NULL_ANSWER` (a one-line edit of each output). The figure is
// the spawn wall time of `rllmc task run` minus that of `rllmc --version`, medians of
// interleaved spawns after one warm-up each. Goal (issue 18): ≤ 150 ms.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const REPO_FILES = 2000;
const CONTEXT_FILES = 50;
const GOAL_MS = 150;
const OUTPUTS = ["src/mod-003/file-07.ts", "src/mod-042/file-11.ts"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A source file of about 1.5 kB, different for every index. */
function sourceFile(i) {
  const lines = [`// Module ${i}: generated for the task-run benchmark.`, ""];
  for (let f = 0; f < 12; f++)
    lines.push(
      `export function handler${i}_${f}(input: number): number {`,
      `  return input * ${f + 1} + ${i};`,
      "}",
      "",
    );
  return lines.join("\n");
}

/** A standards document of about 2 kB. */
function standardsFile(i) {
  const rules = Array.from(
    { length: 20 },
    (_, r) => `- Rule ${i}.${r}: functions are small, named for what they do, and tested.`,
  );
  return `# Standard ${i}\n\n${rules.join("\n")}\n`;
}

/** The repository, the context and the answer, in a temp folder; returns their paths. */
export function taskBenchFixture() {
  const dir = mkdtempSync(join(tmpdir(), "rllmc-bench-task-"));
  const repo = join(dir, "repo");
  const context = join(dir, "context");
  for (let i = 0; i < REPO_FILES; i++) {
    const folder = join(repo, "src", `mod-${String(Math.floor(i / 20)).padStart(3, "0")}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `file-${String(i % 20).padStart(2, "0")}.ts`), sourceFile(i));
  }
  // A CI checkout: a git repository with every file committed (git apply --check runs in it).
  const git = (...args) => {
    const result = spawnSync("git", args, {
      cwd: repo,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_AUTHOR_NAME: "bench",
        GIT_AUTHOR_EMAIL: "bench@example.com",
        GIT_COMMITTER_NAME: "bench",
        GIT_COMMITTER_EMAIL: "bench@example.com",
      },
    });
    if (result.status !== 0) throw new Error(`git ${args[0]} failed: ${result.error ?? result.stderr}`);
  };
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "bench");
  mkdirSync(join(context, "standards"), { recursive: true });
  mkdirSync(join(context, "tasks"), { recursive: true });
  for (let i = 0; i < CONTEXT_FILES; i++)
    writeFileSync(join(context, "standards", `standard-${String(i).padStart(2, "0")}.md`), standardsFile(i));
  writeFileSync(
    join(context, "tasks", "bench.md"),
    [
      "```yaml",
      "name: bench",
      "prompt: Make the two handlers add one more.",
      "context:",
      "  - /workspace/context/standards for the coding standards",
      "outputs:",
      ...OUTPUTS.map((o) => `  - ${o}`),
      "```",
      "",
    ].join("\n"),
  );
  const answer = join(dir, "answer.json");
  writeFileSync(
    answer,
    JSON.stringify({
      commit_message: "fix: add one more in two handlers",
      files: [
        {
          path: OUTPUTS[0],
          edits: [{ search: "  return input * 1 + 67;", replace: "  return input * 1 + 68;" }],
        },
        {
          path: OUTPUTS[1],
          edits: [{ search: "  return input * 12 + 851;", replace: "  return input * 12 + 852;" }],
        },
      ],
    }),
  );
  return { dir, repo, context, answer };
}

export function benchTaskRun({ spawns = 15 } = {}) {
  const fixture = taskBenchFixture();
  try {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !/^(LLM_|TASK_VAR_|RLLMC_CACHE_DIR$|REPO_ROOT$|CONTEXT_ROOT$)/.test(name),
      ),
    );
    const taskEnv = {
      ...env,
      TRACKING_BREADCRUMB: "user=bench correlation_id=bench",
      REPO_ROOT: fixture.repo,
      CONTEXT_ROOT: fixture.context,
      LLM_PROVIDER: "null",
      LLM_NULL_ANSWER: fixture.answer,
    };
    const spawn = (args, spawnEnv) => {
      const start = performance.now();
      const result = spawnSync(process.execPath, [CLI, ...args], {
        cwd: ROOT,
        env: spawnEnv,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
      const ms = performance.now() - start;
      if (result.status !== 0)
        throw new Error(`rllmc ${args.join(" ")}: exit ${result.status}: ${result.stderr}`);
      return { ms, stdout: result.stdout };
    };
    // Warm-up (V8's compile cache, the file system cache), and a check of what is measured.
    spawn(["--version"], env);
    const first = spawn(["task", "run", "bench"], taskEnv);
    if (
      !first.stdout.startsWith("---COMMIT_MSG---\n") ||
      !OUTPUTS.every((o) => first.stdout.includes(`+++ b/${o}`))
    )
      throw new Error(`bench: task run printed no patch of both outputs:\n${first.stdout}`);
    const versionTimes = [];
    const taskTimes = [];
    for (let i = 0; i < spawns; i++) {
      versionTimes.push(spawn(["--version"], env).ms);
      taskTimes.push(spawn(["task", "run", "bench"], taskEnv).ms);
    }
    const versionMs = median(versionTimes);
    const taskMs = median(taskTimes);
    return { versionMs, taskMs, overMs: taskMs - versionMs, patchBytes: Buffer.byteLength(first.stdout) };
  } finally {
    rmSync(fixture.dir, { recursive: true, force: true });
  }
}

/** The bench's table rows for these results. */
export function taskRunBenchRows(result) {
  return [
    [
      `rllmc task run, ${REPO_FILES.toLocaleString("en")}-file repo, ${CONTEXT_FILES} context files, null model`,
      `${result.taskMs.toFixed(0)} ms`,
      `a 2-file edit; stdout ${(result.patchBytes / 1e3).toFixed(1)} kB`,
    ],
    ["  rllmc --version", `${result.versionMs.toFixed(0)} ms`, ""],
    ["  task run over --version", `${result.overMs.toFixed(0)} ms`, `goal ≤ ${GOAL_MS} ms`],
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = taskRunBenchRows(benchTaskRun({ spawns: Number(process.env.BENCH_SPAWNS ?? 15) }));
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}
