/**
 * Placeholders in a command's text — the values an operator has to supply — and the Go
 * templates that must be kept literally. Works on text offsets; the caller maps them to source
 * spans. Every occurrence is reported (nothing is deduplicated).
 *
 * Syntaxes:
 * - `angle`: `<pod-name>`, `<POD_NAME>`, `<name of the pod>`: `<` + a letter or `_`, up to 80
 *   characters without `<`, `>`, `|`, `;`, `&` or a newline, not ending in a space, then `>`.
 *   Not redirections (`< file`, `2>&1`, `<(…)`), heredocs (`<<EOF`) or here-strings.
 * - `dollar`: `$VAR`; `dollar-brace`: `${VAR}`, `${VAR:-x}` (name `VAR`). Not `$1`, `$?`, `$$`,
 *   `$(…)`, `$((…))`, `${#VAR}`, `${!VAR}`, an escaped `\$`, or anything inside single quotes or
 *   a quoted heredoc body (the shell does not expand those).
 * - `brace`: `{VAR}`, `{var_name}`, `{pod-name}`: an identifier in braces, not after `$ % # @ {`
 *   (`%{http_code}`, `#{ruby}`, `@{u}`), not inside single quotes (awk and jq programs).
 *
 * Go templates (`{{ … }}`, from `{{` to the first `}}` after it) are found first; nothing
 * inside one is ever a placeholder. Shell comments (`#` at the start of a word, outside quotes)
 * hold no placeholders either.
 */
import type { PlaceholderSyntax } from "../../ir/nodes.js";

export interface TextRange {
  readonly start: number;
  readonly end: number;
}

export interface FoundPlaceholder extends TextRange {
  readonly syntax: PlaceholderSyntax;
  readonly name: string;
}

/** A heredoc body inside the command text: no quoting there; `$` expands unless `quoted`. */
export interface BodyRange extends TextRange {
  readonly quoted: boolean;
}

export interface PlaceholderScan {
  readonly placeholders: readonly FoundPlaceholder[];
  readonly templates: readonly TextRange[];
}

const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_]/;
const BRACE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const MAX_ANGLE = 80;
const MAX_BRACE = 64;
/** Longest `${…}` looked at: keeps a line full of unclosed `${` linear. */
const MAX_DOLLAR_BRACE = 256;

/** Finds the Go templates and placeholders of `text`, in order. */
export function scanPlaceholders(text: string, bodies: readonly BodyRange[] = []): PlaceholderScan {
  const templates = findTemplates(text);
  const placeholders: FoundPlaceholder[] = [];
  const n = text.length;
  let quote: "'" | '"' | undefined;
  let t = 0; // next template
  let b = 0; // next body
  let i = 0;
  while (i < n) {
    const template = templates[t];
    if (template !== undefined && i >= template.start) {
      i = Math.max(i, template.end);
      t++;
      continue;
    }
    let body = bodies[b];
    while (body !== undefined && i >= body.end) body = bodies[++b];
    const inBody = body !== undefined && i >= body.start;
    const c = text[i]!;
    if (inBody) {
      if (c === "\\") {
        i += 2;
        continue;
      }
      if (c === "$" && !body!.quoted) {
        i = dollar(text, i, placeholders);
        continue;
      }
      if (c === "<") {
        i = angle(text, i, placeholders);
        continue;
      }
      if (c === "{") {
        i = brace(text, i, placeholders);
        continue;
      }
      i++;
      continue;
    }
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else if (c === "<") {
        i = angle(text, i, placeholders);
        continue;
      }
      i++;
      continue;
    }
    switch (c) {
      case "\\":
        i += 2;
        continue;
      case "'":
        if (quote === undefined) quote = "'";
        i++;
        continue;
      case '"':
        quote = quote === '"' ? undefined : '"';
        i++;
        continue;
      case "#":
        if (quote === undefined && (i === 0 || /[\s;&|()]/.test(text[i - 1]!))) {
          const eol = text.indexOf("\n", i);
          i = eol < 0 ? n : eol;
          continue;
        }
        i++;
        continue;
      case "$":
        i = dollar(text, i, placeholders);
        continue;
      case "<":
        i = angle(text, i, placeholders);
        continue;
      case "{":
        i = brace(text, i, placeholders);
        continue;
      default:
        i++;
    }
  }
  return { placeholders, templates };
}

/** `{{ … }}` ranges, from `{{` to the first `}}` after it. */
export function findTemplates(text: string): TextRange[] {
  const out: TextRange[] = [];
  let i = text.indexOf("{{");
  while (i >= 0) {
    const close = text.indexOf("}}", i + 2);
    if (close < 0) break;
    out.push({ start: i, end: close + 2 });
    i = text.indexOf("{{", close + 2);
  }
  return out;
}

/** At a `$`: records `$VAR` or `${VAR…}`; returns where to continue. */
function dollar(text: string, i: number, out: FoundPlaceholder[]): number {
  const next = text[i + 1];
  if (next === undefined) return i + 1;
  if (next === "$") return i + 2;
  if (IDENT_START.test(next)) {
    let j = i + 2;
    while (j < text.length && IDENT.test(text[j]!)) j++;
    out.push({ start: i, end: j, syntax: "dollar", name: text.slice(i + 1, j) });
    return j;
  }
  if (next === "{") {
    const nameStart = i + 2;
    if (!IDENT_START.test(text[nameStart] ?? "")) return i + 2;
    let j = nameStart;
    while (j < text.length && IDENT.test(text[j]!)) j++;
    const name = text.slice(nameStart, j);
    // Find the closing brace of `${…}`, allowing nested `${…}` in a default value.
    let depth = 1;
    let k = j;
    const limit = Math.min(text.length, i + MAX_DOLLAR_BRACE);
    while (k < limit && depth > 0) {
      const c = text[k];
      if (c === "\n") break;
      if (c === "{") depth++;
      else if (c === "}") depth--;
      if (depth > 0) k++;
    }
    if (depth !== 0) return j;
    out.push({ start: i, end: k + 1, syntax: "dollar-brace", name });
    return k + 1;
  }
  return i + 1;
}

/** At a `<`: records `<name>`; returns where to continue. */
function angle(text: string, i: number, out: FoundPlaceholder[]): number {
  const prev = text[i - 1];
  if (prev === "<" || !IDENT_START.test(text[i + 1] ?? "")) return i + 1;
  const limit = Math.min(text.length, i + 2 + MAX_ANGLE);
  for (let j = i + 1; j < limit; j++) {
    const c = text[j]!;
    if (c === ">") {
      if (text[j - 1] === " " || text[j - 1] === "\t") return i + 1;
      out.push({ start: i, end: j + 1, syntax: "angle", name: text.slice(i + 1, j).trim() });
      return j + 1;
    }
    if (c === "<" || c === "|" || c === ";" || c === "&" || c === "\n" || c === "\r") return i + 1;
  }
  return i + 1;
}

/** At a `{`: records `{name}`; returns where to continue. */
function brace(text: string, i: number, out: FoundPlaceholder[]): number {
  const prev = text[i - 1];
  if (prev === "$" || prev === "%" || prev === "#" || prev === "@" || prev === "{" || prev === "\\")
    return i + 1;
  let close = i + 1;
  const limit = Math.min(text.length, i + MAX_BRACE);
  while (close < limit && text[close] !== "}") close++;
  if (close >= limit) return i + 1;
  const name = text.slice(i + 1, close);
  if (!BRACE_NAME.test(name) || text[close + 1] === "}") return i + 1;
  out.push({ start: i, end: close + 1, syntax: "brace", name });
  return close + 1;
}
