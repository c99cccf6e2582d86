import { describe, expect, it } from "vitest";
import { Progress } from "../../src/cli/progress.js";

function recorder(columns?: number) {
  const writes: string[] = [];
  return {
    writes,
    stream: { write: (t: string) => writes.push(t), ...(columns === undefined ? {} : { columns }) },
  };
}

describe("Progress", () => {
  it("should redraw one line per file with the count and the file, then clear it", () => {
    const { writes, stream } = recorder(80);
    const progress = new Progress(2, stream);
    progress.tick("a.md");
    progress.tick("b.md");
    progress.done();
    expect(writes).toEqual([
      `\r\x1b[2K[${".".repeat(24)}] 0/2 a.md`,
      `\r\x1b[2K[${"#".repeat(12)}${".".repeat(12)}] 1/2 b.md`,
      "\r\x1b[2K",
    ]);
  });

  it("should keep the end of a long path within the terminal's width", () => {
    const { writes, stream } = recorder(50);
    new Progress(1, stream).tick(`docs/${"x".repeat(60)}/runbook.md`);
    expect(writes[0]!.length - "\r\x1b[2K".length).toBe(49);
    expect(writes[0]).toMatch(/…x+\/runbook\.md$/);
  });

  it("should write nothing when there is no terminal", () => {
    const progress = new Progress(3, undefined);
    expect(() => {
      progress.tick("a.md");
      progress.done();
    }).not.toThrow();
  });
});
