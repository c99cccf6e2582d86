/**
 * AST of the runbook/replay template-expression language (a small subset of Go text/template):
 * a closed discriminated union of readonly plain objects, discriminated by `kind`. Every node
 * carries a `TemplateSpan`: UTF-16 code-unit offsets into the template string, `end` exclusive.
 *
 * This module is shared by the compiler (`src/`) and the runbook runtime, so it imports nothing.
 */

/** Offsets into the template string (UTF-16 code units); `end` is exclusive. */
export interface TemplateSpan {
  readonly start: number;
  readonly end: number;
}

/** A whole template string: literal text interleaved with `{{ … }}` actions. */
export interface Template {
  readonly kind: "template";
  readonly span: TemplateSpan;
  readonly parts: readonly (TextPart | Action)[];
}

/**
 * Literal text between actions, exactly as written (never empty). Trim markers (`{{-`, `-}}`)
 * do not change it: they are applied when the template is evaluated (see `evaluate.ts`).
 */
export interface TextPart {
  readonly kind: "text";
  readonly span: TemplateSpan;
  readonly value: string;
}

/** `{{ pipeline }}`; `trimLeft` for `{{- `, `trimRight` for ` -}}`. The span covers the delimiters. */
export interface Action {
  readonly kind: "action";
  readonly span: TemplateSpan;
  readonly pipeline: Pipeline;
  readonly trimLeft: boolean;
  readonly trimRight: boolean;
}

/** Commands separated by `|`; each command's value is passed as the last argument of the next. */
export interface Pipeline {
  readonly kind: "pipeline";
  readonly span: TemplateSpan;
  readonly commands: readonly Command[];
}

/** Operands separated by spaces, e.g. `regex "^a"`, `.a.b`, `default "x" .name`. Never empty. */
export interface Command {
  readonly kind: "command";
  readonly span: TemplateSpan;
  readonly args: readonly Operand[];
}

/** `.a.b` has path `["a", "b"]`; `.` alone (the data itself) has path `[]`. */
export interface Field {
  readonly kind: "field";
  readonly span: TemplateSpan;
  readonly path: readonly string[];
}

/** A function name such as `regex`, `any`, `default`, `lower`; `nil` is an identifier too. */
export interface Identifier {
  readonly kind: "identifier";
  readonly span: TemplateSpan;
  readonly name: string;
}

/** `"…"` (Go escapes decoded into `value`) or a raw `` `…` `` string; `raw` is the source text. */
export interface StringLiteral {
  readonly kind: "string";
  readonly span: TemplateSpan;
  readonly value: string;
  readonly raw: string;
}

/** A decimal number such as `3`, `-2`, `1.5`, `1e3`; `raw` is the source text. */
export interface NumberLiteral {
  readonly kind: "number";
  readonly span: TemplateSpan;
  readonly value: number;
  readonly raw: string;
}

/** The keywords `true` and `false`. */
export interface BoolLiteral {
  readonly kind: "bool";
  readonly span: TemplateSpan;
  readonly value: boolean;
}

/** `( pipeline )`. */
export interface ParenPipeline {
  readonly kind: "paren";
  readonly span: TemplateSpan;
  readonly pipeline: Pipeline;
}

export type Operand = Field | Identifier | StringLiteral | NumberLiteral | BoolLiteral | ParenPipeline;

export type TemplateNode = Template | TextPart | Action | Pipeline | Command | Operand;

/** For exhaustive `switch` statements over `kind`. */
export function assertNever(value: never): never {
  throw new Error(`unexpected template node: ${JSON.stringify(value)}`);
}
