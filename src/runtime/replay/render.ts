/**
 * Rendering a response (`stdout`, `stderr`, or a response file's content) as cli-replay does: a
 * template over the scenario's variables plus `.capture`, where a missing key renders as the empty
 * string (cli-replay's `missingkey=zero`; the runbook engine, by contrast, fails on one).
 *
 * Variables are `meta.vars`, each overridden by a non-empty environment variable of the same name
 * unless a `security.deny_env_vars` pattern (Go `path.Match` syntax, case-sensitive) denies it;
 * the environment adds no new keys. A malformed deny pattern denies every variable (fail closed;
 * the scenario reader rejects such patterns anyway). cli-replay's own control variables
 * (`CLI_REPLAY_SESSION`, …) are never denied, as in cli-replay.
 */
import { globMatches } from "../../lang/replay/path-match.js";
import type { Scenario } from "../../lang/replay/types.js";
import { evaluate, parseTemplate, referencedFields, type TemplateValue } from "../../lang/template/index.js";

const EXEMPT = [
  "CLI_REPLAY_SESSION",
  "CLI_REPLAY_SCENARIO",
  "CLI_REPLAY_RECORDING_LOG",
  "CLI_REPLAY_SHIM_DIR",
  "CLI_REPLAY_TRACE",
];

/** Whether an environment variable may not override `meta.vars`. */
export function isDeniedByScenario(name: string, patterns: readonly string[]): boolean {
  if (EXEMPT.some((e) => e.toLowerCase() === name.toLowerCase())) return false;
  return patterns.some((pattern) => globMatches(pattern, name) !== false);
}

/** The variables a response template sees (not `.capture`). */
export function responseVars(
  scenario: Scenario,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const deny = scenario.meta.security?.deny_env_vars ?? [];
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(scenario.meta.vars ?? {})) {
    const override = Object.hasOwn(env, name) ? env[name] : undefined;
    const use =
      override !== undefined && override !== "" && !isDeniedByScenario(name, deny) ? override : value;
    Object.defineProperty(vars, name, { value: use, enumerable: true, writable: true, configurable: true });
  }
  return vars;
}

export type RenderResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly error: string };

/** Renders `text`; a template that does not parse or evaluate is an error, never an exception. */
export function renderResponse(
  text: string,
  vars: Readonly<Record<string, string>>,
  captures: Readonly<Record<string, string>>,
): RenderResult {
  if (!text.includes("{{")) return { ok: true, text };
  const parsed = parseTemplate(text);
  if (parsed.template === undefined || parsed.errors.length > 0)
    return { ok: false, error: parsed.errors.map((e) => e.message).join("; ") || "invalid template" };
  const data = mapOf({ ...vars });
  Object.defineProperty(data, "capture", {
    value: mapOf({ ...captures }),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  for (const field of referencedFields(parsed.template)) fillBlank(data, field.path);
  const result = evaluate(parsed.template, data);
  if (result.value === undefined) return { ok: false, error: result.errors.map((e) => e.message).join("; ") };
  return { ok: true, text: result.value };
}

type MutableMap = { [key: string]: TemplateValue };

function mapOf(entries: Record<string, string | TemplateValue>): MutableMap {
  const out: MutableMap = {};
  for (const [k, v] of Object.entries(entries))
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Makes `.a.b` exist: missing maps on the way are created, a missing last key is "". */
function fillBlank(data: MutableMap, path: readonly string[]): void {
  let current: MutableMap | undefined = data;
  for (const [i, key] of path.entries()) {
    if (current === undefined) return;
    if (!Object.hasOwn(current, key)) {
      const value: TemplateValue = i === path.length - 1 ? "" : {};
      Object.defineProperty(current, key, { value, enumerable: true, writable: true, configurable: true });
    }
    const next: TemplateValue | undefined = current[key];
    current =
      typeof next === "object" && next !== null && !Array.isArray(next) ? (next as MutableMap) : undefined;
  }
}
