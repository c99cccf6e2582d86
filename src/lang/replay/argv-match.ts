/**
 * How a cli-replay scenario's `match.argv` matches a received argument vector — the rules of
 * cli-replay's matcher, shared by the scenario reader (which warns about elements that can never
 * match) and the replay engine:
 *
 * - the received `argv[0]` is reduced to its base name (no directory, no `.exe` / `.cmd`);
 * - lengths must be equal; each element matches when it equals the received one exactly, or when it
 *   is a matcher: `{{ .any }}` (any one value) or `{{ .regex "PATTERN" }}` (an unanchored RE2
 *   search; an invalid pattern matches nothing);
 * - matchers are recognised as text, exactly as cli-replay does: after trimming white space the
 *   element is `{{ .any }}`, `{{.any}}`, or `{{`, `.regex`, a double-quoted pattern and `}}` with
 *   white space between. The pattern is the characters between the quotes, undecoded, so
 *   `{{ .regex "^\d+$" }}` means `^\d+$`. Any other `{{ … }}` (a variable such as
 *   `{{ .namespace }}`) is not rendered: the element matches only itself, literally.
 */
import { compileRe2 } from "./re2.js";

export type ArgvPattern =
  | { readonly kind: "literal"; readonly text: string; readonly template: boolean }
  | { readonly kind: "any"; readonly text: string }
  | {
      readonly kind: "regex";
      readonly text: string;
      readonly pattern: string;
      readonly compiled: CompiledRegex;
    };

export type CompiledRegex = { readonly regex: RegExp } | { readonly error: string };

/** cli-replay's recogniser; Go's `\s` is `[\t\n\f\r ]` and `.` excludes only `\n`. */
const REGEX_MATCHER = /^\{\{[\t\n\f\r ]*\.regex[\t\n\f\r ]+"([^\n]+?)"[\t\n\f\r ]*\}\}$/;

const compiled = new Map<string, CompiledRegex>();

/** Compiles once per distinct pattern. */
function compileCached(pattern: string): CompiledRegex {
  let result = compiled.get(pattern);
  if (result === undefined) {
    const r = compileRe2(pattern);
    result = r.ok ? { regex: r.regex } : { error: r.error };
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, result);
  }
  return result;
}

/** What one expected argv element is. */
export function classifyArgvElement(text: string): ArgvPattern {
  if (!text.includes("{{")) return { kind: "literal", text, template: false };
  const trimmed = text.trim();
  if (trimmed === "{{ .any }}" || trimmed === "{{.any}}") return { kind: "any", text };
  const m = REGEX_MATCHER.exec(trimmed);
  if (m !== null) return { kind: "regex", text, pattern: m[1]!, compiled: compileCached(m[1]!) };
  return { kind: "literal", text, template: true };
}

/** Whether one expected element matches one received value. */
export function elementMatches(expected: string, received: string): boolean {
  if (expected === received) return true;
  const pattern = classifyArgvElement(expected);
  switch (pattern.kind) {
    case "literal":
      return false;
    case "any":
      return true;
    case "regex":
      return "regex" in pattern.compiled && pattern.compiled.regex.test(received);
  }
}

/** Whether `expected` (a scenario's argv) matches `received` (with its program already reduced). */
export function argvMatches(expected: readonly string[], received: readonly string[]): boolean {
  if (expected.length !== received.length) return false;
  return expected.every((e, i) => elementMatches(e, received[i]!));
}

/** The received program as cli-replay compares it: base name, without `.exe` then `.cmd`. */
export function programBaseName(program: string): string {
  const trimmed = program.replace(/[/\\]+$/, "");
  const base =
    trimmed === ""
      ? program
      : trimmed.slice(Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\")) + 1);
  const noExe = base.endsWith(".exe") ? base.slice(0, -4) : base;
  return noExe.endsWith(".cmd") ? noExe.slice(0, -4) : noExe;
}

/** `argv` with its program reduced to the base name. */
export function reduceArgv(argv: readonly string[]): string[] {
  if (argv.length === 0) return [];
  return [programBaseName(argv[0]!), ...argv.slice(1)];
}
