/**
 * The stats store: one row per run in a SQLite database (Node's built-in `node:sqlite`), so that
 * nothing is lost and any aggregate — percentiles included — is a query away (summarise.ts).
 *
 * Invariants:
 * - `node:sqlite` is loaded on first open, not on import: the runtime does not pay for it unless
 *   it records. Where it is missing (Node 22.12 without `--experimental-sqlite`) opening throws a
 *   {@link StatsError} of kind `unavailable`, which callers that record turn into a no-op.
 * - Several processes may write at once: the database is in WAL mode with a busy timeout, every
 *   insert is its own short transaction, and migrations take the write lock (`BEGIN IMMEDIATE`)
 *   before they read the version they migrate from.
 * - A database written by a newer rllmc (a higher `user_version`) is refused, never migrated down
 *   or written to.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { makeDirectory, WritePathError } from "../../shared/write-file.js";
import { MIGRATIONS, type Migration } from "./migrations.js";

/** One run of an app, as recorded. */
export interface RunRecord {
  readonly app: string;
  readonly appVersion?: string | null;
  /** The app's file, as the caller knows it (preferably absolute). */
  readonly appSource?: string | null;
  readonly provider: string;
  readonly model: string;
  readonly ok: boolean;
  /** The error class (`RetryExhaustedError`, …) of a failed run; null on success. */
  readonly errorType: string | null;
  /** False when the input failed `input_schema`. */
  readonly inputValid: boolean;
  /** Whether the final answer matched `output_schema`; null when no answer came back. */
  readonly outputValid: boolean | null;
  /** The whole run, children included. */
  readonly latencyMs: number;
  /** Time spent in calls to the model, summed over attempts. */
  readonly modelMs: number;
  /** Time spent running `uses` children (composition); 0 for an app without children. */
  readonly childrenMs?: number;
  /** Totals over attempts; null when the provider reported no usage. */
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  /** The runtime's estimate of the first prompt (estimate-tokens.ts), to calibrate predictions. */
  readonly estimatedPromptTokens?: number | null;
  /** Calls made to the model. */
  readonly attempts: number;
  /** Recovery re-asks among them. */
  readonly retriesUsed: number;
  /** ISO 8601. */
  readonly startedAt: string;
  /** The parent app's name when this run was a child in a composition. */
  readonly parentApp?: string | null;
  /** The last call's seed and what a scheduling backend (llama-orch) said about it (schema v2). */
  readonly seed?: number | null;
  readonly determinism?: string | null;
  readonly samplerProfile?: string | null;
  readonly queuePosition?: number | null;
  readonly predictedStartMs?: number | null;
  readonly queueWaitMs?: number | null;
  readonly decodeMs?: number | null;
  readonly taskId?: string | null;
  readonly correlationId?: string | null;
}

export type StatsErrorKind = "unavailable" | "newer-schema" | "io";

export class StatsError extends Error {
  override readonly name = "StatsError";
  readonly kind: StatsErrorKind;

  constructor(kind: StatsErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface OpenOptions {
  /** The migrations to bring the database to; tests pass longer lists to exercise upgrades. */
  readonly migrations?: readonly Migration[];
  /** How long a write waits for another process's lock, in ms (default 10 s). */
  readonly busyTimeoutMs?: number;
}

type SqliteModule = typeof import("node:sqlite");
type SqlValue = string | number | null;

let sqlite: SqliteModule | undefined;

/** `node:sqlite`, loaded once, without the ExperimentalWarning Node 22 and 23 print for it. */
function loadSqlite(): SqliteModule {
  if (sqlite !== undefined) return sqlite;
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/sqlite/i.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    sqlite = createRequire(import.meta.url)("node:sqlite") as SqliteModule;
    return sqlite;
  } catch (error) {
    throw new StatsError(
      "unavailable",
      `stats are not recorded: this Node.js (${process.version}) has no node:sqlite (${(error as Error).message.split("\n")[0]}); use Node.js 22.13 or newer`,
    );
  } finally {
    process.emitWarning = emitWarning;
  }
}

const COLUMNS = [
  "app",
  "app_version",
  "app_source",
  "provider",
  "model",
  "ok",
  "error_type",
  "input_valid",
  "output_valid",
  "latency_ms",
  "model_ms",
  "children_ms",
  "prompt_tokens",
  "completion_tokens",
  "estimated_prompt_tokens",
  "attempts",
  "retries_used",
  "started_at",
  "parent_app",
  "seed",
  "determinism",
  "sampler_profile",
  "queue_position",
  "predicted_start_ms",
  "queue_wait_ms",
  "decode_ms",
  "task_id",
  "correlation_id",
] as const;
type Column = (typeof COLUMNS)[number];

export class StatsStore {
  readonly file: string;
  /** The schema version the database is at. */
  readonly version: number;
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly columns: readonly Column[];

  // Plain fields rather than parameter properties: the file stays erasable TypeScript, which the
  // concurrency test's child processes run with Node's type stripping.
  private constructor(file: string, db: DatabaseSync, version: number) {
    this.file = file;
    this.db = db;
    this.version = version;
    // A store opened with an older list of migrations (tests) writes the columns it has.
    const present = new Set(
      (db.prepare("PRAGMA table_info(runs)").all() as { name: string }[]).map((c) => c.name),
    );
    this.columns = COLUMNS.filter((c) => present.has(c));
    this.insert = db.prepare(
      `INSERT INTO runs (${this.columns.join(", ")}) VALUES (${this.columns.map(() => "?").join(", ")})`,
    );
  }

  /** Opens (creating the folder and the file if needed) and migrates the database. */
  static open(file: string, options: OpenOptions = {}): StatsStore {
    const { DatabaseSync } = loadSqlite();
    const migrations = options.migrations ?? MIGRATIONS;
    const latest = migrations.at(-1)?.version ?? 0;
    try {
      makeDirectory(dirname(file));
    } catch (error) {
      const reason = error instanceof WritePathError ? error.reason : (error as Error).message;
      throw new StatsError("io", `cannot create the folder of ${file}: ${reason}`);
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file, { timeout: options.busyTimeoutMs ?? 10_000 });
    } catch (error) {
      throw new StatsError("io", `cannot open ${file}: ${(error as Error).message}`);
    }
    try {
      const version = migrate(db, file, migrations, latest);
      return new StatsStore(file, db, version);
    } catch (error) {
      db.close();
      if (error instanceof StatsError) throw error;
      throw new StatsError("io", `cannot use ${file}: ${(error as Error).message}`);
    }
  }

  record(run: RunRecord): void {
    const row = toRow(run);
    this.insert.run(...this.columns.map((c) => row[c]));
  }

  /** Rows of a read-only query, for summarise.ts and tests. */
  all(sql: string, ...params: SqlValue[]): Record<string, SqlValue>[] {
    return this.db.prepare(sql).all(...params) as Record<string, SqlValue>[];
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

function toRow(run: RunRecord): Record<Column, SqlValue> {
  const bool = (value: boolean) => (value ? 1 : 0);
  const int = (value: number | null | undefined) =>
    value === null || value === undefined || !Number.isFinite(value) ? null : Math.round(value);
  return {
    app: run.app,
    app_version: run.appVersion ?? null,
    app_source: run.appSource ?? null,
    provider: run.provider,
    model: run.model,
    ok: bool(run.ok),
    error_type: run.ok ? null : (run.errorType ?? "UnknownError"),
    input_valid: bool(run.inputValid),
    output_valid: run.outputValid === null ? null : bool(run.outputValid),
    latency_ms: Math.max(0, run.latencyMs),
    model_ms: Math.max(0, run.modelMs),
    children_ms: Math.max(0, run.childrenMs ?? 0),
    prompt_tokens: int(run.promptTokens),
    completion_tokens: int(run.completionTokens),
    estimated_prompt_tokens: int(run.estimatedPromptTokens),
    attempts: int(run.attempts) ?? 0,
    retries_used: int(run.retriesUsed) ?? 0,
    started_at: run.startedAt,
    parent_app: run.parentApp ?? null,
    seed: int(run.seed),
    determinism: run.determinism ?? null,
    sampler_profile: run.samplerProfile ?? null,
    queue_position: int(run.queuePosition),
    predicted_start_ms: int(run.predictedStartMs),
    queue_wait_ms: run.queueWaitMs ?? null,
    decode_ms: run.decodeMs ?? null,
    task_id: run.taskId ?? null,
    correlation_id: run.correlationId ?? null,
  };
}

/** Sets up WAL and brings the schema to `latest`; returns the version the database is at. */
function migrate(db: DatabaseSync, file: string, migrations: readonly Migration[], latest: number): number {
  const current = userVersion(db);
  refuseNewer(current, latest, file);
  // WAL lets readers run beside one writer and makes each insert a short append. Switching to it
  // needs a moment of exclusive access, which the busy timeout waits for.
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  if (current === latest) return current;
  db.exec("BEGIN IMMEDIATE");
  try {
    // Another process may have migrated between the first read and the lock.
    const locked = userVersion(db);
    refuseNewer(locked, latest, file);
    for (const migration of migrations) {
      if (migration.version <= locked) continue;
      for (const statement of migration.statements) db.exec(statement);
    }
    db.exec(`PRAGMA user_version = ${latest}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
  return latest;
}

function userVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version?: number } | undefined;
  return Number(row?.user_version ?? 0);
}

function refuseNewer(version: number, latest: number, file: string): void {
  if (version > latest)
    throw new StatsError(
      "newer-schema",
      `the stats file ${file} has schema version ${version}, written by a newer rllmc; this rllmc knows versions up to ${latest} and leaves the file untouched (upgrade rllmc, or set RLLMC_HOME to use another folder)`,
    );
}
