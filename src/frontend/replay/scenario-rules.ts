/**
 * The rules of a cli-replay scenario that its JSON Schema cannot say, checked on a scenario that
 * matches the schema, each reported at the exact YAML node:
 *
 * - `calls`: `min ≤ max`, where a missing `max` is `min` (so `calls: {min: 0}` has max 0 < 1);
 * - a capture named like a `meta.vars` key;
 * - a response template that reads `.capture.X` where X is first captured by a later step
 *   (steps counted from 0 over the flat list, a group's members in place of the group);
 * - response templates that do not parse, or call a function (responses have none);
 * - `session.ttl` and `respond.delay` that are not Go durations (a ttl must also be positive);
 * - `deny_env_vars` patterns that are not valid `path.Match` globs;
 * - warnings for argv elements that can never match: an invalid `{{ .regex "…" }}` pattern, a
 *   template other than the two matchers (variables are not rendered into argv), an `argv[0]`
 *   that is not a base name.
 */

import { type Diagnostic, makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics, TemplateDiagnostics } from "../../ir/diagnostic-catalogue.js";
import type { YamlDocument } from "../../ir/nodes.js";
import type { Span } from "../../ir/span.js";
import { escapePointer, locate } from "../../ir/yaml-locations.js";
import { classifyArgvElement, programBaseName } from "../../lang/replay/argv-match.js";
import { parseGoDuration } from "../../lang/replay/go-duration.js";
import { goQuote } from "../../lang/replay/go-format.js";
import { compileGlob } from "../../lang/replay/path-match.js";
import { isGroupEntry, type Scenario, type ScenarioStep } from "../../lang/replay/types.js";
import {
  type Command,
  type Operand,
  type Pipeline,
  parseTemplate,
  referencedFields,
  type Template,
} from "../../lang/template/index.js";

/** A leaf step with its flat index, its JSON pointer and its cli-replay path ("step 1: step 0: "). */
interface LocatedStep {
  readonly step: ScenarioStep;
  readonly index: number;
  readonly pointer: string;
  readonly where: string;
}

export function checkScenarioRules(scenario: Scenario, document: YamlDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const valueAt = (pointer: string): Span => locate(document, pointer).value;
  const keyAt = (pointer: string): Span => locate(document, pointer).key ?? valueAt(pointer);

  const steps = locatedSteps(scenario);
  const vars = scenario.meta.vars ?? {};

  // meta.session.ttl, meta.security.deny_env_vars
  const ttl = scenario.meta.session?.ttl;
  if (ttl !== undefined && ttl !== "") {
    const parsed = parseGoDuration(ttl);
    const detail = !parsed.ok
      ? `invalid ttl ${goQuote(ttl)}: ${parsed.error}`
      : parsed.nanoseconds <= 0
        ? `ttl must be positive, got ${ttl}`
        : undefined;
    if (detail !== undefined)
      out.push(
        makeDiagnostic(Diagnostics.ScenarioDuration, valueAt("/meta/session/ttl"), {
          where: "meta: session: ",
          detail,
        }),
      );
  }
  for (const [i, pattern] of (scenario.meta.security?.deny_env_vars ?? []).entries()) {
    if (compileGlob(pattern) === undefined)
      out.push(
        makeDiagnostic(Diagnostics.ScenarioBadDenyPattern, valueAt(`/meta/security/deny_env_vars/${i}`), {
          where: `meta: security: deny_env_vars[${i}]: `,
          pattern: goQuote(pattern),
        }),
      );
  }

  // Where each capture is first defined, for forward references.
  const firstCapture = new Map<string, LocatedStep>();
  for (const located of steps)
    for (const name of Object.keys(located.step.respond.capture ?? {}))
      if (!firstCapture.has(name)) firstCapture.set(name, located);

  for (const located of steps) {
    const { step, pointer, where } = located;
    checkCalls(located);
    const delay = step.respond.delay;
    if (delay !== undefined && delay !== "") {
      const parsed = parseGoDuration(delay);
      if (!parsed.ok)
        out.push(
          makeDiagnostic(Diagnostics.ScenarioDuration, valueAt(`${pointer}/respond/delay`), {
            where: `${where}respond: `,
            detail: `invalid delay ${goQuote(delay)}: ${parsed.error}`,
          }),
        );
    }
    for (const name of Object.keys(step.respond.capture ?? {})) {
      if (!Object.hasOwn(vars, name)) continue;
      out.push(
        makeDiagnostic(
          Diagnostics.ScenarioCaptureClash,
          keyAt(`${pointer}/respond/capture/${escapePointer(name)}`),
          { where: `${where}respond: `, name },
          {
            related: [
              {
                message: `meta.vars defines '${name}' here`,
                span: keyAt(`/meta/vars/${escapePointer(name)}`),
              },
            ],
          },
        ),
      );
    }
    for (const stream of ["stdout", "stderr"] as const) {
      const text = step.respond[stream];
      if (text !== undefined) checkResponseTemplate(located, stream, text);
    }
    checkArgv(located);
  }
  return out;

  function checkCalls({ step, pointer, where }: LocatedStep): void {
    if (step.calls === undefined) return;
    const min = step.calls.min ?? 0;
    const max = step.calls.max ?? min;
    const span = valueAt(`${pointer}/calls`);
    if (max < 1)
      out.push(
        makeDiagnostic(Diagnostics.ScenarioCallBounds, span, {
          where,
          detail: `max must be >= 1, got ${max}`,
        }),
      );
    else if (min > max)
      out.push(
        makeDiagnostic(Diagnostics.ScenarioCallBounds, span, {
          where,
          detail: `min (${min}) must be <= max (${max})`,
        }),
      );
  }

  function checkResponseTemplate(located: LocatedStep, stream: "stdout" | "stderr", text: string): void {
    if (!text.includes("{{")) return;
    const { index, pointer, where } = located;
    const span = valueAt(`${pointer}/respond/${stream}`);
    const parsed = parseTemplate(text);
    for (const error of parsed.errors)
      out.push(
        makeDiagnostic(TemplateDiagnostics[error.code], span, {
          detail: `${where}respond: ${stream}: ${error.message}`,
        }),
      );
    if (parsed.template === undefined) return;
    for (const name of functionNames(parsed.template))
      out.push(
        makeDiagnostic(Diagnostics.TemplateUnknownFunction, span, {
          detail: `${where}respond: ${stream}: unknown function '${name}': replay responses have no template functions`,
        }),
      );
    const reported = new Set<string>();
    for (const field of referencedFields(parsed.template)) {
      if (field.path[0] !== "capture" || field.path.length < 2) continue;
      const name = field.path[1]!;
      const defined = firstCapture.get(name);
      if (defined === undefined || defined.index <= index || reported.has(name)) continue;
      reported.add(name);
      out.push(
        makeDiagnostic(
          Diagnostics.ScenarioForwardReference,
          span,
          { step: index, name, defined: defined.index },
          {
            related: [
              {
                message: `'${name}' is first captured here, by step ${defined.index}`,
                span: keyAt(`${defined.pointer}/respond/capture/${escapePointer(name)}`),
              },
            ],
          },
        ),
      );
    }
  }

  function checkArgv({ step, pointer, where }: LocatedStep): void {
    for (const [k, element] of step.match.argv.entries()) {
      const span = valueAt(`${pointer}/match/argv/${k}`);
      const at = `${where}match: argv[${k}]: `;
      const pattern = classifyArgvElement(element);
      if (pattern.kind === "regex" && "error" in pattern.compiled) {
        out.push(
          makeDiagnostic(Diagnostics.ScenarioBadRegex, span, {
            where: at,
            pattern: goQuote(pattern.pattern),
            detail: pattern.compiled.error,
          }),
        );
      } else if (pattern.kind === "literal" && pattern.template) {
        out.push(
          makeDiagnostic(Diagnostics.ScenarioNeverMatches, span, {
            where: at,
            element: goQuote(element),
            reason:
              'is neither {{ .any }} nor {{ .regex "…" }}, so it matches only this exact text: variables are not rendered into argv',
          }),
        );
      } else if (k === 0 && pattern.kind === "literal" && programBaseName(element) !== element) {
        const base = programBaseName(element);
        out.push(
          makeDiagnostic(
            Diagnostics.ScenarioNeverMatches,
            span,
            {
              where: at,
              element: goQuote(element),
              reason:
                "is not a base name: the program called is compared by its base name (no directory, .exe or .cmd), so this step never matches",
            },
            { hint: `write ${goQuote(base)}` },
          ),
        );
      }
    }
  }
}

function locatedSteps(scenario: Scenario): LocatedStep[] {
  const out: LocatedStep[] = [];
  for (const [i, entry] of scenario.steps.entries()) {
    if (!isGroupEntry(entry)) {
      out.push({ step: entry, index: out.length, pointer: `/steps/${i}`, where: `step ${i}: ` });
      continue;
    }
    for (const [j, member] of entry.group.steps.entries())
      out.push({
        step: member,
        index: out.length,
        pointer: `/steps/${i}/group/steps/${j}`,
        where: `step ${i}: step ${j}: `,
      });
  }
  return out;
}

/** The names of the functions a template calls (identifiers, in source order, once each). */
function functionNames(template: Template): string[] {
  const names = new Set<string>();
  const operand = (o: Operand): void => {
    if (o.kind === "identifier") names.add(o.name);
    else if (o.kind === "paren") pipeline(o.pipeline);
  };
  const command = (c: Command): void => {
    for (const arg of c.args) operand(arg);
  };
  const pipeline = (p: Pipeline): void => {
    for (const c of p.commands) command(c);
  };
  for (const part of template.parts) if (part.kind === "action") pipeline(part.pipeline);
  return [...names];
}
