/**
 * Making an {@link AppDefinition} runnable in memory: templates compiled with Handlebars (HTML
 * escaping off: prompts are not HTML), schemas compiled with ajv in strict mode with `default`s
 * filled in. A compiled module (backend/js-module.ts, also what the run cache keeps) carries the
 * same parts compiled ahead of time, which artifact.ts loads without Handlebars' compiler or ajv.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import Handlebars from "handlebars";
import { AJV_OPTIONS, TEMPLATE_OPTIONS } from "../../lang/rllm/compile-options.js";
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
