/**
 * `llm_params` against the parameters the provider layer really accepts
 * (grammar/llm/params.json): an unknown name is an error with the closest valid one, a wrong
 * type or range is an error, and a parameter the chosen provider ignores is a warning.
 */
import params from "../../grammar/llm/params.json" with { type: "json" };
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import { didYouMean } from "../ir/did-you-mean.js";
import type { JsonValue, RllmModule } from "../ir/nodes.js";
import { escapePointer, locate } from "../ir/yaml-locations.js";
import type { Pass } from "./pass.js";

interface ParamSchema {
  readonly type?: "number" | "integer" | "string" | "array";
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly minLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly items?: ParamSchema;
  readonly oneOf?: readonly ParamSchema[];
}

interface ParamSpec {
  readonly description: string;
  readonly schema: ParamSchema;
  readonly providers: readonly string[];
}

const SPECS = params.parameters as unknown as Readonly<Record<string, ParamSpec>>;
/** Providers that accept every parameter (they call no model, or replay a recorded call). */
const PERMISSIVE = new Set(["null", "replay"]);

export const checkLlmParams: Pass<RllmModule> = {
  name: "check-llm-params",
  run(module, context) {
    const values = module.header.llmParams;
    const document = module.frontmatter;
    if (values === undefined || document === undefined) return module;
    const provider = module.header.llm?.provider;
    for (const [name, value] of Object.entries(values)) {
      const location = locate(document, `/llm_params/${escapePointer(name)}`);
      const spec = SPECS[name];
      if (spec === undefined) {
        const hint = didYouMean(name, Object.keys(SPECS));
        const args = { name, known: Object.keys(SPECS) };
        context.report(
          makeDiagnostic(
            Diagnostics.LlmParamUnknown,
            location.key ?? location.value,
            args,
            hint ? { hint } : {},
          ),
        );
        continue;
      }
      const problem = checkValue(value, spec.schema);
      if (problem !== undefined) {
        context.report(
          makeDiagnostic(Diagnostics.LlmParamInvalid, location.value, { name, detail: problem }),
        );
      } else if (provider !== undefined && !PERMISSIVE.has(provider) && !spec.providers.includes(provider)) {
        const args = { name, provider, honouredBy: spec.providers };
        context.report(makeDiagnostic(Diagnostics.LlmParamIgnored, location.key ?? location.value, args));
      }
    }
    return module;
  },
};

/** Why `value` does not fit `schema`, or undefined when it does. */
function checkValue(value: JsonValue, schema: ParamSchema): string | undefined {
  if (schema.oneOf !== undefined) {
    const problems = schema.oneOf.map((branch) => checkValue(value, branch));
    return problems.some((p) => p === undefined) ? undefined : problems.join("; or ");
  }
  switch (schema.type) {
    case "number":
    case "integer": {
      if (typeof value !== "number" || (schema.type === "integer" && !Number.isInteger(value))) {
        return `must be ${schema.type === "integer" ? "an integer" : "a number"}, found ${describe(value)}`;
      }
      if (schema.minimum !== undefined && value < schema.minimum)
        return `must be at least ${schema.minimum}, found ${value}`;
      if (schema.maximum !== undefined && value > schema.maximum)
        return `must be at most ${schema.maximum}, found ${value}`;
      if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
        return `must be greater than ${schema.exclusiveMinimum}, found ${value}`;
      }
      return undefined;
    }
    case "string":
      if (typeof value !== "string") return `must be a string, found ${describe(value)}`;
      return schema.minLength !== undefined && value.length < schema.minLength
        ? "must not be empty"
        : undefined;
    case "array": {
      if (!Array.isArray(value)) return `must be a list, found ${describe(value)}`;
      const list = value as readonly JsonValue[];
      if (schema.minItems !== undefined && list.length < schema.minItems)
        return `must list at least ${schema.minItems} item`;
      if (schema.maxItems !== undefined && list.length > schema.maxItems)
        return `must list at most ${schema.maxItems} items`;
      const bad =
        schema.items === undefined ? undefined : list.map((v) => checkValue(v, schema.items!)).find((p) => p);
      return bad === undefined ? undefined : `items ${bad}`;
    }
    default:
      return undefined;
  }
}

function describe(value: JsonValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value === "string"
    ? `the string ${JSON.stringify(value)}`
    : `${typeof value} ${String(value)}`;
}
