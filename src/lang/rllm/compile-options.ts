/**
 * How `.rllm` templates and schemas are compiled, shared by the runtime (which compiles them in
 * memory or into the run cache) and the JS-module backend (which compiles them into `app.mjs`):
 * both must produce the same validators and templates from the same app.
 */
import type { Options } from "ajv";

/** ajv: strict, every error, `default`s filled in, formats not enforced (a schema may name any). */
export const AJV_OPTIONS: Options = {
  strict: true,
  allErrors: true,
  allowUnionTypes: true,
  useDefaults: true,
  validateFormats: false,
};

/** Handlebars: prompts are not HTML, so nothing is escaped; a missing key renders as nothing. */
export const TEMPLATE_OPTIONS = { noEscape: true, strict: false } as const;

/** The modules ajv's standalone code may `require()`, which `rllmc/runtime` provides. */
export const AJV_RUNTIME_HELPERS = ["equal", "ucs2length", "uri", "validation_error"] as const;

/**
 * Used when an app has no `:::recovery` section. It names each failing location and shows only
 * the value found there, never the whole previous answer, so a retry costs about as much context
 * as the first call however many retries came before.
 */
export const DEFAULT_RECOVERY = `Your previous answer did not match the required JSON Schema.
{{#each @errors}}
- at {{#if this.pointer}}{{this.pointer}}{{else}}the top level{{/if}}: {{this.message}}{{#if this.found}} (found: {{this.found}}){{/if}}
{{/each}}

Answer again with only one JSON value that matches this schema, and nothing else:
{{json @output_schema}}
`;
