/**
 * The results of `run --batch --out FILE` on disk, made to survive `kill -9` (docs/batch.md):
 *
 * - `FILE.journal` is written as lines finish, in the order they finish: one JSON line
 *   `{"line": N, "input": "<sha256 of the input line, 16 hex>", "app": "<name>", "record": {...}}` per finished
 *   line, each written and fsynced before the line counts as done. A line is in the journal
 *   once, with its final record (a result, or an error other than "not run" / "cancelled").
 * - `FILE` is the results in input order, one line per input line, written atomically (a temp
 *   file renamed over it) when the batch ends in an orderly way — finished, stopped by a budget,
 *   interrupted. When every line has a final record the journal is deleted.
 *
 * So after a crash the journal holds every line that finished, and `--resume` reads it (with the
 * last line ignored if the crash tore it) and runs the others; after an orderly stop both say the
 * same. A journal whose `input` hash differs from the input line at that number belongs to
 * another input file: resume refuses it.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import type { ErrorPayload } from "../../runtime/app/errors.js";
import { writeFileAtomic } from "../../runtime/shared/write-file.js";
import { UsageError } from "../usage-error.js";

/** One input line's outcome, as the results file holds it. */
export type LineRecord =
  | { readonly line: number; readonly ok: true; readonly output: unknown }
  | { readonly line: number; readonly ok: false; readonly error: ErrorPayload };

/** Error types that mean "not done yet": the line is run again by `--resume`. */
export const NOT_FINAL_TYPES: ReadonlySet<string> = new Set(["BudgetExceededError", "InterruptedError"]);

export function isFinal(record: LineRecord): boolean {
  return record.ok || !NOT_FINAL_TYPES.has(record.error.error_type);
}

/** The short hash a journal line keeps of its input line. */
export function inputHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

export function journalPath(out: string): string {
  return `${out}.journal`;
}

/**
 * The final records already on disk for `out`, checked against the input lines (number → text)
 * and, when given, the app that makes them (a journal line that names another app is refused).
 */
export function readDone(
  out: string,
  inputs: ReadonlyMap<number, string>,
  app?: string,
): Map<number, LineRecord> {
  const done = new Map<number, LineRecord>();
  const journal = journalPath(out);
  if (existsSync(journal)) {
    const lines = readFileSync(journal, "utf8").split("\n");
    for (const [i, text] of lines.entries()) {
      if (text.trim() === "") continue;
      let entry: { line?: unknown; input?: unknown; app?: unknown; record?: LineRecord };
      try {
        entry = JSON.parse(text);
      } catch {
        // Only the last line can be torn (a crash mid-write): that line is not done.
        if (i >= lines.length - 2) break;
        throw new UsageError(
          `--resume: ${journal}:${i + 1} is not a journal line; remove the journal to start over`,
        );
      }
      const line = entry.line;
      if (typeof line !== "number" || !isLineRecord(entry.record, line))
        throw new UsageError(
          `--resume: ${journal}:${i + 1} is not a journal line; remove the journal to start over`,
        );
      const input = inputs.get(line);
      if (input === undefined || inputHash(input) !== entry.input)
        throw new UsageError(
          `--resume: line ${line} of the input is not the one ${journal} recorded; these results belong to another input file`,
        );
      // A journal written before lines named their app has no `app`: it is taken as it is.
      if (app !== undefined && typeof entry.app === "string" && entry.app !== app)
        throw new UsageError(
          `--resume: ${journal} holds the results of the app '${entry.app}', not '${app}'; give another --out, or remove it (and ${out}) to start over`,
        );
      if (isFinal(entry.record!)) done.set(line, entry.record!);
    }
    return done;
  }
  if (!existsSync(out)) return done;
  // No journal: the results file was finished (every line final) or stopped in order.
  const lines = readFileSync(out, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  for (const [i, text] of lines.entries()) {
    let record: LineRecord;
    try {
      record = JSON.parse(text) as LineRecord;
    } catch {
      throw new UsageError(`--resume: ${out}:${i + 1} is not a result line`);
    }
    if (!isLineRecord(record, record?.line))
      throw new UsageError(`--resume: ${out}:${i + 1} is not a result line`);
    if (typeof record.line !== "number" || !inputs.has(record.line))
      throw new UsageError(
        `--resume: ${out}:${i + 1} names no line of the input; these results belong to another input`,
      );
    if (isFinal(record)) done.set(record.line, record);
  }
  return done;
}

/** Whether `value` is a result line for `line` (a journal or results file edited by hand may not be). */
function isLineRecord(value: unknown, line: unknown): value is LineRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = value as { line?: unknown; ok?: unknown; output?: unknown; error?: unknown };
  if (typeof line !== "number" || record.line !== line) return false;
  if (record.ok === true) return "output" in record;
  const error = record.error as { error_type?: unknown; error_code?: unknown } | null | undefined;
  return (
    record.ok === false &&
    typeof error === "object" &&
    error !== null &&
    typeof error.error_type === "string" &&
    typeof error.error_code === "string"
  );
}

/** Appends final records to the journal, each fsynced before {@link Journal.append} returns. */
export class Journal {
  readonly #fd: number;

  /** `app`: the name of the app that makes the records, kept with each so `--resume` can check it. */
  constructor(
    readonly path: string,
    readonly app?: string,
  ) {
    this.#fd = openSync(path, "a+");
    // A torn last line (a crash mid-write) is cut off, so the next record starts a line.
    const text = readFileSync(path, "utf8");
    const end = text.lastIndexOf("\n") + 1;
    if (end !== text.length) ftruncateSync(this.#fd, end);
  }

  append(record: LineRecord, input: string): void {
    const app = this.app === undefined ? {} : { app: this.app };
    writeSync(
      this.#fd,
      `${JSON.stringify({ line: record.line, input: inputHash(input), ...app, record })}\n`,
    );
    fsyncSync(this.#fd);
  }

  close(): void {
    closeSync(this.#fd);
  }

  /** Closes and deletes the journal (every line is final and in the results file). */
  remove(): void {
    this.close();
    unlinkSync(this.path);
  }
}

/** Writes the results file in input order, atomically. */
export function writeResults(out: string, records: readonly LineRecord[]): void {
  writeFileAtomic(out, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
}
