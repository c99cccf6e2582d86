/**
 * RE2 (Go `regexp`) patterns of cli-replay's `{{ .regex "…" }}` matcher, translated to JavaScript
 * `RegExp`s that find the same matches. The translation is syntactic, in one pass:
 *
 * - leading flags `(?i)`, `(?m)`, `(?s)` become RegExp flags; `(?U)`, and flags in the middle of a
 *   pattern, have no JavaScript equivalent and make the pattern unusable;
 * - `.` is "any character but `\n`" (RE2), `\s` is `[\t\n\f\r ]`, `\A` / `\z` are the text's ends,
 *   `\Q…\E` is literal text, `\pL` / `\p{Greek}` are Unicode classes, `\x{263A}` a code point,
 *   `[[:alpha:]]` a POSIX class, `(?P<name>…)` a named group;
 * - a `{`, `}` or `]` that is not part of a repetition or a class is literal, as in RE2;
 * - what RE2 rejects is rejected: backreferences, lookaround, repetition counts over 1000.
 *
 * Anything the result cannot express faithfully is reported as an error rather than approximated:
 * an invalid pattern matches nothing, in cli-replay as here.
 */

export type Re2Result =
  | { readonly ok: true; readonly regex: RegExp }
  | { readonly ok: false; readonly error: string };

/** RE2's limit on `{n,m}` counts. */
const MAX_REPEAT = 1000;

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`\\{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** Characters a JavaScript pattern (unicode mode) may escape with a backslash. */
const JS_SYNTAX = new Set("^$\\.*+?()[]{}|/".split(""));

class Re2Error extends Error {}

/** Compiles an RE2 pattern; never throws. */
export function compileRe2(pattern: string): Re2Result {
  try {
    const { source, flags } = translate(pattern);
    return { ok: true, regex: new RegExp(source, `${flags}u`) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // JavaScript's message quotes the translated pattern ("Invalid regular expression: /…/u: "): drop it.
    return { ok: false, error: message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, "") };
  }
}

function translate(pattern: string): { source: string; flags: string } {
  let i = 0;
  let flags = "";
  let dotAll = false;
  // Leading flag groups: (?i), (?s), (?ms), (?i)(?s) …
  for (;;) {
    const m = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)/.exec(pattern.slice(i));
    if (m === null) break;
    for (const f of m[1] ?? "") {
      if (f === "i" || f === "m") flags += flags.includes(f) ? "" : f;
      else if (f === "s") dotAll = true;
      else if (f === "U") throw new Re2Error("the (?U) flag (ungreedy) has no JavaScript equivalent");
      else throw new Re2Error(`invalid or unsupported Perl syntax: (?${m[1]})`);
    }
    for (const f of m[2] ?? "") if (!"imsU".includes(f)) throw new Re2Error(`invalid flag ${f}`);
    i += m[0].length;
  }

  let out = "";
  let canRepeat = false;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === "\\") {
      const { text, next } = escapeOutside(pattern, i);
      out += text;
      i = next;
      canRepeat = true;
      continue;
    }
    if (ch === "[") {
      const { text, next } = characterClass(pattern, i);
      out += text;
      i = next;
      canRepeat = true;
      continue;
    }
    if (ch === "(") {
      const rest = pattern.slice(i);
      if (/^\(\?(=|!|<=|<!)/.test(rest)) throw new Re2Error("lookaround (?= ?! ?<= ?<!) is not RE2 syntax");
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named !== null) {
        out += `(?<${named[1]}>`;
        i += named[0].length;
      } else if (/^\(\?[a-zA-Z-]*\)/.test(rest)) {
        throw new Re2Error(
          `flags such as ${/^\(\?[a-zA-Z-]*\)/.exec(rest)![0]} are supported only at the start`,
        );
      } else if (/^\(\?[a-zA-Z-]*:/.test(rest)) {
        const m = /^\(\?([a-zA-Z-]*):/.exec(rest)!;
        if (m[1]!.includes("U")) throw new Re2Error("the (?U) flag (ungreedy) has no JavaScript equivalent");
        out += m[0];
        i += m[0].length;
      } else if (rest.startsWith("(?")) {
        throw new Re2Error(`invalid or unsupported Perl syntax: ${rest.slice(0, 3)}`);
      } else {
        out += "(";
        i += 1;
      }
      canRepeat = false;
      continue;
    }
    if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m !== null && canRepeat) {
        const min = Number(m[1]);
        const max = m[3] === undefined || m[3] === "" ? min : Number(m[3]);
        if (min > MAX_REPEAT || max > MAX_REPEAT) throw new Re2Error(`invalid repeat count: ${m[0]}`);
        if (m[3] !== undefined && m[3] !== "" && max < min)
          throw new Re2Error(`invalid repeat count: ${m[0]}`);
        out += m[0];
        i += m[0].length;
        continue;
      }
      out += "\\{";
      i += 1;
      canRepeat = true;
      continue;
    }
    if (ch === "}" || ch === "]") {
      out += `\\${ch}`;
      i += 1;
      canRepeat = true;
      continue;
    }
    if (ch === ".") {
      out += dotAll ? "[\\s\\S]" : "[^\\n]";
      i += 1;
      canRepeat = true;
      continue;
    }
    out += ch;
    i += 1;
    canRepeat = !"|(".includes(ch);
  }
  return { source: out, flags };
}

/** `\…` outside a class, starting at `at` (the backslash). */
function escapeOutside(pattern: string, at: number): { text: string; next: number } {
  const c = pattern[at + 1];
  if (c === undefined) throw new Re2Error("trailing backslash at end of expression");
  switch (c) {
    case "A":
      return { text: "(?<![\\s\\S])", next: at + 2 };
    case "z":
      return { text: "(?![\\s\\S])", next: at + 2 };
    case "s":
      return { text: "[\\t\\n\\f\\r ]", next: at + 2 };
    case "S":
      return { text: "[^\\t\\n\\f\\r ]", next: at + 2 };
    case "Q": {
      const end = pattern.indexOf("\\E", at + 2);
      const literal = pattern.slice(at + 2, end < 0 ? pattern.length : end);
      return {
        text: [...literal].map((ch) => literalChar(ch, false)).join(""),
        next: end < 0 ? pattern.length : end + 2,
      };
    }
    default:
      return commonEscape(pattern, at, false);
  }
}

/** Escapes that mean the same inside and outside a class. */
function commonEscape(pattern: string, at: number, inClass: boolean): { text: string; next: number } {
  const c = pattern[at + 1]!;
  if ("dDwWbB".includes(c)) return { text: `\\${c}`, next: at + 2 };
  if ("fnrtv".includes(c)) return { text: `\\${c}`, next: at + 2 };
  if (c === "a") return { text: "\\x07", next: at + 2 };
  if (c === "p" || c === "P") return unicodeClass(pattern, at);
  if (c === "x") {
    const braced = /^\\x\{([0-9A-Fa-f]{1,8})\}/.exec(pattern.slice(at));
    if (braced !== null) {
      const code = Number.parseInt(braced[1]!, 16);
      if (code > 0x10ffff) throw new Re2Error(`invalid escape sequence: ${braced[0]}`);
      return { text: `\\u{${code.toString(16)}}`, next: at + braced[0].length };
    }
    const short = /^\\x[0-9A-Fa-f]{2}/.exec(pattern.slice(at));
    if (short !== null) return { text: short[0], next: at + 4 };
    throw new Re2Error(`invalid escape sequence: ${pattern.slice(at, at + 4)}`);
  }
  if (/[0-7]/.test(c)) {
    // \0, \012: octal. A single non-zero digit would be a backreference, which RE2 does not have.
    const m = /^\\([0-7]{1,3})/.exec(pattern.slice(at))!;
    if (c !== "0" && m[1]!.length === 1)
      throw new Re2Error(`invalid escape sequence: \\${c} (backreferences are not RE2 syntax)`);
    return { text: `\\u{${Number.parseInt(m[1]!, 8).toString(16)}}`, next: at + m[0].length };
  }
  if (/[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/.test(c))
    return { text: literalChar(c, inClass), next: at + 2 };
  throw new Re2Error(`invalid escape sequence: \\${c}`);
}

/** `\pL`, `\PL`, `\p{Greek}`, `\p{^Greek}`. */
function unicodeClass(pattern: string, at: number): { text: string; next: number } {
  let negated = pattern[at + 1] === "P";
  let name: string;
  let next: number;
  if (pattern[at + 2] === "{") {
    const end = pattern.indexOf("}", at + 3);
    if (end < 0) throw new Re2Error(`invalid character class range: ${pattern.slice(at)}`);
    name = pattern.slice(at + 3, end);
    next = end + 1;
    if (name.startsWith("^")) {
      negated = !negated;
      name = name.slice(1);
    }
  } else {
    name = pattern[at + 2] ?? "";
    next = at + 3;
  }
  if (!/^[A-Za-z_]+$/.test(name)) throw new Re2Error(`invalid character class range: \\p{${name}}`);
  const p = negated ? "P" : "p";
  for (const candidate of [name, `Script=${name}`]) {
    try {
      new RegExp(`\\${p}{${candidate}}`, "u");
      return { text: `\\${p}{${candidate}}`, next };
    } catch {
      // try the next spelling
    }
  }
  throw new Re2Error(`invalid character class range: \\p{${name}}`);
}

/** `[…]` starting at `at`. */
function characterClass(pattern: string, at: number): { text: string; next: number } {
  let i = at + 1;
  let out = "[";
  if (pattern[i] === "^") {
    out += "^";
    i += 1;
  }
  let first = true;
  for (;;) {
    const ch = pattern[i];
    if (ch === undefined) throw new Re2Error(`missing closing ]: ${pattern.slice(at)}`);
    if (ch === "]" && !first) return { text: `${out}]`, next: i + 1 };
    first = false;
    if (ch === "[" && pattern[i + 1] === ":") {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
      if (m !== null) {
        const expansion = POSIX_CLASSES[m[2]!];
        if (expansion === undefined || m[1] === "^")
          throw new Re2Error(`invalid character class range: ${m[0]}`);
        out += expansion;
        i += m[0].length;
        continue;
      }
    }
    if (ch === "\\") {
      const c = pattern[i + 1];
      if (c === "s") {
        out += "\\t\\n\\f\\r ";
        i += 2;
        continue;
      }
      if (c === "S") {
        out += "\\S";
        i += 2;
        continue;
      }
      if (c === "Q" || c === "A" || c === "z" || c === "b" || c === "B")
        throw new Re2Error(`invalid escape sequence in a class: \\${c}`);
      if (c === undefined) throw new Re2Error("trailing backslash at end of expression");
      const { text, next } = commonEscape(pattern, i, true);
      out += text;
      i = next;
      continue;
    }
    out += ch === "-" || ch === "^" ? ch : literalChar(ch, true);
    i += 1;
  }
}

/** A character matched literally; in a class, ASCII punctuation is written `\xHH` (never a range's `-`). */
function literalChar(ch: string, inClass: boolean): string {
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f || (inClass && /[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/.test(ch)))
    return `\\x${code.toString(16).padStart(2, "0")}`;
  return JS_SYNTAX.has(ch) ? `\\${ch}` : ch;
}
