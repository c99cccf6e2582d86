/**
 * A checked `.rllm` module as the plain data the runtime runs: its `AppDefinition` (templates as
 * text, schemas as JSON) and its code blocks as the sandbox runs them. `rllmc run` and `rllmc
 * validate` hand them to the runtime in memory; the JS-module backend writes them into the
 * compiled module (which is also what the run cache keeps). One conversion for all, so a
 * compiled module and a run of the same file run the same app.
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

/** A `pre`/`post` code block as the runtime's sandbox runs it (the runtime's `CodeBlockSpec`). */
export interface CodeBlockData {
  readonly phase: "pre" | "post";
  readonly language: "js" | "python";
  readonly name: string;
  readonly code: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Where the block starts, `<source>:<line>:<column>`, for error messages. */
  readonly location: string;
  /** 1-based line of the file that holds the code's first line, to map errors to file lines. */
  readonly codeLine: number;
}

/**
 * The module's code blocks, located in `source` (the file as error messages name it) by
 * `lineCol`, the 1-based line and column of an offset in the module's text.
 */
export function codeBlocks(
  module: RllmModule,
  source: string,
  lineCol: (offset: number) => { readonly line: number; readonly column: number },
): CodeBlockData[] {
  return module.codeBlocks.map((block) => {
    const at = lineCol(block.span.start);
    return {
      phase: block.phase,
      language: block.language,
      name: block.name,
      code: block.code,
      inputs: block.inputs.map((i) => i.name),
      outputs: block.outputs.map((o) => o.name),
      location: `${source}:${at.line}:${at.column}`,
      codeLine: lineCol(block.codeSpan.start).line,
    };
  });
}
