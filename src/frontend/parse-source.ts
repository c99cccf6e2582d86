/**
 * The frontends' single entry: tells which kind of source a file is (by extension and
 * content, or as told with `--kind`) and runs that kind's parser. All three parsers are
 * imported here; the CLI uses `load-parser.ts` instead, which imports only the one it needs.
 */
import type { Diagnostic } from "../ir/diagnostic.js";
import { assertNever, type Module, type SourceKind } from "../ir/nodes.js";
import type { SourceFile } from "../ir/source-file.js";
import { detectKind, unknownKindDiagnostic } from "./detect-kind.js";
import { parseRllm } from "./rllm/parse-rllm.js";
import { parseTask } from "./task/parse-task.js";
import { parseTsg } from "./tsg/parse-tsg.js";

export { detectKind, isSourcePath, SOURCE_KINDS } from "./detect-kind.js";

export interface ParseResult {
  readonly kind: SourceKind | undefined;
  readonly module: Module | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function parseSource(source: SourceFile, kind?: SourceKind): ParseResult {
  const resolved = kind ?? detectKind(source.path, source.text);
  switch (resolved) {
    case undefined:
      return { kind: undefined, module: undefined, diagnostics: [unknownKindDiagnostic(source.path)] };
    case "rllm":
      return { kind: resolved, ...parseRllm(source) };
    case "tsg":
      return { kind: resolved, ...parseTsg(source) };
    case "task":
      return { kind: resolved, ...parseTask(source) };
    default:
      return assertNever(resolved, "source kind");
  }
}
