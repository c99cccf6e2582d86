/**
 * Which kind of source a file is: `.rllm` → app; Markdown with a task block → task; other
 * Markdown → TSG. Light on purpose (no parser is loaded), so the CLI can detect first and load
 * only the frontend it needs.
 */
import { extname } from "node:path";
import type { Diagnostic } from "../ir/diagnostic.js";
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import type { SourceKind } from "../ir/nodes.js";
import { findTaskBlock } from "./task/find-task-block.js";

export const SOURCE_KINDS: readonly SourceKind[] = ["rllm", "tsg", "task"];
const MARKDOWN_EXTENSIONS = new Set([".md", ".markdown", ".mdown", ".mkd"]);

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

/** The diagnostic for a file whose kind cannot be told. */
export function unknownKindDiagnostic(path: string): Diagnostic {
  return makeDiagnostic(
    Diagnostics.UnknownSourceKind,
    { file: path, start: 0, end: 0 },
    { extension: extname(path) },
  );
}
