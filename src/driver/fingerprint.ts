/**
 * What every cache key starts with (the run cache, app-cache.ts; the runbook result cache,
 * compile-runbooks.ts): rllmc's version, where it is installed and which build it is, so that
 * no entry made by another rllmc is ever reused.
 */
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { version } from "./version.js";

/**
 * When this build of rllmc was made: a rebuild in place (a `git pull` and `npm run build`, an
 * `npm link`) without a version bump must not reuse entries made by the old checks.
 */
function buildId(): string {
  const { mtimeMs, size } = statSync(fileURLToPath(import.meta.url));
  return `${mtimeMs}:${size}`;
}

/** rllmc's version, install location and build: part of every cache key. */
export function buildFingerprint(): string {
  fingerprint ??= `${version()}\0${import.meta.url}\0${buildId()}`;
  return fingerprint;
}
let fingerprint: string | undefined;
