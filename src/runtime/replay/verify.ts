/**
 * `verify`: whether every step was called at least its `min` times (`max` is not checked there), and
 * the three report formats of `cli-replay verify`, byte for byte as cli-replay writes them — except
 * that the JUnit report has a `timestamp` only when one is given, so that reports are reproducible.
 * Each format ends with a newline.
 */
import { goQuote } from "../../lang/replay/go-format.js";
import type { FlatStep } from "./flatten.js";

/** One step of a verify result; the field names are those of cli-replay's JSON report. */
export interface StepVerifyResult {
  /** The flat index (0-based). */
  readonly index: number;
  /** The argv joined by spaces, after `[group:NAME] ` for a group's member (cli-replay's label). */
  readonly label: string;
  readonly group?: string;
  readonly call_count: number;
  readonly min: number;
  readonly max: number;
  readonly passed: boolean;
  /** Not in the JSON report: the step's expected argv (the text report shows its first two elements). */
  readonly argv: readonly string[];
  /** Not in the JSON report: whether the step has a `calls` block (the text report then shows the bounds). */
  readonly explicit_calls: boolean;
}

/** The verdict of `verify`; the field names are those of cli-replay's JSON report. */
export interface ScenarioVerifyResult {
  /** The scenario's `meta.name`. */
  readonly scenario: string;
  readonly session: string;
  readonly passed: boolean;
  readonly total_steps: number;
  /** Steps called at least once. */
  readonly consumed_steps: number;
  /** Set when there is nothing to verify (no state); `steps` is then empty. */
  readonly error?: string;
  readonly steps: readonly StepVerifyResult[];
}

export function buildVerifyResult(
  scenario: string,
  session: string,
  steps: readonly FlatStep[],
  counts: readonly number[],
): ScenarioVerifyResult {
  const results = steps.map((flat): StepVerifyResult => {
    const call_count = counts[flat.index] ?? 0;
    const base = {
      index: flat.index,
      label: flat.group === undefined ? flat.label : `[group:${flat.group.name}] ${flat.label}`,
      call_count,
      min: flat.min,
      max: flat.max,
      passed: call_count >= flat.min,
      argv: flat.step.match.argv,
      explicit_calls: flat.step.calls !== undefined,
    };
    return flat.group === undefined ? base : { ...base, group: flat.group.name };
  });
  return {
    scenario,
    session,
    passed: results.every((r) => r.passed),
    total_steps: results.length,
    consumed_steps: results.filter((r) => r.call_count >= 1).length,
    steps: results,
  };
}

/** A result for when there is nothing to verify, e.g. `no state found`. */
export function verifyError(scenario: string, session: string, error: string): ScenarioVerifyResult {
  return { scenario, session, passed: false, total_steps: 0, consumed_steps: 0, error, steps: [] };
}

/** cli-replay's text report (it writes it to stderr). */
export function formatVerifyText(result: ScenarioVerifyResult): string {
  const name = goQuote(result.scenario);
  if (result.error !== undefined && result.error !== "") return `✗ Scenario ${name}: ${result.error}\n`;
  const counts = result.steps.map(stepLine);
  const lines = result.passed
    ? [
        `✓ Scenario ${name} completed: ${result.consumed_steps}/${result.total_steps} steps consumed`,
        ...(result.steps.some((s) => s.explicit_calls) ? counts : []),
      ]
    : [
        `✗ Scenario ${name} incomplete`,
        `  consumed: ${result.consumed_steps}/${result.total_steps} steps`,
        ...counts,
      ];
  return `${lines.join("\n")}\n`;
}

function stepLine(step: StepVerifyResult): string {
  const label = step.argv.slice(0, 2).join(" ");
  const word = step.call_count === 1 ? "call" : "calls";
  const bounds = step.explicit_calls ? ` (min: ${step.min}, max: ${step.max})` : "";
  const status = step.passed ? "✓" : `✗ needs ${step.min - step.call_count} more`;
  return `  Step ${step.index + 1}: ${label} — ${step.call_count} ${word}${bounds} ${status}`;
}

/** cli-replay's JSON report: one line (and a newline), keys in cli-replay's order. */
export function formatVerifyJson(result: ScenarioVerifyResult): string {
  const json = {
    scenario: result.scenario,
    session: result.session,
    passed: result.passed,
    total_steps: result.total_steps,
    consumed_steps: result.consumed_steps,
    ...(result.error ? { error: result.error } : {}),
    steps: result.steps.map((s) => ({
      index: s.index,
      label: s.label,
      ...(s.group ? { group: s.group } : {}),
      call_count: s.call_count,
      min: s.min,
      max: s.max,
      passed: s.passed,
    })),
  };
  // Go's encoder escapes U+2028 and U+2029 even with HTML escaping off.
  return `${JSON.stringify(json).replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029")}\n`;
}

/**
 * cli-replay's JUnit report: one test case per step (`step[i]: label`), a failure for a step called
 * fewer than `min` times, a skipped case for an optional step never called. `scenarioFile` is the
 * class name; `timestamp` (RFC 3339) is written only when given.
 */
export function formatVerifyJunit(
  result: ScenarioVerifyResult,
  scenarioFile: string,
  timestamp?: string,
): string {
  const stamp = timestamp === undefined ? "" : ` timestamp=${attr(timestamp)}`;
  const suites = (tests: number, failures: number, errors: number, skipped: number): string[] => [
    `<testsuites name="cli-replay" tests="${tests}" failures="${failures}" errors="${errors}" time="0.000">`,
    `  <testsuite name=${attr(result.scenario)} tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="0.000"${stamp}>`,
  ];
  const head = '<?xml version="1.0" encoding="UTF-8"?>';
  const tail = ["  </testsuite>", "</testsuites>"];
  if (result.error) {
    return `${[
      head,
      ...suites(0, 0, 1, 0),
      `    <testcase name="state" classname=${attr(scenarioFile)} time="0.000">`,
      `      <failure message=${attr(result.error)} type="StateError">no state file found for scenario</failure>`,
      "    </testcase>",
      ...tail,
    ].join("\n")}\n`;
  }
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  for (const step of result.steps) {
    const name = step.group
      ? `[group:${step.group}] step[${step.index}]: ${step.label.slice(`[group:${step.group}] `.length)}`
      : `step[${step.index}]: ${step.label}`;
    const open = `    <testcase name=${attr(name)} classname=${attr(scenarioFile)} time="0.000">`;
    if (!step.passed) {
      failures += 1;
      const message = `called ${step.call_count} times, minimum ${step.min} required`;
      cases.push(
        open,
        `      <failure message=${attr(message)} type="VerificationFailure">${text(message)}</failure>`,
        "    </testcase>",
      );
    } else if (step.min === 0 && step.call_count === 0) {
      skipped += 1;
      cases.push(
        open,
        `      <skipped message="optional step (min=0), not called"></skipped>`,
        "    </testcase>",
      );
    } else {
      cases.push(`${open}</testcase>`);
    }
  }
  return `${[head, ...suites(result.total_steps, failures, 0, skipped), ...cases, ...tail].join("\n")}\n`;
}

/** Go's `xml.EscapeText`, for attribute values and character data alike. */
function text(s: string): string {
  let out = "";
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += "&#34;";
        break;
      case "'":
        out += "&#39;";
        break;
      case "&":
        out += "&amp;";
        break;
      case "<":
        out += "&lt;";
        break;
      case ">":
        out += "&gt;";
        break;
      case "\t":
        out += "&#x9;";
        break;
      case "\n":
        out += "&#xA;";
        break;
      case "\r":
        out += "&#xD;";
        break;
      default:
        out += isXmlChar(code) ? ch : "\uFFFD";
    }
  }
  return out;
}

function attr(s: string): string {
  return `"${text(s)}"`;
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}
