/**
 * Errors of the template-expression language: their stable codes (`TEMPLATE_ERROR_CODES`, each
 * named once with its meaning) and what each error says (`TemplateErrors`, one entry per
 * situation with its code and a message built from typed arguments, in the shape of the
 * compiler's `ir/diagnostic-catalogue.ts`). The compiler's catalogue mirrors the codes;
 * test/architecture/codes.test.ts checks they are documented and used by no other registry.
 * Never renumber or reuse a code.
 */
import type { TemplateSpan } from "./ast.js";

/** Every code this module reports, with a one-line description. */
export const TEMPLATE_ERROR_CODES = {
  TPL5001: "syntax error in a template action",
  TPL5002: "unterminated action: '{{' without a matching '}}'",
  TPL5003: "unterminated string literal in a template action",
  TPL5004: "parentheses in a template action are nested too deeply",
  TPL5005: "empty template action '{{ }}'",
  TPL5006: "missing key: a field refers to a key that is not in the data",
  TPL5007: "unknown function in a template action",
  TPL5008: "template evaluation error: wrong kind of value, or a function failed",
} as const;

export type TemplateErrorCode = keyof typeof TEMPLATE_ERROR_CODES;

export interface TemplateError {
  readonly code: TemplateErrorCode;
  readonly message: string;
  /** Offsets into the template string (UTF-16 code units), `end` exclusive. */
  readonly span: TemplateSpan;
}

/** One thing the template language can say: its code and its message from typed arguments. */
export interface TemplateErrorDefinition<A> {
  readonly code: TemplateErrorCode;
  readonly message: (args: A) => string;
}

function t<A = Record<string, never>>(
  code: TemplateErrorCode,
  message: (args: A) => string,
): TemplateErrorDefinition<A> {
  return { code, message };
}

const matcherNote = (note: string | undefined) => (note === undefined ? "" : `; ${note}`);

export const TemplateErrors = {
  // --- reading an action: the scanner, the lexer, the literals -------------------------------
  UnterminatedAction: t<{ delimiter: string }>(
    "TPL5002",
    (a) => `unterminated action: expected '}}' to close '${a.delimiter}', found the end of the text`,
  ),
  UnterminatedString: t(
    "TPL5003",
    () => "unterminated string: expected a closing '\"' before the end of the line",
  ),
  UnterminatedRawString: t(
    "TPL5003",
    () => "unterminated raw string: expected a closing '`' before the end of the text",
  ),
  EmptyAction: t<{ open: string; close: string }>(
    "TPL5005",
    (a) => `empty action: expected a field, function or literal between '${a.open}' and '${a.close}'`,
  ),
  MissingSpace: t<{ previous: string; next: string }>(
    "TPL5001",
    (a) => `expected a space between ${quote(a.previous)} and ${quote(a.next)}`,
  ),
  ParenthesesTooDeep: t<{ max: number }>(
    "TPL5004",
    (a) => `parentheses nested too deeply: more than ${a.max} levels of '('`,
  ),
  ControlStructure: t<{ keyword: string }>(
    "TPL5001",
    (a) => `'${a.keyword}' is not supported: template actions have no control structures or definitions`,
  ),
  NestedAction: t("TPL5001", () => "unexpected '{{' inside an action: actions do not nest"),
  Comment: t("TPL5001", () => "unexpected '/*': template comments are not supported"),
  Variable: t("TPL5001", () => "unexpected '$': template variables are not supported"),
  TrimWithoutSpace: t(
    "TPL5001",
    () => "unexpected '-' before '}}': a trim marker needs a space before it (' -}}')",
  ),
  UnexpectedCharacter: t<{ described: string }>(
    "TPL5001",
    (a) => `unexpected character ${a.described} in an action`,
  ),
  MalformedField: t<{ image: string }>(
    "TPL5001",
    (a) =>
      `malformed field ${quote(a.image)}: expected a name (a letter or '_', then letters, digits or '_') after each '.'`,
  ),
  MalformedNumber: t<{ image: string }>(
    "TPL5001",
    (a) =>
      `malformed number ${quote(a.image)}: expected digits with an optional '-', fraction and exponent (no leading zeros)`,
  ),
  NumberOutOfRange: t<{ image: string }>("TPL5001", (a) => `number ${quote(a.image)} is out of range`),
  BadUnicodeEscape: t<{ shown: string }>(
    "TPL5001",
    (a) =>
      `invalid escape ${quote(a.shown)} in string: expected '\\u' and four hex digits of a non-surrogate code point`,
  ),
  BadEscape: t<{ shown: string }>(
    "TPL5001",
    (a) =>
      `invalid escape ${quote(a.shown)} in string: the escapes are \\" \\\\ \\n \\t \\r and \\uXXXX; write '\\\\' for a backslash, or use a raw string in backquotes`,
  ),

  // --- parsing an action ---------------------------------------------------------------------
  UnclosedParenthesis: t<{ found: string }>("TPL5001", (a) => `expected ')' to close '(', found ${a.found}`),
  UnmatchedParenthesis: t("TPL5001", () => "unexpected ')' with no matching '('"),
  Unexpected: t<{ found: string }>("TPL5001", (a) => `unexpected ${a.found}`),
  ExpectedOperand: t<{ after: string; found: string }>(
    "TPL5001",
    (a) => `expected a field, function or literal after ${a.after}, found ${a.found}`,
  ),

  // --- evaluating ------------------------------------------------------------------------------
  EmptyPipeline: t("TPL5008", () => "empty pipeline"),
  EmptyCommand: t("TPL5008", () => "empty command"),
  NotAFunction: t<{ operand: string; matcherNote: string | undefined }>(
    "TPL5008",
    (a) => `'${a.operand}' is not a function, so it cannot take arguments${matcherNote(a.matcherNote)}`,
  ),
  UnknownFunction: t<{ name: string; isMatcher: boolean }>(
    "TPL5007",
    (a) =>
      `unknown function '${a.name}'${a.isMatcher ? `; '${a.name}' is a replay-scenario matcher, meaningful only in argv` : ""}`,
  ),
  FunctionFailed: t<{ name: string; reason: string }>(
    "TPL5008",
    (a) => `function '${a.name}' failed: ${a.reason}`,
  ),
  NotAMap: t<{ key: string; parent: string; found: string }>(
    "TPL5008",
    (a) => `cannot read '${a.key}' of '${a.parent}': it is ${a.found}, not a map`,
  ),
  MissingKey: t<{ key: string; field: string; matcherNote: string | undefined }>(
    "TPL5006",
    (a) => `missing key '${a.key}' in '${a.field}'${matcherNote(a.matcherNote)}`,
  ),
  CannotPrint: t<{ found: string }>(
    "TPL5008",
    (a) => `cannot print ${a.found}: expected a string, number or boolean`,
  ),
} as const;

/** The error an entry of {@link TemplateErrors} says for `args`, over `start`–`end`. */
export function templateError<A>(
  definition: TemplateErrorDefinition<A>,
  args: A,
  start: number,
  end: number,
): TemplateError {
  return {
    code: definition.code,
    message: definition.message(args),
    span: { start, end: Math.max(start, end) },
  };
}

/** A piece of source quoted in a message: `'x'`, shortened when long. */
export function quote(source: string): string {
  const shown = source.length > 40 ? `${source.slice(0, 37)}...` : source;
  return `'${shown}'`;
}
