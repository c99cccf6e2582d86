/**
 * The run cache: `rllmc run` keeps each app it has loaded and checked as the module `rllmc
 * compile` would write for it (backend/js-module.ts: definition, precompiled templates, standalone
 * validators, code blocks), importing the runtime it runs on and exporting the app's warnings too,
 * keyed by the sha256 of rllmc's version, install location and build, the path as given and the
 * file's bytes. A later run of the unchanged file imports that module and skips the frontend, the
 * checks, ajv and Handlebars' compiler.
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
import type { RunnableApp } from "../runtime/app/compose.js";
import type { CompiledApp } from "../runtime/app/module.js";
import { writeFileAtomic } from "../runtime/shared/write-file.js";
import { buildFingerprint } from "./fingerprint.js";
import type { LoadedApp } from "./rllm-app.js";
import { version } from "./version.js";

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

/**
 * Loads a prepared app from the cache, or loads and checks it (its errors thrown as RllmErrors,
 * driver/rllm-app.ts) and stores it.
 */
export async function cachedApp(path: string, env: NodeJS.ProcessEnv): Promise<CachedApp> {
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
      const entry = (await import(pathToFileURL(file).href)) as { app: CompiledApp; warnings: Warning[] };
      return { runnable: entry.app.runnable, warnings: entry.warnings, fromCache: true };
    } catch {
      // Not cached yet, or unreadable: build it.
    }
  }
  const built = await build(path);
  // An app with children is not cached (the key would not cover them).
  if (file !== undefined && built.app.children.length === 0) {
    try {
      writeFileAtomic(file, await cacheEntry(built.app, built.warnings));
    } catch {
      // A read-only or full disk only costs the next run its head start.
    }
  }
  return { runnable: built.runnable, warnings: built.warnings, fromCache: false };
}

/** Loads, checks and compiles the app and its children: what the run cache saves a warm run from. */
async function build(path: string): Promise<{ app: LoadedApp; runnable: RunnableApp; warnings: Warning[] }> {
  const { loadApp } = await import("./rllm-app.js");
  const app = await loadApp(path);
  const { formatDiagnostic, sourceLookup } = await import("../ir/print-diagnostics.js");
  const { prepareApp } = await import("../runtime/app/compile-app.js");
  const lookup = sourceLookup(app.loaded.sources);
  const warnings: Warning[] = app.warnings.map((d) => {
    const full = formatDiagnostic(d, lookup);
    return { line: full.split("\n", 1)[0]!, full };
  });
  const runnable = (loaded: LoadedApp): RunnableApp => ({
    prepared: prepareApp(loaded.definition),
    blocks: loaded.blocks,
    children: loaded.children.map((c) => ({ name: c.name, inputs: c.inputs, app: runnable(c.app) })),
  });
  return { app, runnable: runnable(app), warnings };
}

/**
 * The cache entry: the app's compiled module, as the JS-module backend emits it, importing the
 * runtime this rllmc runs on (by its file URL: the cache lies outside any package) and exporting
 * the app's warnings.
 */
async function cacheEntry(app: LoadedApp, warnings: readonly Warning[]): Promise<string> {
  const { emitJsModule } = await import("../backend/js-module.js");
  const source = app.loaded.source;
  return emitJsModule(app.module, {
    source: app.loaded.path,
    command: `rllmc run ${app.loaded.path} (this is a run cache entry: safe to delete)`,
    generator: `rllmc ${version()}`,
    runtimeImport: RUNTIME_URL,
    childImports: new Map(),
    lineCol: (offset) => source?.lineCol(offset) ?? { line: 0, column: 0 },
    extraExports: { warnings },
  }).mjs;
}

/**
 * The runtime beside this module, with this module's own extension: `.js` when built, `.ts` when
 * the test runner loads the sources.
 */
const RUNTIME_URL = new URL(
  `../runtime/index${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`,
  import.meta.url,
).href;
