/**
 * What a hostile or broken `js` block tries, and what it gets: each attempt ends in a
 * CodeBlockExecutionError with the right reason, in bounded time, and the next block runs.
 */
import { afterAll, describe, expect, it } from "vitest";
import { closeSandboxes, runCodeBlock } from "../../src/runtime/app/sandbox/index.js";
import { block, failure } from "./helpers.js";

afterAll(() => closeSandboxes());

const limits = { timeoutMs: 300, memoryBytes: 16 * 1024 * 1024 };
/** Time enough to fill the memory limit on a slow machine. */
const memoryLimits = { timeoutMs: 20_000, memoryBytes: 8 * 1024 * 1024 };

async function stillWorks(): Promise<void> {
  expect(await runCodeBlock(block("js", "y = x + 1;", ["x"], ["y"]), { x: 1 })).toEqual({ y: 2 });
}

describe("js escape attempts", { timeout: 60_000 }, () => {
  it.each([
    ["an infinite loop", "while (true) {}"],
    [
      "an infinite loop that catches everything",
      "for (;;) { try { while (true) {} } catch (e) {} finally { continue; } }",
    ],
    ["a busy recursion in a loop", "function f(n) { return n ? f(n - 1) : 0; }\nwhile (true) f(100);"],
  ])("should stop %s with reason timeout", async (_, code) => {
    const result = await failure(block("js", code), {}, limits);
    expect(result.details).toMatchObject({ reason: "timeout", error: "timed out after 300 ms" });
    expect(result.ms).toBeLessThan(5_000);
    await stillWorks();
  });

  it("should stop a loop of long builtin calls, which QuickJS cannot interrupt, by ending the worker", async () => {
    // Each call takes long and QuickJS checks its interrupt handler only every few thousand
    // operations, so the host's deadline ends the worker.
    const code = "const s = 'ab'.repeat(2e5);\nwhile (true) s.split('').reverse().join('');";
    const result = await failure(block("js", code), {}, { timeoutMs: 300 });
    expect(result.details).toMatchObject({ reason: "timeout" });
    expect(result.ms).toBeLessThan(10_000);
    await stillWorks();
  });

  it.each([
    ["string doubling", "let s = 'x';\nwhile (true) s += s;"],
    ["array doubling", "let a = [1];\nwhile (true) a = a.concat(a);"],
    ["object hoarding", "const keep = [];\nwhile (true) keep.push({ a: [1, 2, 3], b: 'x'.repeat(100) });"],
  ])("should stop %s with reason memory", async (_, code) => {
    const result = await failure(block("js", code), {}, memoryLimits);
    expect(result.details).toMatchObject({ reason: "memory" });
    expect(result.ms).toBeLessThan(20_000);
    await stillWorks();
  });

  it("should stop unbounded recursion with a stack overflow error", async () => {
    const result = await failure(block("js", "function r() { return r(); }\nr();"), {}, limits);
    expect(result.details).toMatchObject({
      reason: "error",
      error: "InternalError: stack overflow (line 11)",
    });
    await stillWorks();
  });

  it.each([
    ["require('fs')", "x = require('fs');", "ReferenceError: 'require' is not defined (line 11)"],
    ["process.env", "x = process.env;", "ReferenceError: 'process' is not defined (line 11)"],
    [
      "the Function constructor",
      "x = globalThis.constructor.constructor('return process')();",
      "ReferenceError: 'process' is not defined",
    ],
    ["a static import", "import fs from 'fs';", "SyntaxError: expecting '('"],
    ["fetch", "x = fetch('http://127.0.0.1/');", "ReferenceError: 'fetch' is not defined (line 11)"],
  ])("should not reach the host through %s", async (_, code, error) => {
    const result = await failure(block("js", code, [], ["x"]));
    expect(result.details).toMatchObject({ reason: "error" });
    expect(String(result.details.error)).toContain(error);
    await stillWorks();
  });

  it("should not load a module with a dynamic import (there is no module loader nor event loop)", async () => {
    const code = "x = import('fs');\nimport('fs').then((fs) => { y = Object.keys(fs); });";
    const result = await failure(block("js", code, [], ["x"]));
    expect(result.details).toMatchObject({
      reason: "output",
      error: "output x is a Promise, not a JSON value",
    });
  });

  it("should expose no host or QuickJS library object to the block", async () => {
    const code =
      "names = Object.getOwnPropertyNames(globalThis).filter((n) => /^(std|os|require|process|module|exports|Buffer|fetch|setTimeout)$/.test(n));";
    expect(await runCodeBlock(block("js", code, [], ["names"]), {})).toEqual({ names: [] });
  });

  it("should keep prototype pollution inside the sandbox", async () => {
    const code =
      'Object.prototype.polluted = 1;\nArray.prototype.polluted = 1;\nx = JSON.parse(\'{"__proto__": {"polluted": 2}}\');';
    const outputs = await runCodeBlock(block("js", code, [], ["x"]), {});
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(outputs.x)).toBe(Object.prototype);
    expect((outputs as Record<string, unknown>).polluted).toBeUndefined();
    // Each block gets a fresh context: the next one does not see the pollution either.
    expect(await runCodeBlock(block("js", "x = ({}).polluted === undefined;", [], ["x"]), {})).toEqual({
      x: true,
    });
  });

  it("should refuse outputs bigger than the limit", async () => {
    const result = await failure(block("js", "x = 'a'.repeat(2 * 1024 * 1024);", [], ["x"]));
    expect(result.details).toMatchObject({
      reason: "output",
      error: "outputs are larger than the limit of 1048576 bytes of JSON",
    });
    const small = await failure(block("js", "x = 'é'.repeat(600);", [], ["x"]), {}, { maxOutputBytes: 1000 });
    expect(small.details).toMatchObject({ reason: "output" });
    await stillWorks();
  });

  it("should run blocks queued at once, one after the other", async () => {
    const runs = Array.from({ length: 8 }, (_, i) =>
      runCodeBlock(block("js", "y = x * 2;", ["x"], ["y"]), { x: i }),
    );
    expect(await Promise.all(runs)).toEqual(Array.from({ length: 8 }, (_, i) => ({ y: i * 2 })));
  });
});
