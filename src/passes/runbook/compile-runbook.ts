/**
 * `runbook compile` from IR to a checked plan: Stage A (deterministic extraction), Stage B (the
 * optional LLM interpretation, through the host's cache), Stage C (schema, policy, replay
 * compatibility). The order is written here once; backends print the plan.
 */
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { TsgModule } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import { checkRunbook, type Locate } from "./check-runbook.js";
import { extractRunbook } from "./extract-runbook.js";
import { type Interpreter, interpretRunbook } from "./interpret-runbook.js";
import type { RunbookPlan } from "./plan.js";
import { schemaProblems } from "./validate-runbook.js";

export interface CompileRunbookOptions {
  /** The path written into the runbook's `source` fields (defaults to the source's path). */
  readonly file?: string;
  /** Stage B: asks a model (through the host's cache); absent for `--llm off`. */
  readonly interpreter?: Interpreter;
}

export interface CompiledRunbook {
  /** Undefined when Stage B rejected the model's answer (the diagnostics say why). */
  readonly plan: RunbookPlan | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export async function compileRunbook(
  module: TsgModule,
  source: SourceFile,
  options: CompileRunbookOptions = {},
): Promise<CompiledRunbook> {
  const diagnostics: Diagnostic[] = [];
  let plan = extractRunbook(module, source, options.file === undefined ? {} : { file: options.file });
  if (options.interpreter !== undefined) {
    const interpreted = await interpretRunbook(plan, module, source, options.interpreter);
    diagnostics.push(...interpreted.diagnostics);
    if (interpreted.plan === undefined) return { plan: undefined, diagnostics };
    plan = interpreted.plan;
  }
  const locate = locateInSource(plan, module.span);
  for (const problem of schemaProblems(plan.runbook))
    diagnostics.push(makeDiagnostic(Diagnostics.RunbookSchema, locate(problem.pointer), problem));
  diagnostics.push(...checkRunbook(plan.runbook, locate));
  if (plan.runbook.steps.length === 0)
    diagnostics.push(
      makeDiagnostic(Diagnostics.RunbookNoSteps, { ...module.span, end: module.span.start }, {}),
    );
  const { coverage } = plan;
  if (coverage.covered < coverage.commandLines)
    diagnostics.push(
      makeDiagnostic(
        Diagnostics.RunbookCoverage,
        { ...module.span, end: module.span.start },
        { covered: coverage.covered, total: coverage.commandLines, lines: coverage.missingLines.join(", ") },
      ),
    );
  return { plan, diagnostics };
}

/** A JSON pointer into the runbook → the source lines of the step it is in (or the document). */
export function locateInSource(plan: RunbookPlan, document: Span): Locate {
  const spans = new Map(plan.steps.map((note) => [note.id, note.span]));
  return (pointer) => {
    let steps = plan.runbook.steps;
    let found: Span | undefined;
    const parts = pointer.split("/").slice(1);
    for (let i = 0; i + 1 < parts.length && parts[i] === "steps"; i += 2) {
      const step = steps[Number(parts[i + 1])];
      if (step === undefined) break;
      found = spans.get(step.id) ?? found;
      if (step.type !== "group") break;
      steps = step.steps;
    }
    return found ?? { ...document, end: document.start };
  };
}
