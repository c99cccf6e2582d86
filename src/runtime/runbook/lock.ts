/**
 * One writer per run: `run.lock` in the run folder, created with O_EXCL before a run starts or
 * resumes and removed when it ends (finished, paused, an error, process exit; on SIGINT/SIGTERM
 * after killing the running step's process group).
 * It holds `{pid, host, started}` and, while a `cli` step runs, the step's process group, so a
 * resume after kill -9 can stop a step that outlived its engine before running it again.
 *
 * A lock is stale when its host is this host and its pid is gone (`kill(pid, 0)` → ESRCH); a
 * stale lock is taken over (moved aside by rename, so two takers cannot both win). A lock from
 * another host is never taken over: the refusal names it, and a person removes it by hand.
 */
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../shared/write-file.js";
import { RunbookErrors, RunbookRuntimeError, runError } from "./errors.js";

export const LOCK_FILE = "run.lock";

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
  /** The process group of the `cli` step running now (its leader's pid), and the step. */
  readonly step_pgid?: number;
  readonly step_id?: string;
}

/** How long an unreadable lock (a crash between its creation and its write) is left alone. */
const UNREADABLE_GRACE_MS = 5000;
const STOP_WAIT_MS = 2000;

export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    // The step's own process group would outlive us, unrecorded once the lock is gone. It is
    // killed outright: waiting here for it to end cannot work, as it stays our zombie until we exit.
    if (this.holder.step_pgid !== undefined)
      try {
        process.kill(-this.holder.step_pgid, "SIGKILL");
      } catch {
        // Already gone.
      }
    this.release();
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  };
  private signals: NodeJS.Signals[] = [];

  private constructor(
    readonly path: string,
    private holder: LockHolder,
    /** The stale lock this one replaced, if any (a crashed run's). */
    readonly previous: LockHolder | undefined,
  ) {
    process.on("exit", this.onExit);
    // Only where nobody else handles the signal (the debugger's REPL does its own Ctrl-C).
    for (const signal of ["SIGINT", "SIGTERM"] as const)
      if (process.listenerCount(signal) === 0) {
        process.on(signal, this.onSignal);
        this.signals.push(signal);
      }
  }

  /** Takes the lock of the run folder `dir`, or throws RBX7022 naming the process that holds it. */
  static acquire(dir: string, runId: string, now: Date = new Date()): RunLock {
    const path = join(dir, LOCK_FILE);
    const holder: LockHolder = { pid: process.pid, host: hostname(), started: now.toISOString() };
    let previous: LockHolder | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      // The lock file appears whole: written beside it, then hard-linked into place (link fails
      // when the lock exists). A reader never sees an empty lock and so always names the holder.
      if (createWhole(path, `${JSON.stringify(holder)}\n`)) return new RunLock(path, holder, previous);
      const seen = readHolder(path);
      if (seen === "gone") continue;
      if (seen === "unreadable") {
        if (ageMs(path) < UNREADABLE_GRACE_MS) throw locked(runId, path, undefined);
      } else if (seen.host !== hostname() || processAlive(seen.pid)) throw locked(runId, path, seen);
      const taken = takeOver(path, seen);
      if (taken === "lost") throw locked(runId, path, undefined);
      if (taken !== undefined) previous = taken;
    }
    throw locked(runId, path, undefined);
  }

  /** Notes the process group of the step now running (the lock file is rewritten by rename). */
  recordStep(stepId: string, pgid: number): void {
    if (this.released) return;
    this.holder = { ...withoutStep(this.holder), step_pgid: pgid, step_id: stepId };
    this.write();
  }

  clearStep(): void {
    if (this.released || this.holder.step_pgid === undefined) return;
    this.holder = withoutStep(this.holder);
    this.write();
  }

  private write(): void {
    try {
      writeFileAtomic(this.path, `${JSON.stringify(this.holder)}\n`);
    } catch {
      // The lock stays held; only the step's process group goes unrecorded.
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.off("exit", this.onExit);
    for (const signal of this.signals) process.off(signal, this.onSignal);
    const seen = readHolder(this.path);
    if (typeof seen === "object" && seen.pid === process.pid && seen.host === this.holder.host)
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
  }
}

/**
 * Stops the process group a crashed run's step left running (SIGTERM, then SIGKILL), waiting
 * until it is gone. Returns false when it is still there after both.
 */
export function stopProcessGroup(pgid: number): boolean {
  if (!groupAlive(pgid)) return true;
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    try {
      process.kill(-pgid, signal);
    } catch {
      return !groupAlive(pgid);
    }
    const until = Date.now() + STOP_WAIT_MS;
    while (Date.now() < until) {
      if (!groupAlive(pgid)) return true;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  return !groupAlive(pgid);
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

function withoutStep(holder: LockHolder): LockHolder {
  const { step_pgid: _p, step_id: _s, ...rest } = holder;
  return rest;
}

function readHolder(path: string): LockHolder | "gone" | "unreadable" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "gone" : "unreadable";
  }
  try {
    const value = JSON.parse(text) as LockHolder;
    return typeof value?.pid === "number" && typeof value.host === "string" ? value : "unreadable";
  } catch {
    return "unreadable";
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Moves a stale lock aside. When another process replaced it in between (what was moved is not
 * what was judged stale), it is put back and the take-over is "lost".
 */
function takeOver(path: string, stale: LockHolder | "unreadable"): LockHolder | undefined | "lost" {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return undefined; // Someone else moved it first: try to create it again.
  }
  const moved = readHolder(aside);
  const same =
    stale === "unreadable"
      ? moved === "unreadable"
      : typeof moved === "object" && moved.pid === stale.pid && moved.started === stale.started;
  if (!same) {
    try {
      linkSync(aside, path);
    } catch {
      // A third process made a new lock meanwhile; it holds the run.
    }
    unlinkSync(aside);
    return "lost";
  }
  unlinkSync(aside);
  return typeof moved === "object" ? moved : undefined;
}

function locked(runId: string, path: string, holder: LockHolder | undefined): RunbookRuntimeError {
  const who =
    holder === undefined
      ? "another process"
      : `process ${holder.pid} on host '${holder.host}' (since ${holder.started})`;
  const hint =
    holder !== undefined && holder.host !== hostname()
      ? `a lock from another host is never taken over; if no run is going on there, remove ${path} by hand`
      : "wait for it to finish or pause; a lock left by a process that is gone is taken over by the next run";
  return new RunbookRuntimeError(runError(RunbookErrors.RunLocked, { runId, who, hint }));
}

/** Creates `path` holding `text`, or returns false when it exists; a reader sees all of it or nothing. */
function createWhole(path: string, text: string): boolean {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(temp, "wx");
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  } finally {
    unlinkSync(temp);
  }
}
