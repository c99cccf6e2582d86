/**
 * Walking JSON Schemas as they appear in `.rllm` frontmatter: local `$ref`s, and the accessors
 * the checks share.
 */
import type { JsonObject, JsonValue } from "../ir/nodes.js";

export function resolveRef(root: JsonObject, schema: JsonObject): JsonObject | undefined {
  let current: JsonObject = schema;
  for (let hops = 0; typeof current.$ref === "string" && hops < 32; hops++) {
    const ref = current.$ref as string;
    if (!ref.startsWith("#/")) return undefined;
    let target: JsonValue | undefined = root;
    for (const raw of ref.slice(2).split("/")) {
      const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
      target = isObject(target) ? target[key] : undefined;
    }
    if (!isObject(target)) return undefined;
    current = target;
  }
  return current;
}

export function hasProperty(schema: JsonObject, name: string): boolean {
  return objectAt(schema, "properties")?.[name] !== undefined;
}

export function objectAt(value: JsonObject, key: string): JsonObject | undefined {
  const v = value[key];
  return isObject(v) ? v : undefined;
}

export function arrayAt(value: JsonObject, key: string): readonly JsonValue[] | undefined {
  const v = value[key];
  return Array.isArray(v) ? (v as readonly JsonValue[]) : undefined;
}

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
