/**
 * Prints AST nodes back to template source in canonical form: `{{ .a | lower }}`, one space
 * between operands, ` | ` between commands, literals as written (`raw`), text verbatim. For input
 * already in canonical form, `printTemplate(parseTemplate(s).template) === s`.
 */
import { type Action, assertNever, type Command, type Operand, type Pipeline, type Template } from "./ast.js";

export function printTemplate(template: Template): string {
  let out = "";
  for (const part of template.parts) out += part.kind === "text" ? part.value : printAction(part);
  return out;
}

/** `{{ … }}`, `{{- … }}`, `{{ … -}}` or `{{- … -}}`. */
export function printAction(action: Action): string {
  const open = action.trimLeft ? "{{- " : "{{ ";
  const close = action.trimRight ? " -}}" : " }}";
  return `${open}${printPipeline(action.pipeline)}${close}`;
}

/** Commands joined by ` | `, without delimiters: `.a | lower`. */
export function printPipeline(pipeline: Pipeline): string {
  return pipeline.commands.map(printCommand).join(" | ");
}

export function printCommand(command: Command): string {
  return command.args.map(printOperand).join(" ");
}

export function printOperand(operand: Operand): string {
  switch (operand.kind) {
    case "field":
      return `.${operand.path.join(".")}`;
    case "identifier":
      return operand.name;
    case "string":
    case "number":
      return operand.raw;
    case "bool":
      return operand.value ? "true" : "false";
    case "paren":
      return `(${printPipeline(operand.pipeline)})`;
    default:
      return assertNever(operand);
  }
}
