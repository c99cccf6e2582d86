/**
 * The outer scanner: splits a template string into literal text and `{{ … }}` actions. Text is
 * not a regular language (anything but `{{` goes, a lone `}}` is literal text, as in Go), so this
 * is a hand-written linear scan; the inside of each action is left to the Chevrotain lexer.
 *
 * An action ends at the first `}}` outside a string literal, so `{{ .regex "a}}b" }}` is one
 * action. A `{{` with no `}}` (TPL5002) or a string that never closes (TPL5003) stops the scan.
 */
import { type TemplateError, TemplateErrors, templateError } from "./errors.js";

/** A run of literal text, `[start, end)`. */
export interface TextSegment {
  readonly kind: "text";
  readonly start: number;
  readonly end: number;
}

/**
 * One action: `[start, end)` covers the delimiters; `[innerStart, innerEnd)` is what the lexer
 * sees (between `{{`/`{{-` and `}}`/`-}}`).
 */
export interface ActionSegment {
  readonly kind: "action";
  readonly start: number;
  readonly end: number;
  readonly innerStart: number;
  readonly innerEnd: number;
  readonly trimLeft: boolean;
  readonly trimRight: boolean;
}

export interface ScanResult {
  readonly segments: readonly (TextSegment | ActionSegment)[];
  /** Set when the scan had to stop; `segments` then holds what came before. */
  readonly error: TemplateError | undefined;
}

/** The white space Go accepts next to a trim marker. */
export function isTrimSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

type Close = { readonly at: number } | { readonly error: TemplateError };

/** Splits `text` into text and action segments. Linear in `text.length`. */
export function scanTemplate(text: string): ScanResult {
  const segments: (TextSegment | ActionSegment)[] = [];
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf("{{", pos);
    if (open < 0) {
      segments.push({ kind: "text", start: pos, end: text.length });
      break;
    }
    if (open > pos) segments.push({ kind: "text", start: pos, end: open });
    const trimLeft = text[open + 2] === "-" && isTrimSpace(text[open + 3]);
    const innerStart = open + (trimLeft ? 3 : 2);
    const close = findClose(text, open, innerStart);
    if ("error" in close) return { segments, error: close.error };
    const trimRight =
      close.at - 2 >= innerStart && text[close.at - 1] === "-" && isTrimSpace(text[close.at - 2]);
    const innerEnd = trimRight ? close.at - 1 : close.at;
    segments.push({
      kind: "action",
      start: open,
      end: close.at + 2,
      innerStart,
      innerEnd,
      trimLeft,
      trimRight,
    });
    pos = close.at + 2;
  }
  return { segments, error: undefined };
}

/** Finds the `}}` that closes the action opened at `open`, skipping string literals. */
function findClose(text: string, open: number, from: number): Close {
  let i = from;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      const end = skipQuoted(text, i);
      if (end < 0) {
        const stop = lineEnd(text, i);
        return {
          error: templateError(TemplateErrors.UnterminatedString, {}, i, stop),
        };
      }
      i = end;
    } else if (ch === "`") {
      const end = text.indexOf("`", i + 1);
      if (end < 0) {
        return {
          error: templateError(TemplateErrors.UnterminatedRawString, {}, i, text.length),
        };
      }
      i = end + 1;
    } else if (ch === "}" && text[i + 1] === "}") {
      return { at: i };
    } else {
      i++;
    }
  }
  const delimiter = text.slice(open, from).trimEnd();
  return {
    error: templateError(TemplateErrors.UnterminatedAction, { delimiter }, open, open + delimiter.length),
  };
}

/** Index just past the `"…"` string starting at `start`, or -1 when it does not close on its line. */
function skipQuoted(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') return i + 1;
    if (ch === "\n" || ch === "\r") return -1;
    if (ch === "\\") {
      const next = text[i + 1];
      if (next === undefined || next === "\n" || next === "\r") return -1;
      i += 2;
    } else {
      i++;
    }
  }
  return -1;
}

function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === "\n" || text[i] === "\r") return i;
  }
  return text.length;
}
