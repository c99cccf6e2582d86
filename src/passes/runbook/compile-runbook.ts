/**
 * `runbook compile` from IR to a checked plan: the runbook passes (`pipeline.ts`: Stage A
 * extraction, the optional Stage B interpretation through the host's cache, the Stage C checks)
 * run in their order; backends print the plan.
 */
import type { Diagnostic } from "../../ir/diagnostic.js";
import type { TsgModule } from "../../ir/nodes.js";
import type { RunbookPlan } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { PassObserver } from "../pass.js";
import type { Interpreter } from "./interpret-request.js";
import { runRunbookPasses } from "./pipeline.js";

export interface CompileRunbookOptions {
  /** The path written into the runbook's `source` fields (defaults to the source's path). */
  readonly file?: string;
  /** Stage B: asks a model (through the host's cache); absent for `--llm off`. */
  readonly interpreter?: Interpreter;
  /** Wraps each pass's run (the driver's trace spans). */
  readonly observe?: PassObserver;
}

export interface CompiledRunbook {
  /** Undefined when Stage B rejected the model's answer (the diagnostics say why). */
  readonly plan: RunbookPlan | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function compileRunbook(
  module: TsgModule,
  source: SourceFile,
  options: CompileRunbookOptions = {},
): Promise<CompiledRunbook> {
  return runRunbookPasses(module, source, options.file ?? source.path, options.interpreter, options.observe);
}
