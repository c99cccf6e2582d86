/**
 * Go's `%q` and `%v` formatting of strings and string lists, so that replay messages read exactly
 * like cli-replay's (`Expected: [kubectl get pods]`, `[3]: "-n"`, `invalid ttl "never"`).
 */

/** `fmt.Sprintf("%q", s)`: a double-quoted Go string literal with Go's escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    out += escapeRune(ch, code);
  }
  return `${out}"`;
}

const SIMPLE: Readonly<Record<string, string>> = {
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/** Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function escapeRune(ch: string, code: number): string {
  const simple = SIMPLE[ch];
  if (simple !== undefined) return simple;
  if (code < 0x20 || code === 0x7f) return `\\x${hex(code, 2)}`;
  if (PRINTABLE.test(ch)) return ch;
  return code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** `fmt.Sprintf("%v", []string{…})`: `[a b c]`, elements unquoted. */
export function goList(items: readonly string[]): string {
  return `[${items.join(" ")}]`;
}
