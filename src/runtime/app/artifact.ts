/**
 * Loading a compiled app (the parts of the module the JS-module backend writes, which `rllmc
 * compile` outputs and the run cache keeps; module.ts `createApp`): its templates run
 * on Handlebars' small runtime and its validators are plain functions, so a run from an artifact
 * loads neither Handlebars' compiler nor ajv — the difference between a `run` that starts in
 * about 60 ms and one that takes three times that.
 */
import type { ErrorObject } from "ajv";
import type Handlebars from "handlebars";
import runtimeModule from "handlebars/runtime.js";
import {
  type AppDefinition,
  type PreparedApp,
  type RenderTemplate,
  registerHelpers,
  wrapValidator,
} from "./app.js";

/** Handlebars' runtime-only build: the same API as the full one, minus the compiler. */
const HandlebarsRuntime = runtimeModule as unknown as typeof Handlebars;

type StandaloneValidator = ((data: unknown) => boolean) & { errors?: readonly ErrorObject[] | null };

export interface AppArtifact {
  readonly definition: AppDefinition;
  readonly prompt: TemplateSpec;
  readonly recovery: TemplateSpec;
  readonly validateInput: StandaloneValidator;
  readonly validateOutput: StandaloneValidator;
}

/** A template precompiled by `Handlebars.precompile`. */
export type TemplateSpec = Parameters<typeof HandlebarsRuntime.template>[0];

let runtime: typeof HandlebarsRuntime | undefined;

export function prepareArtifact(artifact: AppArtifact): PreparedApp {
  if (runtime === undefined) {
    runtime = HandlebarsRuntime.create();
    registerHelpers(runtime);
  }
  const env = runtime;
  const template = (spec: TemplateSpec): RenderTemplate => {
    const render = env.template(spec);
    return (input, data) => render(input, { data: { ...data } });
  };
  return {
    definition: artifact.definition,
    renderPrompt: template(artifact.prompt),
    renderRecovery: template(artifact.recovery),
    validateInput: wrapValidator(artifact.validateInput),
    validateOutput: wrapValidator(artifact.validateOutput),
  };
}
