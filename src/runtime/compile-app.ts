/**
 * Making an {@link AppDefinition} runnable: templates compiled with Handlebars (HTML escaping off:
 * prompts are not HTML), schemas compiled with ajv in strict mode with `default`s filled in —
 * either in memory ({@link prepareApp}) or as the source of an ES module ({@link buildArtifact})
 * that artifact.ts loads later without Handlebars' compiler or ajv.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import standalone from "ajv/dist/standalone/index.js";
import Handlebars from "handlebars";
import { AJV_OPTIONS, TEMPLATE_OPTIONS } from "../lang/rllm/compile-options.js";
import {
  type AppDefinition,
  DEFAULT_RECOVERY,
  type PreparedApp,
  type RenderTemplate,
  registerHelpers,
  wrapValidator,
} from "./app.js";

const handlebars = Handlebars.create();
registerHelpers(handlebars);

export function compileTemplate(source: string): RenderTemplate {
  const template = handlebars.compile(source, TEMPLATE_OPTIONS);
  return (input, data) => template(input, { data: { ...data } });
}

let ajv: Ajv2020 | undefined;

export function prepareApp(definition: AppDefinition): PreparedApp {
  ajv ??= new Ajv2020(AJV_OPTIONS);
  return {
    definition,
    renderPrompt: compileTemplate(definition.prompt),
    renderRecovery: compileTemplate(definition.recovery ?? DEFAULT_RECOVERY),
    validateInput: wrapValidator(ajv.compile(definition.inputSchema as Record<string, unknown>)),
    validateOutput: wrapValidator(ajv.compile(definition.outputSchema as Record<string, unknown>)),
  };
}

/**
 * The source of an ES module holding everything a run needs, compiled: the definition, the
 * templates precompiled by Handlebars, and the two validators as ajv standalone code. `extra`
 * becomes more `export const`s (the CLI keeps the app's warnings there).
 */
export function buildArtifact(
  definition: AppDefinition,
  extra: Readonly<Record<string, unknown>> = {},
): string {
  const compiler = new Ajv2020({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  compiler.addSchema(definition.inputSchema as Record<string, unknown>, "input");
  compiler.addSchema(definition.outputSchema as Record<string, unknown>, "output");
  const validators = standalone.default(compiler, { validateInput: "input", validateOutput: "output" });
  const precompile = (source: string) => handlebars.precompile(source, TEMPLATE_OPTIONS);
  return [
    `// Compiled by rllmc from ${JSON.stringify(definition.source ?? definition.name)}; a cache entry, safe to delete.`,
    'import { createRequire } from "node:module";',
    // ajv's standalone code require()s its small runtime helpers: resolve them from rllmc's install.
    `const require = createRequire(${JSON.stringify(import.meta.url)});`,
    `export const definition = ${JSON.stringify(definition)};`,
    `export const prompt = ${precompile(definition.prompt)};`,
    `export const recovery = ${precompile(definition.recovery ?? DEFAULT_RECOVERY)};`,
    ...Object.entries(extra).map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`),
    validators.replace(/^"use strict";/, ""),
    "",
  ].join("\n");
}
