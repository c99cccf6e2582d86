/**
 * The machine checks on the files a task's answer proposes, run before anything is printed
 * (docs/task-spec.md, "Guarantees"):
 *
 * - every file parses as what its extension says: `.yaml`/`.yml` (the `yaml` package; several
 *   documents in one file are allowed), `.json`, `.html`/`.htm` (parse5, the WHATWG parser; its
 *   parse errors, which are the tokenizer's and a few of tree construction's: parse5 does not
 *   report an element left open), `.md`/`.markdown` (any text is Markdown, so only: well-formed
 *   Unicode, hence encodable as UTF-8, without NUL). Other extensions are not checked;
 * - a guarantee naming OpenAPI 3 (`OpenAPI 3.0`, `OpenAPI 3.1`, `openapi 3.x`, case-insensitive)
 *   validates each proposed YAML or JSON file with a top-level `openapi` key with
 *   @seriousme/openapi-schema-validator (the OpenAPI Initiative's JSON Schemas through ajv, offline;
 *   the document is handed over as an object, so it never reads a file), and the document's
 *   `openapi` version must be the guarantee's;
 * - a JSON Schema the task names for an output path (the driver finds them in the context) is
 *   validated with ajv: 2020-12 unless its `$schema` says 2019-09 or draft-07.
 *
 * `checked` lists the guarantees a machine checked on at least one proposed file, `unchecked`
 * the others, which the driver lists on stderr and in the audit record. Pure apart from loading
 * the parsers and validators on first use: no file IO, no network.
 */
import type { ErrorObject } from "ajv";
import type { DiagnosticDefinition } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import { normalisePath } from "./check-answer.js";

export interface ProposedFile {
  readonly path: string;
  readonly content: string;
}

export interface GuaranteeFailure {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export interface GuaranteeCheck {
  readonly failures: GuaranteeFailure[];
  /** The guarantees a machine checked, in the task's order. */
  readonly checked: string[];
  /** The guarantees nothing checked, in the task's order. */
  readonly unchecked: string[];
}

/** At most this many validator errors are quoted per file. */
const ERROR_LIMIT = 5;

export async function checkProposedFiles(
  files: readonly ProposedFile[],
  guarantees: readonly string[],
  schemas: ReadonlyMap<string, unknown>,
): Promise<GuaranteeCheck> {
  const failures: GuaranteeFailure[] = [];
  const fail = <A>(path: string, definition: DiagnosticDefinition<A>, args: A): void => {
    failures.push({ path, code: definition.code, message: definition.message(args) });
  };

  const parsed = new Map<string, unknown>();
  for (const file of files) {
    const result = await parseByExtension(file);
    if (result.kind === "error")
      fail(file.path, Diagnostics.TaskOutputSyntax, { path: file.path, ...result });
    else if (result.kind === "data") parsed.set(file.path, result.value);
  }

  const openApiGuarantees = guarantees.flatMap((text) => {
    const version = openApiVersion(text);
    return version === undefined ? [] : [{ text, version }];
  });
  const documents = [...parsed].filter(([, value]) => isObject(value) && "openapi" in value);
  const checked = new Set<string>();
  for (const guarantee of openApiGuarantees) {
    for (const [path, document] of documents as [string, Record<string, unknown>][]) {
      checked.add(guarantee.text);
      const found =
        typeof document.openapi === "string" ? document.openapi : JSON.stringify(document.openapi);
      if (!versionMatches(found, guarantee.version)) {
        fail(path, Diagnostics.TaskOutputOpenApiVersion, { path, found, guarantee: guarantee.text });
      }
      const detail = await openApiProblems(document);
      if (detail !== undefined) {
        fail(path, Diagnostics.TaskOutputOpenApiInvalid, { path, version: found, detail });
      }
    }
  }

  const schemaByPath = new Map<string, unknown>();
  for (const [path, schema] of schemas) {
    const normal = normalisePath(path);
    schemaByPath.set(normal.ok ? normal.path : path, schema);
  }
  for (const file of files) {
    const normal = normalisePath(file.path);
    const schema = schemaByPath.get(normal.ok ? normal.path : file.path);
    if (schema === undefined) continue;
    if (!parsed.has(file.path)) {
      if (failures.some((f) => f.path === file.path)) continue; // already reported as unparsable
      fail(file.path, Diagnostics.TaskOutputSchemaUnusable, {
        path: file.path,
        detail: "the file is not JSON or YAML, so it cannot be validated against a schema",
      });
      continue;
    }
    await checkAgainstSchema(file.path, parsed.get(file.path), schema, fail);
  }

  return {
    failures,
    checked: guarantees.filter((g) => checked.has(g)),
    unchecked: guarantees.filter((g) => !checked.has(g)),
  };
}

// --- parsing by extension ---------------------------------------------------------------------

type Parsed =
  | { readonly kind: "data"; readonly value: unknown }
  | { readonly kind: "text" }
  | { readonly kind: "error"; readonly what: string; readonly detail: string };

async function parseByExtension(file: ProposedFile): Promise<Parsed> {
  const extension = /\.([^./]+)$/.exec(file.path)?.[1]?.toLowerCase();
  switch (extension) {
    case "yaml":
    case "yml":
      return parseYamlFile(file.content);
    case "json":
      try {
        // A file keeps its byte order mark when it is read (driver/task/context.ts), and JSON.parse refuses one.
        return { kind: "data", value: JSON.parse(file.content.replace(/^\uFEFF/, "")) };
      } catch (error) {
        return { kind: "error", what: "JSON", detail: (error as Error).message };
      }
    case "html":
    case "htm":
      return parseHtmlFile(file.content);
    case "md":
    case "markdown": {
      const problem = textProblem(file.content);
      return problem === undefined
        ? { kind: "text" }
        : { kind: "error", what: "Markdown text", detail: problem };
    }
    default:
      return { kind: "text" };
  }
}

async function parseYamlFile(content: string): Promise<Parsed> {
  const { isMap, isScalar, parseAllDocuments, visit } = await import("yaml");
  // The yaml package's own duplicate-key check compares each key with every other one of its map
  // (50,000 keys take minutes); keys are checked here with a set instead.
  const documents = parseAllDocuments(content, { prettyErrors: false, uniqueKeys: false });
  // A stream with nothing but comments parses to an empty list (or an EmptyStream).
  const list = Array.isArray(documents) ? documents : [];
  const errors = list.flatMap((d) =>
    d.errors.map((e) => ({ offset: e.pos[0], message: firstLine(e.message) })),
  );
  for (const document of list) {
    visit(document, {
      Map(_, map) {
        if (!isMap(map)) return;
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          const key = isScalar(pair.key) ? pair.key.value : undefined;
          if (key === undefined || typeof key === "object") continue;
          if (seen.has(key)) {
            errors.push({
              offset: (pair.key as { range?: [number] }).range?.[0] ?? 0,
              message: "Map keys must be unique",
            });
          }
          seen.add(key);
        }
      },
    });
  }
  if (errors.length > 0) {
    const detail = errors
      .sort((a, b) => a.offset - b.offset)
      .slice(0, ERROR_LIMIT)
      .map((e) => `${lineColumn(content, e.offset)}: ${e.message}`)
      .join("; ");
    return { kind: "error", what: "YAML", detail };
  }
  // The first document is the one an OpenAPI or schema check reads.
  try {
    return { kind: "data", value: list[0]?.toJS({ maxAliasCount: 100 }) ?? null };
  } catch (error) {
    // An alias expanded too often ("billion laughs").
    return { kind: "error", what: "YAML", detail: firstLine((error as Error).message) };
  }
}

async function parseHtmlFile(content: string): Promise<Parsed> {
  const { parse } = await import("parse5");
  const errors: { code: string; startLine: number; startCol: number }[] = [];
  parse(content, { onParseError: (error) => errors.push(error) });
  if (errors.length === 0) return { kind: "text" };
  const detail = errors
    .slice(0, ERROR_LIMIT)
    .map((e) => `${e.startLine}:${e.startCol}: ${e.code}`)
    .join("; ");
  return { kind: "error", what: "HTML", detail };
}

function textProblem(content: string): string | undefined {
  const nul = content.indexOf("\u0000");
  if (nul >= 0) return `${lineColumn(content, nul)}: a NUL character; Markdown is text`;
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(content))
    return "a lone UTF-16 surrogate, which UTF-8 cannot encode";
  return undefined;
}

// --- OpenAPI ----------------------------------------------------------------------------------

/** The OpenAPI version a guarantee names ("3.0", "3.1", "3" for any 3.x), or undefined. */
export function openApiVersion(guarantee: string): string | undefined {
  const match = /\bopen\s?api\s+v?(3)(?:\.(\d+|x))?(?![\d.]*\d)/i.exec(guarantee);
  if (match === null) return undefined;
  const minor = match[2];
  return minor === undefined || minor.toLowerCase() === "x" ? "3" : `3.${minor}`;
}

function versionMatches(found: string, wanted: string): boolean {
  return found === wanted || found.startsWith(`${wanted}.`);
}

let openApiValidator: Promise<typeof import("@seriousme/openapi-schema-validator").Validator> | undefined;

/** The validator's errors in a line, or undefined when the document is valid. */
async function openApiProblems(document: Record<string, unknown>): Promise<string | undefined> {
  openApiValidator ??= import("@seriousme/openapi-schema-validator").then((m) => m.Validator);
  const Validator = await openApiValidator;
  // One validator per document: it keeps the specification it validated.
  const result = await new Validator({ logger: false }).validate(structuredClone(document));
  if (result.valid) return undefined;
  const errors = result.errors;
  if (typeof errors === "string") return errors;
  return describeErrors(errors ?? []);
}

// --- JSON Schemas named by the task -----------------------------------------------------------

async function checkAgainstSchema(
  path: string,
  value: unknown,
  schema: unknown,
  fail: <A>(path: string, definition: DiagnosticDefinition<A>, args: A) => void,
): Promise<void> {
  if (!isObject(schema) && typeof schema !== "boolean") {
    fail(path, Diagnostics.TaskOutputSchemaUnusable, { path, detail: "it is not a JSON object" });
    return;
  }
  let validate: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
  try {
    const ajv = await ajvFor(isObject(schema) ? schema.$schema : undefined);
    validate = ajv.compile(schema as object);
  } catch (error) {
    fail(path, Diagnostics.TaskOutputSchemaUnusable, { path, detail: firstLine((error as Error).message) });
    return;
  }
  if (validate(value)) return;
  for (const error of (validate.errors ?? []).slice(0, ERROR_LIMIT)) {
    fail(path, Diagnostics.TaskOutputSchemaViolation, {
      path,
      pointer: error.instancePath || "/",
      detail: errorDetail(error),
    });
  }
}

interface AjvLike {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
}

async function ajvFor(dialect: unknown): Promise<AjvLike> {
  const options = { allErrors: true, strict: false, logger: false as const, validateFormats: false };
  const uri = typeof dialect === "string" ? dialect : "";
  if (/draft-0?7\b|draft-0?6\b/.test(uri)) {
    const { Ajv } = await import("ajv");
    return new Ajv(options);
  }
  if (uri.includes("2019-09")) {
    const { Ajv2019 } = await import("ajv/dist/2019.js");
    return new Ajv2019(options);
  }
  if (uri !== "" && !uri.includes("2020-12")) {
    throw new Error(`its $schema '${uri}' is not one rllmc supports (2020-12, 2019-09, draft-07)`);
  }
  const { Ajv2020 } = await import("ajv/dist/2020.js");
  return new Ajv2020(options);
}

// --- helpers ----------------------------------------------------------------------------------

function describeErrors(errors: readonly ErrorObject[]): string {
  const lines = [...new Set(errors.map((e) => `${e.instancePath || "/"} ${errorDetail(e)}`))];
  const shown = lines.slice(0, ERROR_LIMIT).join("; ");
  return lines.length > ERROR_LIMIT ? `${shown}; and ${lines.length - ERROR_LIMIT} more` : shown;
}

function errorDetail(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties") return `unknown field '${String(params.additionalProperty)}'`;
  return error.message ?? error.keyword;
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let at = text.indexOf("\n"); at >= 0 && at < offset; at = text.indexOf("\n", at + 1)) {
    line++;
    start = at + 1;
  }
  return `${line}:${offset - start + 1}`;
}

function firstLine(text: string): string {
  const end = text.indexOf("\n");
  return end < 0 ? text : text.slice(0, end);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
