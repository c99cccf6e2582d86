/**
 * `rllmc/runtime`: what compiled modules import, and what a program needs to call them — without
 * the compiler. Nothing here loads TypeScript, ts-morph, the frontends, ajv's compiler or
 * Handlebars' compiler; providers and sandboxes load only when a run needs them.
 */
import equal from "ajv/dist/runtime/equal.js";
import ucs2length from "ajv/dist/runtime/ucs2length.js";
import uri from "ajv/dist/runtime/uri.js";
import validationError from "ajv/dist/runtime/validation_error.js";
import type { AJV_RUNTIME_HELPERS } from "../lang/rllm/compile-options.js";

export type { AppDefinition, JsonSchema, SchemaViolation } from "./app/app.js";
export type { AppRunReport, ComposedResult } from "./app/compose.js";
export { closeSandboxes } from "./app/compose.js";
export { type ErrorPayload, type ErrorType, RllmError } from "./app/errors.js";
export type { Attempt, RunResult } from "./app/execute.js";
export {
  type AppMetadata,
  type CompiledApp,
  type CompiledAppParts,
  createApp,
  type RunAppOptions,
} from "./app/module.js";
export type { Completion, CompletionRequest, Message, Provider, Usage } from "./app/provider.js";
export type { SandboxLimits } from "./app/sandbox/index.js";

/**
 * The helpers ajv's standalone validators `require()`; a compiled module reads them from here
 * (`require("ajv/dist/runtime/equal")` becomes `ajvRuntime.equal`), so it needs no `ajv` of its
 * own to resolve.
 */
export const ajvRuntime = {
  equal,
  ucs2length,
  uri,
  validation_error: validationError,
} as const satisfies Record<(typeof AJV_RUNTIME_HELPERS)[number], unknown>;
