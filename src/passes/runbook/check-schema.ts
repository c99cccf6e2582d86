/** Stage C: the compiled runbook against the runbook/v0 schema, reported at the step's TSG lines. */
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import { locateInSource } from "./locate-in-source.js";
import type { RunbookPass } from "./pass.js";
import { schemaProblems } from "./validate-runbook.js";

export const checkSchema: RunbookPass = {
  name: "check-runbook-schema",
  run(unit, context) {
    if (unit.plan === undefined) return unit;
    const locate = locateInSource(unit.plan, unit.tsg.span);
    for (const problem of schemaProblems(unit.plan.runbook))
      context.report(makeDiagnostic(Diagnostics.RunbookSchema, locate(problem.pointer), problem));
    return unit;
  },
};
