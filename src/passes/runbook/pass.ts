/**
 * The shape of a runbook pass and the narrow powers it is given, as `passes/pass.ts` is for
 * `.rllm` apps. A pass reads one unit — the TSG, its text and the plan so far — and returns a
 * unit (the same one, for a check); it never mutates its input. It can only report diagnostics
 * and, for Stage B, ask the host's `Interpreter` (which answers from its cache or a model).
 */
import type { Diagnostic } from "../../ir/diagnostic.js";
import type { TsgModule } from "../../ir/nodes.js";
import type { RunbookPlan } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Interpreter } from "./interpret-request.js";

export interface RunbookUnit {
  readonly tsg: TsgModule;
  readonly source: SourceFile;
  /** The path written into the runbook's `source` fields. */
  readonly file: string;
  /** Undefined before Stage A, and when Stage B rejected the model's answer. */
  readonly plan: RunbookPlan | undefined;
}

export interface RunbookPassContext {
  report(diagnostic: Diagnostic): void;
  /** Stage B's host; absent for `--llm off`. */
  readonly interpreter?: Interpreter;
}

export interface RunbookPass {
  readonly name: string;
  run(unit: RunbookUnit, context: RunbookPassContext): RunbookUnit | Promise<RunbookUnit>;
}
