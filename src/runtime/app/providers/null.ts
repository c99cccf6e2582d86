/**
 * The null (dry-run) provider: makes no call and answers with the smallest value the output
 * schema allows — defaults, first enum values, empty strings and arrays where the schema permits
 * them. It exercises everything around the model (input validation, rendering, the context check,
 * output validation, hooks) offline, in CI or in a container without network.
 */
import { estimateMessageTokens } from "../../../lang/llm/estimate-tokens.js";
import type { Provider } from "../provider.js";

export function createNullProvider(): Provider {
  return {
    name: "null",
    async complete(request) {
      const value = request.schema === undefined ? {} : placeholder(request.schema, 0);
      const text = JSON.stringify(value);
      return {
        text,
        usage: { promptTokens: estimateMessageTokens(request.messages), completionTokens: 0 },
        model: request.model,
        finishReason: "dry-run",
        raw: { dry_run: true, messages: request.messages.length },
      };
    },
  };
}

type Schema = Readonly<Record<string, unknown>>;

/** The simplest value of a schema; `null` when it cannot tell. */
export function placeholder(schema: Schema, depth: number): unknown {
  if (depth > 32) return null;
  if ("const" in schema) return schema.const;
  if ("default" in schema) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ["oneOf", "anyOf", "allOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return placeholder(options[0] as Schema, depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      for (const name of required) out[name] = placeholder(properties[name] ?? {}, depth + 1);
      return out;
    }
    case "array": {
      const count = typeof schema.minItems === "number" ? schema.minItems : 0;
      const items = (schema.items ?? {}) as Schema;
      return Array.from({ length: count }, () => placeholder(items, depth + 1));
    }
    case "string":
      return "x".repeat(typeof schema.minLength === "number" ? schema.minLength : 0);
    case "integer":
    case "number": {
      if (typeof schema.minimum === "number")
        return type === "integer" ? Math.ceil(schema.minimum) : schema.minimum;
      if (typeof schema.exclusiveMinimum === "number") return Math.floor(schema.exclusiveMinimum) + 1;
      return 0;
    }
    case "boolean":
      return false;
    default:
      return null;
  }
}
