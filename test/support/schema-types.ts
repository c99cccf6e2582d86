/**
 * Keeps a file of TypeScript types in step with a JSON Schema: each object of the schema (the
 * root and each strict `$defs` entry) must have an interface of the same name with the same
 * property names, optional exactly when not required. The interfaces are read with the
 * TypeScript compiler API, not imported, so a mismatch is reported by name rather than as a type
 * error somewhere else. Used by the runbook/v0 and cli-replay scenario type tests.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

interface ObjectSchema {
  readonly type?: string;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly additionalProperties?: unknown;
  readonly $defs?: Readonly<Record<string, ObjectSchema>>;
}

export interface Shape {
  /** Property name → whether it is optional. */
  readonly properties: ReadonlyMap<string, boolean>;
}

/** The interfaces of a types file, by name. */
export function interfaces(path: string): Map<string, Shape> {
  const file = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const out = new Map<string, Shape>();
  for (const statement of file.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    const properties = new Map<string, boolean>();
    for (const member of statement.members) {
      if (!ts.isPropertySignature(member)) continue;
      properties.set(member.name.getText(file), member.questionToken !== undefined);
    }
    out.set(statement.name.text, { properties });
  }
  return out;
}

/** The schema's shape: each property and whether it is optional (not in `required`). */
export function shapeOf(object: ObjectSchema): Shape {
  const required = new Set(object.required ?? []);
  return {
    properties: new Map(Object.keys(object.properties ?? {}).map((name) => [name, !required.has(name)])),
  };
}

/** What differs between the interface and the schema object, in words; empty when in step. */
export function mismatches(name: string, iface: Shape | undefined, json: Shape, typesFile: string): string[] {
  if (iface === undefined) return [`interface ${name} is missing from ${typesFile}`];
  const problems: string[] = [];
  for (const [property, optional] of json.properties) {
    const tsOptional = iface.properties.get(property);
    if (tsOptional === undefined)
      problems.push(`${name}.${property} is in the schema but not in the interface`);
    else if (tsOptional !== optional)
      problems.push(
        `${name}.${property} is ${optional ? "optional" : "required"} in the schema but ${tsOptional ? "optional ('?')" : "required"} in the interface`,
      );
  }
  for (const property of iface.properties.keys())
    if (!json.properties.has(property))
      problems.push(`${name}.${property} is in the interface but not in the schema`);
  return problems;
}

/**
 * Registers the tests: the schema's strict object definitions are exactly `defs`, the root
 * matches the interface `root`, and each definition matches the interface of its name.
 */
export function describeTypesInStep(options: {
  readonly types: string;
  readonly schema: string;
  readonly root: string;
  readonly defs: readonly string[];
}): void {
  const schema = JSON.parse(readFileSync(options.schema, "utf8")) as ObjectSchema;
  const typesFile = relative(process.cwd(), options.types);
  const objectDefs = Object.entries(schema.$defs ?? {}).filter(
    ([, def]) => def.type === "object" && def.properties !== undefined && def.additionalProperties === false,
  );
  describe(`the types of ${typesFile} kept in step with ${relative(process.cwd(), options.schema)}`, () => {
    const declared = interfaces(options.types);

    it("should find every object definition of the schema when it reads the $defs", () => {
      expect(objectDefs.map(([name]) => name).sort()).toEqual([...options.defs].sort());
    });

    it(`should have the same properties in the interface ${options.root} when compared with the root schema`, () => {
      expect(mismatches(options.root, declared.get(options.root), shapeOf(schema), typesFile)).toEqual([]);
    });

    it.each(objectDefs)(
      "should have the same properties in the interface %s when compared with its $defs entry",
      (name, def) => {
        expect(mismatches(name, declared.get(name), shapeOf(def), typesFile)).toEqual([]);
      },
    );
  });
}
