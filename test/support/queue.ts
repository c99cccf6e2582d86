/**
 * What the queue tests share: the built bin run as a submitter or as worker processes, a
 * throwaway redis-server (scripts/redis-server.mjs), and reading an output tree to compare.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export { type RedisServer, startRedis } from "../../scripts/redis-server.mjs";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "dist/src/cli/main.js");
export const CORPUS = fileURLToPath(new URL("../../../shared/corpus/tsg", import.meta.url));

export interface BinResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { RLLMC_REDIS_URL: _, NO_COLOR: __, ...env } = process.env;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** Runs the bin to its end (asynchronously, so workers run meanwhile). */
export function runBin(
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number },
): Promise<BinResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    }),
  );
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly name: string;
  /** What it logged so far (stderr). */
  log(): string;
  /** Its exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves once its log matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts `rllmc worker` with short lock and stall settings (a dead worker's job moves in ~2.5 s). */
export function startWorker(
  url: string,
  name: string,
  options: { readonly cwd: string; readonly args?: readonly string[]; readonly env?: NodeJS.ProcessEnv },
): WorkerProcess {
  const child = spawn(
    process.execPath,
    [
      BIN,
      "worker",
      "--redis",
      url,
      "--name",
      name,
      "--lock-ms",
      "2000",
      "--stalled-interval-ms",
      "500",
      ...(options.args ?? []),
    ],
    { cwd: options.cwd, env: childEnv(options.env), stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stderr!.setEncoding("utf8").on("data", (c: string) => {
    log += c;
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(log)) w.resolve();
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    name,
    log: () => log,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      if (pattern.test(log)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`worker ${name} did not log ${pattern} within ${timeoutMs} ms:\n${log}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

/** Stops workers still running (SIGKILL) and waits for them. */
export async function killAll(workers: readonly WorkerProcess[]): Promise<void> {
  for (const w of workers)
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
  await Promise.all(workers.map((w) => w.exited));
}

/** Every file under `dir`, by its path from `dir`, with its bytes. */
export function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(relative(dir, path), readFileSync(path));
    }
  return files;
}

/** The paths whose bytes differ between two trees (or that only one has). */
export function treeDifferences(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((name) => {
    const x = a.get(name);
    const y = b.get(name);
    return x === undefined || y === undefined || !x.equals(y);
  });
}

/** The ids of the jobs a worker's log says it completed (one per "done" line). */
export function doneJobs(log: string): string[] {
  return [...log.matchAll(/: compile (compile-[0-9a-f]{40}) .*: done/g)].map((m) => m[1]!);
}

/** The last line of a command's stderr: the summary line. */
export function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1] ?? "";
}

/** A port on 127.0.0.1 that nothing listens on (asked of the system, then released). */
export { freePort as freePortFor } from "../../scripts/redis-server.mjs";
