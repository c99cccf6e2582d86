/**
 * The visitor half of the parser: turns the Chevrotain CST of one action into AST nodes. It runs
 * only on input that lexed and parsed without errors, so literal checks cannot fail here; the
 * depth of the recursion is bounded by `MAX_PAREN_DEPTH`.
 */
import type { CstElement, CstNode, IToken } from "chevrotain";
import type { Command, Operand, Pipeline, TemplateSpan } from "./ast.js";
import { False, Field, Identifier, NumberLiteral, RawStringLiteral, StringLiteral, True } from "./lexer.js";
import { type Checked, fieldPath, numberValue, stringValue } from "./literals.js";

/** The pipeline of an `action` CST node. */
export function actionToAst(action: CstNode): Pipeline {
  return pipelineToAst(onlyNode(action, "pipeline"));
}

function pipelineToAst(node: CstNode): Pipeline {
  const commands = nodes(node, "command").map(commandToAst);
  return { kind: "pipeline", span: cover(commands), commands };
}

function commandToAst(node: CstNode): Command {
  const args = nodes(node, "operand").map(operandToAst);
  return { kind: "command", span: cover(args), args };
}

function operandToAst(node: CstNode): Operand {
  const paren = node.children.paren?.[0];
  if (paren !== undefined && isNode(paren)) {
    const open = onlyToken(paren, "LParen");
    const close = onlyToken(paren, "RParen");
    return {
      kind: "paren",
      span: { start: open.startOffset, end: close.startOffset + 1 },
      pipeline: pipelineToAst(onlyNode(paren, "pipeline")),
    };
  }
  const token = firstToken(node);
  const span = tokenSpan(token);
  switch (token.tokenType) {
    case Field:
      return { kind: "field", span, path: checked(fieldPath(token.image, span.start)) };
    case Identifier:
      return { kind: "identifier", span, name: token.image };
    case True:
    case False:
      return { kind: "bool", span, value: token.tokenType === True };
    case StringLiteral:
    case RawStringLiteral:
      return { kind: "string", span, value: checked(stringValue(token.image, span.start)), raw: token.image };
    case NumberLiteral:
      return { kind: "number", span, value: checked(numberValue(token.image, span.start)), raw: token.image };
    default:
      throw new Error(`unexpected token ${token.tokenType.name} in an operand`);
  }
}

function tokenSpan(token: IToken): TemplateSpan {
  return { start: token.startOffset, end: token.startOffset + token.image.length };
}

function cover(items: readonly { readonly span: TemplateSpan }[]): TemplateSpan {
  const first = items[0];
  const last = items.at(-1);
  if (first === undefined || last === undefined) throw new Error("empty CST list");
  return { start: first.span.start, end: last.span.end };
}

function checked<T>(result: Checked<T>): T {
  if (!result.ok) throw new Error(`unchecked literal: ${result.error.message}`);
  return result.value;
}

function isNode(element: CstElement): element is CstNode {
  return "children" in element;
}

function nodes(node: CstNode, key: string): CstNode[] {
  return (node.children[key] ?? []).filter(isNode);
}

function onlyNode(node: CstNode, key: string): CstNode {
  const found = nodes(node, key)[0];
  if (found === undefined) throw new Error(`CST node '${node.name}' has no '${key}'`);
  return found;
}

function onlyToken(node: CstNode, key: string): IToken {
  const found = node.children[key]?.[0];
  if (found === undefined || isNode(found)) throw new Error(`CST node '${node.name}' has no token '${key}'`);
  return found;
}

/** The single token child of an `operand` node. */
function firstToken(node: CstNode): IToken {
  for (const elements of Object.values(node.children)) {
    const element = elements[0];
    if (element !== undefined && !isNode(element)) return element;
  }
  throw new Error("operand without a token");
}
