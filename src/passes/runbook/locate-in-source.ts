/**
 * Where a Stage C finding about a compiled runbook is reported: a JSON pointer into the runbook
 * → the TSG lines of the step it is in (or the start of the document).
 */
import type { RunbookPlan } from "../../ir/runbook-plan.js";
import type { Span } from "../../ir/span.js";
import type { Locate } from "./check-runbook.js";

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
