/**
 * TypeScript types kept in step with the schema: each object of
 * grammar/schemas/cli-replay-scenario.schema.json (the root and each strict `$defs` entry) has an
 * interface of the same name in grammar/replay/types.ts with the same property names, optional
 * exactly when not required.
 * The interfaces are read with the TypeScript compiler API, not imported, so a mismatch is
 * reported by name rather than as a type error somewhere else.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const TYPES = fileURLToPath(new URL("../../grammar/replay/types.ts", import.meta.url));
const SCHEMA = fileURLToPath(
  new URL("../../grammar/schemas/cli-replay-scenario.schema.json", import.meta.url),
);

interface ObjectSchema {
  readonly type?: string;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly additionalProperties?: unknown;
  readonly $defs?: Readonly<Record<string, ObjectSchema>>;
}

interface Shape {
  /** Property name → whether it is optional. */
  readonly properties: ReadonlyMap<string, boolean>;
}

const schema = JSON.parse(readFileSync(SCHEMA, "utf8")) as ObjectSchema;

/** The interfaces of the types file, by name. */
function interfaces(): Map<string, Shape> {
  const file = ts.createSourceFile(TYPES, readFileSync(TYPES, "utf8"), ts.ScriptTarget.Latest, true);
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
function shapeOf(object: ObjectSchema): Shape {
  const required = new Set(object.required ?? []);
  return {
    properties: new Map(Object.keys(object.properties ?? {}).map((name) => [name, !required.has(name)])),
  };
}

/** What differs between the interface and the schema object, in words; empty when in step. */
function mismatches(name: string, iface: Shape | undefined, json: Shape): string[] {
  if (iface === undefined) return [`interface ${name} is missing from grammar/replay/types.ts`];
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

/** The `$defs` entries that are strict objects: those an interface mirrors. */
const OBJECT_DEFS = Object.entries(schema.$defs ?? {}).filter(
  ([, def]) => def.type === "object" && def.properties !== undefined && def.additionalProperties === false,
);

describe("TypeScript types kept in step with the schema", () => {
  const declared = interfaces();

  it("should find every object definition of the schema when it reads the $defs", () => {
    expect(OBJECT_DEFS.map(([name]) => name).sort()).toEqual(
      [
        "ScenarioMeta",
        "ScenarioSecurity",
        "ScenarioSession",
        "ScenarioStep",
        "ScenarioMatch",
        "ScenarioRespond",
        "ScenarioCalls",
        "ScenarioGroupEntry",
        "ScenarioGroup",
      ].sort(),
    );
  });

  it("should have the same properties in the interface Scenario when compared with the root schema", () => {
    expect(mismatches("Scenario", declared.get("Scenario"), shapeOf(schema))).toEqual([]);
  });

  it.each(OBJECT_DEFS)(
    "should have the same properties in the interface %s when compared with its $defs entry",
    (name, def) => {
      expect(mismatches(name, declared.get(name), shapeOf(def))).toEqual([]);
    },
  );

  it("should report a missing property, a wrong '?' and an extra property when they differ", () => {
    const json = shapeOf({ required: ["a"], properties: { a: {}, b: {}, c: {} } });
    const fake: Shape = {
      properties: new Map([
        ["a", true],
        ["b", false],
        ["d", true],
      ]),
    };
    expect(mismatches("X", fake, json)).toEqual([
      "X.a is required in the schema but optional ('?') in the interface",
      "X.b is optional in the schema but required in the interface",
      "X.c is in the schema but not in the interface",
      "X.d is in the interface but not in the schema",
    ]);
    expect(mismatches("Y", undefined, json)).toEqual(["interface Y is missing from grammar/replay/types.ts"]);
  });
});
