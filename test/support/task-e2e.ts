/**
 * What the black-box test of `rllmc task run` (test/e2e/task-run.e2e.test.ts) stands on: a temp
 * folder holding a git repository and a context folder, both made read-only for the run and
 * snapshotted (listing, modes, mtimes and sha256 of every entry) so the test can prove the run
 * wrote nothing under them — also as root, where read-only modes stop nothing; the built CLI
 * spawned asynchronously (the fake LLM server answers from the test's own event loop) with an
 * environment made from scratch; and a reader of the stdout contract. No vitest imports.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const CHECKOUT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(CHECKOUT, "dist/src/cli/main.js");

/** One test's folders: `repo` and `context` are the two roots; `work` is the CLI's cwd; `base` holds them all. */
export interface TaskWorld {
  readonly base: string;
  readonly repo: string;
  readonly context: string;
  readonly work: string;
  /** Creates a file under `base` (parents included) and returns its path. */
  file(path: string, content: string | Buffer): string;
}

export function makeWorld(prefix = "rllmc-task-e2e-"): TaskWorld {
  // The real path: the prompt is checked for every spelling of it.
  const base = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const world: TaskWorld = {
    base,
    repo: join(base, "repo"),
    context: join(base, "context"),
    work: join(base, "work"),
    file(path, content) {
      const absolute = join(base, path);
      mkdirSync(dirname(absolute), { recursive: true });
      writeFileSync(absolute, content);
      return absolute;
    },
  };
  for (const dir of [world.repo, world.context, world.work]) mkdirSync(dir, { recursive: true });
  return world;
}

/** `git init`, the files written byte for byte, one commit; nothing of the user's git config is read. */
export function initRepo(repo: string, files: Readonly<Record<string, string>>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  git(repo, ["init", "-q", "-b", "main"]);
  git(repo, ["add", "-A"]);
  git(repo, ["-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "commit", "-q", "-m", "init"]);
}

/** Runs git with no user or system config (core.autocrlf and friends cannot change the bytes). */
export function git(cwd: string, args: readonly string[], input?: string): string {
  const result = spawnSync("git", ["-c", "core.autocrlf=false", ...args], {
    cwd,
    input,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  });
  if (result.status !== 0)
    throw new Error(`git ${args.join(" ")} failed (${result.status}): ${result.stderr || result.error}`);
  return result.stdout;
}

/**
 * Every entry under `root` as one line: kind, path, mode, size, mtime and sha256 for a file, the
 * target for a symlink, mode and mtime for a folder (a file created and removed again still
 * moves its folder's mtime).
 */
export function snapshot(root: string): string[] {
  const lines: string[] = [];
  const visit = (path: string): void => {
    const rel = relative(root, path) || ".";
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) lines.push(`link ${rel} -> ${readlinkSync(path)}`);
    else if (stat.isDirectory()) {
      lines.push(`dir ${rel} ${stat.mode.toString(8)} ${stat.mtimeMs}`);
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    } else {
      const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
      lines.push(`file ${rel} ${stat.mode.toString(8)} ${stat.size} ${stat.mtimeMs} ${sha}`);
    }
  };
  visit(root);
  return lines;
}

/**
 * `chmod -R a-w` over the roots (symlinks are left alone: chmod would follow them); returns the
 * function that puts every mode back, so the temp folder can be removed.
 */
export function makeReadOnly(roots: readonly string[]): () => void {
  const modes: [string, number][] = [];
  const visit = (path: string): void => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    modes.push([path, stat.mode & 0o7777]);
    chmodSync(path, stat.mode & 0o7777 & ~0o222);
  };
  for (const root of roots) visit(root);
  return () => {
    // Folders were pushed after their contents: put them back first.
    for (const [path, mode] of [...modes].reverse()) chmodSync(path, mode);
  };
}

/** Gives the owner write access to everything under `root` (a copy made of read-only files is read-only). */
export function makeWritable(root: string): void {
  const stat = lstatSync(root);
  if (stat.isSymbolicLink()) return;
  chmodSync(root, (stat.mode & 0o7777) | 0o200);
  if (stat.isDirectory()) for (const name of readdirSync(root)) makeWritable(join(root, name));
}

export function removeWorld(world: TaskWorld): void {
  rmSync(world.base, { recursive: true, force: true });
}

/** Every variable that could configure the run from outside the test. */
const CONFIG_VARIABLE =
  /^(TRACKING_BREADCRUMB|REPO_ROOT|CONTEXT_ROOT|RLLMC_CACHE_DIR|TASK_VAR_.*|LLM_.*|OPENAI_.*|ANTHROPIC_.*|OLLAMA_.*|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy|RLLMC_REDACT.*)$/;

/** The test runner's environment (home folders isolated by test/setup) without any run configuration, plus `env`. */
export function cliEnv(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!CONFIG_VARIABLE.test(name) && value !== undefined) clean[name] = value;
  clean.NO_COLOR = "1";
  for (const [name, value] of Object.entries(env)) if (value !== undefined) clean[name] = value;
  return clean;
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** The built CLI, spawned without blocking the event loop (the fake server answers from it). */
export function runCli(
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly cwd: string; readonly timeoutMs?: number },
): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ms: Math.round(performance.now() - started),
      });
    });
  });
}

/**
 * stdout split by the contract: `---COMMIT_MSG---\n<message>\n---PATCH---\n<patch>`, each marker
 * once, the patch starting with `diff --git `. undefined when stdout is anything else.
 */
export function readBlocks(stdout: string): { commitMessage: string; patch: string } | undefined {
  const head = "---COMMIT_MSG---\n";
  const mid = "\n---PATCH---\n";
  if (!stdout.startsWith(head)) return undefined;
  const at = stdout.indexOf(mid);
  if (at < 0) return undefined;
  const commitMessage = stdout.slice(head.length, at);
  const patch = stdout.slice(at + mid.length);
  if (commitMessage.includes("---COMMIT_MSG---") || commitMessage.includes("---PATCH---")) return undefined;
  if (patch.includes("\n---COMMIT_MSG---\n") || patch.includes("\n---PATCH---\n")) return undefined;
  if (!patch.startsWith("diff --git ")) return undefined;
  return { commitMessage, patch };
}
