/**
 * JSON Schema → TypeScript types, built as TypeScript AST nodes (`ts.factory`) and printed by the
 * TypeScript printer. What maps to what:
 *
 * | schema | type |
 * | --- | --- |
 * | `type: string` / `number`, `integer` / `boolean` / `null` | `string` / `number` / `boolean` / `null` |
 * | `type: [string, null]` | `string \| null` |
 * | `enum`, `const` | a union of literal types |
 * | `type: array` with `items` / `prefixItems` | `T[]` / a tuple |
 * | `type: object` with `properties` | an object type; properties not in `required` are optional |
 * | `additionalProperties: <schema>` without `properties` | `{ [key: string]: T }` |
 * | `additionalProperties: true` (written out) | adds `[key: string]: unknown` |
 * | `oneOf` / `anyOf` | a union (each branch merged with the keywords beside it) |
 * | `allOf` | an intersection |
 * | `$ref: "#/$defs/x"` | a reference to the named type made for `x` |
 * | anything else | `unknown` |
 *
 * `description`, `default`, `format` and the narrowing keywords (`minimum`, `maxLength`, …) become
 * JSDoc on the property, with `*\/` written so that it cannot end the comment. Types describe what
 * a valid value can be; the validators still check the narrowing keywords at run time.
 */
import { ts } from "ts-morph";
import type { JsonObject, JsonValue } from "../ir/nodes.js";

const f = ts.factory;

/** Keywords shown as JSDoc tags, in this order. */
const DOC_KEYWORDS = [
  "format",
  "minimum",
  "exclusiveMinimum",
  "maximum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
] as const;

/** Deeper than this, a schema is typed `unknown` (recursion goes through named `$defs`). */
const MAX_DEPTH = 32;

export interface NamedType {
  readonly name: string;
  readonly docs: readonly string[];
  readonly node: ts.TypeNode;
}

/**
 * Converts one schema document. `$defs` (and `definitions`) entries become named types
 * `<prefix><Name>`; `$ref`s to them become references, so recursive schemas stay finite.
 */
export class SchemaTypes {
  private readonly definitions = new Map<string, string>();
  readonly named: NamedType[] = [];

  constructor(
    root: JsonObject,
    private readonly prefix: string,
    private readonly reserved: Set<string>,
  ) {
    for (const key of ["$defs", "definitions"]) {
      const defs = root[key];
      if (!isObject(defs)) continue;
      for (const name of Object.keys(defs)) this.definitions.set(`#/${key}/${name}`, this.uniqueName(name));
    }
    for (const key of ["$defs", "definitions"]) {
      const defs = root[key];
      if (!isObject(defs)) continue;
      for (const [name, schema] of Object.entries(defs))
        this.named.push({
          name: this.definitions.get(`#/${key}/${name}`)!,
          docs: docsOf(schema),
          node: this.type(schema, 0),
        });
    }
  }

  /** The type of a schema. */
  type(schema: JsonValue | undefined, depth: number): ts.TypeNode {
    if (schema === true || schema === undefined) return keyword(ts.SyntaxKind.UnknownKeyword);
    if (schema === false) return keyword(ts.SyntaxKind.NeverKeyword);
    if (!isObject(schema) || depth > MAX_DEPTH) return keyword(ts.SyntaxKind.UnknownKeyword);
    if (typeof schema.$ref === "string") {
      const name = this.definitions.get(schema.$ref);
      return name === undefined ? keyword(ts.SyntaxKind.UnknownKeyword) : f.createTypeReferenceNode(name);
    }
    if ("const" in schema) return literal(schema.const);
    if (Array.isArray(schema.enum)) return union(schema.enum.map(literal));
    const parts: ts.TypeNode[] = [];
    const branches = [...arrayOf(schema.oneOf), ...arrayOf(schema.anyOf)];
    if (branches.length > 0) {
      const base = withoutKeys(schema, ["oneOf", "anyOf", "allOf", "description", "title"]);
      parts.push(union(branches.map((b) => this.type(isObject(b) ? { ...base, ...b } : b, depth + 1))));
    } else parts.push(this.plain(schema, depth));
    for (const part of arrayOf(schema.allOf)) parts.push(this.type(part, depth + 1));
    return parts.length === 1 ? parts[0]! : f.createIntersectionTypeNode(parts.map(parenthesised));
  }

  /** Whether a schema's type is an object with properties: the kind that becomes an interface. */
  static isObjectType(schema: JsonValue | undefined): schema is JsonObject {
    return (
      isObject(schema) &&
      typesOf(schema).length === 1 &&
      typesOf(schema)[0] === "object" &&
      isObject(schema.properties) &&
      schema.oneOf === undefined &&
      schema.anyOf === undefined &&
      schema.allOf === undefined
    );
  }

  /** The members of an object schema's type: its properties, and an index signature if open. */
  members(schema: JsonObject, depth: number): ts.TypeElement[] {
    const required = new Set(arrayOf(schema.required).filter((n): n is string => typeof n === "string"));
    const members: ts.TypeElement[] = [];
    for (const [name, property] of Object.entries(isObject(schema.properties) ? schema.properties : {})) {
      const signature = f.createPropertySignature(
        undefined,
        propertyName(name),
        required.has(name) ? undefined : f.createToken(ts.SyntaxKind.QuestionToken),
        this.type(property, depth + 1),
      );
      members.push(withDocs(signature, docsOf(property)));
    }
    const additional = schema.additionalProperties;
    if (additional === true) members.push(indexSignature(keyword(ts.SyntaxKind.UnknownKeyword)));
    else if (isObject(additional) && members.length > 0)
      members.push(indexSignature(keyword(ts.SyntaxKind.UnknownKeyword)));
    else if (isObject(additional)) members.push(indexSignature(this.type(additional, depth + 1)));
    return members;
  }

  private plain(schema: JsonObject, depth: number): ts.TypeNode {
    const types = typesOf(schema);
    if (types.length === 0) {
      if (isObject(schema.properties) || schema.additionalProperties !== undefined)
        return this.objectType(schema, depth);
      if (schema.items !== undefined || schema.prefixItems !== undefined)
        return this.arrayType(schema, depth);
      return keyword(ts.SyntaxKind.UnknownKeyword);
    }
    return union(
      types.map((type) => {
        switch (type) {
          case "string":
            return keyword(ts.SyntaxKind.StringKeyword);
          case "number":
          case "integer":
            return keyword(ts.SyntaxKind.NumberKeyword);
          case "boolean":
            return keyword(ts.SyntaxKind.BooleanKeyword);
          case "null":
            return f.createLiteralTypeNode(f.createNull());
          case "array":
            return this.arrayType(schema, depth);
          case "object":
            return this.objectType(schema, depth);
          default:
            return keyword(ts.SyntaxKind.UnknownKeyword);
        }
      }),
    );
  }

  private objectType(schema: JsonObject, depth: number): ts.TypeNode {
    const members = this.members(schema, depth);
    if (members.length === 0 && schema.additionalProperties !== false)
      return f.createTypeReferenceNode("Record", [
        keyword(ts.SyntaxKind.StringKeyword),
        keyword(ts.SyntaxKind.UnknownKeyword),
      ]);
    return f.createTypeLiteralNode(members);
  }

  private arrayType(schema: JsonObject, depth: number): ts.TypeNode {
    const prefix = arrayOf(schema.prefixItems);
    if (prefix.length > 0) {
      const elements: ts.TypeNode[] = prefix.map((item) => this.type(item, depth + 1));
      if (schema.items !== false)
        elements.push(
          f.createRestTypeNode(f.createArrayTypeNode(parenthesised(this.type(schema.items, depth + 1)))),
        );
      return ts.setEmitFlags(f.createTupleTypeNode(elements), ts.EmitFlags.SingleLine);
    }
    return f.createArrayTypeNode(parenthesised(this.type(schema.items, depth + 1)));
  }

  private uniqueName(definition: string): string {
    const base = `${this.prefix}${pascalCase(definition) || "Definition"}`;
    let name = base;
    for (let n = 2; this.reserved.has(name); n++) name = `${base}${n}`;
    this.reserved.add(name);
    return name;
  }
}

/** The JSDoc lines of a schema: description, then tags for default, format and narrowing keywords. */
export function docsOf(schema: JsonValue | undefined): string[] {
  if (!isObject(schema)) return [];
  const lines: string[] = [];
  const text =
    typeof schema.description === "string"
      ? schema.description
      : typeof schema.title === "string"
        ? schema.title
        : "";
  if (text.trim() !== "") lines.push(...text.trim().split(/\r\n|\r|\n/));
  if ("default" in schema) lines.push(`@default ${JSON.stringify(schema.default)}`);
  for (const key of DOC_KEYWORDS) {
    const value = schema[key];
    if (value !== undefined)
      lines.push(`@${key} ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return lines.map(safeInComment);
}

/** A line that cannot end a `/* … *\/` comment early. */
export function safeInComment(line: string): string {
  return line.replaceAll("*/", "*\\/");
}

export function printType(node: ts.Node): string {
  const file = ts.createSourceFile("types.ts", "", ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return printer.printNode(ts.EmitHint.Unspecified, node, file);
}

const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });

export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("")
    .replace(/^[0-9]/, "_$&");
}

function withDocs<T extends ts.Node>(node: T, docs: readonly string[]): T {
  if (docs.length === 0) return node;
  const body =
    docs.length === 1 ? `* ${docs[0]} ` : `*\n${docs.map((l) => ` * ${l}`.trimEnd()).join("\n")}\n `;
  return ts.addSyntheticLeadingComment(node, ts.SyntaxKind.MultiLineCommentTrivia, body, true);
}

function indexSignature(type: ts.TypeNode): ts.IndexSignatureDeclaration {
  return f.createIndexSignature(
    undefined,
    [
      f.createParameterDeclaration(
        undefined,
        undefined,
        "key",
        undefined,
        keyword(ts.SyntaxKind.StringKeyword),
      ),
    ],
    type,
  );
}

function propertyName(name: string): ts.PropertyName {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? f.createIdentifier(name) : f.createStringLiteral(name);
}

function literal(value: JsonValue | undefined): ts.TypeNode {
  if (value === null || value === undefined) return f.createLiteralTypeNode(f.createNull());
  if (typeof value === "string") return f.createLiteralTypeNode(f.createStringLiteral(value));
  if (typeof value === "boolean") return f.createLiteralTypeNode(value ? f.createTrue() : f.createFalse());
  if (typeof value === "number")
    return value < 0
      ? f.createLiteralTypeNode(
          f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, f.createNumericLiteral(String(-value))),
        )
      : f.createLiteralTypeNode(f.createNumericLiteral(String(value)));
  return keyword(ts.SyntaxKind.UnknownKeyword); // an object or array constant: the validator checks it
}

function union(types: ts.TypeNode[]): ts.TypeNode {
  const seen = new Map<string, ts.TypeNode>();
  for (const type of types) seen.set(printType(type), type);
  const unique = [...seen.values()];
  if (unique.length === 0) return keyword(ts.SyntaxKind.NeverKeyword);
  return unique.length === 1 ? unique[0]! : f.createUnionTypeNode(unique.map(parenthesised));
}

function parenthesised(type: ts.TypeNode): ts.TypeNode {
  return ts.isUnionTypeNode(type) || ts.isIntersectionTypeNode(type) || ts.isFunctionTypeNode(type)
    ? f.createParenthesizedType(type)
    : type;
}

function keyword(kind: ts.KeywordTypeSyntaxKind): ts.KeywordTypeNode {
  return f.createKeywordTypeNode(kind);
}

function typesOf(schema: JsonObject): string[] {
  const type = schema.type;
  if (typeof type === "string") return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === "string") : [];
}

function withoutKeys(schema: JsonObject, keys: readonly string[]): JsonObject {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !keys.includes(key)));
}

function arrayOf(value: JsonValue | undefined): readonly JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
