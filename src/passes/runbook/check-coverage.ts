/**
 * Stage C: a runbook with no steps, and command lines of the TSG's shell code blocks that are no
 * step, are warned about at the start of the document.
 */
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { RunbookPass } from "./pass.js";

export const checkCoverage: RunbookPass = {
  name: "check-runbook-coverage",
  run(unit, context) {
    const { plan, tsg, source } = unit;
    if (plan === undefined) return unit;
    const at = { ...tsg.span, end: tsg.span.start };
    if (plan.runbook.steps.length === 0) context.report(makeDiagnostic(Diagnostics.RunbookNoSteps, at, {}));
    const { coverage } = plan;
    if (coverage.covered < coverage.commandLines)
      context.report(
        makeDiagnostic(Diagnostics.RunbookCoverage, at, {
          covered: coverage.covered,
          total: coverage.commandLines,
          lines: coverage.missing.map((span) => source.lineCol(span.start).line).join(", "),
        }),
      );
    return unit;
  },
};
