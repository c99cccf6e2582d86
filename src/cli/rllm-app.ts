/**
 * The bridge from the compiler to the runtime for `run` and `validate`: load and check an `.rllm`
 * file, turn its errors into the runtime's structured errors, and its IR into the plain
 * {@link AppDefinition} the runtime executes.
 */
import type { Diagnostic } from "../ir/diagnostic.js";
import { compareDiagnostics } from "../ir/diagnostic.js";
import type { RllmModule } from "../ir/nodes.js";
import {
  formatDiagnostic,
  type SourceLookup,
  sourceLookup,
  toJsonDiagnostic,
} from "../ir/print-diagnostics.js";
import type { Span } from "../ir/span.js";
import type { AppDefinition, JsonSchema } from "../runtime/app.js";
import { type ErrorType, RllmError } from "../runtime/errors.js";
import { type LoadedSource, loadSource } from "./load-source.js";

export interface LoadedApp {
  readonly loaded: LoadedSource;
  readonly module: RllmModule;
  readonly definition: AppDefinition;
  readonly warnings: readonly Diagnostic[];
}

/** Loads and checks an app; its first error becomes an RllmError of the matching class. */
export async function loadApp(path: string): Promise<LoadedApp> {
  const loaded = await loadSource(path, "rllm");
  const lookup = sourceLookup(loaded.source === undefined ? [] : [loaded.source]);
  const errors = loaded.diagnostics.filter((d) => d.severity === "error").sort(compareDiagnostics);
  const first = errors[0];
  if (first !== undefined || loaded.module?.kind !== "rllm") {
    const type = first === undefined ? "ParseError" : errorTypeOf(first);
    const where = first === undefined ? path : formatDiagnostic(first, lookup).split("\n", 1)[0]!;
    throw new RllmError(type, {
      message: `cannot run the app: ${where}${errors.length > 1 ? ` (and ${errors.length - 1} more errors)` : ""}`,
      details: { file: path, diagnostics: errors.map((d) => toJsonDiagnostic(d, lookup)) },
      ...(first?.hint ? { recovery_hint: first.hint } : {}),
    });
  }
  const module = loaded.module;
  refuseUnsupported(module, path, lookup);
  return {
    loaded,
    module,
    definition: toAppDefinition(module, path),
    warnings: loaded.diagnostics.filter((d) => d.severity === "warning"),
  };
}

/**
 * Code blocks and `uses` children are checked by the compiler but not executed by this version:
 * running the app without them would compute something else than written, so it is refused.
 */
function refuseUnsupported(module: RllmModule, path: string, lookup: SourceLookup): void {
  const where = (span: Span) => {
    const { line, column } = lookup(span.file)?.lineCol(span.start) ?? { line: 0, column: 0 };
    return `${path}:${line}:${column}`;
  };
  if (module.codeBlocks.length > 0)
    throw new RllmError("UnsupportedFeatureError", {
      message: `${path} has ${module.codeBlocks.length} pre/post code block(s); this version of rllmc checks them but cannot run them yet`,
      details: {
        feature: "code blocks",
        locations: module.codeBlocks.map((b) => ({
          block: `${b.phase} ${b.language} ${b.name}`,
          at: where(b.span),
        })),
      },
    });
  if (module.header.uses.length > 0)
    throw new RllmError("UnsupportedFeatureError", {
      message: `${path} calls other apps (uses: ${module.header.uses.map((u) => u.name).join(", ")}); this version of rllmc resolves and checks them but cannot run them yet`,
      details: {
        feature: "uses",
        locations: module.header.uses.map((u) => ({ use: u.name, at: where(u.span) })),
      },
    });
}

/** Which runtime error a compile-time diagnostic is, by its code's family. */
export function errorTypeOf(diagnostic: Diagnostic): ErrorType {
  const code = diagnostic.code;
  if (code === "RLM2101" || code === "RLM2102") return "LLMParamValidationError";
  if (code === "RLM2108" || code === "RLM2109" || code === "RLM2110") return "DependencyResolutionError";
  if (code.startsWith("SCH") || code === "RLM2104" || code === "RLM2105") return "MetadataValidationError";
  return "ParseError";
}

export function toAppDefinition(module: RllmModule, path: string): AppDefinition {
  const h = module.header;
  // The checks guarantee these; a module that got here without them is a compiler bug.
  if (
    h.name === undefined ||
    h.inputSchema === undefined ||
    h.outputSchema === undefined ||
    h.llm === undefined
  )
    throw new Error("a checked .rllm module lacks name, schemas or llm");
  return {
    name: h.name,
    ...(h.version === undefined ? {} : { version: h.version }),
    source: path,
    prompt: module.prompt.source,
    ...(module.recovery === undefined ? {} : { recovery: module.recovery.source }),
    inputSchema: h.inputSchema as JsonSchema,
    outputSchema: h.outputSchema as JsonSchema,
    llm: {
      provider: h.llm.provider,
      model: h.llm.model,
      ...(h.llm.baseUrl ? { baseUrl: h.llm.baseUrl } : {}),
    },
    llmParams: (h.llmParams ?? {}) as AppDefinition["llmParams"],
    maxContextWindow: h.maxContextWindow ?? Number.POSITIVE_INFINITY,
  };
}
