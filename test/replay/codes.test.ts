/**
 * The replay runtime's failure codes live outside the compiler's catalogue (the runtime imports no
 * compiler code): they must still be documented and never collide with a catalogue code.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/ir/diagnostic-catalogue.js";
import { REPLAY_ERROR_CODES } from "../../src/runtime/replay/index.js";

describe("replay failure codes", () => {
  const runtime = Object.keys(REPLAY_ERROR_CODES);

  it("should be RPL81xx codes that no catalogue entry uses", () => {
    const catalogue = new Set(Object.values(Diagnostics).map((d) => d.code));
    for (const code of runtime) expect(code).toMatch(/^RPL81\d\d$/);
    expect(runtime.filter((c) => catalogue.has(c))).toEqual([]);
  });

  it("should each be documented in docs/diagnostics.md", () => {
    const doc = readFileSync(new URL("../../docs/diagnostics.md", import.meta.url), "utf8");
    expect(runtime.filter((code) => !doc.includes(`| ${code} |`))).toEqual([]);
  });
});
