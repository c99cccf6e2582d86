/**
 * Reads, parses and checks one file for a command, keeping its text for the diagnostic
 * printer. The checks of `src/passes` run when the frontend reported no error; `uses` children
 * are read through a cache shared by every file of one command.
 */
import { parseSourceLazily } from "../frontend/load-parser.js";
import type { ParseResult } from "../frontend/parse-source.js";
import { readSource } from "../frontend/read-source.js";
import { sizeLimit, sizeLimitForPath } from "../frontend/size-limits.js";
import { hasErrors } from "../ir/diagnostic.js";
import type { RllmModule, SourceKind } from "../ir/nodes.js";
import type { SourceFile } from "../ir/source-file.js";
import type { LoadedModule } from "../passes/pass.js";
import { runChecks } from "../passes/pipeline.js";
import { passObserver } from "./trace-passes.js";

export interface LoadedSource extends ParseResult {
  readonly path: string;
  readonly source: SourceFile | undefined;
  /** Its own text and that of every `uses` child read while checking it: what the printer needs. */
  readonly sources: readonly SourceFile[];
}

/** The children of `uses`, read once per command. */
const children = new Map<string, LoadedModule>();

export async function loadSource(path: string, kind: SourceKind | undefined): Promise<LoadedSource> {
  const read = readSource(path, kind === undefined ? sizeLimitForPath(path) : sizeLimit(kind));
  if (read.source === undefined)
    return { path, source: undefined, sources: [], kind, module: undefined, diagnostics: read.diagnostics };
  const parsed = await parseSourceLazily(read.source, kind);
  if (parsed.module?.kind !== "rllm" || hasErrors(parsed.diagnostics))
    return { path, source: read.source, sources: [read.source], ...parsed };
  const { parseRllm } = await import("../frontend/rllm/parse-rllm.js");
  const sources = new Set([read.source]);
  const loadRllm = (child: string): LoadedModule => {
    let loaded = children.get(child);
    if (loaded === undefined) {
      const childRead = readSource(child, sizeLimit("rllm"));
      if (childRead.source === undefined) {
        const failure =
          childRead.diagnostics[0]?.message.replace(/^cannot read '[^']*': /, "") ?? "it could not be read";
        loaded = { module: undefined, diagnostics: childRead.diagnostics, failure };
      } else {
        const result = parseRllm(childRead.source);
        loaded = {
          module: result.module as RllmModule,
          diagnostics: result.diagnostics,
          source: childRead.source,
        };
      }
      children.set(child, loaded);
    }
    if (loaded.source !== undefined) sources.add(loaded.source);
    return loaded;
  };
  const checked = runChecks(parsed.module, loadRllm, passObserver());
  return {
    path,
    source: read.source,
    sources: [...sources],
    ...parsed,
    module: checked.module,
    diagnostics: [...parsed.diagnostics, ...checked.diagnostics],
  };
}
