/**
 * The run cache: `rllmc run` keeps each app it has loaded and checked as a compiled ES module
 * (runtime/compile-app.ts `buildArtifact`: definition, precompiled templates, standalone
 * validators, and the app's warnings), keyed by the sha256 of rllmc's version, install location
 * and build, the path as given and the file's bytes. A later run of the unchanged file imports
 * that module and skips the frontend, the checks, ajv and Handlebars' compiler.
 *
 * Where: `RLLMC_CACHE_DIR`, else `$XDG_CACHE_HOME/rllmc/apps`, else `~/.cache/rllmc/apps`.
 * `--no-cache` (or `RLLMC_NO_CACHE=1`) bypasses it. A cache that cannot be read or written is
 * never an error: the run goes on without it. Apps with `uses` are not cached: the key would
 * have to cover every child's bytes too.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SIZE_LIMITS } from "../frontend/size-limits.js";
import { type AppArtifact, prepareArtifact } from "../runtime/artifact.js";
import type { RunnableApp } from "../runtime/compose.js";
import type { CodeBlockSpec } from "../runtime/sandbox/index.js";
import { writeFileAtomic } from "../runtime/write-file.js";
import { buildFingerprint } from "./fingerprint.js";

export interface Warning {
  /** The diagnostic's first line (`file:line:col - warning CODE: message`). */
  readonly line: string;
  /** With its code frame and hint. */
  readonly full: string;
}

export interface CachedApp {
  readonly runnable: RunnableApp;
  readonly warnings: readonly Warning[];
  readonly fromCache: boolean;
}

export function cacheDir(env: NodeJS.ProcessEnv): string {
  if (env.RLLMC_CACHE_DIR) return env.RLLMC_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "rllmc", "apps");
}

function cacheable(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() && stat.size <= SIZE_LIMITS.rllm;
  } catch {
    return false;
  }
}

/** Loads a prepared app from the cache, or builds it with `build` and stores it. */
export async function cachedApp(
  path: string,
  env: NodeJS.ProcessEnv,
  build: () => Promise<{
    runnable: RunnableApp;
    /** The cache entry's source; undefined for an app that is not cached (one with children). */
    artifact: (() => string) | undefined;
    warnings: readonly Warning[];
  }>,
): Promise<CachedApp> {
  let file: string | undefined;
  // Only a regular file of an app's size is worth a cache key: a FIFO would block the read, and
  // a missing, huge or odd file is for the build to report (with its diagnostic).
  if (!(env.RLLMC_NO_CACHE === "1") && cacheable(path)) {
    try {
      const key = createHash("sha256")
        .update(`${buildFingerprint()}\0${path}\0`)
        .update(readFileSync(path))
        .digest("hex");
      file = join(cacheDir(env), `${key.slice(0, 40)}.mjs`);
      const artifact = (await import(pathToFileURL(file).href)) as AppArtifact & {
        warnings: Warning[];
        blocks: CodeBlockSpec[];
      };
      const runnable = { prepared: prepareArtifact(artifact), blocks: artifact.blocks, children: [] };
      return { runnable, warnings: artifact.warnings, fromCache: true };
    } catch {
      // Not cached yet, or unreadable: build it.
    }
  }
  const built = await build();
  if (file !== undefined && built.artifact !== undefined) {
    try {
      writeFileAtomic(file, built.artifact());
    } catch {
      // A read-only or full disk only costs the next run its head start.
    }
  }
  return { runnable: built.runnable, warnings: built.warnings, fromCache: false };
}
