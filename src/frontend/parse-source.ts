/**
 * The frontends' single entry: tells which kind of source a file is (by extension and
 * content, or as told with `--kind`) and runs that kind's parser.
 */
import { extname } from "node:path";
import type { Diagnostic } from "../ir/diagnostic.js";
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import type { Module, SourceKind } from "../ir/nodes.js";
import type { SourceFile } from "../ir/source-file.js";
import { parseRllm } from "./rllm/parse-rllm.js";
import { findTaskBlock } from "./task/find-task-block.js";
import { parseTask } from "./task/parse-task.js";
import { parseTsg } from "./tsg/parse-tsg.js";

export const SOURCE_KINDS: readonly SourceKind[] = ["rllm", "tsg", "task"];
const MARKDOWN_EXTENSIONS = new Set([".md", ".markdown", ".mdown", ".mkd"]);

export interface ParseResult {
  readonly kind: SourceKind | undefined;
  readonly module: Module | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** `.rllm` → rllm; Markdown with a task block → task; other Markdown → tsg; else unknown. */
export function detectKind(path: string, text: string): SourceKind | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === ".rllm") return "rllm";
  if (MARKDOWN_EXTENSIONS.has(extension)) return findTaskBlock(text) === undefined ? "tsg" : "task";
  return undefined;
}

export function isSourcePath(path: string): boolean {
  const extension = extname(path).toLowerCase();
  return extension === ".rllm" || MARKDOWN_EXTENSIONS.has(extension);
}

export function parseSource(source: SourceFile, kind?: SourceKind): ParseResult {
  const resolved = kind ?? detectKind(source.path, source.text);
  switch (resolved) {
    case undefined: {
      const diagnostic = makeDiagnostic(
        Diagnostics.UnknownSourceKind,
        { file: source.path, start: 0, end: 0 },
        { extension: extname(source.path) },
      );
      return { kind: undefined, module: undefined, diagnostics: [diagnostic] };
    }
    case "rllm":
      return { kind: resolved, ...parseRllm(source) };
    case "tsg":
      return { kind: resolved, ...parseTsg(source) };
    case "task":
      return { kind: resolved, ...parseTask(source) };
  }
}
