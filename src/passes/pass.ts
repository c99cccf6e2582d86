/**
 * The shape of a pass and the narrow powers it is given. A pass reads one module and returns a
 * module (the same one, for a check) — it never mutates its input — and can only report
 * diagnostics and ask the host for another source module (to resolve `uses`).
 */
import type { Diagnostic } from "../ir/diagnostic.js";
import type { Module, RllmModule } from "../ir/nodes.js";
import type { SourceFile } from "../ir/source-file.js";

export interface LoadedModule {
  readonly module: RllmModule | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** Why it could not be read, when it could not. */
  readonly failure?: string;
  /** Its text, so diagnostics that point into it can be printed with a code frame. */
  readonly source?: SourceFile;
}

export interface PassContext {
  report(diagnostic: Diagnostic): void;
  /** Reads and parses the `.rllm` file at an absolute or cwd-relative path (cached by the host). */
  loadRllm(path: string): LoadedModule;
}

export interface Pass<M extends Module> {
  readonly name: string;
  run(module: M, context: PassContext): M;
}

/**
 * Wraps each pass's run, for a host that wants to see the passes go by (the driver makes a trace
 * span of each): it must call `run` once and return what it returns.
 */
export type PassObserver = <T>(pass: string, run: () => T) => T;
