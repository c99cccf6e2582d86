/**
 * The Chevrotain grammar of the inside of one `{{ … }}` action. It builds a concrete syntax tree
 * (turned into the AST by `cst-to-ast.ts`) and reports the first syntax error, with a message that
 * says what was expected and what was found. Error recovery is off: one error per action.
 */
import {
  type CstNode,
  CstParser,
  EOF,
  type IRecognitionException,
  type IToken,
  MismatchedTokenException,
  NotAllInputParsedException,
} from "chevrotain";
import { quote, type TemplateError, TemplateErrors, templateError } from "./errors.js";
import {
  allTokens,
  False,
  Field,
  Identifier,
  LParen,
  NumberLiteral,
  Pipe,
  RawStringLiteral,
  RParen,
  StringLiteral,
  True,
} from "./lexer.js";

class TemplateParser extends CstParser {
  constructor() {
    super([...allTokens], { recoveryEnabled: false, maxLookahead: 1, nodeLocationTracking: "none" });
    this.performSelfAnalysis();
  }

  // action := pipeline EOF
  readonly action = this.RULE("action", () => {
    this.SUBRULE(this.pipeline);
  });

  // pipeline := command ("|" command)*
  readonly pipeline = this.RULE("pipeline", () => {
    this.SUBRULE(this.command);
    this.MANY(() => {
      this.CONSUME(Pipe);
      this.SUBRULE2(this.command);
    });
  });

  // command := operand operand*
  readonly command = this.RULE("command", () => {
    this.AT_LEAST_ONE(() => {
      this.SUBRULE(this.operand);
    });
  });

  // operand := Field | Identifier | "true" | "false" | String | RawString | Number | paren
  readonly operand = this.RULE("operand", () => {
    this.OR([
      { ALT: () => this.CONSUME(Field) },
      { ALT: () => this.CONSUME(Identifier) },
      { ALT: () => this.CONSUME(True) },
      { ALT: () => this.CONSUME(False) },
      { ALT: () => this.CONSUME(StringLiteral) },
      { ALT: () => this.CONSUME(RawStringLiteral) },
      { ALT: () => this.CONSUME(NumberLiteral) },
      { ALT: () => this.SUBRULE(this.paren) },
    ]);
  });

  // paren := "(" pipeline ")"
  readonly paren = this.RULE("paren", () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.pipeline);
    this.CONSUME(RParen);
  });
}

const parser = new TemplateParser();

/** Where the action's tokens sit: the text of its delimiters and where the closing one starts. */
export interface ActionDelimiters {
  readonly open: string;
  readonly close: string;
  readonly closeStart: number;
}

export type ParseResult =
  | { readonly ok: true; readonly cst: CstNode }
  | { readonly ok: false; readonly error: TemplateError };

/** Parses the (non-empty) tokens of one action into a CST rooted at the `action` rule. */
export function parseActionTokens(tokens: readonly IToken[], delimiters: ActionDelimiters): ParseResult {
  parser.input = [...tokens];
  const cst = parser.action();
  const failure = parser.errors[0];
  if (failure !== undefined) return { ok: false, error: describe(failure, tokens, delimiters) };
  return { ok: true, cst };
}

/** Turns a Chevrotain exception into an "expected …, found …" error. */
function describe(
  failure: IRecognitionException,
  tokens: readonly IToken[],
  d: ActionDelimiters,
): TemplateError {
  const token = failure.token;
  const atEnd = token.tokenType === EOF;
  const found = atEnd ? quote(d.close) : quote(token.image);
  const start = atEnd ? d.closeStart : token.startOffset;
  const end = atEnd ? d.closeStart + d.close.length : token.startOffset + token.image.length;
  const index = atEnd ? tokens.length : tokens.indexOf(token);
  const previous = index > 0 ? tokens[index - 1]?.image : undefined;
  const after = quote(previous ?? d.open);
  if (failure instanceof MismatchedTokenException && failure.context.ruleStack.at(-1) === "paren")
    return templateError(TemplateErrors.UnclosedParenthesis, { found }, start, end);
  if (failure instanceof NotAllInputParsedException && token.tokenType === RParen)
    return templateError(TemplateErrors.UnmatchedParenthesis, {}, start, end);
  if (failure instanceof NotAllInputParsedException)
    return templateError(TemplateErrors.Unexpected, { found }, start, end);
  // EarlyExitException from `command`: no operand where one must start.
  return templateError(TemplateErrors.ExpectedOperand, { after, found }, start, end);
}
