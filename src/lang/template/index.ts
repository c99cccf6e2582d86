/**
 * Public API of the runbook/replay template-expression language (a subset of Go text/template):
 * parse, print, list field references, evaluate. Shared by the compiler and the runbook runtime;
 * imports nothing from `src/`. See docs/template-language.md.
 */
export type {
  Action,
  BoolLiteral,
  Command,
  Field,
  Identifier,
  NumberLiteral,
  Operand,
  ParenPipeline,
  Pipeline,
  StringLiteral,
  Template,
  TemplateNode,
  TemplateSpan,
  TextPart,
} from "./ast.js";
export { assertNever } from "./ast.js";
export { TEMPLATE_ERROR_CODES, type TemplateError, type TemplateErrorCode } from "./errors.js";
export { type EvaluateResult, evaluate, type TemplateFunction, type TemplateValue } from "./evaluate.js";
export { referencedFields } from "./fields.js";
export { MAX_PAREN_DEPTH } from "./lexer.js";
export { isLiteralTemplate, parseTemplate, type TemplateParseResult } from "./parse-template.js";
export { printAction, printCommand, printOperand, printPipeline, printTemplate } from "./print.js";
