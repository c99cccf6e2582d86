/**
 * Which kind of source a file is: `.rllm` → app; Markdown with a task block → task; other
 * Markdown → TSG. Light on purpose (no parser is loaded), so the CLI can detect first and load
 * only the frontend it needs.
 *
 * The files rllmc writes or reads besides sources are YAML: a runbook (`apiVersion: runbook/v0`)
 * and a cli-replay scenario (`meta` and `steps` that `match:` a command). `detectFileKind` tells
 * all five apart, so that `check`, `validate`, `exec` and `debug` read each as what it is.
 */
import { extname } from "node:path";
import type { Diagnostic } from "../ir/diagnostic.js";
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import type { SourceKind } from "../ir/nodes.js";
import { findTaskBlock } from "./task/find-task-block.js";

export const SOURCE_KINDS: readonly SourceKind[] = ["rllm", "tsg", "task"];
const MARKDOWN_EXTENSIONS = new Set([".md", ".markdown", ".mdown", ".mkd"]);
const YAML_EXTENSIONS = new Set([".yaml", ".yml"]);

/** Every kind of file rllmc reads: the three sources, runbooks and cli-replay scenarios. */
export type FileKind = SourceKind | "runbook" | "scenario";

export function detectKind(path: string, text: string): SourceKind | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === ".rllm") return "rllm";
  if (MARKDOWN_EXTENSIONS.has(extension)) return findTaskBlock(text) === undefined ? "tsg" : "task";
  return undefined;
}

/** A file's kind by its name and text; undefined when neither says. */
export function detectFileKind(path: string, text: string): FileKind | undefined {
  return detectKind(path, text) ?? (isYamlPath(path) ? detectYamlKind(text) : undefined);
}

export function isYamlPath(path: string): boolean {
  return YAML_EXTENSIONS.has(extname(path).toLowerCase());
}

/**
 * A YAML file's kind by its top level: a runbook says `apiVersion: runbook/…`; a scenario has no
 * `apiVersion` and steps that `match:` a command; any other `apiVersion`, or `steps` without a
 * `match`, is read as a runbook (whose checks then say what is wrong with it).
 */
export function detectYamlKind(text: string): "runbook" | "scenario" | undefined {
  if (/^apiVersion:[ \t]*["']?runbook\//m.test(text)) return "runbook";
  const apiVersion = /^apiVersion:/m.test(text);
  if (!apiVersion && /^steps:/m.test(text) && /^[ \t]*(?:-[ \t]+)?match:/m.test(text)) return "scenario";
  if (apiVersion || /^steps:/m.test(text)) return "runbook";
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
