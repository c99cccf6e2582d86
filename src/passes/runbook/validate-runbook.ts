/**
 * Schema validation of a runbook held in memory (the compiler's own output, or a model's answer),
 * with the validator generated ahead of time from `grammar/schemas/runbook-v0.schema.json`.
 * `runbook validate` validates files through the YAML frontend instead, to point into the YAML.
 */
import { validateRunbook } from "../../lang/schemas/validators.generated.js";

export interface SchemaProblem {
  readonly pointer: string;
  readonly detail: string;
}

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

/** The problems of `value` as a runbook/v0 document, at most `limit` of them; none when valid. */
export function schemaProblems(value: unknown, limit = 5): SchemaProblem[] {
  const validate = validateRunbook as ((data: unknown) => boolean) & { errors?: AjvError[] | null };
  if (validate(value)) return [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    // `if`/`then` wrappers and oneOf summaries repeat what the branch errors say.
    if (error.keyword === "if" || error.keyword === "oneOf" || error.keyword === "anyOf") continue;
    const extra =
      error.keyword === "additionalProperties"
        ? ` '${String(error.params.additionalProperty)}'`
        : error.keyword === "enum"
          ? `: ${JSON.stringify(error.params.allowedValues)}`
          : "";
    const problem = {
      pointer: error.instancePath || "/",
      detail: `${error.message ?? error.keyword}${extra}`,
    };
    const key = `${problem.pointer}|${problem.detail}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
    if (problems.length >= limit) break;
  }
  if (problems.length === 0) problems.push({ pointer: "/", detail: "it is not a runbook/v0 document" });
  return problems;
}
