/**
 * `rllmc compile app.rllm…`: each app, and every child its `uses` reach, checked and emitted as
 * `<name>.mjs` + `<name>.d.mts` (backend/js-module.ts) — `.d.mts` because that is the declaration
 * file TypeScript reads for an `.mjs` (it never looks at `<name>.d.ts` for one). Outputs go beside the sources, or under
 * `--out-dir` keeping their paths relative to the apps' common directory, so a parent's import
 * of `./child.mjs` finds the child's module. If any app of the tree has an error, nothing is
 * written; otherwise files are written atomically, and only when their bytes change.
 */
import { dirname, relative, resolve, sep } from "node:path";
import { emitJsModule, type JsModule } from "../backend/js-module.js";
import { type Diagnostic, hasErrors } from "../ir/diagnostic.js";
import type { RllmModule } from "../ir/nodes.js";
import { sourceLookup } from "../ir/print-diagnostics.js";
import type { SourceFile } from "../ir/source-file.js";
import { childPath } from "../passes/resolve-uses.js";
import { commonDirectory, writeAtomic } from "./compile-runbooks.js";
import { ExitCode } from "./exit-codes.js";
import { loadSource } from "./load-source.js";
import { type OutputFormat, tooManyWarnings, writeSarif } from "./output-format.js";
import { outputStem } from "./output-paths.js";
import { appProvenance } from "./regenerate.js";
import { countBySeverity, countText, jsonDiagnostics, plural, printDiagnosticsText } from "./report.js";
import { version } from "./run.js";

export interface CompileAppsOptions {
  readonly outDir: string | undefined;
  readonly runtimeImport: string | undefined;
  readonly format: OutputFormat;
  readonly quiet: boolean;
  /** `--max-warnings`: more warnings fail the command (files are still written). */
  readonly maxWarnings: number | undefined;
  readonly program: string;
}

interface App {
  readonly path: string;
  readonly module: RllmModule;
  readonly source: SourceFile;
}

export async function compileApps(paths: readonly string[], options: CompileAppsOptions): Promise<number> {
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

  const lookup = sourceLookup(sources);
  const unique = dedupe(diagnostics);
  const counts = countBySeverity(unique);
  const written: { app: App; emitted: JsModule; mjs: string; dts: string }[] = [];
  if (counts.errors === 0) {
    const all = [...apps.values()];
    const base = commonDirectory(all.map((a) => a.path));
    const outputOf = (app: App) => outputStem(app.path, /\.rllm$/i, { base, outDir: options.outDir });
    // Emit everything first: an app the backend cannot emit must not leave half a tree written.
    const emitted = all.map((app) => {
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
        roots: paths,
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
      return { app, emitted: module, mjs: `${out}.mjs`, dts: `${out}.d.mts` };
    });
    for (const entry of emitted) {
      writeAtomic(entry.mjs, entry.emitted.mjs);
      writeAtomic(entry.dts, entry.emitted.dts);
      written.push(entry);
    }
  }

  const shown = options.quiet ? unique.filter((d) => d.severity === "error") : unique;
  if (options.format === "sarif") await writeSarif(shown, lookup);
  else if (options.format === "json") {
    const report = {
      apps: written.map((w) => ({
        source: w.app.path,
        module: w.mjs,
        types: w.dts,
        function: w.emitted.functionName,
        input_type: w.emitted.inputType,
        output_type: w.emitted.outputType,
        children: w.app.module.header.uses.map((u) => u.name),
      })),
      diagnostics: jsonDiagnostics(shown, lookup),
      summary: { apps: written.length, errors: counts.errors, warnings: counts.warnings },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    printDiagnosticsText(shown, lookup);
    if (!options.quiet) {
      for (const w of written)
        process.stderr.write(`${w.app.path} → ${w.mjs}, ${w.dts} (export ${w.emitted.functionName})\n`);
      process.stderr.write(
        counts.errors > 0
          ? `Compiled no app: ${countText(counts.errors, "error")}, ${countText(counts.warnings, "warning")}; nothing was written.\n`
          : `Compiled ${plural(written.length, "app")}: ${countText(counts.warnings, "warning")}.\n`,
      );
    }
  }
  const overLimit = tooManyWarnings(options.program, "compile", counts.warnings, options.maxWarnings);
  return counts.errors > 0 || overLimit ? ExitCode.Errors : ExitCode.Ok;
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
