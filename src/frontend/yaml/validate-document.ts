/**
 * Validates a `YamlDocument` against one of the JSON Schemas in `grammar/schemas` with ajv and
 * turns ajv's errors into diagnostics that point at the exact key or value in the YAML text,
 * with "did you mean" for misspelt fields and enum values.
 */
import type { ErrorObject } from "ajv";
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import { didYouMean } from "../../ir/did-you-mean.js";
import type { JsonValue, YamlDocument } from "../../ir/nodes.js";
import type { Span } from "../../ir/span.js";
import { escapePointer, locate } from "../../ir/yaml-locations.js";

/**
 * A validator compiled ahead of time by ajv's standalone code generation
 * (`src/lang/schemas/validators.generated.ts`, made by scripts/generate-validators.mjs with
 * `allErrors` and `verbose`), so no schema is compiled at run time.
 */
export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * Validates `document` with a generated validator. `what` names the document in messages
 * ("the frontmatter", "the task block"); `opening` is where a field missing at the top level is
 * reported (the frontmatter's `---` line, a fence's opening line).
 */
export function validateDocument(
  document: YamlDocument,
  validate: SchemaValidator,
  what: string,
  opening: Span,
): Diagnostic[] {
  if (validate(document.value)) return [];
  // An `if`/`then` failure only repeats what the `then` branch's own errors say.
  const errors = mergeRequired(
    selectOneOfBranches((validate.errors ?? []).filter((e) => e.keyword !== "if")),
  );
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const error of errors) {
    const diagnostic = toDiagnostic(error, document, what, opening);
    const key = `${diagnostic.code}|${diagnostic.span.start}|${diagnostic.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(diagnostic);
  }
  return out;
}

function toDiagnostic(error: ErrorObject, document: YamlDocument, what: string, opening: Span): Diagnostic {
  const pointer = error.instancePath;
  const params = error.params as Record<string, unknown>;
  const where = pointer === "" ? what : `'${pointerToPath(pointer)}'`;
  switch (error.keyword) {
    case "required": {
      const fields = (params.missingProperties as string[] | undefined) ?? [String(params.missingProperty)];
      const span = pointer === "" ? opening : headSpan(document, pointer);
      return makeDiagnostic(Diagnostics.SchemaRequired, span, { fields, where });
    }
    case "additionalProperties": {
      const field = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      const location = locate(document, `${pointer}/${escapePointer(field)}`);
      const hint = didYouMean(field, known);
      return makeDiagnostic(
        Diagnostics.SchemaUnknownField,
        location.key ?? location.value,
        { field, where },
        hint === undefined ? {} : { hint },
      );
    }
    case "type": {
      const expected = describeTypes(params.type);
      return makeDiagnostic(Diagnostics.SchemaType, valueSpan(document, pointer), {
        pointer: pointerToPath(pointer),
        expected,
        found: describeValue(valueAt(document.value, pointer)),
      });
    }
    case "enum":
    case "const": {
      const allowed = (params.allowedValues as unknown[] | undefined) ?? [params.allowedValue];
      const value = valueAt(document.value, pointer);
      const hint = typeof value === "string" ? didYouMean(value, allowed.map(String)) : undefined;
      return makeDiagnostic(
        Diagnostics.SchemaEnum,
        valueSpan(document, pointer),
        { pointer: pointerToPath(pointer), allowed: allowed.map((v) => JSON.stringify(v)) },
        hint === undefined ? {} : { hint },
      );
    }
    default: {
      // The field's own description says what a valid value looks like (e.g. "semver (e.g. 1.0.0)").
      const description = (error.parentSchema as { description?: unknown } | undefined)?.description;
      return makeDiagnostic(
        Diagnostics.SchemaConstraint,
        valueSpan(document, pointer),
        { pointer: pointerToPath(pointer) || "(document)", detail: constraintDetail(error) },
        typeof description === "string" && error.keyword === "pattern" ? { hint: description } : {},
      );
    }
  }
}

/** ajv's constraint messages, reworded for people who did not write the schema. */
function constraintDetail(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "minLength":
      return p.limit === 1 ? "must not be empty" : `must be at least ${p.limit} characters long`;
    case "maxLength":
      return `must be at most ${p.limit} characters long`;
    case "minItems":
      return p.limit === 1 ? "must list at least one item" : `must list at least ${p.limit} items`;
    case "maxItems":
      return `must list at most ${p.limit} items`;
    case "uniqueItems":
      return `must not list the same item twice (items ${p.j} and ${p.i} are equal)`;
    case "pattern":
      return `must match the pattern /${String(p.pattern)}/`;
    default:
      return error.message ?? error.keyword;
  }
}

/** One `required` error per object, listing every missing field, instead of one per field. */
function mergeRequired(errors: readonly ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  const byObject = new Map<string, ErrorObject>();
  for (const error of errors) {
    if (error.keyword !== "required") {
      out.push(error);
      continue;
    }
    const key = `${error.instancePath}|${error.schemaPath}`;
    const merged = byObject.get(key);
    const field = String((error.params as { missingProperty?: unknown }).missingProperty);
    if (merged === undefined) {
      const copy = { ...error, params: { ...error.params, missingProperties: [field] } };
      byObject.set(key, copy);
      out.push(copy);
    } else {
      (merged.params as { missingProperties: string[] }).missingProperties.push(field);
    }
  }
  return out;
}

/**
 * ajv reports the failures of every `oneOf` branch. Keep only the branch that fits the value's
 * type (e.g. the object form of a `uses` entry when an object was written) so the user sees the
 * errors that matter.
 */
function selectOneOfBranches(errors: readonly ErrorObject[]): ErrorObject[] {
  const oneOfs = errors.filter((e) => e.keyword === "oneOf");
  if (oneOfs.length === 0) return [...errors];
  const dropped = new Set<ErrorObject>(oneOfs);
  const replacements: ErrorObject[] = [];
  for (const oneOf of oneOfs) {
    const branchErrors = errors.filter(
      (e) =>
        e !== oneOf &&
        e.schemaPath.startsWith(`${oneOf.schemaPath}/`) &&
        e.instancePath.startsWith(oneOf.instancePath),
    );
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of branchErrors) {
      const branch = e.schemaPath.slice(oneOf.schemaPath.length + 1).split("/")[0]!;
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
      dropped.add(e);
    }
    const fitting = [...byBranch.values()].filter(
      (list) => !list.some((e) => e.keyword === "type" && e.instancePath === oneOf.instancePath),
    );
    if (fitting.length > 0) replacements.push(...fitting[0]!);
    else {
      const types = [...byBranch.values()].flatMap((list) =>
        list
          .filter((e) => e.keyword === "type" && e.instancePath === oneOf.instancePath)
          .map((e) => e.params.type),
      );
      replacements.push({
        ...oneOf,
        keyword: "type",
        params: { type: types.length > 0 ? types : ["valid"] },
      });
    }
  }
  return [...errors.filter((e) => !dropped.has(e)), ...replacements];
}

function headSpan(document: YamlDocument, pointer: string): Span {
  const location = locate(document, pointer);
  if (pointer !== "" && location.key !== undefined) return location.key;
  const span = location.value;
  return { ...span, end: Math.min(span.end, span.start + 1) };
}

function valueSpan(document: YamlDocument, pointer: string): Span {
  return locate(document, pointer).value;
}

/** `/uses/0/name` → `uses[0].name`. */
export function pointerToPath(pointer: string): string {
  let out = "";
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    out += /^\d+$/.test(segment) ? `[${segment}]` : out === "" ? segment : `.${segment}`;
  }
  return out;
}

function valueAt(root: JsonValue, pointer: string): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (current === null || typeof current !== "object") return undefined;
    current = Array.isArray(current)
      ? (current as readonly JsonValue[])[Number(segment)]
      : Object.hasOwn(current, segment)
        ? (current as Record<string, JsonValue>)[segment]
        : undefined;
  }
  return current;
}

function describeTypes(type: unknown): string {
  const list = (Array.isArray(type) ? type : [type]).map(String);
  const words = list.map((t) =>
    t === "object" ? "a mapping" : t === "array" ? "a list" : t === "integer" ? "an integer" : `a ${t}`,
  );
  return words.length <= 1 ? (words[0] ?? "valid") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

function describeValue(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number")
    return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  if (typeof value === "boolean") return `the boolean ${value}`;
  return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
}
