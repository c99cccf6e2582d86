/**
 * `compile <app.rllm>…`: apps → `app.mjs` + `app.d.mts` (driver/compile-apps.ts).
 *
 * `compile <tsg.md|dir|glob>…` (`runbook compile`, `rllmc compile`): TSGs → `runbook.yaml` +
 * `mapping.md`. One file: the runbook on stdout, or `--out` / `--mapping`. Many: `--out-dir`,
 * one folder per TSG (`<out-dir>/<path>/<name>/runbook.yaml` and `mapping.md`), a progress bar on
 * a terminal, and a summary line. Outputs are written atomically (temp file + rename) and only
 * when their bytes change; a file with errors writes nothing.
 *
 * A content-hash cache (`<cache-dir>/runbook/`) keeps each file's outputs and diagnostics, keyed
 * by rllmc's build, the path, the bytes and the options: an unchanged TSG is not compiled again.
 * `--llm live` bypasses it; `--no-cache` turns it off.
 *
 * Diagnostics: text on stderr, or `--json` / `--format json|sarif` on stdout (output-format.ts);
 * `--max-warnings N` fails the command when there are more warnings.
 */
import { join } from "node:path";
import type { AppReport } from "../../driver/compile-apps.js";
import { compileFile, type FileResult, type FileStats } from "../../driver/compile-runbooks.js";
import { commonDirectory, outputStem } from "../../driver/output-paths.js";
import { type RunbookLlmSettings, runbookPlacement } from "../../driver/regenerate.js";
import { createInterpreter, type LlmMode } from "../../driver/runbook-llm.js";
import { UsageError } from "../../driver/usage-error.js";
import { writeAtomic } from "../../driver/write-atomic.js";
import type { Diagnostic } from "../../ir/diagnostic.js";
import { hasErrors, makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import { sourceLookup } from "../../ir/print-diagnostics.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Interpreter } from "../../passes/runbook/interpret-request.js";
import { parseConcurrency } from "../concurrency-options.js";
import { ExitCode } from "../exit-codes.js";
import { expandPaths } from "../expand-paths.js";
import { oneOf, parseOptions, withUsage } from "../options.js";
import {
  maxWarnings,
  OUTPUT_OPTIONS,
  type OutputFormat,
  outputFormat,
  tooManyWarnings,
  writeSarif,
} from "../output-format.js";
import { Progress } from "../progress.js";
import { QUEUE_SUBMIT_OPTIONS, redisUrl } from "../queue-options.js";
import { countBySeverity, countText, jsonDiagnostics, plural, printDiagnosticsText } from "../report.js";

export default function compile(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "compile", async () => {
    const { values, positionals } = parseOptions(args, {
      out: { type: "string", short: "o" },
      mapping: { type: "string" },
      "out-dir": { type: "string" },
      llm: { type: "string" },
      frozen: { type: "boolean" },
      provider: { type: "string" },
      model: { type: "string" },
      "base-url": { type: "string" },
      cassette: { type: "string" },
      "cache-dir": { type: "string" },
      "no-cache": { type: "boolean" },
      json: { type: "boolean" },
      quiet: { type: "boolean" },
      "runtime-import": { type: "string" },
      concurrency: { type: "string" },
      "max-concurrency": { type: "string" },
      ...OUTPUT_OPTIONS,
      ...QUEUE_SUBMIT_OPTIONS,
    });
    const redis = redisUrl(values, undefined);
    for (const flag of Object.keys(QUEUE_SUBMIT_OPTIONS))
      if (redis === undefined && values[flag as keyof typeof values] !== undefined)
        throw new UsageError(`--${flag} goes with --redis URL (a batch compiled by workers)`);
    const format = outputFormat(values);
    const limit = maxWarnings(values);
    if (positionals.length === 0) throw new UsageError("expected a TSG or .rllm file, directory or glob");
    const apps = positionals.filter((p) => /\.rllm$/i.test(p));
    if (apps.length > 0) {
      if (apps.length !== positionals.length)
        throw new UsageError("compile .rllm apps and TSGs in separate commands");
      for (const flag of [
        "out",
        "mapping",
        "llm",
        "frozen",
        "provider",
        "model",
        "base-url",
        "cassette",
        "concurrency",
        "max-concurrency",
      ])
        if (values[flag as keyof typeof values] !== undefined)
          throw new UsageError(`--${flag} is for TSGs; an .rllm app compiles to <name>.mjs + <name>.d.mts`);
      const outDir = values["out-dir"] as string | undefined;
      const runtimeImport = values["runtime-import"] as string | undefined;
      const quiet = values.quiet === true;
      let report: AppReport;
      if (redis !== undefined) {
        // One job per root app, its tree's texts in the payload; written here (cli/compile-remote.ts).
        const { compileAppsRemote } = await import("../compile-remote.js");
        report = await compileAppsRemote({
          url: redis,
          values,
          apps,
          outDir,
          runtimeImport,
          reuse: values["no-cache"] !== true,
          showProgress: format === "text" && !quiet && apps.length > 1,
          quiet,
        });
      } else {
        const { compileApps, appReport } = await import("../../driver/compile-apps.js");
        report = appReport(await compileApps(apps, { outDir, runtimeImport }));
      }
      return reportApps(report, { format, quiet, maxWarnings: limit, program });
    }
    if (values["runtime-import"] !== undefined) throw new UsageError("--runtime-import is for .rllm apps");
    const mode = oneOf("--llm", (values.llm ?? "off") as string, ["off", "cached", "live"] as const);
    if (values.frozen === true && mode !== "cached") throw new UsageError("--frozen goes with --llm cached");
    await checkModelSettings(mode, values.provider as string | undefined, values.model as string | undefined);
    const outDir = values["out-dir"] as string | undefined;
    const out = values.out as string | undefined;
    const mappingOut = values.mapping as string | undefined;
    if (outDir !== undefined && (out !== undefined || mappingOut !== undefined))
      throw new UsageError("give either --out-dir, or --out/--mapping, not both");
    const json = format === "json";
    const sarif = format === "sarif";
    if (sarif && out === undefined && outDir === undefined)
      throw new UsageError(
        "--format sarif prints the SARIF log on stdout: give --out or --out-dir for the runbook",
      );
    const quiet = values.quiet === true;

    const expansion = await expandPaths(positionals);
    const files = expansion.files;
    const diagnostics: Diagnostic[] = expansion.unmatched.map((pattern) =>
      makeDiagnostic(Diagnostics.NoFilesMatched, { file: pattern, start: 0, end: 0 }, { pattern }),
    );
    if (files.length > 1 && outDir === undefined)
      throw new UsageError(`${files.length} files to compile: give --out-dir <dir> for their outputs`);

    const cacheDir =
      (values["cache-dir"] as string | undefined) ??
      process.env.RLLMC_RUNBOOK_CACHE ??
      join(".rllmc", "cache");
    // Results are cached for --llm off only: with the LLM pass a result depends on an answer
    // that may be re-recorded, and the answer cache is the one to trust.
    const useCache = values["no-cache"] !== true && mode === "off";
    const flags = {
      ...(values.provider === undefined ? {} : { provider: values.provider as string }),
      ...(values.model === undefined ? {} : { model: values.model as string }),
      ...(values["base-url"] === undefined ? {} : { baseUrl: values["base-url"] as string }),
      ...(values.cassette === undefined ? {} : { cassette: values.cassette as string }),
    };
    // With the LLM pass, many TSGs compile at once through the batch scheduler (docs/batch.md).
    const { concurrency, maxConcurrency } = parseConcurrency(values);
    if (
      (values.concurrency !== undefined || maxConcurrency !== undefined) &&
      (mode === "off" || redis !== undefined)
    )
      throw new UsageError("--concurrency goes with --llm live|cached (and without --redis)");
    const scheduled =
      mode !== "off" && redis === undefined && files.length > 1
        ? await (await import("../../driver/batch/compile-files.js")).compileScheduler({
            concurrency,
            ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
            flags,
            env: process.env,
          })
        : undefined;
    const interpreter: Interpreter | undefined =
      mode === "off"
        ? undefined
        : createInterpreter({
            mode,
            frozen: values.frozen === true,
            cacheDir,
            flags,
            env: process.env,
            ...(scheduled === undefined ? {} : { wrapProvider: scheduled.wrapProvider }),
          });
    // The result cache is used with --llm off only: no model setting enters its key.
    const optionsKey = "llm=off";
    const base = commonDirectory(files);
    const showProgress = process.stderr.isTTY === true && files.length > 1 && format === "text" && !quiet;
    const progress = new Progress(files.length, showProgress ? process.stderr : undefined);
    const results: FileResult[] = [];
    const sources: SourceFile[] = [];

    // What decides the outputs' bytes, for their header (regenerate.ts).
    const llm: RunbookLlmSettings = {
      mode: mode as LlmMode,
      frozen: values.frozen === true,
      provider: flags.provider ?? (process.env.LLM_PROVIDER || undefined),
      model: flags.model ?? (process.env.LLM_MODEL || undefined),
      baseUrl: flags.baseUrl,
      cassette: flags.cassette,
      cacheDir,
    };

    const placed = (path: string) => {
      const folder = outDir === undefined ? undefined : outputStem(path, /\.[^./\\]*$/, { base, outDir });
      const outputs =
        folder === undefined
          ? { runbook: out, mapping: mappingOut }
          : { runbook: join(folder, "runbook.yaml"), mapping: join(folder, "mapping.md") };
      return { folder, placement: runbookPlacement(path, outputs, llm) };
    };
    const write = (result: FileResult, folder: string | undefined) => {
      if (result.yaml === undefined || hasErrors(result.diagnostics)) return;
      if (folder !== undefined) {
        result.outputs = { runbook: join(folder, "runbook.yaml"), mapping: join(folder, "mapping.md") };
        writeAtomic(result.outputs.runbook, result.yaml);
        writeAtomic(result.outputs.mapping, result.mapping!);
      } else {
        if (out !== undefined) writeAtomic(out, result.yaml);
        if (mappingOut !== undefined) writeAtomic(mappingOut, result.mapping!);
      }
    };

    if (redis !== undefined) {
      // The same files, placements and writes, computed by workers (cli/compile-remote.ts).
      if (flags.cassette !== undefined)
        throw new UsageError(
          "--cassette is a file on this machine; with --redis the workers' answer caches are used",
        );
      const { compileRemote } = await import("../compile-remote.js");
      const folders = new Map(files.map((path) => [path, placed(path)] as const));
      results.push(
        ...(await compileRemote(
          {
            url: redis,
            values,
            files,
            placementOf: (path) => folders.get(path)!.placement,
            llm: {
              mode: mode as LlmMode,
              frozen: values.frozen === true,
              ...(flags.provider === undefined ? {} : { provider: flags.provider }),
              ...(flags.model === undefined ? {} : { model: flags.model }),
              ...(flags.baseUrl === undefined ? {} : { baseUrl: flags.baseUrl }),
            },
            reuse: useCache,
            showProgress: format === "text" && !quiet && files.length > 1,
            quiet,
            write: (result, index) => write(result, folders.get(files[index]!)!.folder),
          },
          sources,
        )),
      );
    } else if (scheduled !== undefined) {
      const { compileInOrder } = await import("../../driver/batch/compile-files.js");
      const compiled = await compileInOrder(
        files,
        scheduled.scheduler,
        async (path) => {
          const { folder, placement } = placed(path);
          const result = await compileFile(
            path,
            mode as LlmMode,
            interpreter,
            undefined,
            optionsKey,
            sources,
            placement,
          );
          write(result, folder);
          return result;
        },
        (count, path) => progress.show(count, path),
      );
      results.push(...compiled);
    } else
      for (const path of files) {
        progress.tick(path);
        const { folder, placement } = placed(path);
        const result = await compileFile(
          path,
          mode as LlmMode,
          interpreter,
          useCache ? cacheDir : undefined,
          optionsKey,
          sources,
          placement,
        );
        results.push(result);
        write(result, folder);
      }
    progress.done();

    const all = [...diagnostics, ...results.flatMap((r) => r.diagnostics)];
    const shown = quiet ? all.filter((d) => d.severity === "error") : all;
    const lookup = sourceLookup(sources);
    const counts = countBySeverity(all);
    const totals = summarise(results);
    if (sarif) await writeSarif(shown, lookup);
    else if (json) {
      const report = {
        files: results.map((r) => ({
          path: r.path,
          ...(r.outputs ?? {}),
          ...(r.outputs === undefined &&
          out === undefined &&
          r.yaml !== undefined &&
          !hasErrors(r.diagnostics)
            ? { runbook_yaml: r.yaml }
            : {}),
          ...(r.stats ?? {}),
          cached: r.cached,
          errors: countBySeverity(r.diagnostics).errors,
          warnings: countBySeverity(r.diagnostics).warnings,
        })),
        diagnostics: jsonDiagnostics(shown, lookup),
        summary: { ...totals, errors: counts.errors, warnings: counts.warnings },
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      printDiagnosticsText(shown, lookup);
      const only = results.length === 1 ? results[0] : undefined;
      if (
        only !== undefined &&
        outDir === undefined &&
        out === undefined &&
        only.yaml !== undefined &&
        !hasErrors(only.diagnostics)
      )
        process.stdout.write(only.yaml);
      if (!quiet) process.stderr.write(`${summaryLine(totals, counts)}\n`);
    }
    const overLimit = tooManyWarnings(program, "compile", counts.warnings, limit);
    return counts.errors > 0 || overLimit ? ExitCode.Errors : ExitCode.Ok;
  });
}

/** Prints what `compile app.rllm…` did: the diagnostics, then each app written, or the JSON report. */
async function reportApps(
  compiled: AppReport,
  options: {
    readonly format: OutputFormat;
    readonly quiet: boolean;
    /** `--max-warnings`: more warnings fail the command (files are still written). */
    readonly maxWarnings: number | undefined;
    readonly program: string;
  },
): Promise<number> {
  const { written } = compiled;
  const lookup = sourceLookup(compiled.sources);
  const counts = countBySeverity(compiled.diagnostics);
  const shown = options.quiet
    ? compiled.diagnostics.filter((d) => d.severity === "error")
    : compiled.diagnostics;
  if (options.format === "sarif") await writeSarif(shown, lookup);
  else if (options.format === "json") {
    const report = {
      apps: written.map((w) => ({
        source: w.path,
        module: w.mjs,
        types: w.dts,
        function: w.functionName,
        input_type: w.inputType,
        output_type: w.outputType,
        children: w.children,
      })),
      diagnostics: jsonDiagnostics(shown, lookup),
      summary: { apps: written.length, errors: counts.errors, warnings: counts.warnings },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    printDiagnosticsText(shown, lookup);
    if (!options.quiet) {
      for (const w of written)
        process.stderr.write(`${w.path} → ${w.mjs}, ${w.dts} (export ${w.functionName})\n`);
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

/**
 * `--provider` (or LLM_PROVIDER) must name a provider, with "did you mean" for a typo; `--llm
 * live` asks a model, so it needs one named. Both are the command line's mistakes (exit 2), said
 * before any TSG is read.
 */
async function checkModelSettings(
  mode: "off" | "cached" | "live",
  provider: string | undefined,
  model: string | undefined,
): Promise<void> {
  const { PROVIDERS } = await import("../../runtime/app/config.js");
  if (provider !== undefined && provider !== "") oneOf("--provider", provider, PROVIDERS);
  else if (mode !== "off" && process.env.LLM_PROVIDER)
    oneOf("LLM_PROVIDER", process.env.LLM_PROVIDER, PROVIDERS);
  if (mode !== "live") return;
  const missing = [
    ...(provider || process.env.LLM_PROVIDER ? [] : ["--provider (or LLM_PROVIDER)"]),
    ...(model || process.env.LLM_MODEL ? [] : ["--model (or LLM_MODEL)"]),
  ];
  if (missing.length > 0)
    throw new UsageError(
      `--llm live asks a model, so it needs ${missing.join(" and ")}; or use --llm cached to take recorded answers, or --llm off`,
    );
}

interface Totals {
  readonly files: number;
  readonly compiled: number;
  readonly cached: number;
  readonly steps: number;
  readonly manual: number;
  readonly covered: number;
  readonly commandLines: number;
}

function summarise(results: readonly FileResult[]): Totals {
  const ok = results.filter((r) => r.stats !== undefined && !hasErrors(r.diagnostics));
  const sum = (pick: (s: FileStats) => number) => ok.reduce((n, r) => n + pick(r.stats!), 0);
  return {
    files: results.length,
    compiled: ok.length,
    cached: results.filter((r) => r.cached).length,
    steps: sum((s) => s.steps),
    manual: sum((s) => s.manual),
    covered: sum((s) => s.covered),
    commandLines: sum((s) => s.commandLines),
  };
}

function summaryLine(t: Totals, counts: { errors: number; warnings: number }): string {
  const share = t.steps === 0 ? 0 : Math.round((t.manual / t.steps) * 100);
  const coverage = t.commandLines === 0 ? "100" : ((t.covered / t.commandLines) * 100).toFixed(1);
  const cached = t.cached > 0 ? ` (${t.cached} unchanged, from the cache)` : "";
  return (
    `Compiled ${t.compiled} of ${plural(t.files, "file")}${cached}: ${plural(t.steps, "step")} (${share}% manual), ` +
    `coverage ${coverage}% (${t.covered}/${t.commandLines} command lines), ${countText(counts.warnings, "warning")}, ${countText(counts.errors, "error")}.`
  );
}
