/**
 * Variables and templates. A run's variables are the runbook's `meta.vars`, each overridden by a
 * non-empty environment variable of the same name (unless the name matches `deny_env_vars`),
 * then by `--var name=value`; the environment adds no names of its own. Templates are rendered
 * element by element — a value never becomes more than one argv element — over the variables
 * and the captures so far; a missing key is an error, never an empty string.
 */
import { DEFAULT_DENY_ENV_VARS, isDeniedEnvVar } from "../../lang/runbook/governance.js";
import type { Runbook } from "../../lang/runbook/types.js";
import { evaluate, isLiteralTemplate, parseTemplate, type Template } from "../../lang/template/index.js";
import { RunbookErrors, RunbookRuntimeError, runError } from "./errors.js";

export interface VariableProblem {
  readonly name: string;
  readonly message: string;
}

/** The run's variables; throws RBX7014 for a `--var` whose name is denied or not declared. */
export function resolveVariables(
  runbook: Runbook,
  env: Readonly<Record<string, string | undefined>>,
  overrides: Readonly<Record<string, string>>,
): { vars: Record<string, string>; unset: string[] } {
  const denied = runbook.meta.governance?.deny_env_vars ?? DEFAULT_DENY_ENV_VARS;
  const declared = runbook.meta.vars ?? {};
  for (const name of Object.keys(overrides)) {
    if (isDeniedEnvVar(name, denied))
      throw new RunbookRuntimeError(runError(RunbookErrors.VariableDenied, { name }));
    if (!Object.hasOwn(declared, name))
      throw new RunbookRuntimeError(
        runError(RunbookErrors.UnknownVariable, { name, declared: Object.keys(declared) }),
      );
  }
  const vars: Record<string, string> = {};
  const unset: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const fromFile = typeof spec === "string" ? spec : spec.value;
    const fromEnv = isDeniedEnvVar(name, denied) ? undefined : env[name];
    const value = overrides[name] ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : fromFile);
    if (value === undefined) unset.push(name);
    else vars[name] = value;
  }
  return { vars, unset };
}

const parsed = new Map<string, Template | string>();

function compiled(text: string): Template | string {
  if (isLiteralTemplate(text)) return text;
  let entry = parsed.get(text);
  if (entry === undefined) {
    const result = parseTemplate(text);
    if (result.template === undefined) entry = `\u0000${result.errors.map((e) => e.message).join("; ")}`;
    else entry = result.template;
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(text, entry);
  }
  return entry;
}

/** Renders one template string; a failure says which key or which syntax error. */
export function render(
  text: string,
  data: Readonly<Record<string, string>>,
): { ok: true; value: string } | { ok: false; message: string } {
  const template = compiled(text);
  if (typeof template === "string") {
    if (template.startsWith("\u0000")) return { ok: false, message: `'${text}': ${template.slice(1)}` };
    return { ok: true, value: template };
  }
  const result = evaluate(template, data);
  if (result.value !== undefined) return { ok: true, value: result.value };
  return { ok: false, message: `'${text}': ${result.errors.map((e) => e.message).join("; ")}` };
}

/** Renders each argv element on its own. */
export function renderArgv(
  argv: readonly string[],
  data: Readonly<Record<string, string>>,
): { ok: true; argv: string[] } | { ok: false; message: string } {
  const out: string[] = [];
  for (const element of argv) {
    const rendered = render(element, data);
    if (!rendered.ok) return rendered;
    out.push(rendered.value);
  }
  return { ok: true, argv: out };
}

export function templateError(message: string) {
  return runError(RunbookErrors.TemplateFailed, { detail: message });
}
