/** Reads and parses one file for a command, keeping its text for the diagnostic printer. */
import { parseSourceLazily } from "../frontend/load-parser.js";
import type { ParseResult } from "../frontend/parse-source.js";
import { readSource } from "../frontend/read-source.js";
import type { SourceKind } from "../ir/nodes.js";
import type { SourceFile } from "../ir/source-file.js";

export interface LoadedSource extends ParseResult {
  readonly path: string;
  readonly source: SourceFile | undefined;
}

export async function loadSource(path: string, kind: SourceKind | undefined): Promise<LoadedSource> {
  const read = readSource(path);
  if (read.source === undefined)
    return { path, source: undefined, kind, module: undefined, diagnostics: read.diagnostics };
  const parsed = await parseSourceLazily(read.source, kind);
  return { path, source: read.source, ...parsed };
}
