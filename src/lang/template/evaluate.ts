/**
 * `evaluate`: renders a parsed template against data and a table of functions, Go-style: a
 * pipeline passes each command's value as the last argument of the next, trim markers remove the
 * white space of the neighbouring text. Missing keys are errors (TPL5006), never empty strings.
 * Only own properties are looked up, so `.constructor` or `.__proto__` are missing keys.
 */
import {
  type Action,
  assertNever,
  type Command,
  type Field,
  type Operand,
  type Pipeline,
  type Template,
  type TemplateSpan,
} from "./ast.js";
import { type TemplateError, type TemplateErrorDefinition, TemplateErrors, templateError } from "./errors.js";
import { printOperand } from "./print.js";

export type TemplateValue =
  | string
  | number
  | boolean
  | null
  | readonly TemplateValue[]
  | { readonly [key: string]: TemplateValue };

export type TemplateFunction = (...args: TemplateValue[]) => TemplateValue;

export interface EvaluateResult {
  /** Undefined exactly when `errors` is not empty. */
  readonly value: string | undefined;
  readonly errors: readonly TemplateError[];
}

/** Names that are replay-scenario matchers (`{{ .any }}`, `{{ .regex "…" }}`), not data. */
const MATCHERS = new Set(["any", "regex"]);

/** Renders `template`; each failing action yields one error and evaluation goes on. */
export function evaluate(
  template: Template,
  data: TemplateValue,
  functions: Readonly<Record<string, TemplateFunction>> = {},
): EvaluateResult {
  const parts = template.parts;
  const errors: TemplateError[] = [];
  let out = "";
  parts.forEach((part, i) => {
    if (part.kind === "text") {
      let text = part.value;
      const before = parts[i - 1];
      const after = parts[i + 1];
      if (before?.kind === "action" && before.trimRight) text = text.replace(/^[ \t\r\n]+/, "");
      if (after?.kind === "action" && after.trimLeft) text = text.replace(/[ \t\r\n]+$/, "");
      out += text;
      return;
    }
    try {
      out += printValue(evalAction(part, data, functions), part);
    } catch (error) {
      if (!(error instanceof EvaluationFailure)) throw error;
      errors.push(error.error);
    }
  });
  return errors.length > 0 ? { value: undefined, errors } : { value: out, errors };
}

class EvaluationFailure extends Error {
  constructor(readonly error: TemplateError) {
    super(error.message);
  }
}

function fail<A>(definition: TemplateErrorDefinition<A>, args: A, span: TemplateSpan): never {
  throw new EvaluationFailure(templateError(definition, args, span.start, span.end));
}

type Functions = Readonly<Record<string, TemplateFunction>>;

function evalAction(action: Action, data: TemplateValue, functions: Functions): TemplateValue {
  return evalPipeline(action.pipeline, data, functions);
}

function evalPipeline(pipeline: Pipeline, data: TemplateValue, functions: Functions): TemplateValue {
  let piped: { readonly value: TemplateValue } | undefined;
  for (const command of pipeline.commands) {
    piped = { value: evalCommand(command, piped, data, functions) };
  }
  if (piped === undefined) return fail(TemplateErrors.EmptyPipeline, {}, pipeline.span);
  return piped.value;
}

function evalCommand(
  command: Command,
  piped: { readonly value: TemplateValue } | undefined,
  data: TemplateValue,
  functions: Functions,
): TemplateValue {
  const [first, ...rest] = command.args;
  if (first === undefined) return fail(TemplateErrors.EmptyCommand, {}, command.span);
  if (first.kind === "identifier") {
    const args = rest.map((arg) => evalOperand(arg, data, functions));
    if (piped !== undefined) args.push(piped.value);
    return call(first.name, first.span, args, functions);
  }
  if (rest.length > 0 || piped !== undefined) {
    const note = first.kind === "field" && isMatcher(first) ? matcherNote(first) : undefined;
    return fail(TemplateErrors.NotAFunction, { operand: printOperand(first), matcherNote: note }, first.span);
  }
  return evalOperand(first, data, functions);
}

function evalOperand(operand: Operand, data: TemplateValue, functions: Functions): TemplateValue {
  switch (operand.kind) {
    case "field":
      return lookup(operand, data);
    case "identifier":
      return call(operand.name, operand.span, [], functions);
    case "string":
    case "number":
    case "bool":
      return operand.value;
    case "paren":
      return evalPipeline(operand.pipeline, data, functions);
    default:
      return assertNever(operand);
  }
}

function call(name: string, span: TemplateSpan, args: TemplateValue[], functions: Functions): TemplateValue {
  const fn = Object.hasOwn(functions, name) ? functions[name] : undefined;
  if (fn === undefined) {
    return fail(TemplateErrors.UnknownFunction, { name, isMatcher: MATCHERS.has(name) }, span);
  }
  try {
    return fn(...args);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(TemplateErrors.FunctionFailed, { name, reason }, span);
  }
}

function lookup(field: Field, data: TemplateValue): TemplateValue {
  let current = data;
  for (const [i, key] of field.path.entries()) {
    if (!isMap(current)) {
      const parent = `.${field.path.slice(0, i).join(".")}`;
      return fail(TemplateErrors.NotAMap, { key, parent, found: describe(current) }, field.span);
    }
    const next = Object.hasOwn(current, key) ? current[key] : undefined;
    if (next === undefined) {
      const note = isMatcher(field) ? matcherNote(field) : undefined;
      return fail(
        TemplateErrors.MissingKey,
        { key, field: printOperand(field), matcherNote: note },
        field.span,
      );
    }
    current = next;
  }
  return current;
}

function printValue(value: TemplateValue, action: Action): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return fail(TemplateErrors.CannotPrint, { found: describe(value) }, action.span);
}

function isMap(value: TemplateValue): value is { readonly [key: string]: TemplateValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: TemplateValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  return `a ${typeof value}`;
}

function isMatcher(field: Field): boolean {
  return field.path.length === 1 && MATCHERS.has(field.path[0] ?? "");
}

function matcherNote(field: Field): string {
  return `'${printOperand(field)}' is a replay-scenario matcher, meaningful only in argv`;
}
