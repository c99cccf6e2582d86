/**
 * The order of the runbook passes, written once: Stage A extraction, Stage B interpretation
 * (only when the host gives an `Interpreter`), then the Stage C checks — schema, policy and
 * coverage. A pass that leaves no plan (Stage B rejected the answer) ends the run.
 */
import type { Diagnostic } from "../../ir/diagnostic.js";
import type { TsgModule } from "../../ir/nodes.js";
import type { RunbookPlan } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { PassObserver } from "../pass.js";
import { checkCoverage } from "./check-coverage.js";
import { checkPolicy } from "./check-policy.js";
import { checkSchema } from "./check-schema.js";
import { extractRunbookPass } from "./extract-runbook.js";
import { interpretRunbookPass } from "./interpret-runbook.js";
import type { RunbookPass, RunbookPassContext, RunbookUnit } from "./pass.js";

export function runbookPasses(context: RunbookPassContext): readonly RunbookPass[] {
  return [
    extractRunbookPass,
    ...(context.interpreter === undefined ? [] : [interpretRunbookPass]),
    checkSchema,
    checkPolicy,
    checkCoverage,
  ];
}

export interface RunbookPipelineResult {
  /** Undefined when Stage B rejected the model's answer (the diagnostics say why). */
  readonly plan: RunbookPlan | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export async function runRunbookPasses(
  tsg: TsgModule,
  source: SourceFile,
  file: string,
  interpreter: RunbookPassContext["interpreter"],
  observe?: PassObserver,
): Promise<RunbookPipelineResult> {
  const diagnostics: Diagnostic[] = [];
  const context: RunbookPassContext = {
    report: (d) => diagnostics.push(d),
    ...(interpreter === undefined ? {} : { interpreter }),
  };
  let unit: RunbookUnit = { tsg, source, file, plan: undefined };
  for (const pass of runbookPasses(context)) {
    const input = unit;
    unit = await (observe === undefined
      ? pass.run(input, context)
      : observe(pass.name, () => pass.run(input, context)));
    if (unit.plan === undefined) break;
  }
  return { plan: unit.plan, diagnostics };
}
