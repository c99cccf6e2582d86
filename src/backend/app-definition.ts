/**
 * A checked `.rllm` module as the plain data the runtime runs (its `AppDefinition`): templates as
 * text, schemas as JSON. `rllmc run` hands it to the runtime in memory; the JS-module backend
 * writes it into the compiled module. One conversion for both, so a compiled module and a run of
 * the same file run the same app.
 */
import type { JsonObject, RllmModule } from "../ir/nodes.js";

export interface AppDefinitionData {
  readonly name: string;
  readonly version?: string;
  readonly source: string;
  readonly prompt: string;
  readonly recovery?: string;
  readonly inputSchema: JsonObject;
  readonly outputSchema: JsonObject;
  readonly llm: { readonly provider: string; readonly model: string; readonly baseUrl?: string };
  readonly llmParams: JsonObject;
  readonly maxContextWindow: number;
  readonly recommendedModels?: readonly string[];
}

export function appDefinition(module: RllmModule, source: string): AppDefinitionData {
  const h = module.header;
  // The checks guarantee these; a module that got here without them is a compiler bug.
  if (
    h.name === undefined ||
    h.inputSchema === undefined ||
    h.outputSchema === undefined ||
    h.llm === undefined ||
    h.maxContextWindow === undefined
  )
    throw new Error("a checked .rllm module lacks name, schemas, llm or max_context_window");
  return {
    name: h.name,
    ...(h.version === undefined ? {} : { version: h.version }),
    source,
    prompt: module.prompt.source,
    ...(module.recovery === undefined ? {} : { recovery: module.recovery.source }),
    inputSchema: h.inputSchema,
    outputSchema: h.outputSchema,
    llm: {
      provider: h.llm.provider,
      model: h.llm.model,
      ...(h.llm.baseUrl ? { baseUrl: h.llm.baseUrl } : {}),
    },
    llmParams: h.llmParams ?? {},
    maxContextWindow: h.maxContextWindow,
    ...(h.recommendedModels === undefined ? {} : { recommendedModels: h.recommendedModels }),
  };
}
