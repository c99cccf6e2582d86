/**
 * Runs one program from an argument vector — never through a shell — with a timeout, an output
 * cap and the environment it is given (the caller scrubs it). The child leads its own process
 * group, so a timeout ends whatever it started as well.
 */
import { spawn } from "node:child_process";

export interface ProcessOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly stdin?: string;
  /** Milliseconds before the process group gets SIGTERM (then SIGKILL after a grace period). */
  readonly timeoutMs: number;
  /** Bytes kept of each stream; the rest is read and dropped. */
  readonly maxOutputBytes: number;
  /** Told the child's pid once it started (it is also its process group's id). */
  readonly onSpawn?: (pid: number) => void;
}

export interface ProcessResult {
  /** The exit status; 127 when the program was not found, 126 when it could not be run, 128+N after signal N. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** Which streams were cut at `maxOutputBytes`. */
  readonly truncated: readonly ("stdout" | "stderr")[];
  /** Why the program could not be started, when it could not. */
  readonly startError?: string;
}

const KILL_GRACE_MS = 2000;

const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
};

export function runProcess(argv: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const [program, ...args] = argv;
    const out = new Capped(options.maxOutputBytes);
    const err = new Capped(options.maxOutputBytes);
    let timedOut = false;
    let settled = false;
    const child = spawn(program ?? "", args, {
      shell: false,
      env: options.env,
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      windowsHide: true,
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS);
    }, options.timeoutMs);
    const finish = (result: ProcessResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      resolve(result);
    };
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.stdin.on("error", () => {
      // The program exited without reading its input: not an error of ours.
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      const exitCode = error.code === "ENOENT" ? 127 : 126;
      const reason =
        error.code === "ENOENT" ? "command not found" : `cannot run it (${error.code ?? error.message})`;
      finish({
        exitCode,
        stdout: "",
        stderr: "",
        timedOut: false,
        truncated: [],
        startError: `${program}: ${reason}`,
      });
    });
    child.on("close", (code, signal) => {
      const exitCode = code ?? 128 + (signal === null ? 0 : (SIGNALS[signal] ?? 0));
      const truncated: ("stdout" | "stderr")[] = [];
      if (out.truncated) truncated.push("stdout");
      if (err.truncated) truncated.push("stderr");
      finish({ exitCode, stdout: out.text(), stderr: err.text(), timedOut, truncated });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/** Keeps the first `limit` bytes of a stream; counts the rest. */
class Capped {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    this.chunks.push(part);
    this.kept += part.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}
