/**
 * `parseSource` with each kind's parser imported on first use, so that `rllmc check app.rllm`
 * never loads the Markdown parser (and the other way round). Used by the CLI.
 */
import type { SourceKind } from "../ir/nodes.js";
import type { SourceFile } from "../ir/source-file.js";
import { detectKind, unknownKindDiagnostic } from "./detect-kind.js";
import type { ParseResult } from "./parse-source.js";

type Parser = (source: SourceFile) => Omit<ParseResult, "kind">;

const LOADERS: Readonly<Record<SourceKind, () => Promise<Parser>>> = {
  rllm: async () => (await import("./rllm/parse-rllm.js")).parseRllm,
  tsg: async () => (await import("./tsg/parse-tsg.js")).parseTsg,
  task: async () => (await import("./task/parse-task.js")).parseTask,
};

export async function parseSourceLazily(source: SourceFile, kind?: SourceKind): Promise<ParseResult> {
  const resolved = kind ?? detectKind(source.path, source.text);
  if (resolved === undefined) {
    return { kind: undefined, module: undefined, diagnostics: [unknownKindDiagnostic(source.path)] };
  }
  const parse = await LOADERS[resolved]();
  return { kind: resolved, ...parse(source) };
}
