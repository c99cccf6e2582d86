/**
 * `rllmc compile app.rllm…`: each app, and every child its `uses` reach, checked and emitted as
 * `<name>.mjs` + `<name>.d.mts` (backend/js-module.ts) — `.d.mts` because that is the declaration
 * file TypeScript reads for an `.mjs` (it never looks at `<name>.d.ts` for one). Outputs go beside the sources, or under
 * `--out-dir` keeping their paths relative to the apps' common directory, so a parent's import
 * of `./child.mjs` finds the child's module. If any app of the tree has an error, nothing is
 * written; otherwise files are written atomically, and only when their bytes change. The command
 * (cli/commands/compile.ts) prints what this returns.
 */
import { dirname, relative, resolve, sep } from "node:path";
import { emitJsModule, type JsModule } from "../backend/js-module.js";
import { type Diagnostic, hasErrors } from "../ir/diagnostic.js";
import type { RllmModule } from "../ir/nodes.js";
import type { SourceFile } from "../ir/source-file.js";
import { childPath } from "../passes/resolve-uses.js";
import { loadSource } from "./load-source.js";
import { commonDirectory, outputStem } from "./output-paths.js";
import { appProvenance } from "./regenerate.js";
import { version } from "./version.js";
import { writeAtomic } from "./write-atomic.js";

export interface CompileAppsOptions {
  readonly outDir: string | undefined;
  readonly runtimeImport: string | undefined;
  /**
   * The folder outputs keep their paths from, and the roots the header's command names, when
   * the apps are part of a larger command (a queue job compiles one root of many,
   * queue/compile-app-kind.ts); by default the apps' common directory and `paths`.
   */
  readonly base?: string;
  readonly roots?: readonly string[];
}

export interface CompiledAppFile {
  readonly path: string;
  readonly module: RllmModule;
  readonly emitted: JsModule;
  readonly mjs: string;
  readonly dts: string;
}

export interface CompiledApps {
  /** The apps written, in the order they were reached; none when any app has an error. */
  readonly written: readonly CompiledAppFile[];
  /** Every app's diagnostics, each said once. */
  readonly diagnostics: readonly Diagnostic[];
  /** The text of every file read, for the printer. */
  readonly sources: ReadonlySet<SourceFile>;
}

/** What the command reports of an app compile, local or by queue workers (cli/compile-remote.ts). */
export interface AppReport {
  readonly written: readonly {
    readonly path: string;
    readonly mjs: string;
    readonly dts: string;
    readonly functionName: string;
    readonly inputType: string;
    readonly outputType: string;
    /** The names of its `uses` children. */
    readonly children: readonly string[];
  }[];
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlySet<SourceFile>;
}

export function appReport(compiled: CompiledApps): AppReport {
  return {
    written: compiled.written.map((w) => ({
      path: w.path,
      mjs: w.mjs,
      dts: w.dts,
      functionName: w.emitted.functionName,
      inputType: w.emitted.inputType,
      outputType: w.emitted.outputType,
      children: w.module.header.uses.map((u) => u.name),
    })),
    diagnostics: compiled.diagnostics,
    sources: compiled.sources,
  };
}

interface App {
  readonly path: string;
  readonly module: RllmModule;
  readonly source: SourceFile;
}

export async function compileApps(
  paths: readonly string[],
  options: CompileAppsOptions,
): Promise<CompiledApps> {
  const emitted = await emitApps(paths, options);
  for (const entry of emitted.written) {
    writeAtomic(entry.mjs, entry.emitted.mjs);
    writeAtomic(entry.dts, entry.emitted.dts);
  }
  return emitted;
}

/**
 * What `compileApps` writes, without writing it: every app of the tree emitted (`written` holds
 * the modules that would be written, with their paths), or none when any app has an error.
 * `rllmc review` compares these bytes with the modules on disk (review/drift.ts).
 */
export async function emitApps(paths: readonly string[], options: CompileAppsOptions): Promise<CompiledApps> {
  const apps = new Map<string, App>();
  const diagnostics: Diagnostic[] = [];
  const sources = new Set<SourceFile>();
  const visit = async (path: string): Promise<void> => {
    const key = resolve(path);
    if (apps.has(key)) return;
    const loaded = await loadSource(path, "rllm");
    for (const source of loaded.sources) sources.add(source);
    diagnostics.push(...loaded.diagnostics);
    if (loaded.module?.kind !== "rllm" || loaded.source === undefined || hasErrors(loaded.diagnostics))
      return;
    apps.set(key, { path, module: loaded.module, source: loaded.source });
    for (const use of loaded.module.header.uses) await visit(childPath(loaded.module, use));
  };
  for (const path of paths) await visit(path);

  const unique = dedupe(diagnostics);
  if (hasErrors(unique)) return { written: [], diagnostics: unique, sources };
  const all = [...apps.values()];
  const base = options.base ?? commonDirectory(all.map((a) => a.path));
  const outputOf = (app: App) => outputStem(app.path, /\.rllm$/i, { base, outDir: options.outDir });
  // Emit everything first: an app the backend cannot emit must not leave half a tree written.
  const written = all.map((app): CompiledAppFile => {
    const out = outputOf(app);
    const childImports = new Map(
      app.module.header.uses.map((use) => {
        const child = apps.get(resolve(childPath(app.module, use)))!;
        let specifier = relative(dirname(out), outputOf(child)).split(sep).join("/");
        if (!specifier.startsWith(".")) specifier = `./${specifier}`;
        return [use.name, `${specifier}.mjs`] as const;
      }),
    );
    // The source and the command from the module's folder: the bytes do not depend on the cwd.
    const { source, command } = appProvenance(app.path, `${out}.mjs`, {
      roots: options.roots ?? paths,
      outDir: options.outDir,
      runtimeImport: options.runtimeImport,
    });
    const module = emitJsModule(app.module, {
      source,
      command,
      generator: `rllmc ${version()}`,
      childImports,
      lineCol: (offset) => app.source.lineCol(offset),
      ...(options.runtimeImport === undefined ? {} : { runtimeImport: options.runtimeImport }),
    });
    return { path: app.path, module: app.module, emitted: module, mjs: `${out}.mjs`, dts: `${out}.d.mts` };
  });
  return { written, diagnostics: unique, sources };
}

/** A child reached from two parents is checked once, but say each diagnostic once in any case. */
function dedupe(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}\0${d.span.file}\0${d.span.start}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
