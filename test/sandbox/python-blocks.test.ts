import { afterAll, describe, expect, it } from "vitest";
import { closeSandboxes, runCodeBlock } from "../../src/runtime/app/sandbox/index.js";
import { block, failure } from "./helpers.js";

// One Pyodide worker serves the whole file; its first block pays the start-up of a few seconds.
afterAll(() => closeSandboxes());

describe("python blocks", { timeout: 60_000 }, () => {
  it("should transform an input when the block assigns it", async () => {
    const spec = block("python", "text = text.strip()", ["text"], ["text"]);
    expect(await runCodeBlock(spec, { text: "  hi  ", other: 1 })).toEqual({ text: "hi" });
  });

  it("should compute new outputs and import the standard library", async () => {
    const spec = block(
      "python",
      "import re, math\nwords = re.split(r'\\s+', text)\ncount = len(words) + offset\nroot = math.sqrt(16)\nnothing = None",
      ["text", "offset"],
      ["count", "root", "nothing"],
    );
    expect(await runCodeBlock(spec, { text: "a b c", offset: 10 })).toEqual({
      count: 13,
      root: 4,
      nothing: null,
    });
  });

  it("should pass nested objects, arrays and unicode both ways", async () => {
    const spec = block(
      "python",
      "doc['tags'].append('ünï ✓ 🚀')\ndoc['meta']['n'] += 1\nsummary = {'title': doc['title'] + ' — 日本', 'items': [1, (2, None), {'ok': True}]}",
      ["doc"],
      ["doc", "summary"],
    );
    const doc = { title: "Zürich", tags: ["a"], meta: { n: 1 } };
    expect(await runCodeBlock(spec, { doc })).toEqual({
      doc: { title: "Zürich", tags: ["a", "ünï ✓ 🚀"], meta: { n: 2 } },
      summary: { title: "Zürich — 日本", items: [1, [2, null], { ok: true }] },
    });
    expect(doc).toEqual({ title: "Zürich", tags: ["a"], meta: { n: 1 } });
  });

  it("should start each block with fresh globals", async () => {
    await runCodeBlock(block("python", "leftover = 1\nx = 1", [], ["x"]), {});
    const result = await failure(block("python", "x = leftover", [], ["x"]));
    expect(result.details).toMatchObject({
      reason: "error",
      error: "NameError: name 'leftover' is not defined (line 11)",
    });
  });

  it("should drop what the block prints", async () => {
    expect(await runCodeBlock(block("python", "print('hello')\nx = 1", [], ["x"]), {})).toEqual({ x: 1 });
  });

  it("should fail with reason output when an output is not set", async () => {
    const result = await failure(block("python", "unrelated = 1", [], ["summary"], "post"));
    expect(result.message).toBe("post python block 'b' (app.rllm:10:1) failed: output 'summary' was not set");
    expect(result.details).toMatchObject({ block: "post python b", phase: "post", reason: "output" });
  });

  it.each([
    [
      "a function",
      "x = lambda: 1",
      "output 'x' is not JSON: TypeError: Object of type function is not JSON serializable",
    ],
    [
      "a set",
      "x = {'a': {1}}",
      "output 'x' is not JSON: TypeError: Object of type set is not JSON serializable",
    ],
    [
      "NaN",
      "x = [float('nan')]",
      "output 'x' is not JSON: ValueError: Out of range float values are not JSON compliant: nan",
    ],
    ["a cycle", "x = []\nx.append(x)", "output 'x' is not JSON: ValueError: Circular reference detected"],
  ])("should fail with reason output when an output holds %s", async (_, code, error) => {
    const result = await failure(block("python", code, [], ["x"]));
    expect(result.details).toMatchObject({ reason: "output", error });
  });

  it("should map a runtime error to the file line", async () => {
    const result = await failure(block("python", "a = 1\n\nb = a / 0", [], []));
    expect(result.details).toEqual({
      block: "pre python b",
      location: "app.rllm:10:1",
      phase: "pre",
      language: "python",
      reason: "error",
      error: "ZeroDivisionError: division by zero (line 13)",
      line: 13,
    });
  });

  it("should map a syntax error and an error raised in a function to the file line", async () => {
    expect((await failure(block("python", "a = 1\nb = (", [], []))).details).toMatchObject({
      reason: "error",
      line: 12,
    });
    const raised = await failure(block("python", "def f():\n    raise ValueError('boom')\n\nf()", [], []));
    expect(raised.details).toMatchObject({ error: "ValueError: boom (line 12)", line: 12 });
  });

  it("should report SystemExit as an error of the block", async () => {
    const result = await failure(block("python", "import sys\nsys.exit(3)", [], []));
    expect(result.details).toMatchObject({ reason: "error", error: "SystemExit: 3 (line 12)" });
  });
});
