/**
 * Stage B of `runbook compile`: the optional LLM interpretation. The model is sent the TSG's IR,
 * the Stage A draft, the schema and the rules (`interpret-request.ts`) and answers with a whole
 * runbook. It may refine — titles, instructions, checklists, captures, assertions, variable
 * descriptions, grouping — but only within what the source says: its answer is checked, and
 * rejected with diagnostics when it strays (`check-answer.ts`, `trace-answer.ts`).
 *
 * The pass never calls a model itself: it hands the request to the host's `Interpreter`, which
 * answers from the content-addressed cache or asks the configured provider.
 */
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { TsgModule } from "../../ir/nodes.js";
import type { RunbookPlan } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import { checkAnswer } from "./check-answer.js";
import { type Interpreter, interpretRequest } from "./interpret-request.js";
import type { RunbookPass } from "./pass.js";

/** Stage B as a pass: the draft refined by the host's model, or no plan when the answer is rejected. */
export const interpretRunbookPass: RunbookPass = {
  name: "interpret-runbook",
  async run(unit, context) {
    if (unit.plan === undefined || context.interpreter === undefined) return unit;
    const interpreted = await interpretRunbook(unit.plan, unit.tsg, unit.source, context.interpreter);
    for (const diagnostic of interpreted.diagnostics) context.report(diagnostic);
    return { ...unit, plan: interpreted.plan };
  },
};

export async function interpretRunbook(
  draft: RunbookPlan,
  module: TsgModule,
  source: SourceFile,
  interpreter: Interpreter,
): Promise<{ plan: RunbookPlan | undefined; diagnostics: Diagnostic[] }> {
  const at = { ...module.span, end: module.span.start };
  const answer = await interpreter.ask(interpretRequest(draft, module, source));
  if (!answer.ok) {
    const diagnostic =
      answer.reason === "not-cached"
        ? makeDiagnostic(Diagnostics.LlmNotCached, at, { key: answer.key, cache: answer.where })
        : makeDiagnostic(Diagnostics.LlmCallFailed, at, { detail: answer.detail });
    return { plan: undefined, diagnostics: [diagnostic] };
  }
  const checked = checkAnswer(answer, draft, module, source);
  if (checked.plan === undefined) interpreter.rejected?.(answer);
  else interpreter.accept?.(answer);
  return checked;
}
