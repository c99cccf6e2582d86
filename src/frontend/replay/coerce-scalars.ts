/**
 * cli-replay reads a scenario with Go's yaml.v3 into typed structs, which is lenient where a
 * JSON Schema is not: a number or boolean written where a string belongs (`argv: [sleep, 5]`,
 * `vars: {replicas: 3}`) becomes the scalar's text, an empty value (`stdout:`) becomes "", and an
 * empty optional block (`calls:`, `vars:`) is simply absent. This applies the same reading before
 * the schema is checked, so that every scenario cli-replay accepts on this account is accepted
 * here. Only the places the format declares strings are touched; everything else is left for the
 * schema to judge.
 */
import type { JsonObject, JsonValue, YamlDocument } from "../../ir/nodes.js";
import { escapePointer } from "../../ir/yaml-locations.js";

type Coerce = (value: JsonValue, pointer: string) => JsonValue | undefined;

/** `document.value` with strings where the format expects them. */
export function coerceScalars(document: YamlDocument, text: string): JsonValue {
  const scalarText = (value: JsonValue, pointer: string): string => {
    const span = document.locations[pointer]?.value;
    const raw = span === undefined ? "" : text.slice(span.start, span.end).trim();
    // An alias or a tagged scalar: its source text is not the value.
    return raw === "" || raw.startsWith("*") || raw.startsWith("!") ? String(value) : raw;
  };

  const str: Coerce = (value, pointer) => {
    if (value === null) return "";
    if (typeof value === "number" || typeof value === "boolean") return scalarText(value, pointer);
    return value;
  };
  const optional =
    (inner: Coerce): Coerce =>
    (value, pointer) =>
      value === null ? undefined : inner(value, pointer);
  const list =
    (item: Coerce): Coerce =>
    (value, pointer) =>
      Array.isArray(value) ? value.map((v, i) => item(v, `${pointer}/${i}`) ?? v) : value;
  const map =
    (item: Coerce): Coerce =>
    (value, pointer) =>
      isObject(value) ? rebuild(value, pointer, () => item) : value;
  const object =
    (fields: Readonly<Record<string, Coerce>>): Coerce =>
    (value, pointer) =>
      isObject(value) ? rebuild(value, pointer, (key) => fields[key]) : value;

  const match = object({ argv: list(str), stdin: str });
  const respond: Coerce = (value, pointer) =>
    object({
      stdout: str,
      stdout_file: str,
      stderr: str,
      stderr_file: str,
      delay: str,
      capture: optional(map(str)),
    })(value === null ? {} : value, pointer);
  const leaf = object({ match, respond, calls: optional((v) => v), when: str });
  const member: Coerce = (value, pointer) =>
    isObject(value) && Object.hasOwn(value, "group") ? value : leaf(value, pointer);
  const group = object({ mode: str, name: str, steps: list(member) });
  const entry: Coerce = (value, pointer) =>
    isObject(value) && Object.hasOwn(value, "group")
      ? object({ group })(value, pointer)
      : leaf(value, pointer);
  const meta = object({
    name: str,
    description: str,
    vars: optional(map(str)),
    security: optional(object({ allowed_commands: optional(list(str)), deny_env_vars: optional(list(str)) })),
    session: optional(object({ ttl: str })),
  });
  return object({ meta, steps: list(entry) })(document.value, "") ?? null;
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A copy of `value` with each key's value passed through its coercion (unknown keys kept as they are). */
function rebuild(
  value: JsonObject,
  pointer: string,
  coercionOf: (key: string) => Coerce | undefined,
): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const [key, child] of Object.entries(value)) {
    const coerce = coercionOf(key);
    const next = coerce === undefined ? child : coerce(child, `${pointer}/${escapePointer(key)}`);
    if (next === undefined) continue;
    Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
