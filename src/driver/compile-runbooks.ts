/**
 * Compiling TSG files into runbooks, one file at a time, with the content-hash result cache:
 * used by the `compile` command and by the benchmark. `compileFile` reads, detects, parses,
 * runs the runbook passes and prints both outputs; it never writes them (the caller does, with
 * write-atomic.ts).
 *
 * The result cache (`<cache-dir>/runbook/<sha256>.json`) keeps each file's outputs, diagnostics
 * and figures, keyed by rllmc's build, the options, the path as given, where the outputs go and
 * the file's text. A result with a failed model call is not kept.
 *
 * The outputs name the TSG by its path from their folder, and say the command that remakes
 * them (regenerate.ts). The passes see the TSG by its file name alone, so that what the model
 * is asked — and the key of its cached answer — does not change with where the outputs go.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { detectKind, unknownKindDiagnostic } from "../frontend/detect-kind.js";
import { readSource } from "../frontend/read-source.js";
import { sizeLimit } from "../frontend/size-limits.js";
import type { Diagnostic } from "../ir/diagnostic.js";
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import type { TsgModule } from "../ir/nodes.js";
import type { RunbookPlan } from "../ir/runbook-plan.js";
import type { SourceFile } from "../ir/source-file.js";
import type { Runbook } from "../lang/runbook/types.js";
import type { Interpreter } from "../passes/runbook/interpret-request.js";
import { buildFingerprint } from "./fingerprint.js";
import { type RunbookPlacement, runbookPlacement } from "./regenerate.js";
import type { LlmMode } from "./runbook-llm.js";
import { passObserver } from "./trace-passes.js";
import { version } from "./version.js";
import { writeAtomic } from "./write-atomic.js";

export interface FileStats {
  readonly steps: number;
  readonly cli: number;
  readonly manual: number;
  readonly approvals: number;
  readonly covered: number;
  readonly commandLines: number;
}

export interface FileResult {
  readonly path: string;
  readonly yaml: string | undefined;
  readonly mapping: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
  readonly stats: FileStats | undefined;
  readonly cached: boolean;
  outputs?: { runbook: string; mapping: string };
}

/** One TSG compiled: its outputs (none with an error), diagnostics and figures. */
export interface CompiledTsg {
  readonly yaml: string | undefined;
  readonly mapping: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
  readonly stats: FileStats | undefined;
}

export async function compileFile(
  path: string,
  mode: LlmMode,
  interpreter: Interpreter | undefined,
  cacheDir: string | undefined,
  optionsKey: string,
  sources: SourceFile[],
  placement: RunbookPlacement = runbookPlacement(path, {}, { mode }),
): Promise<FileResult> {
  const read = readTsg(path, sources);
  if ("result" in read) return read.result;
  const source = read.source;
  const cacheFile =
    cacheDir === undefined
      ? undefined
      : join(
          cacheDir,
          "runbook",
          `${createHash("sha256")
            .update(`${buildFingerprint()}\0${optionsKey}\0${path}\0${JSON.stringify(placement)}\0`)
            .update(source.text)
            .digest("hex")
            .slice(0, 40)}.json`,
        );
  if (cacheFile !== undefined) {
    try {
      const record = JSON.parse(readFileSync(cacheFile, "utf8")) as CompiledTsg;
      return { path, ...record, cached: true };
    } catch {
      // Not cached yet.
    }
  }
  const record = await compileTsg(source, interpreter, placement);
  // A failed model call is not a result worth keeping.
  if (cacheFile !== undefined && !modelCallFailed(record)) {
    try {
      writeAtomic(cacheFile, JSON.stringify(record));
    } catch {
      // A read-only cache only costs the next build its head start.
    }
  }
  return { path, ...record, cached: false };
}

/**
 * Reads one file to compile as a TSG: its source (kept in `sources` for the diagnostics'
 * printer), or the result of a file that cannot be read or is not a TSG. Shared by
 * `compileFile` and the queue's submitter (driver/queue/compile-kind.ts), which reads locally
 * and sends the text to a worker.
 */
export function readTsg(
  path: string,
  sources: SourceFile[],
): { readonly source: SourceFile } | { readonly result: FileResult } {
  const read = readSource(path, sizeLimit("tsg"));
  const failed = (diagnostics: readonly Diagnostic[]): { result: FileResult } => ({
    result: { path, yaml: undefined, mapping: undefined, diagnostics, stats: undefined, cached: false },
  });
  if (read.source === undefined) return failed(read.diagnostics);
  const source = read.source;
  sources.push(source);
  const kind = detectKind(path, source.text);
  if (kind !== "tsg")
    return failed([
      kind === undefined
        ? unknownKindDiagnostic(path)
        : makeDiagnostic(Diagnostics.CompileKindUnsupported, { file: path, start: 0, end: 0 }, { kind }),
    ]);
  return { source };
}

/**
 * One TSG's outputs, diagnostics and figures, computed (no cache): what `compileFile` caches
 * and what a queue worker returns for a compile job, so both make the same bytes.
 */
export async function compileTsg(
  source: SourceFile,
  interpreter: Interpreter | undefined,
  placement: RunbookPlacement,
): Promise<CompiledTsg> {
  const compiled = await compilePlan(source, interpreter);
  const plan = compiled.plan;
  const printed = plan === undefined ? undefined : await printPlan(plan, source, placement);
  return {
    yaml: printed?.yaml,
    mapping: printed?.mapping,
    diagnostics: compiled.diagnostics,
    stats: plan === undefined ? undefined : statsOf(plan),
  };
}

/** Whether a result holds a failed model call (RBK6205, RBK6206): retried, never cached. */
export function modelCallFailed(result: Pick<CompiledTsg, "diagnostics">): boolean {
  return result.diagnostics.some((d) => d.code === "RBK6205" || d.code === "RBK6206");
}

/**
 * One TSG through the runbook passes, without the result cache: its plan (none when Stage B
 * rejected the model's answer) and every diagnostic. The passes see the TSG by its file name
 * alone (see the header). Loaded on a cache miss only: a rebuild of unchanged TSGs needs no
 * parser or pass.
 */
export async function compilePlan(
  source: SourceFile,
  interpreter: Interpreter | undefined,
): Promise<{ readonly plan: RunbookPlan | undefined; readonly diagnostics: readonly Diagnostic[] }> {
  const { parseTsg } = await import("../frontend/tsg/parse-tsg.js");
  const { compileRunbook } = await import("../passes/runbook/compile-runbook.js");
  const parsed = parseTsg(source);
  const compiled = await compileRunbook(parsed.module as TsgModule, source, {
    file: basename(source.path),
    ...(interpreter === undefined ? {} : { interpreter }),
    observe: passObserver(),
  });
  return { plan: compiled.plan, diagnostics: [...parsed.diagnostics, ...compiled.diagnostics] };
}

/**
 * A plan's `runbook.yaml` and `mapping.md`, each naming the TSG from its own folder
 * (`placement`); `reviewed` adds the line saying what `rllmc review` took from a model.
 */
export async function printPlan(
  plan: RunbookPlan,
  source: SourceFile,
  placement: RunbookPlacement,
  reviewed?: string,
): Promise<{ readonly yaml: string; readonly mapping: string }> {
  const { printRunbookYaml } = await import("../backend/runbook-yaml.js");
  const { printMappingMd } = await import("../backend/mapping-md.js");
  const { runbookWithSources } = await import("../passes/runbook/provenance.js");
  const stageFile = basename(source.path);
  return {
    yaml: printRunbookYaml(namingSource(runbookWithSources(plan, source), stageFile, placement.file), {
      command: placement.command,
      schema: runbookSchemaUrl(),
      ...(reviewed === undefined ? {} : { reviewed }),
    }),
    mapping: printMappingMd(
      {
        ...plan,
        file: placement.mappingFile,
        runbook: namingSource(plan.runbook, stageFile, placement.mappingFile),
      },
      source,
      reviewed === undefined ? {} : { reviewed },
    ),
  };
}

/**
 * Where editors find the runbook/v0 schema (`# yaml-language-server: $schema=…`): the schema
 * this version of rllmc published, by URL, so the line is the same on every machine.
 */
export function runbookSchemaUrl(): string {
  return `https://unpkg.com/rllmc@${version()}/grammar/schemas/runbook-v0.schema.json`;
}

/** The runbook with every `source.file` that names the TSG as `from` naming it as `to`. */
/** The runbook with every `source.file` that is `from` named `to`. */
export function namingSource(runbook: Runbook, from: string, to: string): Runbook {
  const rename = (value: unknown, key: string): unknown => {
    if (Array.isArray(value)) return value.map((item) => rename(item, ""));
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value).map(([k, v]) => [k, rename(v, k)] as const);
    const renamed = Object.fromEntries(entries) as Record<string, unknown>;
    if (key === "source" && renamed.file === from) renamed.file = to;
    return renamed;
  };
  return rename(runbook, "") as Runbook;
}

function statsOf(plan: RunbookPlan): FileStats {
  let cli = 0;
  let manual = 0;
  let approvals = 0;
  for (const note of plan.steps) {
    if (note.type === "cli") cli += 1;
    if (note.type === "manual") manual += 1;
    if (note.approvalReason !== undefined) approvals += 1;
  }
  return {
    steps: cli + manual,
    cli,
    manual,
    approvals,
    covered: plan.coverage.covered,
    commandLines: plan.coverage.commandLines,
  };
}
