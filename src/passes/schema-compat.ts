/**
 * Whether a value described by one JSON Schema is accepted where another is expected — the type
 * check of a `uses` mapping (parent variable → child input). It compares what types can flow:
 * `type`, `const`/`enum`, unions (`oneOf`/`anyOf`), array items and the required properties of
 * objects, following local `$ref`s. Keywords that only narrow a value (`minLength`, `pattern`,
 * `minimum`, …) are left to the run-time validator: the check rejects what must fail, and lets
 * through what may pass.
 */
import type { JsonObject, JsonValue } from "../ir/nodes.js";
import { arrayAt, isObject, objectAt, resolveRef } from "./schema-walk.js";

type TypeName = "array" | "boolean" | "integer" | "null" | "number" | "object" | "string";

/** Deeper than this, schemas are taken as compatible: recursive schemas end here. */
const MAX_DEPTH = 8;

/** The types a schema admits; undefined when it admits anything. */
export function typesOf(root: JsonObject, schema: JsonValue | undefined): Set<TypeName> | undefined {
  if (schema === true || schema === undefined) return undefined;
  if (schema === false) return new Set();
  if (!isObject(schema)) return undefined;
  const resolved = resolveRef(root, schema);
  if (resolved === undefined) return undefined;
  let types: Set<TypeName> | undefined;
  const declared = resolved.type;
  if (typeof declared === "string") types = new Set([declared as TypeName]);
  else if (Array.isArray(declared)) types = new Set(declared as TypeName[]);
  const values = "const" in resolved ? [resolved.const] : arrayAt(resolved, "enum");
  if (values !== undefined) types = intersect(types, new Set(values.map(typeOfValue)));
  const branches = [...(arrayAt(resolved, "oneOf") ?? []), ...(arrayAt(resolved, "anyOf") ?? [])];
  if (branches.length > 0) {
    const union = new Set<TypeName>();
    for (const branch of branches) {
      const branchTypes = typesOf(root, branch);
      if (branchTypes === undefined) return types;
      for (const t of branchTypes) union.add(t);
    }
    types = intersect(types, union);
  }
  for (const part of arrayAt(resolved, "allOf") ?? []) types = intersect(types, typesOf(root, part));
  return types;
}

function typeOfValue(value: JsonValue | undefined): TypeName {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as "string" | "boolean" | "object";
}

function intersect(a: Set<TypeName> | undefined, b: Set<TypeName> | undefined): Set<TypeName> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out = new Set<TypeName>();
  for (const t of a) if (b.has(t) || (t === "integer" && b.has("number"))) out.add(t);
  for (const t of b) if (t === "integer" && a.has("number")) out.add(t);
  return out;
}

/** `string`, `string | null`, `any`: how a type set reads in a message. */
export function describeTypes(types: Set<TypeName> | undefined): string {
  return types === undefined ? "any value" : [...types].sort().join(" | ") || "nothing";
}

export interface Incompatibility {
  /** Where inside the value, as a dotted path (`""` for the value itself). */
  readonly at: string;
  readonly detail: string;
}

/**
 * Why a value of `source` (in `sourceRoot`) cannot be given where `target` (in `targetRoot`) is
 * expected, or undefined when it can.
 */
export function incompatibility(
  sourceRoot: JsonObject,
  source: JsonValue | undefined,
  targetRoot: JsonObject,
  target: JsonValue | undefined,
  at = "",
  depth = 0,
): Incompatibility | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const sourceTypes = typesOf(sourceRoot, source);
  const targetTypes = typesOf(targetRoot, target);
  if (targetTypes === undefined) return undefined;
  if (sourceTypes === undefined) return undefined; // an untyped source may hold anything: run time decides
  const accepted = (t: TypeName) => targetTypes.has(t) || (t === "integer" && targetTypes.has("number"));
  const rejected = [...sourceTypes].filter((t) => !accepted(t));
  if (rejected.length > 0)
    return {
      at,
      detail: `expects ${describeTypes(targetTypes)}, but gets ${describeTypes(sourceTypes)}`,
    };
  const sourceSchema = resolvedObject(sourceRoot, source);
  const targetSchema = resolvedObject(targetRoot, target);
  if (sourceSchema === undefined || targetSchema === undefined) return undefined;
  if (sourceTypes.has("array") && targetTypes.has("array")) {
    const items = incompatibility(
      sourceRoot,
      sourceSchema.items,
      targetRoot,
      targetSchema.items,
      `${at}[]`,
      depth + 1,
    );
    if (items !== undefined) return items;
  }
  if (sourceTypes.has("object") && targetTypes.has("object")) {
    const sourceProperties = objectAt(sourceSchema, "properties") ?? {};
    const sourceRequired = new Set((arrayAt(sourceSchema, "required") ?? []) as string[]);
    const targetProperties = objectAt(targetSchema, "properties") ?? {};
    for (const name of (arrayAt(targetSchema, "required") ?? []) as string[]) {
      if (!sourceRequired.has(name))
        return { at: join(at, name), detail: "is required, but the value may lack it" };
      const inner = incompatibility(
        sourceRoot,
        sourceProperties[name],
        targetRoot,
        targetProperties[name],
        join(at, name),
        depth + 1,
      );
      if (inner !== undefined) return inner;
    }
    if (targetSchema.additionalProperties === false)
      for (const name of Object.keys(sourceProperties))
        if (targetProperties[name] === undefined)
          return { at: join(at, name), detail: "is not allowed (additionalProperties is false)" };
  }
  return undefined;
}

function resolvedObject(root: JsonObject, schema: JsonValue | undefined): JsonObject | undefined {
  return isObject(schema) ? resolveRef(root, schema) : undefined;
}

function join(at: string, name: string): string {
  return at === "" ? name : `${at}.${name}`;
}

/** The sub-schema a dotted path reaches through `properties`, and whether every step is required. */
export function schemaAtPath(
  root: JsonObject,
  start: JsonValue | undefined,
  path: readonly string[],
): { schema: JsonValue | undefined; declared: number; required: boolean; siblings: readonly string[] } {
  let current: JsonValue | undefined = start;
  let required = true;
  for (let i = 0; i < path.length; i++) {
    const resolved = isObject(current) ? resolveRef(root, current) : undefined;
    if (resolved === undefined) return { schema: undefined, declared: path.length, required, siblings: [] };
    const properties = objectAt(resolved, "properties");
    const name = path[i]!;
    const next = properties?.[name];
    if (next === undefined) {
      const additional = resolved.additionalProperties;
      if (isObject(additional)) {
        current = additional;
        required = false;
        continue;
      }
      // An object that lists no properties and does not forbid others may hold anything.
      if (properties === undefined && additional !== false)
        return { schema: undefined, declared: path.length, required: false, siblings: [] };
      return { schema: undefined, declared: i, required, siblings: Object.keys(properties ?? {}) };
    }
    if (!((arrayAt(resolved, "required") ?? []) as JsonValue[]).includes(name)) required = false;
    current = next;
  }
  return { schema: current, declared: path.length, required, siblings: [] };
}
