/**
 * An `.rllm` app as the runtime sees it: plain data (templates as text, schemas as JSON), made
 * ready to run by `prepareApp` (compile-app.ts: templates compiled with Handlebars, schemas with
 * ajv) or loaded ready-made from a compiled artifact (artifact.ts). This module loads neither.
 * The runtime never reads `.rllm` files itself: the CLI (or a compiled module) hands it an
 * {@link AppDefinition} after the compiler has parsed and checked the file.
 */
import type { ErrorObject } from "ajv";
import type Handlebars from "handlebars";
import type { SamplingParams } from "./provider.js";
import { MAX_VALUE_DEPTH, nestedDeeperThan } from "./value-depth.js";

export type JsonSchema = Readonly<Record<string, unknown>>;

export interface AppDefinition {
  readonly name: string;
  readonly version?: string;
  /** Where the app came from, for messages (a path). */
  readonly source?: string;
  /** The prompt, a Handlebars template over the input. */
  readonly prompt: string;
  /** The recovery prompt; the default one ({@link DEFAULT_RECOVERY}) when absent. */
  readonly recovery?: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema: JsonSchema;
  readonly llm: { readonly provider: string; readonly model: string; readonly baseUrl?: string };
  /** `llm_params` as written: sampling parameters plus `timeout_ms`. */
  readonly llmParams: SamplingParams & { readonly timeout_ms?: number };
  readonly maxContextWindow: number;
  /** `recommended_models`: models the app is known to work with, best first. */
  readonly recommendedModels?: readonly string[];
}

/** One thing wrong with a value, located by a JSON pointer into it. */
export interface SchemaViolation {
  /** RFC 6901 pointer to the offending value; "" is the whole value. */
  readonly pointer: string;
  readonly message: string;
  /** The JSON Schema keyword that failed (`type`, `required`, `maxLength`, …). */
  readonly keyword: string;
  /** Pointer into the schema, to the keyword that failed. */
  readonly schemaPath: string;
  /** A preview of the value found at `pointer`, as JSON, when there is one. */
  readonly found?: string;
}

/** Validates a value, filling in `default`s from the schema on a copy, which it returns. */
export type Validate = (value: unknown) => {
  readonly value: unknown;
  readonly errors: readonly SchemaViolation[];
};

/** Data visible to templates beyond the input: `@errors`, `@response`, `@output_schema`. */
export interface TemplateData {
  readonly errors?: readonly SchemaViolation[];
  readonly response?: unknown;
  readonly output_schema?: JsonSchema;
}

export type RenderTemplate = (input: unknown, data?: TemplateData) => string;

export interface PreparedApp {
  readonly definition: AppDefinition;
  readonly renderPrompt: RenderTemplate;
  readonly renderRecovery: RenderTemplate;
  readonly validateInput: Validate;
  readonly validateOutput: Validate;
}

export { DEFAULT_RECOVERY } from "../../lang/rllm/compile-options.js";

/** The helpers every template may call besides Handlebars' built-in blocks. */
export function registerHelpers(env: Pick<typeof Handlebars, "registerHelper">): void {
  env.registerHelper("json", (value: unknown) => JSON.stringify(value ?? null));
}

export function violations(errors: readonly ErrorObject[]): SchemaViolation[] {
  return errors.map((error) => {
    let pointer = error.instancePath;
    let message = error.message ?? error.keyword;
    if (error.keyword === "required") {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      pointer = `${pointer}/${missing.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      message = "is required but missing";
    } else if (error.keyword === "additionalProperties") {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      pointer = `${pointer}/${extra.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      message = "is not allowed (additionalProperties is false)";
    } else if (error.keyword === "enum") {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
    }
    return { pointer, message, keyword: error.keyword, schemaPath: error.schemaPath };
  });
}

/** By location, so reports read top to bottom and are stable whatever order ajv found them in. */
export function sortViolations(list: SchemaViolation[]): SchemaViolation[] {
  return list.sort((a, b) =>
    a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : a.keyword < b.keyword ? -1 : 1,
  );
}

/**
 * A validator from an ajv validate function: on a copy (defaults are filled in), errors as
 * violations. A value nested deeper than `MAX_VALUE_DEPTH` fails without being copied or walked.
 */
export function wrapValidator(
  validate: ((data: unknown) => boolean) & { errors?: readonly ErrorObject[] | null },
): Validate {
  return (value) => {
    if (nestedDeeperThan(value, MAX_VALUE_DEPTH))
      return {
        value: undefined,
        errors: [
          {
            pointer: "",
            message: `is nested more than ${MAX_VALUE_DEPTH} levels deep (arrays and objects)`,
            keyword: "maxDepth",
            schemaPath: "#",
          },
        ],
      };
    const copy = value === undefined ? undefined : structuredClone(value);
    const ok = validate(copy);
    return { value: copy, errors: ok ? [] : sortViolations(violations(validate.errors ?? [])) };
  };
}

/** The value a JSON pointer designates, or undefined. */
export function valueAtPointer(root: unknown, pointer: string): unknown {
  if (pointer === "") return root;
  let current = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
