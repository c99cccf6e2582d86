/**
 * Golden cases of `rllmc task run`: a task, a repository and a recorded answer → the commit
 * message and the patch. A case is a folder `goldens/task/<case>/` with a `repo/` folder, read
 * as it is and never written:
 *   repo/          the repository as it is before the change (REPO_ROOT)
 *   context/       CONTEXT_ROOT, with the task in `context/tasks/NAME.md`
 *   answer.json    the model's answer, served by `LLM_PROVIDER=null` + `LLM_NULL_ANSWER`
 *                  (absent: the null provider's own "no change" answer)
 *   case.json      optional: `{"task": NAME, "args": [flags…], "env": {NAME: value}}`
 * and the expected outputs: `stdout.txt` (exactly what the command printed on stdout: the two
 * blocks, or nothing), `stderr.txt` and `exit.txt`.
 *
 * The command runs in-process through the CLI's own entry (`run()` of src/cli/run.ts), with an
 * environment of its own and copies of `repo/` and `context/` in a temporary folder, whose
 * path stderr shows as `$TMP`. Beyond the comparison with the expected files, `checkTaskRun`
 * applies the printed patch with `git apply` to another copy of the repository and compares
 * the result with the files the answer asked for, and checks that the run wrote nothing
 * under either root.
 */

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { run } from "../../src/cli/run.js";

/** What a task-run case produced, and what `checkTaskRun` needs to check it. */
export interface TaskRunResult {
  readonly outputs: Map<string, string>;
  readonly exitCode: number;
  readonly stdout: string;
  /** Problems found while running: a file written under a root. */
  readonly problems: readonly string[];
}

interface TaskRunSpec {
  readonly task?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** Whether a golden case folder is a `task run` case. */
export function isTaskRunCase(dir: string): boolean {
  return existsSync(join(dir, "repo")) && statSync(join(dir, "repo")).isDirectory();
}

/** The task file of a `task run` case: the one `context/tasks/*.md` (or case.json's `task`). */
export function taskRunInput(dir: string): string {
  const spec = readSpec(dir);
  const tasks = join(dir, "context", "tasks");
  if (spec.task !== undefined) return join(tasks, `${spec.task}.md`);
  const found = existsSync(tasks) ? readdirSync(tasks).filter((f) => f.endsWith(".md")) : [];
  if (found.length !== 1)
    throw new Error(
      `golden case ${dir}: name the task in case.json ('task'), or keep one context/tasks/*.md`,
    );
  return join(tasks, found[0] as string);
}

/** Runs `rllmc task run` for a case as a CI job would, configured by the environment. */
export async function runTaskCase(dir: string): Promise<TaskRunResult> {
  const spec = readSpec(dir);
  const work = mkdtempSync(join(tmpdir(), "rllmc-golden-task-"));
  try {
    const repo = join(work, "repo");
    const context = join(work, "context");
    cpSync(join(dir, "repo"), repo, { recursive: true });
    if (existsSync(join(dir, "context"))) cpSync(join(dir, "context"), context, { recursive: true });
    const before = { repo: snapshot(repo), context: snapshot(context) };
    const answer = join(dir, "answer.json");
    const name = taskRunInput(dir)
      .replace(/^.*[/\\]/, "")
      .replace(/\.md$/, "");
    const env: NodeJS.ProcessEnv = {
      // Only what git and the home-isolation of the test setup need, then the case's own.
      ...pick(process.env, ["PATH", "Path", "SystemRoot", "HOME", "USERPROFILE", "RLLMC_HOME", "TMPDIR"]),
      NO_COLOR: "1",
      TRACKING_BREADCRUMB: `user=golden roles=ci time=2026-01-01T00:00:00Z correlation_id=golden-${name}`,
      REPO_ROOT: repo,
      CONTEXT_ROOT: context,
      LLM_PROVIDER: "null",
      ...(existsSync(answer) ? { LLM_NULL_ANSWER: answer } : {}),
      ...spec.env,
    };
    const captured = await captureOutput(env, () =>
      run("rllmc", ["task", "run", name, ...(spec.args ?? [])]),
    );
    const problems: string[] = [];
    if (!sameTree(before.repo, snapshot(repo))) problems.push("the run changed a file under REPO_ROOT");
    if (!sameTree(before.context, snapshot(context)))
      problems.push("the run changed a file under CONTEXT_ROOT");
    // The temporary folder as `$TMP`, however the platform spells it.
    const stderr = captured.stderr.split(work).join("$TMP");
    const outputs = new Map<string, string>([
      ["stdout.txt", captured.stdout],
      ["stderr.txt", stderr],
      ["exit.txt", `${captured.exitCode}\n`],
    ]);
    return { outputs, exitCode: captured.exitCode, stdout: captured.stdout, problems };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * What a user of the printed output relies on: exactly the two blocks on stdout (or nothing
 * when the run did not end with a patch), and a patch that `git apply` applies to the
 * repository, giving the files the answer asked for and changing no other file.
 */
export function checkTaskRun(dir: string, result: TaskRunResult): string[] {
  const problems = [...result.problems];
  // `--dry-run` ends with 0 and prints the prompt on stderr: stdout stays empty.
  if (result.exitCode !== 0 || readSpec(dir).args?.includes("--dry-run")) {
    if (result.stdout !== "")
      problems.push(`exit code ${result.exitCode}, but something was printed on stdout`);
    return problems;
  }
  const blocks = /^---COMMIT_MSG---\n([\s\S]+?)\n---PATCH---\n([\s\S]+)$/.exec(result.stdout);
  if (blocks === null) return [...problems, "stdout is not one commit message block and one patch block"];
  const [, message, patch] = blocks as unknown as [string, string, string];
  if (message.includes("---PATCH---") || patch.includes("---COMMIT_MSG---") || patch.includes("---PATCH---"))
    problems.push("stdout has a block marker twice");
  if (!/\n\nTracking: [^\n]+$/.test(message))
    problems.push("the commit message does not end with its Tracking line");

  const work = mkdtempSync(join(tmpdir(), "rllmc-golden-apply-"));
  try {
    const repo = join(work, "repo");
    cpSync(join(dir, "repo"), repo, { recursive: true });
    // Its own repository, so that git applies the paths from this folder and no other.
    const init = spawnSync("git", ["init", "-q"], { cwd: repo, encoding: "utf8" });
    if ((init.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return problems; // no git here
    const applied = spawnSync("git", ["apply", "-"], { cwd: repo, input: patch, encoding: "utf8" });
    if (applied.status !== 0) return [...problems, `git apply refused the patch: ${applied.stderr.trim()}`];
    rmSync(join(repo, ".git"), { recursive: true, force: true });
    const expected = expectedTree(
      snapshot(join(dir, "repo")),
      JSON.parse(readFileSync(join(dir, "answer.json"), "utf8")),
    );
    if (typeof expected === "string") return [...problems, expected];
    const actual = snapshot(repo);
    for (const path of new Set([...expected.keys(), ...actual.keys()])) {
      const want = expected.get(path);
      const got = actual.get(path);
      if (want === undefined) problems.push(`git apply: '${path}' exists, but the answer does not have it`);
      else if (got === undefined) problems.push(`git apply: '${path}' is missing, but the answer has it`);
      else if (!want.bytes.equals(got.bytes))
        problems.push(`git apply: '${path}' differs from the answer's content`);
      else if (want.executable !== got.executable) problems.push(`git apply: '${path}' changed its mode`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return problems;
}

interface FileState {
  readonly bytes: Buffer;
  readonly executable: boolean;
}

/** Every file under a folder, by its `/`-separated relative path. */
function snapshot(root: string): Map<string, FileState> {
  const files = new Map<string, FileState>();
  if (!existsSync(root)) return files;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else
        files.set(relative(root, path).split("\\").join("/"), {
          bytes: readFileSync(path),
          executable: (statSync(path).mode & 0o100) !== 0,
        });
    }
  };
  walk(root);
  return files;
}

function sameTree(a: Map<string, FileState>, b: Map<string, FileState>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, state] of a) {
    const other = b.get(path);
    if (other === undefined || !other.bytes.equals(state.bytes) || other.executable !== state.executable)
      return false;
  }
  return true;
}

type AnswerFile =
  | { path: string; content: string }
  | { path: string; delete: true }
  | { path: string; edits: { search: string; replace: string }[] };

/**
 * The repository as the answer asks for it, worked out here independently of rllmc: whole
 * contents written, deletes removed, each edit's `search` replaced where it occurs once.
 */
function expectedTree(
  before: Map<string, FileState>,
  answer: { files: AnswerFile[] },
): Map<string, FileState> | string {
  const tree = new Map(before);
  for (const file of answer.files) {
    const current = tree.get(file.path);
    if ("delete" in file) tree.delete(file.path);
    else if ("content" in file)
      tree.set(file.path, {
        bytes: Buffer.from(file.content, "utf8"),
        executable: current?.executable ?? false,
      });
    else {
      let text = current?.bytes.toString("utf8");
      if (text === undefined) return `the answer edits '${file.path}', which does not exist`;
      for (const edit of file.edits) {
        const at = text.indexOf(edit.search);
        if (at < 0 || text.indexOf(edit.search, at + 1) >= 0)
          return `an edit of '${file.path}' does not find its search text exactly once`;
        text = text.slice(0, at) + edit.replace + text.slice(at + edit.search.length);
      }
      tree.set(file.path, { bytes: Buffer.from(text, "utf8"), executable: current?.executable ?? false });
    }
  }
  return tree;
}

/** Runs `body` with `env` as the whole environment, collecting what it writes on stdout and stderr. */
async function captureOutput(
  env: NodeJS.ProcessEnv,
  body: () => Promise<number>,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const saved = { env: process.env, stdout: process.stdout.write, stderr: process.stderr.write };
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const collector =
    (into: Buffer[]) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      into.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk));
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    };
  process.env = env;
  process.stdout.write = collector(out) as typeof process.stdout.write;
  process.stderr.write = collector(err) as typeof process.stderr.write;
  try {
    const exitCode = await body();
    return {
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8"),
      exitCode,
    };
  } finally {
    process.env = saved.env;
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
  }
}

function readSpec(dir: string): TaskRunSpec {
  const file = join(dir, "case.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as TaskRunSpec) : {};
}

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of names) if (env[name] !== undefined) out[name] = env[name];
  return out;
}
