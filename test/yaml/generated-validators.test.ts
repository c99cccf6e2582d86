import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script without type declarations
import { generateValidators, OUTPUT } from "../../scripts/generate-validators.mjs";

describe("generated schema validators", () => {
  it("should be up to date with grammar/schemas (run node scripts/generate-validators.mjs)", () => {
    expect(readFileSync(OUTPUT, "utf8")).toBe(generateValidators());
  });
});
