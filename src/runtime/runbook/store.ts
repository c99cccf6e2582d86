/**
 * A run's folder, `.runbook/runs/<run_id>/`: `trace.jsonl`, `snapshots/step-NNNN.json` (the run
 * state after each step and on demand, without the history the trace holds (state.ts
 * `RunSnapshot`), written to a temp file and renamed, so a snapshot is whole or absent) and `attachments/` (evidence files, named by their SHA-256).
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
import { makeDirectory } from "../write-file.js";
import { RunbookRuntimeError, RunCodes, runError } from "./errors.js";
import type { RunRedactor } from "./redaction.js";
import type { AttachmentRecord, Binding, RunSnapshot, RunState, StepResult, TraceEvent } from "./state.js";
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
        runError(
          RunCodes.RunNotFound,
          `no run '${idOrDir}': neither a run folder nor an id under ${join(root, RUNS_DIR)}`,
          `list the runs with: ls ${relative(process.cwd(), join(root, RUNS_DIR)) || "."}`,
        ),
      );
    return store;
  }

  get tracePath(): string {
    return join(this.dir, "trace.jsonl");
  }

  /** Makes the run's folder; throws WritePathError (../write-file.ts) when it cannot be made. */
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
   * The newest snapshot, by name (`step-NNNN.json` sort in order; `step-NNNN.sKKKKKK.json`, written
   * on pause or on demand, after the step they follow), with the run's state rebuilt from it and
   * the trace (`events`, read here when not given).
   */
  latestSnapshot(
    events?: readonly (TraceEvent & { readonly hash?: string })[],
  ): { name: string; state: RunState; sha256: string } | undefined {
    const dir = join(this.dir, "snapshots");
    if (!existsSync(dir)) return undefined;
    const names = readdirSync(dir)
      .filter((n) => n.endsWith(".json"))
      .sort();
    const name = names.at(-1);
    if (name === undefined) return undefined;
    const text = readFileSync(join(dir, name), "utf8");
    const saved = JSON.parse(text) as RunSnapshot | RunState;
    const state = rebuildState(saved, events ?? readTrace(this.tracePath).events, `snapshots/${name}`);
    return { name, state, sha256: sha256(text) };
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
        runError(
          RunCodes.BadEvidence,
          `cannot read the attachment '${source}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        ),
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
      throw new RunbookRuntimeError(
        runError(
          RunCodes.BadEvidence,
          `the attachment '${source}' is a binary file that contains a secret value; it was not stored`,
          "attach a copy without the secret",
        ),
      );
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
      runError(
        RunCodes.TraceCut,
        `${path} was written after trace event ${position}, but the trace has ${events.length}: its tail was cut off`,
      ),
    );
  const head = position === 0 ? GENESIS : events[position - 1]?.hash;
  if (head !== saved.trace.head)
    throw new RunbookRuntimeError(
      runError(
        RunCodes.RecordInconsistent,
        `${path} was written after trace event ${position}, whose hash is now different: the trace was rewritten after it`,
      ),
    );
  const history: StepResult[] = [];
  for (const event of events.slice(0, position)) if (event.type === "step") history.push(event.result);
  history.push(...tail);
  return { ...rest, format: "runbook-run/v0", history };
}

function decodeUtf8(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
