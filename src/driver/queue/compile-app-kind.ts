/**
 * The app job of the `compile` queue: one root `.rllm` app of `rllmc compile apps/*.rllm
 * --out-dir D --redis URL` and its `uses` tree, checked and emitted by a worker with the same
 * function as the local command (compile-apps.ts `emitApps`). The tree's sources travel in the
 * payload as text, keyed by their paths from the submitter's folder (a common root), so a worker
 * needs no shared files: it writes them once under its cache folder (`compile-apps/<hash>/`),
 * emits in memory, and returns the modules' bytes and the diagnostics with the submitter's paths.
 * The submitter writes every module, once, as the local command would (cli/compile-remote.ts).
 *
 * What is the same for every root of one command travels in each payload: the roots (the header's
 * regenerate command names them all), the folder outputs keep their paths from (`base`, the
 * common directory of every app of the command), `--out-dir` and `--runtime-import`.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { readSource, sourceFromText } from "../../frontend/read-source.js";
import { parseRllm } from "../../frontend/rllm/parse-rllm.js";
import { sizeLimit } from "../../frontend/size-limits.js";
import type { Diagnostic } from "../../ir/diagnostic.js";
import type { RllmModule } from "../../ir/nodes.js";
import { childPath } from "../../passes/resolve-uses.js";
import { writeFileAtomic } from "../../runtime/shared/write-file.js";
import { emitApps } from "../compile-apps.js";
import { version } from "../version.js";
import { JobError } from "./job-error.js";
import type { JobContext, JobKind } from "./job-kind.js";

export interface CompileAppPayload {
  readonly v: 1;
  readonly type: "app";
  readonly rllmc: string;
  /** The root app, as the submitter gave it. */
  readonly app: string;
  /** Every root of the command, as given (the header's command names them). */
  readonly roots: readonly string[];
  /** The common directory of every app of the command. */
  readonly base: string;
  readonly outDir?: string;
  readonly runtimeImport?: string;
  /** Every file of the app's tree that could be read, by the path the submitter reached it by. */
  readonly files: Readonly<Record<string, string>>;
  /** The submitter's folder, only when a path is absolute (relative ones are placed under it). */
  readonly cwd?: string;
}

/** One module to write; the submitter places it as the local command does (`outputStem`). */
export interface EmittedApp {
  /** The app's path as the submitter reached it. */
  readonly path: string;
  readonly mjsText: string;
  readonly dtsText: string;
  readonly functionName: string;
  readonly inputType: string;
  readonly outputType: string;
  /** The names of its `uses` children. */
  readonly children: readonly string[];
}

export interface CompileAppResult {
  /** The tree's modules in the order they were reached; none when any app has an error. */
  readonly written: readonly EmittedApp[];
  readonly diagnostics: readonly Diagnostic[];
  readonly worker: string;
  readonly ms: number;
}

export function isAppPayload(data: unknown): boolean {
  return typeof data === "object" && data !== null && (data as { type?: unknown }).type === "app";
}

export const compileAppKind: JobKind<CompileAppPayload, CompileAppResult> = {
  name: "compile",
  parse(data: unknown): CompileAppPayload {
    const p = data as Partial<CompileAppPayload> | null;
    if (p === null || typeof p !== "object" || p.v !== 1 || p.type !== "app")
      throw new JobError("QUEUE_BAD_PAYLOAD", "not an app compile job of payload format 1");
    if (p.rllmc !== version())
      throw new JobError(
        "QUEUE_VERSION_MISMATCH",
        `the job was made by rllmc ${String(p.rllmc)}, this worker is rllmc ${version()}`,
      );
    if (
      typeof p.app !== "string" ||
      !Array.isArray(p.roots) ||
      typeof p.base !== "string" ||
      typeof p.files !== "object" ||
      p.files === null ||
      Object.values(p.files).some((t) => typeof t !== "string")
    )
      throw new JobError(
        "QUEUE_BAD_PAYLOAD",
        `the app compile job${typeof p.app === "string" ? ` of '${p.app}'` : ""} lacks its app, roots, base or files`,
      );
    return p as CompileAppPayload;
  },
  async run(payload: CompileAppPayload, context: JobContext): Promise<CompileAppResult> {
    const started = performance.now();
    const { place, unplace } = materialize(payload, context.cacheDir);
    const emitted = await emitApps([place(payload.app)], {
      outDir: payload.outDir === undefined ? undefined : place(payload.outDir),
      runtimeImport: payload.runtimeImport,
      base: place(payload.base),
      roots: payload.roots.map(place),
    });
    // The modules' bytes hold relative paths only, the same on every machine; paths elsewhere
    // name the submitter's files again.
    const written = emitted.written.map(
      (w): EmittedApp => ({
        path: unplace(w.path) as string,
        mjsText: w.emitted.mjs,
        dtsText: w.emitted.dts,
        functionName: w.emitted.functionName,
        inputType: w.emitted.inputType,
        outputType: w.emitted.outputType,
        children: w.module.header.uses.map((u) => u.name),
      }),
    );
    return {
      written,
      diagnostics: unplace(emitted.diagnostics) as Diagnostic[],
      worker: context.worker,
      ms: Math.round(performance.now() - started),
    };
  },
  describe(payload: CompileAppPayload): string {
    return payload.app;
  },
};

/**
 * The files of each root's tree, read as the local command reads them (every file its `uses`
 * reach, followed even through a file with errors, so the worker's check sees what a local one
 * would): by root, the texts by path; a file that cannot be read is left out (the worker's check
 * reports it missing).
 */
export function appTreeFiles(roots: readonly string[]): Record<string, string>[] {
  const texts = new Map<string, string | undefined>();
  return roots.map((root) => {
    const files: Record<string, string> = {};
    const seen = new Set<string>();
    const visit = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      if (!texts.has(path)) texts.set(path, readSource(path, sizeLimit("rllm")).source?.text);
      const text = texts.get(path);
      if (text === undefined) return;
      files[path] = text;
      const module = parseRllm(sourceFromText(path, text)).module as RllmModule | undefined;
      for (const use of module?.header?.uses ?? []) visit(childPath(module!, use));
    };
    visit(root);
    return files;
  });
}

/**
 * Writes the tree under `<cacheDir>/compile-apps/<hash>/` (once per tree): the submitter's folder
 * is `rel/` (with a folder per `..` a path climbs), or `abs/<its path>` when a path is absolute.
 */
function materialize(
  payload: CompileAppPayload,
  cacheDir: string,
): { place: (path: string) => string; unplace: (value: unknown) => unknown } {
  const hash = createHash("sha256")
    .update(JSON.stringify([payload.files, payload.cwd ?? null]))
    .digest("hex")
    .slice(0, 32);
  const paths = [...Object.keys(payload.files), payload.app, payload.base, ...payload.roots];
  if (payload.outDir !== undefined) paths.push(payload.outDir);
  const climbs = Math.max(
    0,
    ...paths.map((p) => (isAbsolute(p) ? 0 : (p.match(/(^|[/\\])\.\.(?=[/\\]|$)/g) ?? []).length)),
  );
  const dir = join(resolve(cacheDir), "compile-apps", hash);
  const abs = join(dir, "abs");
  const rel =
    payload.cwd === undefined
      ? join(dir, "rel", ...Array.from({ length: climbs }, (_, i) => `u${i}`))
      : join(abs, payload.cwd);
  const place = (p: string) => (isAbsolute(p) ? join(abs, p) : join(rel, p));
  for (const [p, text] of Object.entries(payload.files)) {
    const to = place(p);
    if (existsSync(to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    writeFileAtomic(to, text);
  }
  // Back to the submitter's paths: each path of the payload exactly, then what is under the
  // submitter's folder (a `..` climbed is a `u<i>` folder left), then an absolute path.
  const known = [...new Set([...Object.keys(payload.files), ...payload.roots])]
    .map((p) => [JSON.stringify(place(p)).slice(1, -1), JSON.stringify(p).slice(1, -1)] as const)
    .sort(([a], [b]) => b.length - a.length);
  const prefixes: (readonly [string, string])[] = [[`${rel}${sep}`, ""]];
  if (payload.cwd === undefined)
    for (let up = 1, folder = dirname(rel); up <= climbs; up++, folder = dirname(folder))
      prefixes.push([`${folder}${sep}`, "../".repeat(up)]);
  prefixes.push([abs, ""]);
  const unplace = (value: unknown) => {
    let text = JSON.stringify(value);
    for (const [from, to] of [...known, ...prefixes]) text = text.split(from).join(to);
    return JSON.parse(text);
  };
  return { place, unplace };
}
