/**
 * The Chevrotain lexer for the inside of one `{{ … }}` action, plus the token-level checks that
 * follow it: malformed fields, numbers and string escapes, operands written without a space
 * between them, and parentheses nested too deeply. `lexAction` returns absolute offsets (into the
 * whole template string) or the first error.
 */
import { createToken, type IToken, Lexer, type TokenType } from "chevrotain";
import { type TemplateError, TemplateErrors, templateError } from "./errors.js";
import { charLength, fieldPath, numberValue, stringValue } from "./literals.js";

/** Deepest `( … )` nesting accepted in one action (TPL5004 beyond it). */
export const MAX_PAREN_DEPTH = 64;

/** Spaces, tabs and line breaks between tokens; skipped. */
export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

/** `|`: passes the value of the command on its left as the last argument of the one on its right. */
export const Pipe = createToken({ name: "Pipe", pattern: /\|/, label: "'|'" });

/** `(`: opens a parenthesised pipeline. */
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });

/** `)`: closes a parenthesised pipeline. */
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });

/**
 * A field chain: `.` alone or `.name(.name)*`. The pattern also takes malformed chains such as
 * `.a.` or `.1` so that `lexAction` can report them as one token with a precise message.
 */
export const Field = createToken({ name: "Field", pattern: /\.[A-Za-z0-9_.]*/, label: "a field" });

/** A function name: a letter or `_`, then letters, digits or `_` (ASCII). */
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  label: "a function name",
});

/** The keyword `true` (a longer name such as `trueish` is an identifier). */
export const True = createToken({ name: "True", pattern: /true/, longer_alt: Identifier, label: "'true'" });

/** The keyword `false` (a longer name such as `falsey` is an identifier). */
export const False = createToken({
  name: "False",
  pattern: /false/,
  longer_alt: Identifier,
  label: "'false'",
});

/** A double-quoted string on one line; escapes are checked and decoded by `stringValue`. */
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/,
  label: "a string",
});

/** A raw string in backquotes: no escapes, may span lines (carriage returns are dropped). */
export const RawStringLiteral = createToken({
  name: "RawStringLiteral",
  pattern: /`[^`]*`/,
  line_breaks: true,
  label: "a raw string",
});

/**
 * A decimal number with an optional leading `-`. The pattern also takes malformed numbers such
 * as `1.2.3` or `12ab` so that `lexAction` can report them as one token.
 */
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /-?[0-9](?:[eE][+-]|[0-9A-Za-z_.])*/,
  label: "a number",
});

/** Every token type, in matching order (keywords before `Identifier`). */
export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  Pipe,
  LParen,
  RParen,
  Field,
  True,
  False,
  Identifier,
  StringLiteral,
  RawStringLiteral,
  NumberLiteral,
];

const lexer = new Lexer([...allTokens], { positionTracking: "onlyOffset", ensureOptimizations: true });

/** Tokens that can end an operand, and tokens that can start one: these need a space between. */
const OPERAND_TOKENS = [Field, Identifier, True, False, StringLiteral, RawStringLiteral, NumberLiteral];
const ENDS_OPERAND = new Set([RParen, ...OPERAND_TOKENS]);
const STARTS_OPERAND = new Set([LParen, ...OPERAND_TOKENS]);

/** Go text/template keywords, which this language does not have (they would read as function names). */
const GO_KEYWORDS = new Set([
  "if",
  "else",
  "end",
  "range",
  "with",
  "define",
  "template",
  "block",
  "break",
  "continue",
]);

export type LexResult =
  | { readonly ok: true; readonly tokens: readonly IToken[] }
  | { readonly ok: false; readonly error: TemplateError };

/** Lexes `text.slice(start, end)`, the inside of one action; token offsets are absolute. */
export function lexAction(text: string, start: number, end: number): LexResult {
  const result = lexer.tokenize(text.slice(start, end));
  for (const token of result.tokens) token.startOffset += start;
  const lexError = result.errors[0];
  const lexErrorAt = lexError === undefined ? Number.POSITIVE_INFINITY : lexError.offset + start;
  const tokenError = checkTokens(result.tokens, lexErrorAt);
  if (tokenError !== undefined) return { ok: false, error: tokenError };
  if (lexError !== undefined) return { ok: false, error: unexpectedCharacter(text, lexErrorAt, end) };
  return { ok: true, tokens: result.tokens };
}

/** The first token-level error before offset `limit`, if any. */
function checkTokens(tokens: readonly IToken[], limit: number): TemplateError | undefined {
  let depth = 0;
  let previous: IToken | undefined;
  for (const token of tokens) {
    const at = token.startOffset;
    if (at >= limit) return undefined;
    const type = token.tokenType;
    if (
      previous !== undefined &&
      previous.startOffset + previous.image.length === at &&
      ENDS_OPERAND.has(previous.tokenType) &&
      STARTS_OPERAND.has(type)
    ) {
      return templateError(
        TemplateErrors.MissingSpace,
        { previous: previous.image, next: token.image },
        at,
        at + token.image.length,
      );
    }
    if (type === LParen && ++depth > MAX_PAREN_DEPTH) {
      return templateError(TemplateErrors.ParenthesesTooDeep, { max: MAX_PAREN_DEPTH }, at, at + 1);
    }
    if (type === RParen) depth--;
    if (type === Identifier && GO_KEYWORDS.has(token.image)) {
      return templateError(
        TemplateErrors.ControlStructure,
        { keyword: token.image },
        at,
        at + token.image.length,
      );
    }
    const checked =
      type === Field
        ? fieldPath(token.image, at)
        : type === NumberLiteral
          ? numberValue(token.image, at)
          : type === StringLiteral
            ? stringValue(token.image, at)
            : undefined;
    if (checked !== undefined && !checked.ok) return checked.error;
    previous = token;
  }
  return undefined;
}

function unexpectedCharacter(text: string, at: number, end: number): TemplateError {
  const length = Math.max(1, charLength(text, at));
  const ch = text.slice(at, at + length);
  if (ch === "{" && text[at + 1] === "{") {
    return templateError(TemplateErrors.NestedAction, {}, at, at + 2);
  }
  if (ch === "/" && text[at + 1] === "*") {
    return templateError(TemplateErrors.Comment, {}, at, at + 2);
  }
  if (ch === "$") {
    return templateError(TemplateErrors.Variable, {}, at, at + 1);
  }
  if (ch === "-" && at + 1 === end) {
    return templateError(TemplateErrors.TrimWithoutSpace, {}, at, at + 1);
  }
  return templateError(TemplateErrors.UnexpectedCharacter, { described: describeChar(ch) }, at, at + length);
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (
    code < 0x21 ||
    (code >= 0x7f && code <= 0xa0) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0xfeff
  ) {
    return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return ch === "'" ? `"'"` : `'${ch}'`;
}
