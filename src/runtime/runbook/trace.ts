/**
 * `trace.jsonl`: one JSON event per line, appended and fsynced before the run goes on. Each event
 * carries `prev`, the hash of the event before it (`GENESIS` for the first), and `hash`, the
 * SHA-256 of its own line written without `hash`; so a changed, inserted or removed line breaks
 * the chain from there on (`runbook verify` checks it). Events are redacted by the caller.
 */
import { createHash } from "node:crypto";
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from "node:fs";
import type { ChainedEvent, NewEvent, TraceEvent } from "./state.js";

export const GENESIS = "0".repeat(64);

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The line of an event: the event, `prev`, then `hash` over everything before it. */
export function chainLine(event: TraceEvent, prev: string): { line: string; hash: string } {
  const body = JSON.stringify({ ...event, prev });
  const hash = sha256(body);
  return { line: `${body.slice(0, -1)},"hash":"${hash}"}\n`, hash };
}

export class TraceWriter {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private head: string,
    private count: number,
  ) {
    this.fd = openSync(path, "a");
  }

  get events(): number {
    return this.count;
  }

  get lastHash(): string {
    return this.head;
  }

  /** Appends an event (its `seq` is set here) and waits until it is on disk. */
  append(event: NewEvent): TraceEvent {
    if (this.fd === undefined) throw new Error("the trace is closed");
    const full = { seq: this.count + 1, ...event } as TraceEvent;
    const { line, hash } = chainLine(full, this.head);
    writeSync(this.fd, line);
    fdatasyncSync(this.fd);
    this.head = hash;
    this.count += 1;
    return full;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface ChainProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly message: string;
}

export interface ReadTrace {
  readonly events: readonly ChainedEvent[];
  readonly problems: readonly ChainProblem[];
  /** The hash of the last event whose chain is intact. */
  readonly head: string;
}

/** Reads a trace and checks its hash chain. A torn last line (a crash mid-write) is reported, not thrown. */
export function readTrace(path: string): ReadTrace {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const events: ChainedEvent[] = [];
  const problems: ChainProblem[] = [];
  let prev = GENESIS;
  lines.forEach((line, i) => {
    const n = i + 1;
    let event: ChainedEvent;
    try {
      event = JSON.parse(line) as ChainedEvent;
    } catch {
      problems.push({
        line: n,
        message: `line ${n} is not JSON${n === lines.length ? " (a write cut short?)" : ""}`,
      });
      return;
    }
    if (event === null || typeof event !== "object" || typeof event.hash !== "string") {
      problems.push({ line: n, message: `line ${n} is not a trace event` });
      return;
    }
    const { hash, ...rest } = event;
    const actual = sha256(JSON.stringify(rest));
    if (actual !== hash)
      problems.push({
        line: n,
        message: `line ${n} (${event.type} #${event.seq}) was changed after it was written: its hash does not match`,
      });
    else if (event.prev !== prev)
      problems.push({
        line: n,
        message: `line ${n} (${event.type} #${event.seq}) does not follow line ${n - 1}: a line was removed, inserted or changed before it`,
      });
    else if (event.seq !== events.length + 1)
      problems.push({
        line: n,
        message: `line ${n} has sequence number ${event.seq}, expected ${events.length + 1}`,
      });
    events.push(event);
    prev = hash;
  });
  return { events, problems, head: prev };
}
