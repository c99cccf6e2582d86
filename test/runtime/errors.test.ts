import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docRef, ERROR_CLASSES, type ErrorType, RllmError } from "../../src/runtime/app/errors.js";

const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");

describe("error classes", () => {
  const entries = Object.entries(ERROR_CLASSES) as [ErrorType, (typeof ERROR_CLASSES)[ErrorType]][];

  it("should have distinct codes", () => {
    const codes = entries.map(([, c]) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it.each(entries)("should document %s with its code, exit code and a fix", (type, cls) => {
    const heading = `### ${cls.code} ${type}`;
    expect(doc).toContain(heading);
    const section = doc.slice(doc.indexOf(heading)).split("\n### ")[0]!;
    expect(section).toContain(`Exit ${cls.exit}.`);
    expect(section).toContain("**Fix:**");
    const row = doc.split("\n").find((line) => line.startsWith(`| ${cls.exit} |`));
    expect(row).toContain(cls.code);
    // doc_ref points at this section (GitHub's anchor for the heading).
    expect(docRef(type)).toBe(`docs/errors.md#${`${cls.code} ${type}`.toLowerCase().replace(/ /g, "-")}`);
  });

  it("should build the full payload with the class's code and hint", () => {
    const error = new RllmError("InputSchemaError", { message: "m", details: { a: 1 } });
    expect(error.payload).toEqual({
      error_code: "RUN2001",
      error_type: "InputSchemaError",
      message: "m",
      details: { a: 1 },
      expected_schema: null,
      received_payload: null,
      recovery_hint: ERROR_CLASSES.InputSchemaError.hint,
      doc_ref: "docs/errors.md#run2001-inputschemaerror",
    });
    expect(error.exitCode).toBe(4);
  });
});
