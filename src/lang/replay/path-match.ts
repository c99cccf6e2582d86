/**
 * Go's `path.Match` glob syntax, for a scenario's `security.deny_env_vars`: `*` is any run of
 * characters other than `/`, `?` one such character, `[abc]` / `[a-z]` / `[^a-z]` a class, `\x`
 * the character x. Matching is case-sensitive and covers the whole name. A malformed pattern
 * (`[`, `[]`, `[a-]`, a trailing `\`) is reported as such.
 *
 * This is not `isDeniedEnvVar` of src/lang/runbook/governance.ts, whose patterns know only `*` and
 * ignore case: a cli-replay scenario's patterns are read the way cli-replay reads them.
 */

const cache = new Map<string, RegExp | undefined>();

/** The pattern as an anchored RegExp, or `undefined` when it is malformed (`path.ErrBadPattern`). */
export function compileGlob(pattern: string): RegExp | undefined {
  if (cache.has(pattern)) return cache.get(pattern);
  const re = translate([...pattern]);
  if (cache.size > 10_000) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** Whether `name` matches `pattern`; `undefined` when the pattern is malformed. */
export function globMatches(pattern: string, name: string): boolean | undefined {
  return compileGlob(pattern)?.test(name);
}

function translate(chars: readonly string[]): RegExp | undefined {
  let out = "^";
  let i = 0;
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === "*") {
      out += "[^/]*";
      i += 1;
    } else if (c === "?") {
      out += "[^/]";
      i += 1;
    } else if (c === "\\") {
      const next = chars[i + 1];
      if (next === undefined) return undefined;
      out += literal(next);
      i += 2;
    } else if (c === "[") {
      const cls = characterClass(chars, i + 1);
      if (cls === undefined) return undefined;
      out += cls.text;
      i = cls.next;
    } else {
      out += literal(c);
      i += 1;
    }
  }
  return new RegExp(`${out}$`, "su");
}

function characterClass(chars: readonly string[], start: number): { text: string; next: number } | undefined {
  let i = start;
  let negated = false;
  if (chars[i] === "^") {
    negated = true;
    i += 1;
  }
  const ranges: string[] = [];
  let count = 0;
  for (;;) {
    if (i >= chars.length) return undefined;
    if (chars[i] === "]" && count > 0) {
      i += 1;
      break;
    }
    const lo = classChar(chars, i);
    if (lo === undefined) return undefined;
    i = lo.next;
    let hi = lo;
    if (chars[i] === "-") {
      const h = classChar(chars, i + 1);
      if (h === undefined) return undefined;
      hi = h;
      i = h.next;
    }
    if (lo.code <= hi.code) ranges.push(`\\u{${lo.code.toString(16)}}-\\u{${hi.code.toString(16)}}`);
    count += 1;
  }
  // An empty list of ranges (all out of order) matches nothing, or, negated, anything.
  if (ranges.length === 0) return { text: negated ? "[\\s\\S]" : "[^\\s\\S]", next: i };
  return { text: `[${negated ? "^" : ""}${ranges.join("")}]`, next: i };
}

/** One character of a class (Go's `getEsc`): not `-` or `]`, `\x` is x, and the class goes on after it. */
function classChar(chars: readonly string[], at: number): { code: number; next: number } | undefined {
  let i = at;
  const c = chars[i];
  if (c === undefined || c === "-" || c === "]") return undefined;
  if (c === "\\") i += 1;
  const ch = chars[i];
  if (ch === undefined || i + 1 >= chars.length) return undefined;
  return { code: ch.codePointAt(0)!, next: i + 1 };
}

function literal(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}
