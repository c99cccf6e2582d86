/**
 * Lenient JSON extraction from a model's answer. Models wrap JSON in code fences, put prose
 * around it, and leave trailing commas; none of that should cost a retry. What is accepted:
 *
 *   1. the whole answer as JSON;
 *   2. the body of a fenced code block (```json … ``` or plain ```), first one that parses;
 *   3. the first balanced `{…}` or `[…]` in the text (string-aware, so braces inside strings
 *      do not count);
 *
 * each tried as written and then with trailing commas removed. Nothing else is "repaired": a
 * truncated object, single quotes or comments stay errors, because guessing there would accept
 * answers the model did not give.
 */

export type Extraction =
  | { readonly ok: true; readonly value: unknown; readonly repairs: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** How many `{`/`[` positions are tried as the start of the JSON. */
const MAX_CANDIDATES = 64;

const FENCE = /```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n([\s\S]*?)\r?\n?```/g;

export function extractJson(text: string): Extraction {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, reason: "the answer is empty" };
  const whole = tryParse(trimmed, []);
  if (whole !== undefined) return whole;
  for (const fence of trimmed.matchAll(FENCE)) {
    const language = fence[1]!.toLowerCase();
    if (language !== "" && language !== "json" && language !== "jsonc" && language !== "json5") continue;
    const parsed = tryParse(fence[2]!.trim(), ["removed a code fence"]);
    if (parsed !== undefined) return parsed;
  }
  // The first balanced `{…}` or `[…]` that parses; prose before it may hold brackets of its own
  // ("see [1]"), so later candidates are tried too (a bounded number: garbage stays cheap).
  let firstFailure: string | undefined;
  let candidates = 0;
  for (let start = trimmed.search(/[{[]/); start !== -1 && candidates < MAX_CANDIDATES; candidates++) {
    const end = balancedEnd(trimmed, start);
    if (end === undefined) {
      firstFailure ??= `the JSON that starts at character ${start + 1} is never closed (truncated answer?)`;
    } else {
      const repairs = start > 0 || end < trimmed.length ? ["removed text around the JSON"] : [];
      const parsed = tryParse(trimmed.slice(start, end), repairs);
      if (parsed !== undefined) return parsed;
      firstFailure ??= firstSyntaxError(trimmed.slice(start, end));
    }
    const next = trimmed.slice(start + 1).search(/[{[]/);
    start = next === -1 ? -1 : start + 1 + next;
  }
  return { ok: false, reason: firstFailure ?? "the answer contains no JSON object or array" };
}

function tryParse(text: string, repairs: readonly string[]): Extraction | undefined {
  try {
    return { ok: true, value: JSON.parse(text), repairs };
  } catch {
    const uncommaed = removeTrailingCommas(text);
    if (uncommaed === text) return undefined;
    try {
      return { ok: true, value: JSON.parse(uncommaed), repairs: [...repairs, "removed trailing commas"] };
    } catch {
      return undefined;
    }
  }
}

/** The index just past the bracket that closes the one at `start`, or undefined. */
function balancedEnd(text: string, start: number): number | undefined {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") stack.push(c === "{" ? "}" : "]");
    else if (c === "}" || c === "]") {
      if (stack.pop() !== c) return undefined;
      if (stack.length === 0) return i + 1;
    }
  }
  return undefined;
}

/** Removes commas that are followed (after whitespace) by `}` or `]`, outside strings. */
function removeTrailingCommas(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === "\\" && i + 1 < text.length) out += text[++i];
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (c === ",") {
      const next = text.slice(i + 1).match(/^\s*([}\]])/);
      if (next) continue;
    }
    out += c;
  }
  return out;
}

function firstSyntaxError(text: string): string {
  try {
    JSON.parse(removeTrailingCommas(text));
    return "the answer is not JSON";
  } catch (error) {
    return `the answer is not valid JSON: ${(error as Error).message}`;
  }
}
