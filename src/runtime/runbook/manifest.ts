/**
 * `manifest.json`, beside the trace: the run's head — the last event's hash, the event count,
 * the step count and the status — and the SHA-256 of the runbook, the scenario and the policy,
 * rewritten after every trace event. It carries a digest over all of that: an HMAC-SHA256 when
 * the run has a key (`RUNBOOK_TRACE_KEY` or `--trace-key-file`), a plain SHA-256 otherwise. The
 * key itself is never written anywhere.
 *
 * How it is rewritten: a running engine keeps the file open and writes each version as one
 * positional write at offset 0 of a record padded with spaces to the file's size (at least
 * {@link RECORD_BYTES}), so the file never shrinks and never needs truncating. Linux copies a
 * write into the page cache a page at a time and checks for a kill only between pages, so a
 * record within one page is never torn by a killed writer; a reader that overlaps a write reads
 * until two reads agree ({@link readManifest}). That costs microseconds where a temp file and a
 * rename cost half a millisecond, twice a step (bench section 8). A manifest made by anything
 * else (the first one, a repair) is written atomically through a temp file and a rename.
 *
 * What it adds to the hash chain: a cut tail (the trace shorter than the manifest) and an
 * appended one (longer) are caught by the count and head; with a key, a tail rewritten with
 * recomputed hashes is caught too, since whoever rewrites it cannot sign the new head. A plain
 * digest only catches a manifest edited by hand without recomputing it. The trace is the source
 * of truth: a manifest behind it (a crash between the two writes) is repaired from the chain on
 * `--resume`, never the other way.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { closeSync, fstatSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../shared/write-file.js";
import type { ChainedEvent, TraceEvent } from "./state.js";
import { GENESIS, sha256 } from "./trace.js";

export const MANIFEST_FILE = "manifest.json";

/** The smallest size of a manifest record as an engine writes it: one page holds it whole. */
export const RECORD_BYTES = 1024;

export type DigestAlgorithm = "hmac-sha256" | "sha256";

export interface RunHead {
  readonly events: number;
  /** The hash of the last event (64 zeros before the first). */
  readonly head: string;
  /** How many `step` events. */
  readonly steps: number;
  /** The `run_finished` status, or `unfinished`. */
  readonly status: "unfinished" | "passed" | "failed";
}

export interface ManifestFiles {
  readonly runbook_sha256: string;
  readonly scenario_sha256?: string;
  readonly policy_sha256: string;
}

export interface Manifest extends RunHead {
  readonly format: "runbook-manifest/v0";
  readonly run_id: string;
  readonly files: ManifestFiles;
  readonly digest: { readonly algorithm: DigestAlgorithm; readonly value: string };
}

/** The head of a trace read back: what its manifest should say. */
export function headOf(events: readonly ChainedEvent[]): RunHead {
  let steps = 0;
  let status: RunHead["status"] = "unfinished";
  for (const event of events) {
    if (event.type === "step") steps += 1;
    else if (event.type === "run_finished") status = event.status;
  }
  return { events: events.length, head: events.at(-1)?.hash ?? GENESIS, steps, status };
}

/** The digest of a manifest's content: HMAC-SHA256 with a key, else SHA-256. */
export function manifestDigest(
  runId: string,
  head: RunHead,
  files: ManifestFiles,
  key: Uint8Array | undefined,
): { algorithm: DigestAlgorithm; value: string } {
  // A fixed field order, so the digest does not depend on how an object was built.
  const text = JSON.stringify([
    "runbook-manifest/v0",
    runId,
    head.events,
    head.head,
    head.steps,
    head.status,
    files.runbook_sha256,
    files.scenario_sha256 ?? null,
    files.policy_sha256,
  ]);
  return key === undefined
    ? { algorithm: "sha256", value: sha256(text) }
    : { algorithm: "hmac-sha256", value: createHmac("sha256", key).update(text).digest("hex") };
}

/** A manifest's JSON text (one line, no line break). */
function manifestText(
  runId: string,
  head: RunHead,
  files: ManifestFiles,
  key: Uint8Array | undefined,
): string {
  const manifest: Manifest = {
    format: "runbook-manifest/v0",
    run_id: runId,
    ...head,
    files,
    digest: manifestDigest(runId, head, files, key),
  };
  return JSON.stringify(manifest);
}

/** Writes a manifest atomically (temp file + rename). */
export function writeManifest(
  dir: string,
  runId: string,
  head: RunHead,
  files: ManifestFiles,
  key: Uint8Array | undefined,
): void {
  writeFileAtomic(join(dir, MANIFEST_FILE), `${manifestText(runId, head, files, key)}\n`);
}

/** How many times a reader reads a manifest that changes under it before it gives up. */
const STABLE_READS = 20;

export function readManifest(dir: string): Manifest | "missing" | "unreadable" {
  let text: string;
  try {
    // A running engine rewrites the file in place: read until two reads agree.
    text = readFileSync(join(dir, MANIFEST_FILE), "utf8");
    for (let attempt = 0; attempt < STABLE_READS; attempt += 1) {
      const again = readFileSync(join(dir, MANIFEST_FILE), "utf8");
      if (again === text) break;
      text = again;
    }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "unreadable";
  }
  try {
    const value = JSON.parse(text) as Manifest;
    const ok =
      value !== null &&
      typeof value === "object" &&
      typeof value.events === "number" &&
      typeof value.head === "string" &&
      typeof value.steps === "number" &&
      typeof value.status === "string" &&
      typeof value.files?.runbook_sha256 === "string" &&
      typeof value.digest?.value === "string" &&
      (value.digest.algorithm === "sha256" || value.digest.algorithm === "hmac-sha256");
    return ok ? value : "unreadable";
  } catch {
    return "unreadable";
  }
}

/** Whether a manifest's digest is right for its content, given the key (or none). */
export function digestMatches(manifest: Manifest, key: Uint8Array | undefined): boolean {
  if ((manifest.digest.algorithm === "hmac-sha256") !== (key !== undefined)) return false;
  const expected = manifestDigest(manifest.run_id, manifest, manifest.files, key).value;
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(manifest.digest.value, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Keeps a run's manifest up to date as events are appended: the file is opened once and each
 * version overwrites the last in place (see the top of this file).
 */
export class ManifestWriter {
  private current: RunHead;
  private fd: number | undefined;
  /** The file's size: every record is padded to it, so no byte of an older one is left behind. */
  private size = 0;

  constructor(
    private readonly dir: string,
    private readonly runId: string,
    private readonly files: ManifestFiles,
    private readonly key: Uint8Array | undefined,
    start: RunHead,
  ) {
    this.current = start;
  }

  get head(): RunHead {
    return this.current;
  }

  /** Called after `event` was appended as event number `events`, with hash `hash`. */
  appended(event: TraceEvent, events: number, hash: string): void {
    this.current = {
      events,
      head: hash,
      steps: this.current.steps + (event.type === "step" ? 1 : 0),
      status: event.type === "run_finished" ? event.status : this.current.status,
    };
    const text = manifestText(this.runId, this.current, this.files, this.key);
    if (this.fd === undefined) {
      // The first version goes through a rename, so the file is whole from the start.
      writeFileAtomic(join(this.dir, MANIFEST_FILE), `${text.padEnd(RECORD_BYTES - 1)}\n`);
      this.fd = openSync(join(this.dir, MANIFEST_FILE), "r+");
      this.size = fstatSync(this.fd).size;
      return;
    }
    const record = `${text.padEnd(Math.max(this.size, RECORD_BYTES) - 1)}\n`;
    writeSync(this.fd, record, 0);
    this.size = Math.max(this.size, Buffer.byteLength(record));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
