/**
 * The task frontend: finds the task block (frontmatter or a fenced ```yaml block), parses it
 * with source positions, validates it against grammar/schemas/task-block.schema.json, and reads
 * `prompt` (with its {PLACEHOLDER}s), `context`, `outputs` and `guarantees` with spans.
 */

import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type {
  JsonValue,
  PathReference,
  Placeholder,
  TaskGuarantee,
  TaskModule,
  TaskPrompt,
  YamlDocument,
} from "../../ir/nodes.js";
import { lineEndAt, type SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import { locate } from "../../ir/yaml-locations.js";
import { validateTaskBlock } from "../../lang/schemas/validators.generated.js";
import { REPO_MOUNTS, underMount } from "../../lang/task/mounts.js";
import { PLACEHOLDER, UNCLOSED_PLACEHOLDER } from "../../lang/task/placeholders.js";
import { parseYaml } from "../yaml/parse-yaml.js";
import { validateDocument } from "../yaml/validate-document.js";
import { findTaskBlock } from "./find-task-block.js";

export interface TaskParseResult {
  /** Absent when no task block was found or its YAML could not be parsed. */
  readonly module: TaskModule | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function parseTask(source: SourceFile): TaskParseResult {
  const file = source.path;
  const text = source.text;
  const diagnostics: Diagnostic[] = [];
  const location = findTaskBlock(text);
  if (location === undefined) {
    const end = lineEndAt(text, 0);
    diagnostics.push(makeDiagnostic(Diagnostics.TaskNoBlock, { file, start: 0, end }, {}));
    return { module: undefined, diagnostics };
  }
  for (const other of location.others) {
    diagnostics.push(
      makeDiagnostic(Diagnostics.TaskMultipleBlocks, { file, start: other.start, end: other.end }, {}),
    );
  }
  const yaml = parseYaml(file, text.slice(location.yamlStart, location.yamlEnd), location.yamlStart);
  diagnostics.push(...yaml.diagnostics);
  const block = yaml.document;
  if (block === undefined) return { module: undefined, diagnostics };
  const value = block.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    diagnostics.push(
      makeDiagnostic(Diagnostics.YamlNotMapping, block.span, {
        what: "the task block",
        found: Array.isArray(value) ? "a list" : "a scalar",
      }),
    );
    return { module: undefined, diagnostics };
  }
  diagnostics.push(
    ...validateDocument(block, validateTaskBlock, "the task block", { file, ...location.opening }),
  );

  const fields = value as Readonly<Record<string, JsonValue>>;
  const prompt = readPrompt(block, fields.prompt, text, diagnostics);
  const context = readPaths(block, "context", fields.context, text, diagnostics);
  const outputs = readPaths(block, "outputs", fields.outputs, text, diagnostics);
  const guarantees: TaskGuarantee[] = stringItems(fields.guarantees).map(({ value: g, index }) => ({
    kind: "guarantee",
    span: locate(block, `/guarantees/${index}`).value,
    text: g,
  }));
  return {
    module: {
      kind: "task",
      span: { file, start: 0, end: text.length },
      blockOrigin: location.origin,
      block,
      title: location.title,
      prompt,
      context,
      outputs,
      guarantees,
    },
    diagnostics,
  };
}

function readPrompt(
  block: YamlDocument,
  value: JsonValue | undefined,
  text: string,
  diagnostics: Diagnostic[],
): TaskPrompt | undefined {
  if (typeof value !== "string") return undefined;
  const span = locate(block, "/prompt").value;
  return { kind: "task-prompt", span, text: value, placeholders: scanPlaceholders(text, span, diagnostics) };
}

function readPaths(
  block: YamlDocument,
  key: "context" | "outputs",
  value: JsonValue | undefined,
  text: string,
  diagnostics: Diagnostic[],
): PathReference[] {
  const out: PathReference[] = [];
  const seen = new Map<string, Span>();
  for (const { value: entry, index } of stringItems(value)) {
    const span = locate(block, `/${key}/${index}`).value;
    const raw = text.slice(span.start, span.end);
    const leading = entry.length - entry.trimStart().length;
    const trimmed = entry.trim();
    const path = trimmed.split(/\s+/)[0] ?? "";
    const rest = trimmed.slice(path.length).trim();
    // The path sits at the start of the scalar, after any opening quote.
    const quote = raw.startsWith('"') || raw.startsWith("'") ? 1 : 0;
    const pathStart = span.start + quote + leading;
    const pathSpan: Span = {
      file: span.file,
      start: pathStart,
      end: Math.min(span.end, pathStart + path.length),
    };
    if (path.split(/[\\/]/).includes("..")) {
      diagnostics.push(
        makeDiagnostic(Diagnostics.TaskUnsafePath, pathSpan, {
          path,
          reason: "leaves its root through '..'",
        }),
      );
    } else if (
      key === "outputs" &&
      /^(?:\/|[A-Za-z]:[\\/]|~)/.test(path) &&
      underMount(path, REPO_MOUNTS) === undefined
    ) {
      const reason = `is absolute; outputs are relative to the repository root (or under a repository mount: ${REPO_MOUNTS.map((m) => `${m}/`).join(", ")})`;
      diagnostics.push(makeDiagnostic(Diagnostics.TaskUnsafePath, pathSpan, { path, reason }));
    }
    const previous = seen.get(path);
    if (previous !== undefined) {
      diagnostics.push(
        makeDiagnostic(
          Diagnostics.TaskDuplicatePath,
          pathSpan,
          { path },
          {
            related: [{ message: "first listed here", span: previous }],
          },
        ),
      );
    } else {
      seen.set(path, pathSpan);
    }
    out.push({
      kind: "path-reference",
      span,
      path,
      pathSpan,
      description: rest === "" ? undefined : rest,
      placeholders: scanPlaceholders(text, span, diagnostics),
    });
  }
  return out;
}

/** `{NAME}` placeholders, found in the raw source of a scalar so their spans are exact. */
function scanPlaceholders(text: string, span: Span, diagnostics: Diagnostic[]): Placeholder[] {
  const raw = text.slice(span.start, span.end);
  const out: Placeholder[] = [];
  for (const m of raw.matchAll(PLACEHOLDER)) {
    const start = span.start + m.index;
    out.push({
      kind: "placeholder",
      span: { file: span.file, start, end: start + m[0].length },
      syntax: "brace",
      name: m[1]!,
    });
  }
  for (const m of raw.matchAll(UNCLOSED_PLACEHOLDER)) {
    const start = span.start + m.index;
    diagnostics.push(
      makeDiagnostic(
        Diagnostics.TaskMalformedPlaceholder,
        { file: span.file, start, end: start + m[0].length },
        { text: m[0] },
      ),
    );
  }
  return out;
}

function stringItems(value: JsonValue | undefined): { value: string; index: number }[] {
  if (!Array.isArray(value)) return [];
  return (value as readonly JsonValue[]).flatMap((v, index) =>
    typeof v === "string" ? [{ value: v, index }] : [],
  );
}
