import { describe, expect, it } from "vitest";
import { listCases, runCase } from "./harness.js";

const update = process.env.GOLDENS_UPDATE === "1";
const ci = process.env.CI === "true" || process.env.CI === "1";
const cases = listCases();

describe("goldens", () => {
  it("should have at least 25 cases across the three kinds", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(new Set(cases.map((c) => c.suite))).toEqual(new Set(["review", "rllm", "run", "task", "tsg"]));
  });

  it.each(cases.map((c) => [`${c.suite}/${c.name}`, c] as const))(
    "should match the baseline of %s",
    async (_label, goldenCase) => {
      const outcome = await runCase(goldenCase, update, ci);
      for (const file of outcome.written) console.log(`goldens: wrote ${file}`);
      expect(outcome.problems.join("\n")).toBe("");
    },
  );
});
