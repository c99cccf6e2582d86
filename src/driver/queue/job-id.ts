/**
 * A job's id is the content hash of what decides its result: the kind, rllmc's build
 * (fingerprint.ts) and the whole payload (for a compile: the TSG's path and text, where its
 * outputs go and how they name it, the LLM settings). The same input enqueued twice is one job
 * (BullMQ ignores an add with a known id), and a rerun of an unchanged corpus finds every job
 * completed, with its result, for as long as completed jobs are kept (settings.ts).
 */
import { createHash } from "node:crypto";
import { buildFingerprint } from "../fingerprint.js";

/** `<kind>-<40 hex digits>`: never an integer, and no `:` (BullMQ refuses both). */
export function jobId(kind: string, payload: unknown): string {
  const hash = createHash("sha256")
    .update(`${buildFingerprint()}\0${kind}\0`)
    .update(JSON.stringify(payload))
    .digest("hex")
    .slice(0, 40);
  return `${kind}-${hash}`;
}
