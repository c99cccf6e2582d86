import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractJson } from "../../src/runtime/app/extract-json.js";

describe("extractJson", () => {
  it.each([
    ['{"a": 1}', { a: 1 }, []],
    ["  [1, 2]  ", [1, 2], []],
    ['```json\n{"a": 1}\n```', { a: 1 }, ["removed a code fence"]],
    [
      'Here you go:\n```\n{"a": [1, 2,],}\n```',
      { a: [1, 2] },
      ["removed a code fence", "removed trailing commas"],
    ],
    ['The answer is {"a": "x}"} as asked.', { a: "x}" }, ["removed text around the JSON"]],
    ['{"a": "b,]",\n "c": [1,\n],\n}', { a: "b,]", c: [1] }, ["removed trailing commas"]],
    ['```python\nprint(1)\n```\n{"a": true}', { a: true }, ["removed text around the JSON"]],
    ['"just a string"', "just a string", []],
    [
      'Sure [see note]: {"question": true, "count": 1}',
      { question: true, count: 1 },
      ["removed text around the JSON"],
    ],
  ])("should read %j", (text, value, repairs) => {
    expect(extractJson(text)).toEqual({ ok: true, value, repairs });
  });

  it.each([
    ["", "the answer is empty"],
    ["no json here", "the answer contains no JSON object or array"],
    ['{"a": [1, 2', "never closed (truncated answer?)"],
    ["{'a': 1}", "not valid JSON"],
    ['{"a": 1 // comment\n}', "not valid JSON"],
  ])("should refuse %j", (text, reason) => {
    const result = extractJson(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toContain(reason);
  });

  it("should find any JSON object between prose without braces", () => {
    const prose = fc.string().filter((s) => !/[{}[\]"`]/.test(s));
    fc.assert(
      fc.property(prose, fc.dictionary(fc.string(), fc.jsonValue()), prose, (before, value, after) => {
        const result = extractJson(`${before}\n${JSON.stringify(value)}\n${after}`);
        expect(result.ok && result.value).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
