/**
 * `parseTsg` catches nothing: an exception in the frontend is a bug, and it must reach the
 * caller (the CLI turns it into exit code 3) instead of becoming a warning and an empty guide.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";

const failure = vi.hoisted(() => ({ error: undefined as unknown }));

vi.mock("../../src/frontend/tsg/build-sections.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/frontend/tsg/build-sections.js")>();
  return {
    ...original,
    buildSections: (...args: Parameters<typeof original.buildSections>) => {
      if (failure.error !== undefined) throw failure.error;
      return original.buildSections(...args);
    },
  };
});

describe("exceptions in the TSG frontend", () => {
  const source = sourceFromText("guide.md", "# T\n\n```sh\n$ ls\n```\n");

  beforeEach(() => {
    failure.error = undefined;
  });

  it("should parse normally when nothing fails", () => {
    expect(parseTsg(source).diagnostics).toEqual([]);
  });

  it("should let an error through when the frontend has a bug", () => {
    failure.error = new TypeError("boom");
    expect(() => parseTsg(source)).toThrow(new TypeError("boom"));
  });

  it("should let a stack overflow through when the frontend has one", () => {
    failure.error = new RangeError("Maximum call stack size exceeded");
    expect(() => parseTsg(source)).toThrow(RangeError);
  });

  it("should let a thrown non-error value through", () => {
    failure.error = "plain string";
    expect(() => parseTsg(source)).toThrow("plain string");
  });
});
