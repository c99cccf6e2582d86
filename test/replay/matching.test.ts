/**
 * Matching one call (docs/replay.md, "Matching one call"): exact elements, `{{ .any }}`,
 * `{{ .regex "…" }}` (unanchored RE2, translated to JavaScript), other templates, lengths; and the
 * small Go-compatible pieces the reader and the engine share (RE2, path.Match, durations, %q).
 */
import { describe, expect, it } from "vitest";
import {
  argvMatches,
  classifyArgvElement,
  elementMatches,
  programBaseName,
} from "../../src/lang/replay/argv-match.js";
import { parseGoDuration } from "../../src/lang/replay/go-duration.js";
import { goList, goQuote } from "../../src/lang/replay/go-format.js";
import { globMatches } from "../../src/lang/replay/path-match.js";
import { compileRe2 } from "../../src/lang/replay/re2.js";
import { sessionOf, yamlOf } from "./helpers.js";

describe("argv elements", () => {
  it.each([
    ["get", "get", true],
    ["get", "Get", false],
    ["{{ .any }}", "anything at all", true],
    ["{{.any}}", "", true],
    ["  {{ .any }}  ", "x", true],
    ["{{  .any  }}", "x", false],
    ['{{ .regex "prod" }}', "my-prod-1", true],
    ['{{ .regex "^prod" }}', "my-prod-1", false],
    ['{{ .regex "^prod-.*$" }}', "prod-eu", true],
    ['{{ .regex "^[0-9]+$" }}', "123", true],
    ['{{ .regex "^\\d+$" }}', "123", true],
    ['{{ .regex "^\\d+$" }}', "12a", false],
    ['{{ .regex "(?i)^PROD" }}', "prod", true],
    ['{{ .regex "a}}b" }}', "xa}}by", true],
    ['{{.regex "x"}}', "x", true],
    ['{{ .regex "(" }}', "(", false],
    ['{{ .regex "" }}', "", false],
    ["{{ .namespace }}", "prod", false],
    ["{{ .namespace }}", "{{ .namespace }}", true],
    ["pre-{{ .any }}", "pre-x", false],
  ])("should match %j against %j: %s", (expected, received, result) => {
    expect(elementMatches(expected, received)).toBe(result);
  });

  it("should classify the elements as cli-replay recognises them", () => {
    expect(classifyArgvElement("get")).toEqual({ kind: "literal", text: "get", template: false });
    expect(classifyArgvElement("{{ .ns }}")).toEqual({ kind: "literal", text: "{{ .ns }}", template: true });
    expect(classifyArgvElement("{{ .any }}")).toEqual({ kind: "any", text: "{{ .any }}" });
    expect(classifyArgvElement('{{ .regex "^a\\.b$" }}')).toMatchObject({
      kind: "regex",
      pattern: "^a\\.b$",
    });
    expect(classifyArgvElement("{{ .regex `x` }}")).toMatchObject({ kind: "literal", template: true });
  });

  it("should require equal lengths", () => {
    expect(argvMatches(["a", "{{ .any }}"], ["a"])).toBe(false);
    expect(argvMatches(["a"], ["a", "b"])).toBe(false);
    expect(argvMatches(["a", "{{ .any }}"], ["a", "b"])).toBe(true);
  });

  it.each([
    ["kubectl", "kubectl"],
    ["/usr/bin/kubectl", "kubectl"],
    ["./bin/az.cmd", "az"],
    ["C:\\tools\\helm.exe", "helm"],
    ["x.cmd.exe", "x"],
    ["dir/", "dir"],
  ])("should reduce the program %j to %j", (program, base) => {
    expect(programBaseName(program)).toBe(base);
  });

  it("should not render vars into argv: a {{ .var }} element matches only its own text", () => {
    const session = sessionOf(
      `meta:\n  name: demo\n  vars: { ns: prod }\nsteps:\n  - { match: { argv: [kubectl, "{{ .ns }}"] }, respond: {} }\n`,
    );
    expect(session.call(["kubectl", "prod"])).toMatchObject({ ok: false, code: "RPL8101" });
    expect(session.call(["kubectl", "{{ .ns }}"])).toMatchObject({ ok: true });
  });

  it("should never match a call with an invalid regex, except by its exact text", () => {
    const session = sessionOf(yamlOf(`{ match: { argv: [grep, '{{ .regex "(" }}'] }, respond: {} }`));
    expect(session.call(["grep", "("])).toMatchObject({ ok: false, code: "RPL8101" });
  });
});

describe("RE2 patterns in JavaScript", () => {
  it.each([
    ["abc", "xxabcxx", true],
    ["^abc$", "abc\n", false],
    ["a.c", "a\nc", false],
    ["(?s)a.c", "a\nc", true],
    ["(?i)abc", "ABC", true],
    ["(?m)^b$", "a\nb\nc", true],
    ["\\Aab\\z", "ab", true],
    ["\\Aab\\z", "ab\n", false],
    ["a\\sb", "a\tb", true],
    ["a\\sb", "a\u00a0b", false],
    ["\\Qa.b\\E", "a.b", true],
    ["\\Qa.b\\E", "axb", false],
    ["[[:digit:]]+", "42", true],
    ["[[:alpha:]_]+$", "ab_", true],
    ["\\pL+", "é", true],
    ["\\p{Greek}", "λ", true],
    ["\\x{263A}", "☺", true],
    ["(?P<year>\\d{4})", "2026", true],
    ["a{2}", "aa", true],
    ["a{,2}", "a{,2}", true],
    ["x}", "x}", true],
    ["]", "]", true],
    ["[]a]", "]", true],
    ["\\-\\#", "-#", true],
    ["[\\-a]", "-", true],
    ["\\101", "A", true],
  ])("should translate %j so that it matches %j: %s", (pattern, text, expected) => {
    const result = compileRe2(pattern);
    if (!result.ok) throw new Error(result.error);
    expect(result.regex.test(text)).toBe(expected);
  });

  it.each([
    ["(", "Unterminated group"],
    ["(?=a)", "lookaround (?= ?! ?<= ?<!) is not RE2 syntax"],
    ["(a)\\1", "invalid escape sequence: \\1 (backreferences are not RE2 syntax)"],
    ["(?U)a+", "the (?U) flag (ungreedy) has no JavaScript equivalent"],
    ["a(?i)b", "flags such as (?i) are supported only at the start"],
    ["a{1001}", "invalid repeat count: {1001}"],
    ["\\", "trailing backslash at end of expression"],
    ["[a", "missing closing ]: [a"],
    ["[[:^alpha:]]", "invalid character class range: [:^alpha:]"],
  ])("should reject %j as RE2 does", (pattern, error) => {
    expect(compileRe2(pattern)).toEqual({ ok: false, error });
  });
});

describe("path.Match globs", () => {
  it.each([
    ["AWS_*", "AWS_SECRET_ACCESS_KEY", true],
    ["AWS_*", "aws_secret", false],
    ["*TOKEN", "GITHUB_TOKEN", true],
    ["*", "", true],
    ["GITHUB_TOKEN", "GITHUB_TOKEN", true],
    ["?B", "AB", true],
    ["?B", "B", false],
    ["[A-C]_X", "B_X", true],
    ["[^A-C]_X", "B_X", false],
    ["A\\*", "A*", true],
    ["A\\*", "AB", false],
    ["*", "a/b", false],
  ])("should match %j against %j: %s", (pattern, name, expected) => {
    expect(globMatches(pattern, name)).toBe(expected);
  });

  it.each(["[", "[]", "[a-]", "[-a]", "a\\", "[a"])("should report %j as malformed", (pattern) => {
    expect(globMatches(pattern, "a")).toBeUndefined();
  });
});

describe("Go durations", () => {
  it.each([
    ["5m", 300e9],
    ["1h30m", 5400e9],
    ["1.5h", 5400e9],
    ["300ms", 300e6],
    ["-2s", -2e9],
    ["0", 0],
    ["2us", 2000],
    ["2µs", 2000],
    [".5s", 5e8],
  ])("should read %j as %d ns", (text, ns) => {
    expect(parseGoDuration(text)).toEqual({ ok: true, nanoseconds: ns });
  });

  it.each([
    ["never", 'time: invalid duration "never"'],
    ["", 'time: invalid duration ""'],
    ["5", 'time: missing unit in duration "5"'],
    ["5x", 'time: unknown unit "x" in duration "5x"'],
    ["5 m", 'time: unknown unit " m" in duration "5 m"'],
    [".", 'time: invalid duration "."'],
  ])("should reject %j with Go's message", (text, error) => {
    expect(parseGoDuration(text)).toEqual({ ok: false, error });
  });
});

describe("Go formatting", () => {
  it("should quote like %q and list like %v", () => {
    expect(goQuote('a "b"\n\t\\ é \u0001 \u200b')).toBe('"a \\"b\\"\\n\\t\\\\ é \\x01 \\u200b"');
    expect(goList(["kubectl", "get", "pods"])).toBe("[kubectl get pods]");
    expect(goList([])).toBe("[]");
  });
});
