/**
 * A Handlebars prompt → `Template` IR: Handlebars' own parser builds the AST, which is converted
 * to our node union with absolute spans; then every variable the template reads is resolved to
 * a path from the input root (`{{#each items}}{{name}}` reads `items[].name`).
 *
 * .rllm v0.1 templates allow the block helpers `if`, `unless`, `each`, `with` and the inline
 * helper `json`; partials, decorators and raw blocks are rejected (docs/rllm-spec.md §4).
 */
import Handlebars from "handlebars";
import type { Diagnostic, RelatedInformation } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import { didYouMean } from "../../ir/did-you-mean.js";
import type {
  Template,
  TemplateExpression,
  TemplateHashPair,
  TemplateNode,
  TemplatePath,
  TemplateVariable,
} from "../../ir/nodes.js";
import { computeLineStarts } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";

type HbsNode = hbs.AST.Node;
type HbsStatement = hbs.AST.Statement;
type HbsExpression = hbs.AST.Expression;

export const BLOCK_HELPERS = ["if", "unless", "each", "with"] as const;
export const INLINE_HELPERS = ["json"] as const;
/** Data variables every template may read. */
export const DATA_VARIABLES = ["index", "key", "first", "last", "root"] as const;
/** Data variables only the recovery prompt may read. */
export const RECOVERY_DATA_VARIABLES = ["errors", "response", "output_schema"] as const;

export interface TemplateOptions {
  readonly recovery: boolean;
}

export function parseTemplate(
  file: string,
  text: string,
  start: number,
  end: number,
  options: TemplateOptions,
): { template: Template; diagnostics: Diagnostic[] } {
  const source = text.slice(start, end);
  const span: Span = { file, start, end };
  const diagnostics: Diagnostic[] = [];
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch (error) {
    diagnostics.push(syntaxError(error, file, source, start));
    return { template: { kind: "template", span, source, body: [], variables: [] }, diagnostics };
  }
  const converter = new Converter(file, source, start, options, diagnostics);
  const body = converter.statements(program.body, { context: [], blockParams: new Map() });
  return { template: { kind: "template", span, source, body, variables: converter.variables }, diagnostics };
}

interface Scope {
  /** The path of `this` from the input root; null inside a block over data such as `@errors`. */
  readonly context: readonly string[] | null;
  /** Block parameters in scope (`as |item i|`): name → path, or `null` for data such as an index. */
  readonly blockParams: ReadonlyMap<string, readonly string[] | null>;
  readonly parent?: Scope;
}

class Converter {
  readonly variables: TemplateVariable[] = [];
  readonly #lineStarts: number[];

  constructor(
    private readonly file: string,
    source: string,
    private readonly base: number,
    private readonly options: TemplateOptions,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.#lineStarts = computeLineStarts(source);
  }

  statements(list: readonly HbsStatement[], scope: Scope): TemplateNode[] {
    const out: TemplateNode[] = [];
    for (const statement of list) {
      const node = this.statement(statement, scope);
      if (node !== undefined) out.push(node);
    }
    return out;
  }

  private statement(node: HbsStatement, scope: Scope): TemplateNode | undefined {
    const span = this.span(node);
    switch (node.type) {
      case "ContentStatement":
        return { kind: "tpl-text", span, value: (node as hbs.AST.ContentStatement).value };
      case "CommentStatement":
        return { kind: "tpl-comment", span, value: (node as hbs.AST.CommentStatement).value };
      case "MustacheStatement":
        return this.mustache(node as hbs.AST.MustacheStatement, scope);
      case "BlockStatement":
        return this.block(node as hbs.AST.BlockStatement, scope);
      case "PartialStatement":
      case "PartialBlockStatement":
        this.unsupported(span, "partials ({{> name}})");
        return undefined;
      case "DecoratorBlock":
      case "Decorator":
        this.unsupported(span, "decorators ({{* name}})");
        return undefined;
      default:
        this.unsupported(span, `template statements of type ${node.type}`);
        return undefined;
    }
  }

  private mustache(node: hbs.AST.MustacheStatement, scope: Scope): TemplateNode | undefined {
    const span = this.span(node);
    if (node.path.type !== "PathExpression") {
      this.unsupported(span, 'literal mustaches such as {{"text"}}');
      return undefined;
    }
    const path = this.path(node.path as hbs.AST.PathExpression);
    const isHelper = (INLINE_HELPERS as readonly string[]).includes(path.original);
    const isCall = isHelper || node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    if (isCall) {
      if (isHelper) this.checkArity(path, node.params.length, node.hash);
      else this.unknownHelper(path, [...INLINE_HELPERS]);
    } else {
      this.reference(path, scope);
    }
    return {
      kind: "tpl-mustache",
      span,
      escaped: node.escaped !== false,
      path,
      params: this.expressions(node.params, scope),
      hash: this.hash(node.hash, scope),
    };
  }

  private block(node: hbs.AST.BlockStatement, scope: Scope): TemplateNode | undefined {
    const span = this.span(node);
    const helperPath = this.path(node.path as hbs.AST.PathExpression);
    const helper = helperPath.original;
    const params = this.expressions(node.params, scope);
    const hash = this.hash(node.hash, scope);
    const blockParams = node.program?.blockParams ?? [];
    if (!(BLOCK_HELPERS as readonly string[]).includes(helper)) {
      this.unknownHelper(
        helperPath,
        [...BLOCK_HELPERS],
        "use {{#each list}} to repeat or {{#if value}} to test",
      );
    } else {
      this.checkArity(helperPath, node.params.length, node.hash);
    }
    let inner: Scope = scope;
    const subject = params[0];
    const subjectPath = subject?.kind === "tpl-path" ? this.resolve(subject, scope) : undefined;
    const scoped = subject?.kind === "tpl-path" && (helper === "each" || helper === "with");
    if (scoped) {
      const item =
        subjectPath === undefined ? null : helper === "each" ? [...subjectPath, "[]"] : subjectPath;
      inner = withParams({ context: item, blockParams: new Map(), parent: scope }, blockParams, [item, null]);
    }
    return {
      kind: "tpl-block",
      span,
      helper,
      params,
      hash,
      blockParams: [...blockParams],
      program: node.program === undefined ? [] : this.statements(node.program.body, inner),
      inverse:
        node.inverse === undefined || node.inverse === null ? [] : this.statements(node.inverse.body, scope),
    };
  }

  private expressions(list: readonly HbsExpression[], scope: Scope): TemplateExpression[] {
    return list.map((e) => this.expression(e, scope));
  }

  private expression(node: HbsExpression, scope: Scope): TemplateExpression {
    const span = this.span(node);
    switch (node.type) {
      case "PathExpression": {
        const path = this.path(node as hbs.AST.PathExpression);
        this.reference(path, scope);
        return path;
      }
      case "SubExpression": {
        const sub = node as hbs.AST.SubExpression;
        const path = this.path(sub.path as hbs.AST.PathExpression);
        if (!(INLINE_HELPERS as readonly string[]).includes(path.original))
          this.unknownHelper(path, [...INLINE_HELPERS]);
        return {
          kind: "tpl-subexpression",
          span,
          path,
          params: this.expressions(sub.params, scope),
          hash: this.hash(sub.hash, scope),
        };
      }
      case "StringLiteral":
      case "NumberLiteral":
      case "BooleanLiteral":
        return { kind: "tpl-literal", span, value: (node as hbs.AST.StringLiteral).value };
      default:
        return { kind: "tpl-literal", span, value: null };
    }
  }

  private hash(hash: hbs.AST.Hash | undefined, scope: Scope): TemplateHashPair[] {
    if (hash === undefined || hash === null) return [];
    return hash.pairs.map((pair) => ({
      kind: "tpl-hash-pair",
      span: this.span(pair),
      key: pair.key,
      value: this.expression(pair.value, scope),
    }));
  }

  private path(node: hbs.AST.PathExpression): TemplatePath {
    return {
      kind: "tpl-path",
      span: this.span(node),
      original: node.original,
      parts: [...node.parts],
      depth: node.depth,
      data: node.data,
    };
  }

  /** Records a variable read, resolved to a path from the input root. */
  private reference(path: TemplatePath, scope: Scope): void {
    if (path.data) {
      const name = path.parts[0] ?? "";
      const allowed: readonly string[] = this.options.recovery
        ? [...DATA_VARIABLES, ...RECOVERY_DATA_VARIABLES]
        : DATA_VARIABLES;
      if (!allowed.includes(name)) {
        const hint = didYouMean(name, allowed);
        this.diagnostics.push(
          makeDiagnostic(
            Diagnostics.RllmUnknownDataVariable,
            path.span,
            { name, allowed: allowed.map((n) => `@${n}`).join(", ") },
            hint === undefined ? {} : { hint },
          ),
        );
        return;
      }
      if (name === "root" && path.parts.length > 1) {
        this.variables.push({
          kind: "tpl-variable",
          span: path.span,
          original: path.original,
          path: path.parts.slice(1),
        });
      }
      return;
    }
    const resolved = this.resolve(path, scope);
    if (resolved === undefined) return;
    this.variables.push({ kind: "tpl-variable", span: path.span, original: path.original, path: resolved });
  }

  /** The path of an expression from the input root; undefined when it reads data, not input. */
  private resolve(path: TemplatePath, scope: Scope): readonly string[] | undefined {
    if (path.data) return undefined;
    let target: Scope = scope;
    for (let d = 0; d < path.depth && target.parent !== undefined; d++) target = target.parent;
    const explicitThis = /^(this\b|\.\/|\.$)/.test(path.original);
    const head = path.parts[0];
    if (!explicitThis && path.depth === 0 && head !== undefined) {
      for (let s: Scope | undefined = target; s !== undefined; s = s.parent) {
        const bound = s.blockParams.get(head);
        if (bound === undefined) continue;
        return bound === null ? undefined : [...bound, ...path.parts.slice(1)];
      }
    }
    return target.context === null ? undefined : [...target.context, ...path.parts];
  }

  /** Every v0.1 helper takes exactly one positional argument and no key=value pairs. */
  private checkArity(path: TemplatePath, params: number, hash: hbs.AST.Hash | undefined): void {
    const hasHash = (hash?.pairs.length ?? 0) > 0;
    if (params === 1 && !hasHash) return;
    const args = { helper: path.original, found: params, hash: hasHash && params === 1 };
    this.diagnostics.push(makeDiagnostic(Diagnostics.RllmHelperArguments, path.span, args));
  }

  private unknownHelper(path: TemplatePath, known: readonly string[], fallback?: string): void {
    const hint = didYouMean(path.original, known) ?? fallback ?? `known helpers: ${known.join(", ")}`;
    this.diagnostics.push(
      makeDiagnostic(Diagnostics.RllmUnknownHelper, path.span, { name: path.original }, { hint }),
    );
  }

  private unsupported(span: Span, feature: string): void {
    this.diagnostics.push(makeDiagnostic(Diagnostics.RllmUnsupportedTemplateFeature, span, { feature }));
  }

  private span(node: HbsNode): Span {
    const loc = node.loc;
    if (loc === undefined || loc === null) return { file: this.file, start: this.base, end: this.base };
    return { file: this.file, start: this.offset(loc.start), end: this.offset(loc.end) };
  }

  private offset(position: hbs.AST.Position): number {
    const lineStart = this.#lineStarts[Math.max(0, position.line - 1)] ?? 0;
    return this.base + lineStart + position.column;
  }
}

function withParams(
  scope: Scope,
  names: readonly string[],
  values: readonly (readonly string[] | null)[],
): Scope {
  if (names.length === 0) return scope;
  const params = new Map<string, readonly string[] | null>();
  for (const [i, name] of names.entries()) params.set(name, values[i] ?? null);
  return { ...scope, blockParams: params };
}

const TOKEN_NAMES: Readonly<Record<string, string>> = {
  EOF: "the end of the template",
  CLOSE: "'}}'",
  CLOSE_UNESCAPED: "'}}}'",
  CLOSE_RAW_BLOCK: "'}}}}'",
  OPEN_ENDBLOCK: "a closing tag '{{/…}}'",
  OPEN_INVERSE_CHAIN: "'{{else …}}'",
  INVERSE: "'{{else}}'",
  ID: "a name",
  INVALID: "an unexpected character",
  OPEN_SEXPR: "'('",
  CLOSE_SEXPR: "')'",
  STRING: "a string",
  NUMBER: "a number",
  BOOLEAN: "true or false",
  DATA: "an @variable",
  SEP: "'.'",
  EQUALS: "'='",
  OPEN_BLOCK_PARAMS: "'as |…|'",
  CLOSE_BLOCK_PARAMS: "'|'",
};

/** Turns a Handlebars parse error into a diagnostic at the position the parser stopped. */
function syntaxError(error: unknown, file: string, source: string, base: number): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  const lexer = (
    Handlebars as unknown as {
      Parser: { lexer?: { yylloc?: { first_line: number; first_column: number; last_column: number } } };
    }
  ).Parser.lexer;
  const err = error as { lineNumber?: number; column?: number };
  const starts = computeLineStarts(source);
  let start: number;
  let end: number;
  if (typeof err.lineNumber === "number" && typeof err.column === "number") {
    start = (starts[err.lineNumber - 1] ?? 0) + err.column;
    end = start + 1;
  } else if (lexer?.yylloc !== undefined) {
    const lineStart = starts[lexer.yylloc.first_line - 1] ?? 0;
    start = lineStart + lexer.yylloc.first_column;
    end = Math.max(start + 1, lineStart + lexer.yylloc.last_column);
  } else {
    start = 0;
    end = source.length;
  }
  start = Math.min(start, source.length);
  end = Math.min(Math.max(end, start), source.length);
  const related: RelatedInformation[] = [];
  const at = (s: number, e: number): Span => ({ file, start: base + s, end: base + e });

  // Handlebars reports a mismatched close at the opener, and an unclosed block or mustache at
  // the end of the text: point at the closing tag, or at what was left open, instead.
  const mismatch = /^(\S+) doesn't match (\S+)/.exec(message);
  const tags = [...source.matchAll(/\{\{~?\s*([#^/])\s*([^\s}~]+)[^}]*\}\}/g)];
  if (mismatch !== null) {
    const close = tags.find((t) => t[1] === "/" && t[2] === mismatch[2] && t.index >= start);
    if (close !== undefined) {
      related.push({
        message: `the block '{{#${mismatch[1]}}}' opens here`,
        span: at(start, start + mismatch[1]!.length),
      });
      start = close.index;
      end = close.index + close[0].length;
    }
  } else if (/got 'EOF'/.test(message)) {
    const lastOpen = source.lastIndexOf("{{");
    if (lastOpen >= 0 && source.indexOf("}}", lastOpen) < 0) {
      start = lastOpen;
      end = lastOpen + 2;
    } else {
      const stack: RegExpMatchArray[] = [];
      for (const tag of tags) {
        if (tag[1] === "/") stack.pop();
        else stack.push(tag);
      }
      const open = stack.at(-1);
      if (open?.index !== undefined) {
        start = open.index;
        end = open.index + open[0].length;
      }
    }
  }
  return makeDiagnostic(
    Diagnostics.RllmTemplateSyntax,
    at(start, end),
    { detail: describeParseError(message) },
    { related },
  );
}

function describeParseError(message: string): string {
  const expecting = /Expecting (.*), got '([A-Z_]+)'/.exec(message);
  if (expecting === null) {
    const mismatch = /^(\S+) doesn't match (\S+)/.exec(message);
    if (mismatch !== null) return `'{{/${mismatch[2]}}}' closes a block opened as '{{#${mismatch[1]}}}'`;
    return message.split("\n")[0] ?? message;
  }
  const expected = [...expecting[1]!.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!);
  const got = expecting[2]!;
  if (got === "EOF" && expected.includes("OPEN_ENDBLOCK"))
    return "this block is never closed; expected '{{/…}}' before the end";
  // When the mustache could simply be closed, say that rather than list every token.
  if (expected.includes("CLOSE") && (got === "INVALID" || got === "EOF" || got === "CLOSE_UNESCAPED")) {
    return got === "EOF"
      ? "this '{{' is never closed with '}}'"
      : `expected '}}' to close the '{{', found ${TOKEN_NAMES[got] ?? got.toLowerCase()}`;
  }
  const names = [...new Set(expected.map((t) => TOKEN_NAMES[t] ?? t.toLowerCase()))].slice(0, 4);
  return `expected ${names.join(" or ")}, found ${TOKEN_NAMES[got] ?? got.toLowerCase()}`;
}
