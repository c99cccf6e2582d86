/**
 * `referencedFields`: every field reference in a template, in source order, including those
 * inside parentheses. Used for missing-key checks and for denying environment variables.
 */
import { assertNever, type Field, type Operand, type Pipeline, type Template } from "./ast.js";

export function referencedFields(template: Template): Field[] {
  const fields: Field[] = [];
  for (const part of template.parts) {
    if (part.kind === "action") collectPipeline(part.pipeline, fields);
  }
  return fields;
}

function collectPipeline(pipeline: Pipeline, into: Field[]): void {
  for (const command of pipeline.commands) {
    for (const arg of command.args) collectOperand(arg, into);
  }
}

function collectOperand(operand: Operand, into: Field[]): void {
  switch (operand.kind) {
    case "field":
      into.push(operand);
      return;
    case "paren":
      collectPipeline(operand.pipeline, into);
      return;
    case "identifier":
    case "string":
    case "number":
    case "bool":
      return;
    default:
      assertNever(operand);
  }
}
