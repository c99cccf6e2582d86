/**
 * What a `cli` step keeps and checks from its result: captures (a whole stream, the exit status,
 * a JSONPath into the stream parsed as JSON, a regex group) and assertions (`contains`,
 * `not_contains`, `matches`, `equals`, `exit_code`, `equals` at a JSONPath). JSONPath is RFC 9535,
 * by json-p3. Both work on the program's real output, in memory; only their stored copies are
 * redacted.
 */
import { compile as compileJsonPath, type JSONPathQuery } from "json-p3";
import { compileRunbookRegex } from "../../lang/runbook/governance.js";
import type { Assertion, Capture } from "../../lang/runbook/types.js";
import type { AssertionOutcome } from "./state.js";

export interface StepOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Trailing line breaks removed, as a shell's `$(…)` does: `Running\n` captures and equals `Running`. */
export function chomp(text: string): string {
  return text.replace(/(?:\r?\n)+$/, "");
}

export function captureValue(
  capture: Capture,
  output: StepOutput,
): { ok: true; value: string } | { ok: false; message: string } {
  if (capture === "exit_code") return { ok: true, value: String(output.exitCode) };
  if (capture === "stdout" || capture === "stderr") return { ok: true, value: chomp(output[capture]) };
  let text = output[capture.from];
  if (capture.json_path !== undefined) {
    const found = atJsonPath(capture.json_path, text, capture.from);
    if (!found.ok) return found;
    text = found.value;
  }
  if (capture.regex !== undefined) {
    const re = compileRunbookRegex(capture.regex);
    const m = re.exec(text);
    if (m === null)
      return {
        ok: false,
        message: `the regex ${JSON.stringify(capture.regex)} is not found in ${capture.from}`,
      };
    const group = capture.group ?? (m.length > 1 ? 1 : 0);
    const value = m[group];
    if (value === undefined)
      return {
        ok: false,
        message: `the regex ${JSON.stringify(capture.regex)} has no group ${group} in this match`,
      };
    return { ok: true, value };
  }
  return { ok: true, value: capture.json_path === undefined ? chomp(text) : text };
}

export function checkAssertion(assertion: Assertion, output: StepOutput): AssertionOutcome {
  const record = { ...assertion } as Record<string, unknown>;
  if (assertion.exit_code !== undefined) {
    const passed = output.exitCode === assertion.exit_code;
    return {
      assertion: record,
      passed,
      detail: `exit code ${output.exitCode}${passed ? "" : `, expected ${assertion.exit_code}`}`,
    };
  }
  const on = assertion.on ?? "stdout";
  const text = output[on];
  if (assertion.contains !== undefined) {
    const passed = text.includes(assertion.contains);
    return {
      assertion: record,
      passed,
      detail: `${on} ${passed ? "contains" : "does not contain"} ${JSON.stringify(assertion.contains)}`,
    };
  }
  if (assertion.not_contains !== undefined) {
    const at = text.indexOf(assertion.not_contains);
    return {
      assertion: record,
      passed: at < 0,
      detail:
        at < 0
          ? `${on} does not contain ${JSON.stringify(assertion.not_contains)}`
          : `${on} contains ${JSON.stringify(assertion.not_contains)} (line ${lineAt(text, at)})`,
    };
  }
  if (assertion.matches !== undefined) {
    const passed = compileRunbookRegex(assertion.matches).test(text);
    return {
      assertion: record,
      passed,
      detail: `${on} ${passed ? "matches" : "does not match"} /${assertion.matches}/`,
    };
  }
  if (assertion.equals !== undefined) {
    let actual = chomp(text);
    if (assertion.json_path !== undefined) {
      const found = atJsonPath(assertion.json_path, text, on);
      if (!found.ok) return { assertion: record, passed: false, detail: found.message };
      actual = found.value;
    }
    const passed = actual === assertion.equals;
    const where = assertion.json_path === undefined ? on : `${assertion.json_path} in ${on}`;
    return {
      assertion: record,
      passed,
      detail: passed
        ? `${where} equals ${JSON.stringify(assertion.equals)}`
        : `${where} is ${JSON.stringify(preview(actual))}, expected ${JSON.stringify(assertion.equals)}`,
    };
  }
  return { assertion: record, passed: false, detail: "the assertion has no operator" };
}

const queries = new Map<string, JSONPathQuery>();

/**
 * The value at a JSONPath of `text` parsed as JSON, as a string: a string as it is, anything
 * else as JSON (`3`, `true`, `{"a":1}`); several nodes as a JSON array.
 */
function atJsonPath(
  path: string,
  text: string,
  stream: string,
): { ok: true; value: string } | { ok: false; message: string } {
  let query = queries.get(path);
  if (query === undefined) {
    try {
      query = compileJsonPath(path);
    } catch (error) {
      return {
        ok: false,
        message: `the JSONPath ${JSON.stringify(path)} is invalid: ${(error as Error).message}`,
      };
    }
    queries.set(path, query);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return {
      ok: false,
      message: `${stream} is not JSON, so the JSONPath ${JSON.stringify(path)} cannot be applied`,
    };
  }
  const values = query.query(data as never).values();
  if (values.length === 0)
    return { ok: false, message: `the JSONPath ${JSON.stringify(path)} selects nothing in ${stream}` };
  const value = values.length === 1 ? values[0] : values;
  return { ok: true, value: typeof value === "string" ? value : JSON.stringify(value) };
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

function preview(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
