import { afterAll, describe, expect, it } from "vitest";
import { closeSandboxes, runCodeBlock } from "../../src/runtime/app/sandbox/index.js";
import { block, failure } from "./helpers.js";

afterAll(() => closeSandboxes());

describe("js blocks", () => {
  it("should transform an input when the block assigns it", async () => {
    const spec = block("js", "text = text.trim();", ["text"], ["text"]);
    expect(await runCodeBlock(spec, { text: "  hi  ", other: 1 })).toEqual({ text: "hi" });
  });

  it("should compute new outputs from several inputs", async () => {
    const spec = block(
      "js",
      "const words = text.split(/\\s+/);\ncount = words.length + offset;\nfirst = words[0] ?? null;",
      ["text", "offset"],
      ["count", "first"],
    );
    expect(await runCodeBlock(spec, { text: "a b c", offset: 10 })).toEqual({ count: 13, first: "a" });
  });

  it("should pass nested objects, arrays and unicode both ways", async () => {
    const spec = block(
      "js",
      "doc.tags.push('ünï ✓ 🚀');\ndoc.meta.n += 1;\nsummary = { title: doc.title + ' — 日本', items: [1, [2, null], { ok: true }] };",
      ["doc"],
      ["doc", "summary"],
    );
    const doc = { title: "Zürich", tags: ["a"], meta: { n: 1 } };
    expect(await runCodeBlock(spec, { doc })).toEqual({
      doc: { title: "Zürich", tags: ["a", "ünï ✓ 🚀"], meta: { n: 2 } },
      summary: { title: "Zürich — 日本", items: [1, [2, null], { ok: true }] },
    });
    // Deep copies: the host's value is untouched.
    expect(doc).toEqual({ title: "Zürich", tags: ["a"], meta: { n: 1 } });
  });

  it("should collect the outputs when the block returns early", async () => {
    const spec = block("js", "result = 1;\nif (flag) return;\nresult = 2;", ["flag"], ["result"]);
    expect(await runCodeBlock(spec, { flag: true })).toEqual({ result: 1 });
  });

  it("should give a block a console that prints nothing", async () => {
    const spec = block("js", "console.log('hello');\nx = 1;", [], ["x"]);
    expect(await runCodeBlock(spec, {})).toEqual({ x: 1 });
  });

  it("should fail with reason output when an output is not set", async () => {
    const result = await failure(block("js", "let unrelated = 1;", [], ["summary"]));
    expect(result.details).toMatchObject({ reason: "output", error: "output 'summary' was not set" });
    expect(result.message).toBe("pre js block 'b' (app.rllm:10:1) failed: output 'summary' was not set");
  });

  it.each([
    ["a function", "x = () => 1;", "output x is a function"],
    ["a nested function", "x = { a: [1, { f() {} }] };", "output x.a[1].f is a function"],
    ["NaN", "x = { n: 0 / 0 };", "output x.n is NaN, which JSON cannot hold"],
    ["a cycle", "x = {}; x.self = x;", "output x.self is a circular reference"],
    ["a Map", "x = new Map();", "output x is a Map, not a JSON value"],
    ["undefined in an array", "x = [1, undefined];", "output x[1] is undefined"],
  ])("should fail with reason output when an output holds %s", async (_, code, error) => {
    const result = await failure(block("js", code, [], ["x"]));
    expect(result.details).toMatchObject({ reason: "output", error });
  });

  it("should map a runtime error to the file line", async () => {
    const result = await failure(block("js", "let a = 1;\n\nnull.foo;", [], []));
    expect(result.details).toEqual({
      block: "pre js b",
      location: "app.rllm:10:1",
      phase: "pre",
      language: "js",
      reason: "error",
      error: "TypeError: cannot read property 'foo' of null (line 13)",
      line: 13,
    });
    expect(result.message).toBe(
      "pre js block 'b' (app.rllm:10:1) failed: TypeError: cannot read property 'foo' of null (line 13)",
    );
  });

  it("should map a syntax error and an error thrown in a function to the file line", async () => {
    expect((await failure(block("js", "let a = 1;\nlet b = ;", [], []))).details).toMatchObject({
      reason: "error",
      line: 12,
    });
    const thrown = await failure(block("js", "function f() {\n  throw new Error('boom');\n}\nf();", [], []));
    expect(thrown.details).toMatchObject({ error: "Error: boom (line 12)", line: 12 });
  });

  it("should report a thrown non-error value", async () => {
    const result = await failure(block("js", "throw 'nope';", [], []));
    expect(result.details).toMatchObject({ reason: "error", error: 'uncaught "nope"' });
  });

  it("should refuse a variable name that is a reserved word", async () => {
    const result = await failure(block("js", "", ["class"], []), { class: 1 });
    expect(result.details).toMatchObject({
      reason: "error",
      error: "variable 'class' is a reserved word in JavaScript",
    });
    const proto = await failure(block("js", "", [], ["__proto__"]));
    expect(proto.details).toMatchObject({ reason: "error", error: "variable '__proto__' is reserved" });
  });

  it("should fail when a declared input has no value", async () => {
    const result = await failure(block("js", "", ["text"], []), {});
    expect(result.details).toMatchObject({ reason: "error", error: "input 'text' has no value" });
  });
});
