/**
 * A run's folder, `.runbook/runs/<run_id>/`: `trace.jsonl`, `manifest.json`,
 * `snapshots/step-NNNN.json` (the run state at its start, every SNAPSHOT_EVERY-th step, on pause,
 * at the end and on demand, without the history the trace holds (state.ts `RunSnapshot`),
 * written to a temp file and renamed, so a snapshot is whole or absent) and `attachments/`
 * (evidence files, named by their SHA-256). The steps between snapshots carry their state in
 * their trace line (state.ts `StepState`); {@link RunStore.latestState} reads both.
 */
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, extname, join, relative, resolve } from "node:path";
import { makeDirectory } from "../shared/write-file.js";
import { RunbookErrors, RunbookRuntimeError, runError } from "./errors.js";
import type { RunRedactor } from "./redaction.js";
import type {
  AttachmentRecord,
  Binding,
  CaptureRecord,
  RunSnapshot,
  RunState,
  StepResult,
  TraceEvent,
} from "./state.js";
import { GENESIS, readTrace, sha256 } from "./trace.js";

export const RUNS_DIR = join(".runbook", "runs");

export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

export class RunStore {
  constructor(
    readonly dir: string,
    readonly runId: string,
  ) {}

  /** The folder of run `runId` under `root` (`root/.runbook/runs/<runId>`). */
  static under(root: string, runId: string): RunStore {
    return new RunStore(resolve(root, RUNS_DIR, runId), runId);
  }

  /** The folder of a run given as an id (under `root`) or as a path. */
  static locate(root: string, idOrDir: string): RunStore {
    const asDir = resolve(idOrDir);
    if (existsSync(join(asDir, "trace.jsonl"))) return new RunStore(asDir, basename(asDir));
    const store = RunStore.under(root, idOrDir);
    if (!existsSync(store.tracePath))
      throw new RunbookRuntimeError(
        runError(RunbookErrors.RunNotFound, {
          idOrDir,
          runsDir: join(root, RUNS_DIR),
          listDir: relative(process.cwd(), join(root, RUNS_DIR)) || ".",
        }),
      );
    return store;
  }

  get tracePath(): string {
    return join(this.dir, "trace.jsonl");
  }

  /** Makes the run's folder; throws WritePathError (../shared/write-file.ts) when it cannot be made. */
  create(): void {
    makeDirectory(join(this.dir, "snapshots"));
  }

  /** Writes a run state's JSON text as the snapshot `name` (temp file + rename) and returns its binding. */
  writeSnapshot(name: string, text: string): Binding {
    const path = join(this.dir, "snapshots", name);
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, path);
    return { path: `snapshots/${name}`, sha256: sha256(text) };
  }

  /**
   * The run's newest state: from the newest snapshot, by name (`step-NNNN.json` sort in order;
   * `step-NNNN.sKKKKKK.json`, written on pause or on demand, after the step they follow), rebuilt
   * with the trace (`events`, read here when not given); or, when a `step` event after the
   * snapshot carries its state, from that event. `from` says which, for the `resumed` event;
   * `name` and `sha256` are the snapshot file's.
   */
  latestState(
    events?: readonly (TraceEvent & { readonly hash?: string })[],
  ): { name: string; state: RunState; sha256: string; from: string } | undefined {
    const dir = join(this.dir, "snapshots");
    if (!existsSync(dir)) return undefined;
    const names = readdirSync(dir)
      .filter((n) => n.endsWith(".json"))
      .sort();
    const name = names.at(-1);
    if (name === undefined) return undefined;
    const text = readFileSync(join(dir, name), "utf8");
    const saved = JSON.parse(text) as RunSnapshot | RunState;
    const all = events ?? readTrace(this.tracePath).events;
    const state = rebuildState(saved, all, `snapshots/${name}`);
    const later = stateAfterSnapshot(state, all);
    return { name, sha256: sha256(text), ...(later ?? { state, from: `snapshots/${name}` }) };
  }

  /** The names of every snapshot in the run folder, sorted. */
  snapshotNames(): string[] {
    const dir = join(this.dir, "snapshots");
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => n.endsWith(".json"))
      .sort();
  }

  readFile(relative: string): Buffer | undefined {
    const path = join(this.dir, relative);
    return existsSync(path) && statSync(path).isFile() ? readFileSync(path) : undefined;
  }

  /**
   * Stores an evidence file. A text file is stored redacted; a binary file is stored as it is,
   * unless it holds a secret value the run knows, which is refused.
   */
  attach(source: string, redactor: RunRedactor): AttachmentRecord {
    let bytes: Buffer;
    try {
      bytes = readFileSync(source);
    } catch (error) {
      throw new RunbookRuntimeError(
        runError(RunbookErrors.AttachmentUnreadable, {
          source,
          reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
        }),
      );
    }
    let stored = bytes;
    let redacted = false;
    const text = decodeUtf8(bytes);
    if (text !== undefined) {
      const clean = redactor.text(text);
      if (clean !== text) {
        stored = Buffer.from(clean, "utf8");
        redacted = true;
      }
    } else if (redactor.knownSecrets.some((secret) => bytes.includes(Buffer.from(secret, "utf8"))))
      throw new RunbookRuntimeError(runError(RunbookErrors.AttachmentHoldsSecret, { source }));
    const digest = sha256(stored);
    makeDirectory(join(this.dir, "attachments"));
    const name = `${digest.slice(0, 16)}${extname(source).slice(0, 12)}`;
    const path = join(this.dir, "attachments", name);
    if (stored === bytes) copyFileSync(source, path);
    else writeFileSync(path, stored);
    const record: AttachmentRecord = {
      path: `attachments/${name}`,
      name: basename(source),
      sha256: digest,
      size: stored.length,
    };
    return redacted ? { ...record, redacted } : record;
  }
}

/**
 * A run's state from a snapshot and the trace: the history is the step results of the trace's
 * first `trace.events` events, then the snapshot's `tail`. An older snapshot (`runbook-run/v0`)
 * holds its whole history and is taken as it is.
 */
export function rebuildState(
  saved: RunSnapshot | RunState,
  events: readonly (TraceEvent & { readonly hash?: string })[],
  path: string,
): RunState {
  if (saved.format === "runbook-run/v0") return saved;
  const { tail, format: _f, ...rest } = saved;
  const position = saved.trace.events;
  if (position > events.length)
    throw new RunbookRuntimeError(
      runError(RunbookErrors.SnapshotAfterCut, { path, position, events: events.length }),
    );
  const head = position === 0 ? GENESIS : events[position - 1]?.hash;
  if (head !== saved.trace.head)
    throw new RunbookRuntimeError(runError(RunbookErrors.SnapshotAfterRewrite, { path, position }));
  const history: StepResult[] = [];
  for (const event of events.slice(0, position)) if (event.type === "step") history.push(event.result);
  history.push(...tail);
  return { ...rest, format: "runbook-run/v0", history };
}

/**
 * The state the last `step` event after a snapshot carries, if one does: the snapshot's fixed
 * fields, the history and captures of the trace up to that event, and the event's own state.
 * Steps skipped after a failure carry none and are passed over, as a snapshot passes over them.
 */
function stateAfterSnapshot(
  base: RunState,
  events: readonly (TraceEvent & { readonly hash?: string })[],
): { state: RunState; from: string } | undefined {
  let at = -1;
  for (let i = events.length - 1; i >= base.trace.events; i -= 1) {
    const event = events[i];
    if (event?.type !== "step" || (event.state === undefined && event.snapshot === undefined)) continue;
    if (event.state !== undefined) at = i;
    break;
  }
  const event = events[at];
  if (event?.type !== "step" || event.state === undefined) return undefined;
  const history: StepResult[] = [];
  const captures: Record<string, CaptureRecord> = {};
  for (const e of events.slice(0, at + 1))
    if (e.type === "step") {
      history.push(e.result);
      if (e.result.status === "passed") Object.assign(captures, e.result.captures);
    }
  const { replay_state: _r, waiting_for: _w, ...rest } = base;
  return {
    state: {
      ...rest,
      status: "running",
      current_step_index: event.result.index + 1,
      captures,
      history,
      pending: event.state.pending ?? { evidence: {}, approvals: {} },
      ...(event.state.replay_state === undefined ? {} : { replay_state: event.state.replay_state }),
      trace: { events: at + 1, head: event.hash ?? GENESIS },
    },
    from: `trace event ${at + 1}`,
  };
}

function decodeUtf8(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
