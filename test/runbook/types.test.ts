/**
 * src/lang/runbook/types.ts kept in step with grammar/schemas/runbook-v0.schema.json (the check
 * is test/support/schema-types.ts), and that check's own messages.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeTypesInStep, mismatches, type Shape, shapeOf } from "../support/schema-types.js";

describeTypesInStep({
  types: fileURLToPath(new URL("../../src/lang/runbook/types.ts", import.meta.url)),
  schema: fileURLToPath(new URL("../../grammar/schemas/runbook-v0.schema.json", import.meta.url)),
  root: "Runbook",
  defs: [
    "Meta",
    "VarSpec",
    "DocumentSource",
    "Source",
    "Governance",
    "RedactRule",
    "EvidencePolicy",
    "CliStep",
    "CliWith",
    "CaptureSpec",
    "Assertion",
    "Approvals",
    "ManualStep",
    "Evidence",
    "GroupStep",
  ],
});

describe("the schema/types comparison", () => {
  it("should report a missing property, a wrong '?' and an extra property when they differ", () => {
    const json = shapeOf({ required: ["a"], properties: { a: {}, b: {}, c: {} } });
    const fake: Shape = {
      properties: new Map([
        ["a", true],
        ["b", false],
        ["d", true],
      ]),
    };
    expect(mismatches("X", fake, json, "types.ts")).toEqual([
      "X.a is required in the schema but optional ('?') in the interface",
      "X.b is optional in the schema but required in the interface",
      "X.c is in the schema but not in the interface",
      "X.d is in the interface but not in the schema",
    ]);
    expect(mismatches("Y", undefined, json, "types.ts")).toEqual(["interface Y is missing from types.ts"]);
  });
});
