/**
 * The line diff under the patch backend: its blocks, replayed on the old lines, give the new
 * lines — on the patience path and on the Myers fallback, within and over its budget.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ChangeBlock, diffLineArrays, splitLines } from "../../src/backend/line-diff.js";

function replay(
  oldLines: readonly string[],
  newLines: readonly string[],
  blocks: readonly ChangeBlock[],
): string[] {
  const out: string[] = [];
  let i = 0;
  for (const block of blocks) {
    out.push(...oldLines.slice(i, block.aStart), ...newLines.slice(block.bStart, block.bEnd));
    i = block.aEnd;
  }
  out.push(...oldLines.slice(i));
  return out;
}

describe("splitLines", () => {
  it.each([
    ["", []],
    ["a", ["a"]],
    ["a\n", ["a\n"]],
    ["a\r\nb", ["a\r\n", "b"]],
    ["\n\n", ["\n", "\n"]],
  ])("should split %j keeping each terminator", (text, lines) => {
    expect(splitLines(text)).toEqual(lines);
  });
});

describe("diffLineArrays", () => {
  it("should find the one changed line among unique lines", () => {
    const old = ["a\n", "b\n", "c\n", "d\n"];
    expect(diffLineArrays(old, ["a\n", "B\n", "c\n", "d\n"])).toEqual([
      { aStart: 1, aEnd: 2, bStart: 1, bEnd: 2 },
    ]);
  });

  it("should keep the common lines of a gap without unique lines (Myers)", () => {
    const old = ["x\n", "y\n", "x\n", "y\n"];
    const blocks = diffLineArrays(old, ["x\n", "y\n", "y\n"]);
    expect(blocks).toEqual([{ aStart: 2, aEnd: 3, bStart: 2, bEnd: 2 }]);
  });

  it("should replace the gap whole when Myers goes over its budget", () => {
    const old = ["x\n", "y\n", "x\n", "y\n"];
    const blocks = diffLineArrays(old, ["y\n", "x\n", "x\n"], 1);
    expect(blocks).toEqual([{ aStart: 0, aEnd: 4, bStart: 0, bEnd: 3 }]);
  });

  const lines = fc.array(fc.constantFrom("a\n", "b\n", "c\n", "d\n", "e", "a\r\n"), { maxLength: 40 });
  it.each([
    ["the default budget", undefined],
    ["a budget Myers runs out of", 20],
  ])("should give blocks that turn the old lines into the new with %s", (_, budget) => {
    fc.assert(
      fc.property(lines, lines, (oldLines, newLines) => {
        const blocks = diffLineArrays(oldLines, newLines, budget);
        expect(replay(oldLines, newLines, blocks)).toEqual(newLines);
        for (const [k, block] of blocks.entries()) {
          expect(block.aEnd > block.aStart || block.bEnd > block.bStart).toBe(true);
          const next = blocks[k + 1];
          if (next !== undefined) expect(next.aStart).toBeGreaterThan(block.aEnd); // kept lines between
        }
      }),
      { numRuns: 200 },
    );
  });
});
