/**
 * `runbook exec --mode dry-run`: the whole plan, with nothing executed and nothing written — each
 * step's argv with the variables resolved (a capture of an earlier step shows as
 * `<capture NAME>`), what governance would block and why, which steps need approval or evidence,
 * and the variables still without a value.
 */
import type { Runbook } from "../../lang/runbook/types.js";
import { commandBlocked, requiredEvidence } from "./gates.js";
import { RunRedactor } from "./redaction.js";
import { planSteps } from "./run-context.js";
import type { RunError } from "./state.js";
import { render, renderArgv, resolveVariables } from "./values.js";

export interface DryRunStep {
  readonly index: number;
  readonly id: string;
  readonly type: "cli" | "manual";
  readonly title?: string;
  readonly groups: readonly string[];
  readonly argv?: readonly string[];
  readonly stdin?: string;
  readonly timeout_seconds?: number;
  /** Why the engine would refuse to run it. */
  readonly blocked?: RunError;
  /** A template that cannot be rendered yet (an unset variable). */
  readonly unresolved?: string;
  readonly approvals?: { readonly min: number; readonly roles?: readonly string[] };
  readonly evidence?: readonly { readonly name: string; readonly kind: string }[];
  readonly command?: string;
  readonly captures?: readonly string[];
  readonly assertions?: number;
}

export interface DryRunPlan {
  readonly runbook: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly unset: readonly string[];
  readonly steps: readonly DryRunStep[];
  readonly summary: {
    readonly steps: number;
    readonly cli: number;
    readonly manual: number;
    readonly blocked: number;
    readonly approvals: number;
    readonly evidence: number;
  };
}

export function dryRun(
  runbook: Runbook,
  env: Readonly<Record<string, string | undefined>>,
  overrides: Readonly<Record<string, string>>,
): DryRunPlan {
  const redactor = new RunRedactor(runbook.meta.governance, env);
  const { vars, unset } = resolveVariables(runbook, env, overrides);
  const data: Record<string, string> = { ...vars };
  const steps: DryRunStep[] = [];
  for (const { index, step, groups } of planSteps(runbook.steps)) {
    const common = {
      index,
      id: step.id,
      type: step.type,
      ...(step.title === undefined ? {} : { title: step.title }),
      groups,
      ...(step.approvals === undefined ? {} : { approvals: step.approvals }),
    };
    if (step.type === "manual") {
      steps.push({
        ...common,
        evidence: requiredEvidence(step, runbook).map((e) => ({ name: e.name, kind: e.kind })),
        ...(step.command === undefined ? {} : { command: step.command }),
      });
      continue;
    }
    const argv = renderArgv(step.with.argv, data);
    const stdin = step.with.stdin === undefined ? undefined : render(step.with.stdin, data);
    const shown = argv.ok ? argv.argv : [...step.with.argv];
    const blocked = commandBlocked(shown, runbook);
    const unresolved = !argv.ok ? argv.message : stdin !== undefined && !stdin.ok ? stdin.message : undefined;
    for (const name of Object.keys(step.capture ?? {})) data[name] = `<capture ${name}>`;
    steps.push({
      ...common,
      argv: shown,
      ...(stdin?.ok ? { stdin: stdin.value } : {}),
      ...(step.with.timeout_seconds === undefined ? {} : { timeout_seconds: step.with.timeout_seconds }),
      ...(blocked === undefined ? {} : { blocked }),
      ...(unresolved === undefined ? {} : { unresolved }),
      ...(step.capture === undefined ? {} : { captures: Object.keys(step.capture) }),
      ...(step.assertions === undefined ? {} : { assertions: step.assertions.length }),
    });
  }
  return redactor.deep({
    runbook: runbook.meta.name,
    vars,
    unset,
    steps,
    summary: {
      steps: steps.length,
      cli: steps.filter((s) => s.type === "cli").length,
      manual: steps.filter((s) => s.type === "manual").length,
      blocked: steps.filter((s) => s.blocked !== undefined).length,
      approvals: steps.filter((s) => s.approvals !== undefined).length,
      evidence: steps.filter((s) => (s.evidence?.length ?? 0) > 0).length,
    },
  });
}

export function formatDryRun(plan: DryRunPlan): string {
  const lines = [
    `Dry run of '${plan.runbook}': ${plan.summary.steps} step${plan.summary.steps === 1 ? "" : "s"} (${plan.summary.cli} cli, ${plan.summary.manual} manual); nothing is executed.`,
  ];
  if (plan.unset.length > 0)
    lines.push(`Variables without a value: ${plan.unset.join(", ")} (pass --var NAME=VALUE)`);
  for (const step of plan.steps) {
    const where = step.groups.length > 0 ? ` [${step.groups.join(" › ")}]` : "";
    lines.push(
      "",
      `${String(step.index + 1).padStart(3)}. ${step.id} (${step.type})${where}${step.title ? ` — ${step.title}` : ""}`,
    );
    if (step.argv !== undefined) lines.push(`     run:      ${step.argv.map(quoteForDisplay).join(" ")}`);
    if (step.stdin !== undefined) lines.push(`     stdin:    ${JSON.stringify(step.stdin)}`);
    if (step.command !== undefined) lines.push(`     by hand:  ${step.command}`);
    if (step.unresolved !== undefined) lines.push(`     needs:    ${step.unresolved}`);
    if (step.blocked !== undefined) lines.push(`     BLOCKED:  ${step.blocked.code} ${step.blocked.message}`);
    if (step.approvals !== undefined)
      lines.push(
        `     approval: ${step.approvals.min} approver(s)${step.approvals.roles ? ` with role ${step.approvals.roles.join(" or ")}` : ""}`,
      );
    if (step.evidence !== undefined && step.evidence.length > 0)
      lines.push(`     evidence: ${step.evidence.map((e) => `${e.name} (${e.kind})`).join(", ")}`);
    if (step.captures !== undefined) lines.push(`     captures: ${step.captures.join(", ")}`);
  }
  const s = plan.summary;
  lines.push("", `${s.blocked} blocked, ${s.approvals} need approval, ${s.evidence} need evidence.`);
  return `${lines.join("\n")}\n`;
}

/** An argv element as a reader would type it: quoted only when it has spaces or quotes. */
export function quoteForDisplay(word: string): string {
  return word === "" || /[\s'"\\$`|&;<>(){}*?!#]/.test(word) ? `'${word.replaceAll("'", "'\\''")}'` : word;
}
