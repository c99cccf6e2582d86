/**
 * Stage A, variables: each placeholder a `cli` step uses (`<pod-name>`, `$POD`, `{{ .POD }}`)
 * becomes a `meta.vars` entry with a TODO naming where it is first used, a `VarNote` for
 * `mapping.md`, and an uncertainty for the operator to fill it in.
 */

import type { Uncertainty, VarNote } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import type { VarSpec } from "../../lang/runbook/types.js";

interface VariableUse {
  readonly name: string;
  readonly written: string[];
  /** The command that first uses it. */
  readonly first: Span;
  uses: number;
}

/** The variables used so far, by name, in the order first used. */
export type VariableUses = Map<string, VariableUse>;

/** Records that the command at `at` uses `name`, written `raw` there. */
export function useVariable(vars: VariableUses, name: string, raw: string, at: Span): void {
  const existing = vars.get(name);
  if (existing === undefined) vars.set(name, { name, written: [raw], first: at, uses: 1 });
  else {
    existing.uses += 1;
    if (!existing.written.includes(raw)) existing.written.push(raw);
  }
}

export interface ExtractedVariables {
  /** `meta.vars`, in the order of the line each is first used on, then by name. */
  readonly specs: Record<string, VarSpec>;
  readonly notes: readonly VarNote[];
  readonly uncertainties: readonly Uncertainty[];
}

export function extractedVariables(vars: VariableUses, source: SourceFile, file: string): ExtractedVariables {
  const specs: Record<string, VarSpec> = {};
  const uncertainties: Uncertainty[] = [];
  const lineOf = (use: VariableUse) => source.lineCol(use.first.start).line;
  for (const use of [...vars.values()].sort(
    (a, b) => lineOf(a) - lineOf(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  )) {
    const line = lineOf(use);
    specs[use.name] = {
      todo: `set the value of ${use.written.join(" / ")} (first used on line ${line})`,
      source: { file, line },
    };
    uncertainties.push({
      kind: "variable",
      span: use.first,
      text: `Set \`${use.name}\`: the source leaves ${use.written.map((w) => `\`${w}\``).join(", ")} for the operator to fill in.`,
    });
  }
  const notes = [...vars.values()].map(({ name, written, first, uses }) => ({ name, written, first, uses }));
  return { specs, notes, uncertainties };
}
