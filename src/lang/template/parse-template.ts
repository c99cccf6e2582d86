/**
 * `parseTemplate`: a template string → `Template` AST or errors. Scanner (text vs. actions) →
 * Chevrotain lexer and token checks → Chevrotain parser → CST-to-AST, one action at a time; a bad
 * action yields one error and the scan goes on to the next. Never throws; linear in the input.
 */
import type { Action, Template, TextPart } from "./ast.js";
import { actionToAst } from "./cst-to-ast.js";
import { type TemplateError, TemplateErrors, templateError } from "./errors.js";
import { lexAction } from "./lexer.js";
import { parseActionTokens } from "./parser.js";
import { type ActionSegment, scanTemplate } from "./scanner.js";

export interface TemplateParseResult {
  /** Undefined exactly when `errors` is not empty. */
  readonly template: Template | undefined;
  readonly errors: readonly TemplateError[];
}

export function parseTemplate(text: string): TemplateParseResult {
  const scan = scanTemplate(text);
  const parts: (TextPart | Action)[] = [];
  const errors: TemplateError[] = [];
  for (const segment of scan.segments) {
    if (segment.kind === "text") {
      const value = text.slice(segment.start, segment.end);
      parts.push({ kind: "text", span: { start: segment.start, end: segment.end }, value });
      continue;
    }
    const action = parseAction(text, segment);
    if ("code" in action) errors.push(action);
    else parts.push(action);
  }
  if (scan.error !== undefined) errors.push(scan.error);
  if (errors.length > 0) return { template: undefined, errors };
  return { template: { kind: "template", span: { start: 0, end: text.length }, parts }, errors };
}

/** True when `text` has no `{{`, i.e. it is plain text with nothing to parse or evaluate. */
export function isLiteralTemplate(text: string): boolean {
  return !text.includes("{{");
}

function parseAction(text: string, segment: ActionSegment): Action | TemplateError {
  const open = segment.trimLeft ? "{{-" : "{{";
  const close = segment.trimRight ? "-}}" : "}}";
  const lexed = lexAction(text, segment.innerStart, segment.innerEnd);
  if (!lexed.ok) return lexed.error;
  if (lexed.tokens.length === 0) {
    return templateError(TemplateErrors.EmptyAction, { open, close }, segment.start, segment.end);
  }
  const parsed = parseActionTokens(lexed.tokens, { open, close, closeStart: segment.innerEnd });
  if (!parsed.ok) return parsed.error;
  return {
    kind: "action",
    span: { start: segment.start, end: segment.end },
    pipeline: actionToAst(parsed.cst),
    trimLeft: segment.trimLeft,
    trimRight: segment.trimRight,
  };
}
