/**
 * `input_schema` and `output_schema` must be valid JSON Schema (draft 2020-12) that ajv compiles
 * in strict mode — so a misspelt keyword (`maxLenght`) is an error rather than silently ignored.
 * The meta-schema check uses a validator generated ahead of time (scripts/generate-validators.mjs).
 */
import type { ErrorObject } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import { didYouMean } from "../ir/did-you-mean.js";
import type { JsonObject, RllmModule } from "../ir/nodes.js";
import { locate } from "../ir/yaml-locations.js";
import { validateJsonSchemaDraft2020 } from "../lang/schemas/validators.generated.js";
import type { Pass, PassContext } from "./pass.js";

export const checkIoSchemas: Pass<RllmModule> = {
  name: "check-io-schemas",
  run(module, context) {
    check(module, "input_schema", module.header.inputSchema, context);
    check(module, "output_schema", module.header.outputSchema, context);
    return module;
  },
};

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const validateMeta = validateJsonSchemaDraft2020 as unknown as Validator;

let ajv: Ajv2020 | undefined;

/**
 * One ajv for the process, used only for strict-mode compilation: the schema was already
 * validated against the meta-schema by the validator generated ahead of time, so ajv never
 * compiles the (expensive) meta-schema here.
 */
function sharedAjv(): Ajv2020 {
  ajv ??= new Ajv2020({
    strict: true,
    allErrors: true,
    allowUnionTypes: true,
    validateFormats: false,
    validateSchema: false,
    addUsedSchema: false,
  });
  return ajv;
}

function check(
  module: RllmModule,
  which: string,
  schema: JsonObject | undefined,
  context: PassContext,
): void {
  const document = module.frontmatter;
  if (schema === undefined || document === undefined) return;
  const ajv = sharedAjv();
  if (!validateMeta(schema)) {
    // The meta-schema reports several errors per bad value (each branch of its anyOf): one each.
    const seen = new Set<string>();
    for (const error of validateMeta.errors ?? []) {
      if (seen.has(error.instancePath)) continue;
      seen.add(error.instancePath);
      const location = locate(document, `/${which}${error.instancePath}`);
      const value = valueAt(schema, error.instancePath);
      const isType = error.instancePath.endsWith("/type") && typeof value === "string";
      const detail = isType
        ? `'${error.instancePath}' must be one of the JSON types ${JSON_TYPES.join(", ")}`
        : `'${error.instancePath || "/"}' ${error.message ?? error.keyword}`;
      const hint = isType ? didYouMean(value as string, JSON_TYPES) : undefined;
      context.report(
        makeDiagnostic(
          Diagnostics.InvalidJsonSchema,
          location.value,
          { which, detail },
          hint ? { hint } : {},
        ),
      );
    }
    return;
  }
  try {
    ajv.compile(schema);
  } catch (error) {
    ajv.removeSchema(schema);
    // Strict mode: unknown keywords, unknown formats, ambiguous types… ajv names the keyword.
    const detail = (error instanceof Error ? error.message : String(error)).replace(/^strict mode: /, "");
    const keyword = /keyword: "([^"]+)"/.exec(detail)?.[1];
    const pointer = keyword === undefined ? undefined : findKeyword(schema, keyword, `/${which}`);
    const location = locate(document, pointer ?? `/${which}`);
    const hint = keyword === undefined ? undefined : didYouMean(keyword, SCHEMA_KEYWORDS);
    const span = location.key ?? location.value;
    context.report(
      makeDiagnostic(Diagnostics.InvalidJsonSchema, span, { which, detail }, hint ? { hint } : {}),
    );
  }
}

/** JSON Schema 2020-12 keywords, for "did you mean" on a misspelt one. */
const SCHEMA_KEYWORDS = [
  "type",
  "enum",
  "const",
  "properties",
  "required",
  "additionalProperties",
  "patternProperties",
  "propertyNames",
  "minProperties",
  "maxProperties",
  "items",
  "prefixItems",
  "contains",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minContains",
  "maxContains",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  "dependentRequired",
  "dependentSchemas",
  "unevaluatedProperties",
  "unevaluatedItems",
  "$ref",
  "$defs",
  "$id",
  "$schema",
  "$comment",
  "title",
  "description",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
];

const JSON_TYPES = ["string", "number", "integer", "boolean", "object", "array", "null"];

function valueAt(value: unknown, pointer: string): unknown {
  let current = value;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    current =
      typeof current === "object" && current !== null ? (current as Record<string, unknown>)[key] : undefined;
  }
  return current;
}

/** The pointer of the first place `keyword` is used as a key inside the schema. */
function findKeyword(value: unknown, keyword: string, pointer: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const here = `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    if (key === keyword) return here;
    const found = findKeyword(child, keyword, here);
    if (found !== undefined) return found;
  }
  return undefined;
}
