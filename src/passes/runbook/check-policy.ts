/**
 * Stage C: ids, nesting, policy, templates and replay compatibility of the compiled runbook —
 * the rules `runbook validate` applies to a YAML file (`check-runbook.ts`), reported at the
 * step's TSG lines.
 */
import { checkRunbook } from "./check-runbook.js";
import { locateInSource } from "./locate-in-source.js";
import type { RunbookPass } from "./pass.js";

export const checkPolicy: RunbookPass = {
  name: "check-runbook-policy",
  run(unit, context) {
    if (unit.plan === undefined) return unit;
    for (const diagnostic of checkRunbook(unit.plan.runbook, locateInSource(unit.plan, unit.tsg.span)))
      context.report(diagnostic);
    return unit;
  },
};
