/**
 * Checks and decodes the text of field, string and number tokens. The lexer's patterns are
 * deliberately loose (`.a.`, `"\d"`, `1.2.3` are single tokens) so that these functions can say
 * precisely what is wrong; the lexer reports the error and the AST builder uses the value.
 */
import { type TemplateError, type TemplateErrorDefinition, TemplateErrors, templateError } from "./errors.js";

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: TemplateError };

const FIELD = /^\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/** `.a.b` → `["a", "b"]`; `.` → `[]`. `start` is the token's offset, for the error span. */
export function fieldPath(image: string, start: number): Checked<readonly string[]> {
  if (!FIELD.test(image)) {
    return fail(TemplateErrors.MalformedField, { image }, start, start + image.length);
  }
  return { ok: true, value: image === "." ? [] : image.slice(1).split(".") };
}

/** The value of a decimal number token such as `-3`, `1.5`, `2e10`. */
export function numberValue(image: string, start: number): Checked<number> {
  if (!NUMBER.test(image)) {
    return fail(TemplateErrors.MalformedNumber, { image }, start, start + image.length);
  }
  const value = Number(image);
  if (!Number.isFinite(value))
    return fail(TemplateErrors.NumberOutOfRange, { image }, start, start + image.length);
  return { ok: true, value };
}

/** The value of a `"…"` or `` `…` `` string token (quotes included in `raw`). */
export function stringValue(raw: string, start: number): Checked<string> {
  if (raw.startsWith("`")) return { ok: true, value: raw.slice(1, -1).replaceAll("\r", "") };
  let value = "";
  let i = 1;
  const last = raw.length - 1;
  while (i < last) {
    const backslash = raw.indexOf("\\", i);
    if (backslash < 0 || backslash >= last) {
      value += raw.slice(i, last);
      break;
    }
    value += raw.slice(i, backslash);
    const letter = raw[backslash + 1];
    const simple = letter === undefined ? undefined : SIMPLE_ESCAPES[letter];
    if (simple !== undefined) {
      value += simple;
      i = backslash + 2;
    } else if (letter === "u") {
      const hex = raw.slice(backslash + 2, backslash + 6);
      const code = HEX4.test(hex) ? Number.parseInt(hex, 16) : -1;
      if (code < 0 || (code >= 0xd800 && code <= 0xdfff)) {
        const shown = raw.slice(backslash, Math.min(backslash + 6, last));
        return fail(
          TemplateErrors.BadUnicodeEscape,
          { shown },
          start + backslash,
          start + backslash + shown.length,
        );
      }
      value += String.fromCharCode(code);
      i = backslash + 6;
    } else {
      const shown = raw.slice(backslash, backslash + 1 + charLength(raw, backslash + 1));
      return fail(TemplateErrors.BadEscape, { shown }, start + backslash, start + backslash + shown.length);
    }
  }
  return { ok: true, value };
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  n: "\n",
  t: "\t",
  r: "\r",
};

/** 2 for a surrogate pair at `index`, otherwise 1 (0 past the end). */
export function charLength(text: string, index: number): number {
  const code = text.codePointAt(index);
  if (code === undefined) return 0;
  return code > 0xffff ? 2 : 1;
}

function fail<T, A>(definition: TemplateErrorDefinition<A>, args: A, start: number, end: number): Checked<T> {
  return { ok: false, error: templateError(definition, args, start, end) };
}
