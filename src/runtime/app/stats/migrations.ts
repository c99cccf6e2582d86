/**
 * The stats database's schema, as an ordered list of migrations. `PRAGMA user_version` holds the
 * number of the last one applied; opening a database applies the missing ones in order, in one
 * transaction. A migration is never edited once released: a change to the schema is a new entry
 * at the end of the list (`{ version: 2, … ALTER TABLE runs ADD COLUMN … }`), and docs/stats.md
 * says what it changed. A database whose version is higher than the last entry was written by a
 * newer rllmc and is refused, never rewritten.
 */

export interface Migration {
  /** 1, 2, 3, … without gaps: the `user_version` after it ran. */
  readonly version: number;
  readonly description: string;
  /** Statements run in order, inside the migration's transaction. */
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "one row per run of an app",
    statements: [
      `CREATE TABLE runs (
        id                      INTEGER PRIMARY KEY,
        app                     TEXT    NOT NULL,
        app_version             TEXT,
        app_source              TEXT,
        provider                TEXT    NOT NULL,
        model                   TEXT    NOT NULL,
        ok                      INTEGER NOT NULL CHECK (ok IN (0, 1)),
        error_type              TEXT,
        input_valid             INTEGER NOT NULL CHECK (input_valid IN (0, 1)),
        output_valid            INTEGER CHECK (output_valid IN (0, 1)),
        latency_ms              REAL    NOT NULL,
        model_ms                REAL    NOT NULL,
        children_ms             REAL    NOT NULL DEFAULT 0,
        prompt_tokens           INTEGER,
        completion_tokens       INTEGER,
        estimated_prompt_tokens INTEGER,
        attempts                INTEGER NOT NULL,
        retries_used            INTEGER NOT NULL,
        started_at              TEXT    NOT NULL,
        parent_app              TEXT
      ) STRICT`,
      "CREATE INDEX runs_by_app_model ON runs (app, model, provider)",
    ],
  },
  {
    version: 2,
    description: "what a scheduling backend (llama-orch) said about a run's last call",
    statements: [
      "ALTER TABLE runs ADD COLUMN seed INTEGER",
      "ALTER TABLE runs ADD COLUMN determinism TEXT",
      "ALTER TABLE runs ADD COLUMN sampler_profile TEXT",
      "ALTER TABLE runs ADD COLUMN queue_position INTEGER",
      "ALTER TABLE runs ADD COLUMN predicted_start_ms INTEGER",
      "ALTER TABLE runs ADD COLUMN queue_wait_ms REAL",
      "ALTER TABLE runs ADD COLUMN decode_ms REAL",
      "ALTER TABLE runs ADD COLUMN task_id TEXT",
      "ALTER TABLE runs ADD COLUMN correlation_id TEXT",
    ],
  },
];

/** The schema version this rllmc writes. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
