/**
 * Tests of the template-expression language: exact ASTs and spans, exact errors, printer round
 * trips, field listing, evaluation, and fast-check properties (never throws; round trips).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Action,
  type Command,
  evaluate,
  type Field,
  isLiteralTemplate,
  MAX_PAREN_DEPTH,
  type Operand,
  type Pipeline,
  parseTemplate,
  printOperand,
  printPipeline,
  printTemplate,
  referencedFields,
  TEMPLATE_ERROR_CODES,
  type Template,
  type TemplateError,
  type TemplateFunction,
  type TemplateValue,
  type TextPart,
} from "../../src/lang/template/index.js";

// --- AST builders with explicit spans ------------------------------------------------------------

const sp = (start: number, end: number) => ({ start, end });
const text = (start: number, value: string): TextPart => ({
  kind: "text",
  span: sp(start, start + value.length),
  value,
});
const field = (start: number, source: string): Field => ({
  kind: "field",
  span: sp(start, start + source.length),
  path: source === "." ? [] : source.slice(1).split("."),
});
const ident = (start: number, name: string): Operand => ({
  kind: "identifier",
  span: sp(start, start + name.length),
  name,
});
const str = (start: number, raw: string, value: string): Operand => ({
  kind: "string",
  span: sp(start, start + raw.length),
  value,
  raw,
});
const num = (start: number, raw: string): Operand => ({
  kind: "number",
  span: sp(start, start + raw.length),
  value: Number(raw),
  raw,
});
const bool = (start: number, value: boolean): Operand => ({
  kind: "bool",
  span: sp(start, start + String(value).length),
  value,
});
const cmd = (start: number, end: number, ...args: Operand[]): Command => ({
  kind: "command",
  span: sp(start, end),
  args,
});
const pipe = (start: number, end: number, ...commands: Command[]): Pipeline => ({
  kind: "pipeline",
  span: sp(start, end),
  commands,
});
const paren = (start: number, end: number, pipeline: Pipeline): Operand => ({
  kind: "paren",
  span: sp(start, end),
  pipeline,
});
const act = (
  start: number,
  end: number,
  pipeline: Pipeline,
  trimLeft = false,
  trimRight = false,
): Action => ({
  kind: "action",
  span: sp(start, end),
  pipeline,
  trimLeft,
  trimRight,
});
const tpl = (length: number, ...parts: (TextPart | Action)[]): Template => ({
  kind: "template",
  span: sp(0, length),
  parts,
});

/** An action holding one command with one operand spanning `[start, end)`. */
const single = (start: number, end: number, operand: Operand): Action =>
  act(
    start,
    end,
    pipe(operand.span.start, operand.span.end, cmd(operand.span.start, operand.span.end, operand)),
  );

const parsed = (source: string): Template => {
  const result = parseTemplate(source);
  expect(result.errors).toEqual([]);
  return result.template!;
};

// --- valid templates --------------------------------------------------------------------------------

const validCases: readonly { name: string; source: string; expected: Template }[] = [
  { name: "the string is empty", source: "", expected: tpl(0) },
  { name: "there is no action", source: "plain text", expected: tpl(10, text(0, "plain text")) },
  {
    name: "the action is a single field",
    source: "{{ .namespace }}",
    expected: tpl(16, single(0, 16, field(3, ".namespace"))),
  },
  {
    name: "text surrounds a field chain",
    source: "pod-{{ .vars.name }}-x",
    expected: tpl(22, text(0, "pod-"), single(4, 20, field(7, ".vars.name")), text(20, "-x")),
  },
  { name: "the field is the data itself", source: "{{ . }}", expected: tpl(7, single(0, 7, field(3, "."))) },
  {
    name: "the action is the any matcher",
    source: "{{ .any }}",
    expected: tpl(10, single(0, 10, field(3, ".any"))),
  },
  {
    name: "a field takes a string argument (the regex matcher)",
    source: '{{ .regex "^prod-.*" }}',
    expected: tpl(
      23,
      act(0, 23, pipe(3, 20, cmd(3, 20, field(3, ".regex"), str(10, '"^prod-.*"', "^prod-.*")))),
    ),
  },
  {
    name: "a string literal contains '}}'",
    source: '{{ .regex "a}}b" }}',
    expected: tpl(19, act(0, 19, pipe(3, 16, cmd(3, 16, field(3, ".regex"), str(10, '"a}}b"', "a}}b"))))),
  },
  {
    name: "commands are piped",
    source: "{{ .a | lower }}",
    expected: tpl(16, act(0, 16, pipe(3, 13, cmd(3, 5, field(3, ".a")), cmd(8, 13, ident(8, "lower"))))),
  },
  {
    name: "a function takes several arguments",
    source: '{{ default "x" .name }}',
    expected: tpl(
      23,
      act(0, 23, pipe(3, 20, cmd(3, 20, ident(3, "default"), str(11, '"x"', "x"), field(15, ".name")))),
    ),
  },
  {
    name: "both trim markers are present",
    source: "{{- .a -}}",
    expected: tpl(10, act(0, 10, pipe(4, 6, cmd(4, 6, field(4, ".a"))), true, true)),
  },
  {
    name: "a left trim marker follows text (the text is kept verbatim)",
    source: "a {{- .b }} c",
    expected: tpl(
      13,
      text(0, "a "),
      act(2, 11, pipe(6, 8, cmd(6, 8, field(6, ".b"))), true, false),
      text(11, " c"),
    ),
  },
  {
    name: "a parenthesised pipeline is an argument",
    source: '{{ (lower .a) | printf "%s" }}',
    expected: tpl(
      30,
      act(
        0,
        30,
        pipe(
          3,
          27,
          cmd(3, 13, paren(3, 13, pipe(4, 12, cmd(4, 12, ident(4, "lower"), field(10, ".a"))))),
          cmd(16, 27, ident(16, "printf"), str(23, '"%s"', "%s")),
        ),
      ),
    ),
  },
  {
    name: "parentheses nest",
    source: "{{ ((.a)) }}",
    expected: tpl(
      12,
      single(0, 12, paren(3, 9, pipe(4, 8, cmd(4, 8, paren(4, 8, pipe(5, 7, cmd(5, 7, field(5, ".a")))))))),
    ),
  },
  {
    name: "numbers are integers, negative, fractional or with an exponent",
    source: "{{ f 42 -1.5 2e3 }}",
    expected: tpl(
      19,
      act(0, 19, pipe(3, 16, cmd(3, 16, ident(3, "f"), num(5, "42"), num(8, "-1.5"), num(13, "2e3")))),
    ),
  },
  {
    name: "true and false are keywords and nil is an identifier",
    source: "{{ f true false nil }}",
    expected: tpl(
      22,
      act(0, 22, pipe(3, 19, cmd(3, 19, ident(3, "f"), bool(5, true), bool(10, false), ident(16, "nil")))),
    ),
  },
  {
    name: "a keyword prefixes a longer identifier",
    source: "{{ trueish }}",
    expected: tpl(13, single(0, 13, ident(3, "trueish"))),
  },
  {
    name: "a string has every escape",
    source: String.raw`{{ "q\"\\\n\t\r\u00e9" }}`,
    expected: tpl(25, single(0, 25, str(3, String.raw`"q\"\\\n\t\r\u00e9"`, 'q"\\\n\t\ré'))),
  },
  {
    name: "a raw string spans lines (carriage returns dropped, backslashes kept)",
    source: "{{ `a\\b\r\nc` }}",
    expected: tpl(14, single(0, 14, str(3, "`a\\b\r\nc`", "a\\b\nc"))),
  },
  {
    name: "a lone '}}' is text and actions are adjacent",
    source: "}} {{ .a }}{{ .b }} }}",
    expected: tpl(
      22,
      text(0, "}} "),
      single(3, 11, field(6, ".a")),
      single(11, 19, field(14, ".b")),
      text(19, " }}"),
    ),
  },
  {
    name: "tokens are separated by tabs and line breaks",
    source: "{{\n\t.a\r\n|\tlower\n}}",
    expected: tpl(18, act(0, 18, pipe(4, 15, cmd(4, 6, field(4, ".a")), cmd(10, 15, ident(10, "lower"))))),
  },
  {
    name: "text has non-ASCII characters (offsets are UTF-16 code units)",
    source: "é{{ .a }}😀",
    expected: tpl(11, text(0, "é"), single(1, 9, field(4, ".a")), text(9, "😀")),
  },
  {
    name: "'{{-' is followed by a number, not a space (no trim marker)",
    source: "{{-3}}",
    expected: tpl(6, single(0, 6, num(2, "-3"))),
  },
];

describe("parseTemplate: valid templates", () => {
  it.each(validCases)("should build the exact AST when $name", ({ source, expected }) => {
    expect(parseTemplate(source)).toEqual({ template: expected, errors: [] });
  });

  it("should accept parentheses nested exactly to the limit", () => {
    const source = `{{ ${"(".repeat(MAX_PAREN_DEPTH)}.a${")".repeat(MAX_PAREN_DEPTH)} }}`;
    expect(parseTemplate(source).errors).toEqual([]);
  });
});

// --- errors -----------------------------------------------------------------------------------------

const err = (code: TemplateError["code"], message: string, start: number, end: number): TemplateError => ({
  code,
  message,
  span: sp(start, end),
});
const OPERAND = "expected a field, function or literal";

const errorCases: readonly { name: string; source: string; expected: TemplateError[] }[] = [
  {
    name: "a pipe has nothing after it",
    source: "{{ .a | }}",
    expected: [err("TPL5001", `${OPERAND} after '|', found '}}'`, 8, 10)],
  },
  {
    name: "a pipe has nothing after it before a trim marker",
    source: "{{ .a | -}}",
    expected: [err("TPL5001", `${OPERAND} after '|', found '-}}'`, 8, 11)],
  },
  {
    name: "an action starts with a pipe",
    source: "{{ | .a }}",
    expected: [err("TPL5001", `${OPERAND} after '{{', found '|'`, 3, 4)],
  },
  {
    name: "parentheses are empty",
    source: "{{ ( ) }}",
    expected: [err("TPL5001", `${OPERAND} after '(', found ')'`, 5, 6)],
  },
  {
    name: "a '(' is not closed",
    source: "{{ (.a }}",
    expected: [err("TPL5001", "expected ')' to close '(', found '}}'", 7, 9)],
  },
  {
    name: "a ')' has no '('",
    source: "{{ .a) }}",
    expected: [err("TPL5001", "unexpected ')' with no matching '('", 5, 6)],
  },
  {
    name: "the action is empty",
    source: "{{ }}",
    expected: [
      err("TPL5005", "empty action: expected a field, function or literal between '{{' and '}}'", 0, 5),
    ],
  },
  {
    name: "the action is empty between trim markers",
    source: "{{- -}}",
    expected: [
      err("TPL5005", "empty action: expected a field, function or literal between '{{-' and '-}}'", 0, 7),
    ],
  },
  {
    name: "an action is not closed",
    source: "a {{ .b",
    expected: [
      err("TPL5002", "unterminated action: expected '}}' to close '{{', found the end of the text", 2, 4),
    ],
  },
  {
    name: "an action with a trim marker is not closed",
    source: "{{- .b",
    expected: [
      err("TPL5002", "unterminated action: expected '}}' to close '{{-', found the end of the text", 0, 3),
    ],
  },
  {
    name: "a string swallows the closing delimiter",
    source: '{{ "abc }}',
    expected: [
      err("TPL5003", "unterminated string: expected a closing '\"' before the end of the line", 3, 10),
    ],
  },
  {
    name: "a string runs into a line break",
    source: '{{ "abc\n}}',
    expected: [
      err("TPL5003", "unterminated string: expected a closing '\"' before the end of the line", 3, 7),
    ],
  },
  {
    name: "a raw string is not closed",
    source: "{{ `abc }}",
    expected: [
      err("TPL5003", "unterminated raw string: expected a closing '`' before the end of the text", 3, 10),
    ],
  },
  {
    name: "a field ends with a dot",
    source: "{{ .a.}}",
    expected: [
      err(
        "TPL5001",
        "malformed field '.a.': expected a name (a letter or '_', then letters, digits or '_') after each '.'",
        3,
        6,
      ),
    ],
  },
  {
    name: "a field name starts with a digit",
    source: "{{ .1 }}",
    expected: [
      err(
        "TPL5001",
        "malformed field '.1': expected a name (a letter or '_', then letters, digits or '_') after each '.'",
        3,
        5,
      ),
    ],
  },
  {
    name: "two strings touch",
    source: '{{"a""b"}}',
    expected: [err("TPL5001", "expected a space between '\"a\"' and '\"b\"'", 5, 8)],
  },
  {
    name: "a field touches a '('",
    source: "{{ .a(.b) }}",
    expected: [err("TPL5001", "expected a space between '.a' and '('", 5, 6)],
  },
  {
    name: "a variable is used",
    source: "{{ $x }}",
    expected: [err("TPL5001", "unexpected '$': template variables are not supported", 3, 4)],
  },
  {
    name: "a comment is used",
    source: "{{ /* c */ }}",
    expected: [err("TPL5001", "unexpected '/*': template comments are not supported", 3, 5)],
  },
  {
    name: "a Go control keyword is used",
    source: "{{ if .a }}",
    expected: [
      err(
        "TPL5001",
        "'if' is not supported: template actions have no control structures or definitions",
        3,
        5,
      ),
    ],
  },
  {
    name: "an action opens inside an action",
    source: "{{ .a {{ .b }}",
    expected: [err("TPL5001", "unexpected '{{' inside an action: actions do not nest", 6, 8)],
  },
  {
    name: "a character is not part of the language",
    source: "{{ 'a' }}",
    expected: [err("TPL5001", `unexpected character "'" in an action`, 3, 4)],
  },
  {
    name: "a control character is in an action",
    source: "{{ .a\u0007 }}",
    expected: [err("TPL5001", "unexpected character U+0007 in an action", 5, 6)],
  },
  {
    name: "a '-' touches the closing delimiter",
    source: "{{ .a-}}",
    expected: [
      err("TPL5001", "unexpected '-' before '}}': a trim marker needs a space before it (' -}}')", 5, 6),
    ],
  },
  {
    name: "a string has an unknown escape",
    source: String.raw`{{ "\d" }}`,
    expected: [
      err(
        "TPL5001",
        String.raw`invalid escape '\d' in string: the escapes are \" \\ \n \t \r and \uXXXX; write '\\' for a backslash, or use a raw string in backquotes`,
        4,
        6,
      ),
    ],
  },
  {
    name: "a \\u escape is too short",
    source: String.raw`{{ "\u12" }}`,
    expected: [
      err(
        "TPL5001",
        String.raw`invalid escape '\u12' in string: expected '\u' and four hex digits of a non-surrogate code point`,
        4,
        8,
      ),
    ],
  },
  {
    name: "a \\u escape is a surrogate",
    source: String.raw`{{ "\ud800" }}`,
    expected: [
      err(
        "TPL5001",
        String.raw`invalid escape '\ud800' in string: expected '\u' and four hex digits of a non-surrogate code point`,
        4,
        10,
      ),
    ],
  },
  {
    name: "a number has a leading zero",
    source: "{{ 01 }}",
    expected: [
      err(
        "TPL5001",
        "malformed number '01': expected digits with an optional '-', fraction and exponent (no leading zeros)",
        3,
        5,
      ),
    ],
  },
  {
    name: "a number has two dots",
    source: "{{ 1.2.3 }}",
    expected: [
      err(
        "TPL5001",
        "malformed number '1.2.3': expected digits with an optional '-', fraction and exponent (no leading zeros)",
        3,
        8,
      ),
    ],
  },
  {
    name: "a number is out of range",
    source: "{{ 1e999 }}",
    expected: [err("TPL5001", "number '1e999' is out of range", 3, 8)],
  },
  {
    name: "parentheses nest one level too deep",
    source: `{{ ${"(".repeat(MAX_PAREN_DEPTH + 1)}.a${")".repeat(MAX_PAREN_DEPTH + 1)} }}`,
    expected: [err("TPL5004", "parentheses nested too deeply: more than 64 levels of '('", 67, 68)],
  },
  {
    name: "several actions are bad (one error each, the scan goes on)",
    source: "{{ }} x {{ .a | }} {{ .b",
    expected: [
      err("TPL5005", "empty action: expected a field, function or literal between '{{' and '}}'", 0, 5),
      err("TPL5001", `${OPERAND} after '|', found '}}'`, 16, 18),
      err("TPL5002", "unterminated action: expected '}}' to close '{{', found the end of the text", 19, 21),
    ],
  },
];

describe("parseTemplate: errors", () => {
  it.each(errorCases)("should report exact errors when $name", ({ source, expected }) => {
    expect(parseTemplate(source)).toEqual({ template: undefined, errors: expected });
  });

  it("should report a deeply nested '(' instead of overflowing the stack when there are 100000", () => {
    const source = `{{ ${"(".repeat(100_000)}.a${")".repeat(100_000)} }}`;
    expect(parseTemplate(source).errors.map((e) => e.code)).toEqual(["TPL5004"]);
  });

  it("should finish quickly when the input is huge", () => {
    const started = Date.now();
    const text = "}} { x ".repeat(150_000);
    expect(parsed(text).parts).toHaveLength(1);
    expect(parsed('a {{ .b | f "}}" (g 1) }}'.repeat(10_000)).parts).toHaveLength(20_000);
    expect(parseTemplate(`{{ "${"\\".repeat(100_000)}`).errors.map((e) => e.code)).toEqual(["TPL5003"]);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("should list every reported code in TEMPLATE_ERROR_CODES when describing codes", () => {
    const codes = Object.keys(TEMPLATE_ERROR_CODES);
    expect(codes).toEqual([
      "TPL5001",
      "TPL5002",
      "TPL5003",
      "TPL5004",
      "TPL5005",
      "TPL5006",
      "TPL5007",
      "TPL5008",
    ]);
    for (const description of Object.values(TEMPLATE_ERROR_CODES))
      expect(description.length).toBeGreaterThan(10);
    for (const { expected } of errorCases) for (const e of expected) expect(codes).toContain(e.code);
  });
});

// --- printer ----------------------------------------------------------------------------------------

describe("printTemplate", () => {
  it.each([
    "",
    "plain }} text",
    "{{ .a | lower }}",
    "x {{- .a -}} y",
    "a\n{{- .b }}\n{{ .c -}}\n",
    '{{ (lower .a) | f "x" 1 -2.5 true false nil }}',
    "{{ `raw \\ string` }}",
    '{{ . }}{{ .regex "^prod-.*" }}{{ .any }}',
    '{{ ((f (g .a.b) "}}")) }}',
  ])("should print %j exactly as written when it is canonical", (source) => {
    expect(printTemplate(parsed(source))).toBe(source);
  });

  it.each([
    ["{{.a|lower}}", "{{ .a | lower }}"],
    ["{{-3}}", "{{ -3 }}"],
    ["{{   ( .a   )  }}", "{{ (.a) }}"],
    ["{{\n.a\n}}", "{{ .a }}"],
    ["{{- .a}}x{{.b\t-}}", "{{- .a }}x{{ .b -}}"],
    ['{{ f   1e3 "\\u00e9" }}', '{{ f 1e3 "\\u00e9" }}'],
  ])("should print %j as %j when the spacing is not canonical", (source, canonical) => {
    expect(printTemplate(parsed(source))).toBe(canonical);
  });

  it("should print a pipeline without delimiters when given one", () => {
    const action = parsed("{{ .a   |lower|  f (g  .b) }}").parts[0];
    expect(action?.kind === "action" && printPipeline(action.pipeline)).toBe(".a | lower | f (g .b)");
  });
});

// --- referencedFields and isLiteralTemplate -----------------------------------------------------------

describe("referencedFields", () => {
  it("should list every field in source order when fields are nested in parentheses and pipes", () => {
    const template = parsed("{{ .a }} {{ f (g .b.c) .d | h . }}");
    expect(referencedFields(template)).toEqual([
      field(3, ".a"),
      field(17, ".b.c"),
      field(23, ".d"),
      field(30, "."),
    ]);
  });

  it("should list no field when the template has only literals and functions", () => {
    expect(referencedFields(parsed('text {{ f "x" 1 }}'))).toEqual([]);
  });
});

describe("isLiteralTemplate", () => {
  it.each([
    ["abc", true],
    ["a }} b", true],
    ["{", true],
    ["a {{ b", false],
    ["{{ .a }}", false],
  ])("should say %j is literal: %s", (source, expected) => {
    expect(isLiteralTemplate(source)).toBe(expected);
  });
});

// --- evaluate ---------------------------------------------------------------------------------------

const functions: Record<string, TemplateFunction> = {
  upper: (s) => String(s).toUpperCase(),
  default: (fallback, value) => (value === "" || value === null ? fallback : (value ?? fallback)),
  join: (...args) => args.map(String).join(","),
  zero: () => "0",
  boom: () => {
    throw new Error("bang");
  },
};

describe("evaluate", () => {
  it.each<{ name: string; source: string; data: TemplateValue; expected: string }>([
    {
      name: "fields are nested",
      source: "pod-{{ .vars.name }}-x",
      data: { vars: { name: "web" } },
      expected: "pod-web-x",
    },
    {
      name: "values are numbers and booleans",
      source: "{{ .n }} {{ .b }}",
      data: { n: 3, b: true },
      expected: "3 true",
    },
    {
      name: "a field is piped to a function",
      source: "{{ .name | upper }}",
      data: { name: "web" },
      expected: "WEB",
    },
    {
      name: "the piped value comes last",
      source: '{{ .a | join "p" 1 }}',
      data: { a: "A" },
      expected: "p,1,A",
    },
    {
      name: "a function has literal arguments",
      source: '{{ default "x" .name }}',
      data: { name: "y" },
      expected: "y",
    },
    {
      name: "a paren is an argument",
      source: "{{ join (upper .a) zero }}",
      data: { a: "q" },
      expected: "Q,0",
    },
    { name: "'.' is the data", source: "{{ . }}", data: "all", expected: "all" },
    {
      name: "trim markers remove white space",
      source: "a \n {{- .x -}} \t b",
      data: { x: "X" },
      expected: "aXb",
    },
    { name: "one side is trimmed", source: "a\n{{- .x }}\n", data: { x: "X" }, expected: "aX\n" },
    { name: "there is no action", source: "just }} text", data: {}, expected: "just }} text" },
  ])("should render the text when $name", ({ source, data, expected }) => {
    expect(evaluate(parsed(source), data, functions)).toEqual({ value: expected, errors: [] });
  });

  it.each<{ name: string; source: string; data: TemplateValue; expected: TemplateError[] }>([
    {
      name: "a key is missing",
      source: "{{ .vars.missing }}",
      data: { vars: {} },
      expected: [err("TPL5006", "missing key 'missing' in '.vars.missing'", 3, 16)],
    },
    {
      name: "the key is only on the prototype",
      source: "{{ .constructor }}",
      data: {},
      expected: [err("TPL5006", "missing key 'constructor' in '.constructor'", 3, 15)],
    },
    {
      name: "the any matcher is rendered",
      source: "{{ .any }}",
      data: {},
      expected: [
        err(
          "TPL5006",
          "missing key 'any' in '.any'; '.any' is a replay-scenario matcher, meaningful only in argv",
          3,
          7,
        ),
      ],
    },
    {
      name: "the regex matcher is rendered",
      source: '{{ .regex "^a" }}',
      data: {},
      expected: [
        err(
          "TPL5008",
          "'.regex' is not a function, so it cannot take arguments; '.regex' is a replay-scenario matcher, meaningful only in argv",
          3,
          9,
        ),
      ],
    },
    {
      name: "a matcher is called as a function",
      source: '{{ regex "^a" }}',
      data: {},
      expected: [
        err(
          "TPL5007",
          "unknown function 'regex'; 'regex' is a replay-scenario matcher, meaningful only in argv",
          3,
          8,
        ),
      ],
    },
    {
      name: "a function is unknown",
      source: "{{ .a | nope }}",
      data: { a: "x" },
      expected: [err("TPL5007", "unknown function 'nope'", 8, 12)],
    },
    {
      name: "a field reads through a string",
      source: "{{ .a.b }}",
      data: { a: "s" },
      expected: [err("TPL5008", "cannot read 'b' of '.a': it is a string, not a map", 3, 7)],
    },
    {
      name: "the value is a map",
      source: "{{ .a }}",
      data: { a: { x: 1 } },
      expected: [err("TPL5008", "cannot print a map: expected a string, number or boolean", 0, 8)],
    },
    {
      name: "the value is null",
      source: "{{ .a }}",
      data: { a: null },
      expected: [err("TPL5008", "cannot print null: expected a string, number or boolean", 0, 8)],
    },
    {
      name: "a function throws (every bad action is reported)",
      source: "{{ boom }}{{ .x }}",
      data: {},
      expected: [
        err("TPL5008", "function 'boom' failed: bang", 3, 7),
        err("TPL5006", "missing key 'x' in '.x'", 13, 15),
      ],
    },
  ])("should report an error when $name", ({ source, data, expected }) => {
    expect(evaluate(parsed(source), data, functions)).toEqual({ value: undefined, errors: expected });
  });
});

// --- properties -------------------------------------------------------------------------------------

/** Characters that exercise the scanner and lexer: delimiters, quotes, escapes, trim markers. */
const templateChars = fc.constantFrom(
  ...'{{}}--||()..""``\\ \n\ta1_xé😀$'.split(""),
  "{{ ",
  " }}",
  " -}}",
  "{{- ",
);
const templateLike = fc.string({ unit: templateChars, maxLength: 40 });
/** Any UTF-16 code unit, lone surrogates included (fast-check's "binary" unit is slow to set up). */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const anyString = (maxLength: number) => fc.string({ unit: anyCodeUnit, maxLength });

function checkResultShape(source: string): void {
  const result = parseTemplate(source);
  expect(result.template === undefined).toBe(result.errors.length > 0);
  for (const e of result.errors) {
    expect(Object.keys(TEMPLATE_ERROR_CODES)).toContain(e.code);
    expect(0 <= e.span.start && e.span.start <= e.span.end && e.span.end <= source.length).toBe(true);
  }
}

const NAMES = ["a", "b_2", "Name", "x"];
const FUNCTIONS = ["f", "lower", "nil", "regex", "_g"];

/** Canonical-form operands at most `depth` parentheses deep (spans are filled in by parsing). */
function operandSource(depth: number): fc.Arbitrary<string> {
  const leaves = fc.oneof(
    fc.array(fc.constantFrom(...NAMES), { maxLength: 3 }).map((path) => `.${path.join(".")}`),
    fc.constantFrom(...FUNCTIONS),
    fc.string({ maxLength: 6 }).map(goQuote),
    fc.string({ maxLength: 6 }).map((s) => `\`${s.replaceAll("`", "")}\``),
    fc.integer({ min: -1000, max: 1000 }).map(String),
    fc.tuple(fc.nat(99), fc.nat(99)).map(([a, b]) => `${a}.${b}`),
    fc.constantFrom("true", "false"),
  );
  if (depth === 0) return leaves;
  return fc.oneof(
    { weight: 4, arbitrary: leaves },
    { weight: 1, arbitrary: pipelineSource(depth - 1).map((p) => `(${p})`) },
  );
}

function pipelineSource(depth: number): fc.Arbitrary<string> {
  const command = fc
    .array(operandSource(depth), { minLength: 1, maxLength: 3 })
    .map((args) => args.join(" "));
  return fc.array(command, { minLength: 1, maxLength: 3 }).map((commands) => commands.join(" | "));
}

/** Go-style double-quoted string. */
function goQuote(value: string): string {
  const escaped = value.replace(
    /[\\"\n\t\r]/g,
    (c) => ({ "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r" })[c] ?? c,
  );
  return `"${escaped}"`;
}

const canonicalAction = fc
  .tuple(fc.boolean(), pipelineSource(2), fc.boolean())
  .map(([left, pipeline, right]) => `${left ? "{{- " : "{{ "}${pipeline}${right ? " -}}" : " }}"}`);
const safeText = fc
  .string({ minLength: 1, maxLength: 8 })
  .filter((s) => !s.includes("{{") && !s.endsWith("{"));
const canonicalTemplate = fc
  .array(fc.tuple(fc.option(safeText), canonicalAction), { maxLength: 4 })
  .chain((pairs) =>
    fc.option(safeText).map((tail) => pairs.map(([t, a]) => `${t ?? ""}${a}`).join("") + (tail ?? "")),
  );

function operandsOf(pipeline: Pipeline): Operand[] {
  return pipeline.commands.flatMap((c) =>
    c.args.flatMap((a) => (a.kind === "paren" ? [a, ...operandsOf(a.pipeline)] : [a])),
  );
}

describe("properties", () => {
  it("should never throw and return a template or errors when the input is any string", () => {
    fc.assert(fc.property(anyString(60), checkResultShape));
    fc.assert(fc.property(templateLike, checkResultShape), { numRuns: 500 });
  });

  it("should print identically after a reparse when an arbitrary string parses", () => {
    fc.assert(
      fc.property(templateLike, (source) => {
        const first = parseTemplate(source).template;
        if (first === undefined) return;
        const printed = printTemplate(first);
        const second = parseTemplate(printed);
        expect(second.errors).toEqual([]);
        expect(printTemplate(second.template!)).toBe(printed);
      }),
      { numRuns: 500 },
    );
  });

  it("should print a generated canonical template exactly and span every node when it is reparsed", () => {
    fc.assert(
      fc.property(canonicalTemplate, (source) => {
        const template = parsed(source);
        expect(printTemplate(template)).toBe(source);
        for (const part of template.parts) {
          const slice = source.slice(part.span.start, part.span.end);
          if (part.kind === "text") {
            expect(slice).toBe(part.value);
            continue;
          }
          expect(slice.startsWith(part.trimLeft ? "{{- " : "{{ ")).toBe(true);
          expect(source.slice(part.pipeline.span.start, part.pipeline.span.end)).toBe(
            printPipeline(part.pipeline),
          );
          for (const operand of operandsOf(part.pipeline)) {
            expect(source.slice(operand.span.start, operand.span.end)).toBe(printOperand(operand));
          }
        }
      }),
    );
  });

  it("should decode a generated string literal to the value it was generated from", () => {
    fc.assert(
      fc.property(anyString(20), (value) => {
        const action = parsed(`{{ ${goQuote(value)} }}`).parts[0];
        const operand = action?.kind === "action" ? action.pipeline.commands[0]?.args[0] : undefined;
        expect(operand?.kind === "string" && operand.value).toBe(value);
      }),
    );
  });

  it("should never throw when evaluating any parsed template against empty data", () => {
    fc.assert(
      fc.property(templateLike, (source) => {
        const template = parseTemplate(source).template;
        if (template === undefined) return;
        const result = evaluate(template, {});
        expect(result.value === undefined).toBe(result.errors.length > 0);
      }),
    );
  });
});
