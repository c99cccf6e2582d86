/**
 * The bridge from the compiler to the runtime for `run` and `validate`: load and check an `.rllm`
 * file, turn its errors into the runtime's structured errors, and its IR into the plain
 * {@link AppDefinition} the runtime executes.
 */

import { appDefinition, codeBlocks } from "../backend/app-definition.js";
import type { Diagnostic } from "../ir/diagnostic.js";
import { compareDiagnostics } from "../ir/diagnostic.js";
import type { RllmModule } from "../ir/nodes.js";
import { formatDiagnostic, sourceLookup, toJsonDiagnostic } from "../ir/print-diagnostics.js";
import { childPath } from "../passes/resolve-uses.js";
import type { AppDefinition } from "../runtime/app/app.js";
import { type ErrorType, RllmError } from "../runtime/app/errors.js";
import type { CodeBlockSpec } from "../runtime/app/sandbox/index.js";
import { type LoadedSource, loadSource } from "./load-source.js";

export interface LoadedApp {
  readonly loaded: LoadedSource;
  readonly module: RllmModule;
  readonly definition: AppDefinition;
  readonly blocks: readonly CodeBlockSpec[];
  /** The `uses` children, loaded and checked the same way. */
  readonly children: readonly LoadedChild[];
  readonly warnings: readonly Diagnostic[];
}

export interface LoadedChild {
  readonly name: string;
  readonly inputs: Readonly<Record<string, string>> | undefined;
  readonly app: LoadedApp;
}

/** Loads and checks an app; its first error becomes an RllmError of the matching class. */
export async function loadApp(path: string): Promise<LoadedApp> {
  const loaded = await loadSource(path, "rllm");
  const lookup = sourceLookup(loaded.sources);
  const errors = loaded.diagnostics.filter((d) => d.severity === "error").sort(compareDiagnostics);
  const first = errors[0];
  if (first !== undefined || loaded.module?.kind !== "rllm") {
    const type = first === undefined ? "ParseError" : errorTypeOf(first);
    const where = first === undefined ? path : formatDiagnostic(first, lookup).split("\n", 1)[0]!;
    throw new RllmError(type, {
      message:
        type === "FileReadError"
          ? first!.message
          : `cannot run the app: ${where}${errors.length > 1 ? ` (and ${errors.length - 1} more errors)` : ""}`,
      details: { file: path, diagnostics: errors.map((d) => toJsonDiagnostic(d, lookup)) },
      ...(first?.hint ? { recovery_hint: first.hint } : {}),
    });
  }
  const module = loaded.module;
  const source = lookup(module.span.file);
  const children: LoadedChild[] = [];
  for (const use of module.header.uses) {
    let child: LoadedApp;
    try {
      child = await loadApp(childPath(module, use));
    } catch (error) {
      if (!(error instanceof RllmError)) throw error;
      const { payload } = error;
      throw new RllmError(error.type, {
        message: `in child '${use.name}' of ${path}: ${payload.message}`,
        details: { ...payload.details, child: use.name, parent: path },
        expected_schema: payload.expected_schema,
        received_payload: payload.received_payload,
        recovery_hint: payload.recovery_hint,
      });
    }
    children.push({ name: use.name, inputs: use.mapped ? use.inputs : undefined, app: child });
  }
  return {
    loaded,
    module,
    definition: toAppDefinition(module, path),
    blocks: codeBlocks(module, path, (offset) => source?.lineCol(offset) ?? { line: 0, column: 0 }),
    children,
    warnings: loaded.diagnostics.filter((d) => d.severity === "warning"),
  };
}

/** Which runtime error a compile-time diagnostic is, by its code's family. */
export function errorTypeOf(diagnostic: Diagnostic): ErrorType {
  const code = diagnostic.code;
  // The app file named on the command line does not exist, or is a folder, a FIFO, unreadable.
  if (code === "RLC0001" || code === "RLC0002") return "FileReadError";
  if (code === "RLM2101" || code === "RLM2102") return "LLMParamValidationError";
  // RLM2108–RLM2110: a child cannot be used; RLM2113–RLM2120: a `uses` mapping breaks its contract.
  if (/^RLM21(0[89]|1[0-9]|20)$/.test(code) && code !== "RLM2111" && code !== "RLM2112")
    return "DependencyResolutionError";
  if (code.startsWith("SCH") || code === "RLM2104" || code === "RLM2105") return "MetadataValidationError";
  return "ParseError";
}

export function toAppDefinition(module: RllmModule, path: string): AppDefinition {
  return appDefinition(module, path) as AppDefinition;
}
