/**
 * Stage C of `runbook compile`, and the checks of `runbook validate` after the schema:
 *
 * - step ids unique across the whole runbook (groups included), groups at most 8 deep;
 * - policy, by the runtime's own rule (`governanceRefusal`): each program a `cli` step runs — its
 *   `argv[0]` and every command a wrapper runs (`env`, `sudo`, `bash -c`, `xargs`, `find -exec`)
 *   — is in `allowed_commands` (when the list is given) and matches no `denied_commands` entry
 *   (errors); a destructive default or a command that cannot be read with certainty is warned
 *   about, since the runtime will refuse it; every template parses, names a variable of
 *   `meta.vars` or a capture of an earlier step, and never a name matching `deny_env_vars`; no
 *   variable of `meta.vars` is a denied name, and an empty `deny_env_vars` is warned about;
 * - `argv[0]` and every `allowed_commands` entry is a program name or path
 *   (`src/lang/runbook/program-name.ts`): a YAML key, a log line or a query is never run;
 * - replay compatibility: `argv[0]` is a literal program name, no argv element is a shell
 *   operator, no replay matcher (`{{ .any }}`) outside a scenario;
 * - regular expressions (redact patterns, captures, `matches`) compile;
 * - a state-changing `cli` step with no approval, and a manual step with no evidence when
 *   evidence is required, are warned about.
 *
 * It reports at `locate(pointer)`: a span in the YAML for `runbook validate`, the step's source
 * lines in the TSG for `runbook compile`.
 */

import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics, TemplateDiagnostics } from "../../ir/diagnostic-catalogue.js";
import { didYouMean } from "../../ir/did-you-mean.js";
import type { Span } from "../../ir/span.js";
import { commandFacts } from "../../lang/runbook/commands.js";
import {
  compileRunbookRegex,
  governanceRefusal,
  isDeniedEnvVar,
  type Refusal,
} from "../../lang/runbook/governance.js";
import { programNameProblem } from "../../lang/runbook/program-name.js";
import type { Runbook, Step } from "../../lang/runbook/types.js";
import { parseTemplate, referencedFields } from "../../lang/template/index.js";

export const MAX_GROUP_DEPTH = 8;
const SHELL_OPERATORS = new Set([
  "|",
  "||",
  "&&",
  ";",
  "&",
  ">",
  ">>",
  "<",
  "<<",
  "2>",
  "2>&1",
  "&>",
  "|&",
  "$(",
  "`",
]);
const FIND_EXEC = new Set(["-exec", "-execdir", "-ok", "-okdir"]);
const REPLAY_MATCHERS = new Set(["any", "regex"]);

export type Locate = (pointer: string) => Span;

export function checkRunbook(runbook: Runbook, locate: Locate): Diagnostic[] {
  const out: Diagnostic[] = [];
  const governance = runbook.meta.governance ?? {};
  const declared = new Set(Object.keys(runbook.meta.vars ?? {}));
  const denyEnv = governance.deny_env_vars ?? [];
  const seen = new Map<string, string>();

  for (const [i, entry] of (governance.allowed_commands ?? []).entries()) {
    const problem = programNameProblem(entry);
    if (problem !== undefined)
      out.push(
        makeDiagnostic(
          Diagnostics.RunbookAllowedNotAProgram,
          locate(`/meta/governance/allowed_commands/${i}`),
          {
            entry,
            problem,
          },
        ),
      );
  }
  if (governance.deny_env_vars !== undefined && governance.deny_env_vars.length === 0)
    out.push(
      makeDiagnostic(Diagnostics.RunbookDenyEnvVarsEmpty, locate("/meta/governance/deny_env_vars"), {}),
    );
  for (const name of declared) {
    const pattern = denyEnv.find((p) => isDeniedEnvVar(name, [p]));
    if (pattern !== undefined)
      out.push(
        makeDiagnostic(Diagnostics.RunbookDeniedVariableDeclared, locate(`/meta/vars/${name}`), {
          name,
          pattern,
        }),
      );
  }
  for (const [i, rule] of (governance.redact ?? []).entries())
    checkRegex(rule.pattern, `meta.governance.redact[${i}].pattern`, `/meta/governance/redact/${i}/pattern`);

  const visit = (steps: readonly Step[], base: string, depth: number) => {
    for (const [i, step] of steps.entries()) {
      const pointer = `${base}/${i}`;
      const first = seen.get(step.id);
      if (first === undefined) seen.set(step.id, pointer);
      else
        out.push(
          makeDiagnostic(
            Diagnostics.RunbookDuplicateStepId,
            locate(`${pointer}/id`),
            { id: step.id },
            {
              related: [{ message: "first used here", span: locate(`${first}/id`) }],
            },
          ),
        );
      switch (step.type) {
        case "group":
          if (depth + 1 > MAX_GROUP_DEPTH)
            out.push(
              makeDiagnostic(Diagnostics.RunbookGroupTooDeep, locate(`${pointer}/id`), {
                id: step.id,
                depth: depth + 1,
                limit: MAX_GROUP_DEPTH,
              }),
            );
          visit(step.steps, `${pointer}/steps`, depth + 1);
          break;
        case "cli": {
          const argv = step.with.argv;
          const program = argv[0] ?? "";
          const problem = program.includes("{{") ? undefined : programNameProblem(program);
          if (program.includes("{{"))
            out.push(
              makeDiagnostic(Diagnostics.RunbookTemplatedProgram, locate(`${pointer}/with/argv/0`), {
                id: step.id,
              }),
            );
          else if (problem !== undefined)
            out.push(
              makeDiagnostic(Diagnostics.RunbookNotAProgram, locate(`${pointer}/with/argv/0`), {
                id: step.id,
                program,
                problem,
              }),
            );
          // The runtime's rule: the program itself is judged above when it is no name.
          const judged =
            (program.includes("{{") || problem !== undefined) && governance.allowed_commands !== undefined
              ? { ...governance, allowed_commands: [...governance.allowed_commands, program] }
              : governance;
          const refusal = governanceRefusal(argv, judged);
          if (refusal !== undefined) out.push(refusalDiagnostic(refusal, step.id, pointer, locate));
          argv.forEach((word, j) => {
            // `find … -exec cmd {} ;` takes a literal `;` (written `\;` in a shell).
            const findTerminator = word === ";" && argv.slice(0, j).some((w) => FIND_EXEC.has(w));
            if (SHELL_OPERATORS.has(word.trim()) && !findTerminator)
              out.push(
                makeDiagnostic(Diagnostics.RunbookShellOperator, locate(`${pointer}/with/argv/${j}`), {
                  id: step.id,
                  word,
                }),
              );
            checkTemplate(word, `step '${step.id}' argv[${j}]`, `${pointer}/with/argv/${j}`, step.id);
          });
          if (step.with.stdin !== undefined)
            checkTemplate(step.with.stdin, `step '${step.id}' stdin`, `${pointer}/with/stdin`, step.id);
          for (const [name, capture] of Object.entries(step.capture ?? {})) {
            if (typeof capture === "object" && capture.regex !== undefined)
              checkRegex(
                capture.regex,
                `capture '${name}' of step '${step.id}'`,
                `${pointer}/capture/${name}/regex`,
              );
          }
          (step.assertions ?? []).forEach((assertion, j) => {
            if (assertion.matches !== undefined)
              checkRegex(
                assertion.matches,
                `assertion ${j + 1} of step '${step.id}'`,
                `${pointer}/assertions/${j}/matches`,
              );
          });
          const facts = commandFacts(argv);
          if (facts.mutating !== undefined && step.approvals === undefined)
            out.push(
              makeDiagnostic(Diagnostics.RunbookMutatingWithoutApproval, locate(`${pointer}/with/argv`), {
                id: step.id,
                why: facts.mutating,
              }),
            );
          for (const name of Object.keys(step.capture ?? {})) declared.add(name);
          break;
        }
        case "manual":
          if (governance.evidence?.require_for_manual === true && (step.required_evidence ?? []).length === 0)
            out.push(
              makeDiagnostic(Diagnostics.RunbookManualWithoutEvidence, locate(`${pointer}/id`), {
                id: step.id,
              }),
            );
          break;
        default: {
          const never: never = step;
          return never;
        }
      }
    }
  };

  function checkTemplate(text: string, where: string, pointer: string, stepId: string): void {
    if (!text.includes("{{")) return;
    const parsed = parseTemplate(text);
    for (const error of parsed.errors)
      out.push(
        makeDiagnostic(TemplateDiagnostics[error.code], locate(pointer), {
          detail: `${where}: ${error.message}`,
        }),
      );
    if (parsed.template === undefined) return;
    for (const field of referencedFields(parsed.template)) {
      const name = field.path[0];
      if (name === undefined) continue;
      if (REPLAY_MATCHERS.has(name) && field.path.length === 1) {
        out.push(
          makeDiagnostic(Diagnostics.RunbookReplayMatcher, locate(pointer), {
            id: stepId,
            name: `{{ .${name} }}`,
          }),
        );
        continue;
      }
      const pattern = denyEnv.find((p) => isDeniedEnvVar(name, [p]));
      if (pattern !== undefined) {
        out.push(
          makeDiagnostic(Diagnostics.RunbookDeniedVariable, locate(pointer), { name, where, pattern }),
        );
        continue;
      }
      if (!declared.has(name)) {
        const hint = didYouMean(name, [...declared]);
        out.push(
          makeDiagnostic(
            Diagnostics.RunbookUndeclaredVariable,
            locate(pointer),
            { name, where },
            hint === undefined ? {} : { hint },
          ),
        );
      }
    }
  }

  function checkRegex(pattern: string, where: string, pointer: string): void {
    const detail = regexError(pattern);
    if (detail !== undefined)
      out.push(makeDiagnostic(Diagnostics.RunbookBadRegex, locate(pointer), { where, detail }));
  }

  visit(runbook.steps, "/steps", 0);
  return out;
}

function regexError(pattern: string): string | undefined {
  try {
    compileRunbookRegex(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^Invalid regular expression: /, "");
  }
}

/** Stage C's report of what the runtime will refuse (`governanceRefusal`). */
function refusalDiagnostic(refusal: Refusal, id: string, pointer: string, locate: Locate): Diagnostic {
  switch (refusal.kind) {
    case "not-allowed":
      return makeDiagnostic(
        Diagnostics.RunbookCommandNotAllowed,
        locate(refusal.via === "" ? `${pointer}/with/argv/0` : `${pointer}/with/argv`),
        { id, program: refusal.program, ...(refusal.via === "" ? {} : { via: refusal.via }) },
      );
    case "denied":
      return makeDiagnostic(Diagnostics.RunbookCommandDenied, locate(`${pointer}/with/argv`), {
        id,
        entry: refusal.entry,
      });
    case "destructive":
      return makeDiagnostic(Diagnostics.RunbookDestructiveCommand, locate(`${pointer}/with/argv`), {
        id,
        why: refusal.reason,
      });
    case "uncertain":
      return makeDiagnostic(Diagnostics.RunbookCommandUncertain, locate(`${pointer}/with/argv`), {
        id,
        why: refusal.reason,
      });
    default: {
      const never: never = refusal;
      return never;
    }
  }
}
