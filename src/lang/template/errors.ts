/**
 * Errors of the template-expression language and their stable codes. The compiler's diagnostic
 * catalogue includes `TEMPLATE_ERROR_CODES`; never renumber or reuse a code.
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

export function templateError(
  code: TemplateErrorCode,
  message: string,
  start: number,
  end: number,
): TemplateError {
  return { code, message, span: { start, end: Math.max(start, end) } };
}

/** A piece of source quoted in a message: `'x'`, shortened when long. */
export function quote(source: string): string {
  const shown = source.length > 40 ? `${source.slice(0, 37)}...` : source;
  return `'${shown}'`;
}
