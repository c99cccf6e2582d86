/**
 * YAML text → `YamlDocument` IR, with the `yaml` package's Document API so every key and value
 * keeps its source range. Used for `.rllm` frontmatter, TSG frontmatter and task blocks.
 *
 * Hostile input is bounded: alias expansion is capped (alias bombs), nesting depth is capped,
 * and every problem becomes a diagnostic, never an exception.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
  type YAMLError,
} from "yaml";
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { JsonObject, JsonValue, YamlDocument, YamlLocation } from "../../ir/nodes.js";
import { lineEndAt } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import { escapePointer } from "../../ir/yaml-locations.js";

/** Most nodes one document may expand to through aliases. */
export const MAX_YAML_NODES = 100_000;
/** Deepest nesting accepted. */
export const MAX_YAML_DEPTH = 128;

export interface YamlParseResult {
  readonly document: YamlDocument | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Parses `text`, which sits at `offset` in `file`, into one YAML document. Returns no document
 * when the YAML has errors (the diagnostics say why).
 */
export function parseYaml(file: string, text: string, offset: number): YamlParseResult {
  const at = (start: number, end: number): Span => ({
    file,
    start: offset + start,
    end: offset + Math.max(start, end),
  });
  const diagnostics: Diagnostic[] = [];
  let docs: Document.Parsed[];
  try {
    // Duplicate keys are found while building (with both keys' spans), not by the parser.
    docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false }) as Document.Parsed[];
  } catch (error) {
    diagnostics.push(failure(error, at(0, text.length)));
    return { document: undefined, diagnostics };
  }
  if (!Array.isArray(docs)) docs = [];
  for (const extra of docs.slice(1)) {
    const start = extra.range[0];
    diagnostics.push(makeDiagnostic(Diagnostics.YamlMultipleDocuments, at(start, start + 3), {}));
  }
  const doc = docs[0];
  if (doc === undefined) {
    return { document: emptyDocument(at(0, text.length)), diagnostics };
  }
  // After the first syntax error the YAML parser's further errors are mostly its own confusion
  // about the same spot: report the first.
  const firstError = doc.errors[0];
  if (firstError !== undefined) diagnostics.push(yamlError(firstError, text, at));
  for (const warning of doc.warnings) {
    diagnostics.push(
      makeDiagnostic(Diagnostics.YamlWarning, at(warning.pos[0], warning.pos[1]), {
        detail: warning.message,
      }),
    );
  }
  if (diagnostics.some((d) => d.severity === "error")) return { document: undefined, diagnostics };

  const builder = new Builder(doc, at);
  let value: JsonValue;
  try {
    value = doc.contents === null ? null : builder.build(doc.contents, "", 0, undefined);
  } catch (error) {
    if (error instanceof BuildError) diagnostics.push(error.diagnostic);
    else diagnostics.push(failure(error, at(0, text.length)));
    return { document: undefined, diagnostics };
  }
  if (builder.duplicates.length > 0)
    return { document: undefined, diagnostics: [...diagnostics, ...builder.duplicates] };
  const span = at(0, text.length);
  if (!builder.locations.has("")) builder.locations.set("", { value: span });
  return {
    document: { kind: "yaml-document", span, value, locations: Object.fromEntries(builder.locations) },
    diagnostics,
  };
}

function emptyDocument(span: Span): YamlDocument {
  return { kind: "yaml-document", span, value: null, locations: { "": { value: span } } };
}

class BuildError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

class Builder {
  readonly locations = new Map<string, YamlLocation>();
  readonly duplicates: Diagnostic[] = [];
  #nodes = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly at: (start: number, end: number) => Span,
  ) {}

  /** `aliasSpan` is set while expanding an alias: every location inside points at the alias. */
  build(node: unknown, pointer: string, depth: number, aliasSpan: Span | undefined, key?: Span): JsonValue {
    if (++this.#nodes > MAX_YAML_NODES) {
      throw new BuildError(makeDiagnostic(Diagnostics.YamlAliasLimit, aliasSpan ?? this.spanOf(node), {}));
    }
    if (depth > MAX_YAML_DEPTH) {
      throw new BuildError(
        makeDiagnostic(Diagnostics.YamlTooDeep, aliasSpan ?? this.spanOf(node), { limit: MAX_YAML_DEPTH }),
      );
    }
    const value = aliasSpan ?? this.spanOf(node);
    this.locations.set(pointer, key === undefined ? { value } : { key, value });

    if (isAlias(node)) return this.alias(node, pointer, depth);
    if (isScalar(node)) return scalarValue(node.value);
    if (isSeq(node)) {
      return node.items.map((item, i) => this.build(item, `${pointer}/${i}`, depth + 1, aliasSpan));
    }
    if (isMap(node)) {
      const out: Record<string, JsonValue> = {};
      const keys = new Map<string, Span>();
      for (const pair of node.items) {
        const k = pair.key;
        if (!isScalar(k) || (typeof k.value === "object" && k.value !== null)) {
          throw new BuildError(
            makeDiagnostic(Diagnostics.YamlNonStringKey, aliasSpan ?? this.spanOf(k ?? node), {}),
          );
        }
        const name = k.value === null ? "" : String(k.value);
        const keySpan = aliasSpan ?? this.spanOf(k);
        const first = keys.get(name);
        if (first !== undefined) {
          this.duplicates.push(
            makeDiagnostic(
              Diagnostics.YamlDuplicateKey,
              keySpan,
              { key: name },
              {
                related: [{ message: `'${name}' is first defined here`, span: first }],
              },
            ),
          );
        }
        keys.set(name, keySpan);
        const child = `${pointer}/${escapePointer(name)}`;
        Object.defineProperty(out, name, {
          value: pair.value === null ? null : this.build(pair.value, child, depth + 1, aliasSpan, keySpan),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        if (pair.value === null) this.locations.set(child, { key: keySpan, value: keySpan });
      }
      return out as JsonObject;
    }
    return null;
  }

  private alias(node: Alias, pointer: string, depth: number): JsonValue {
    const span = this.spanOf(node);
    const target = node.resolve(this.doc);
    if (target === undefined) {
      throw new BuildError(
        makeDiagnostic(Diagnostics.YamlSyntax, span, { detail: `unresolved alias *${node.source}` }),
      );
    }
    return this.build(target, pointer, depth + 1, span);
  }

  private spanOf(node: unknown): Span {
    const range = (node as Node | undefined)?.range;
    if (range === undefined || range === null) return this.at(0, 0);
    return this.at(range[0], range[1]);
  }
}

function scalarValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return String(value);
}

function yamlError(error: YAMLError, text: string, at: (s: number, e: number) => Span): Diagnostic {
  const [start, end] = error.pos;
  if (/call stack/i.test(error.message)) {
    // The YAML parser recursed out of stack on deep nesting.
    return makeDiagnostic(Diagnostics.YamlTooDeep, at(start, end), { limit: MAX_YAML_DEPTH });
  }
  // The parser notices an unclosed quote or bracket where the text runs out; point at the opener.
  const opener = /closing (["'])quote|end with an? ([\]}])/.exec(error.message);
  if (opener !== null) {
    const open = opener[1] ?? (opener[2] === "]" ? "[" : "{");
    const at0 = text.lastIndexOf(open, Math.max(0, start - 1));
    if (at0 >= 0) {
      const what = opener[1] !== undefined ? "the quoted string starting here" : `this '${open}'`;
      return makeDiagnostic(Diagnostics.YamlSyntax, at(at0, Math.max(at0 + 1, lineEndAt(text, at0))), {
        detail: `${what} is never closed`,
      });
    }
  }
  return makeDiagnostic(Diagnostics.YamlSyntax, at(start, Math.max(end, start)), {
    detail: lowerFirst(error.message),
  });
}

function failure(error: unknown, span: Span): Diagnostic {
  if (error instanceof RangeError)
    return makeDiagnostic(Diagnostics.YamlTooDeep, span, { limit: MAX_YAML_DEPTH });
  const detail = error instanceof Error ? error.message : String(error);
  if (/alias/i.test(detail)) return makeDiagnostic(Diagnostics.YamlAliasLimit, span, {});
  return makeDiagnostic(Diagnostics.YamlSyntax, span, { detail });
}

/** "Map keys must be unique" → "map keys must be unique"; acronyms ("YAML …") stay. */
function lowerFirst(s: string): string {
  return /^[A-Z](?![A-Z])/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}
