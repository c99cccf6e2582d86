/**
 * What a hostile or broken `python` block tries, and what it gets: each attempt ends in a
 * CodeBlockExecutionError with the right reason, in bounded time, and the next block runs.
 * One Pyodide worker serves the file; only the timeout and memory tests, last, cost a restart.
 */
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSandboxes, runCodeBlock } from "../../src/runtime/app/sandbox/index.js";
import { block, failure } from "./helpers.js";

afterAll(() => closeSandboxes());

async function stillWorks(): Promise<void> {
  expect(await runCodeBlock(block("python", "y = x + 1", ["x"], ["y"]), { x: 1 })).toEqual({ y: 2 });
}

/** A loopback HTTP server that counts the connections it gets. */
const server = createServer((_, response) => response.end("secret"));
let connections = 0;
server.on("connection", () => connections++);
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("python escape attempts", { timeout: 60_000 }, () => {
  it("should start (warming the worker the other tests share)", async () => {
    await stillWorks();
  });

  it("should see an in-memory file system, not the host's", async () => {
    const code = "import os\nroot = sorted(os.listdir('/'))\ncwd = os.getcwd()\nhome = os.listdir(cwd)";
    const outputs = await runCodeBlock(block("python", code, [], ["root", "cwd", "home"]), {});
    expect(outputs).toEqual({ root: ["dev", "home", "lib", "proc", "tmp"], cwd: "/home/pyodide", home: [] });
    const read = await failure(block("python", "x = open('/work/main/package.json').read()", [], ["x"]));
    expect(read.details).toMatchObject({
      reason: "error",
      error: "FileNotFoundError: [Errno 44] No such file or directory: '/work/main/package.json' (line 11)",
    });
    const listed = await failure(
      block("python", `import os\nx = os.listdir(${JSON.stringify(process.cwd())})`, [], ["x"]),
    );
    expect(listed.details).toMatchObject({ reason: "error" });
    expect(String(listed.details.error)).toMatch(/^FileNotFoundError/);
  });

  it("should not open the host's /etc/passwd", async () => {
    const result = await failure(block("python", "x = open('/etc/passwd').read()", [], ["x"]));
    expect(result.details).toMatchObject({ reason: "error" });
    expect(String(result.details.error)).toMatch(/^FileNotFoundError/);
  });

  it("should not see the host's environment", async () => {
    process.env.RLLM_SANDBOX_TEST_SECRET = "s3cret";
    try {
      const code = "import os\nenv = dict(os.environ)";
      const { env } = await runCodeBlock(block("python", code, [], ["env"]), {});
      expect(JSON.stringify(env)).not.toContain("s3cret");
      expect(Object.values(env as object)).not.toContain(process.env.PATH);
      expect(JSON.stringify(env)).not.toContain(process.cwd());
    } finally {
      delete process.env.RLLM_SANDBOX_TEST_SECRET;
    }
  });

  it.each([
    [
      "import js",
      "import js\nx = str(js.process)",
      "ImportError: module 'js' is not available in the rllm sandbox (line 11)",
    ],
    [
      "import pyodide_js",
      "import pyodide_js",
      "ImportError: module 'pyodide_js' is not available in the rllm sandbox (line 11)",
    ],
    [
      "from pyodide.ffi import to_js",
      "from pyodide.ffi import to_js",
      "ImportError: module 'pyodide.ffi' is not available",
    ],
    ["import subprocess", "import subprocess", "ImportError: module 'subprocess' is not available"],
    ["import socket", "import socket", "ImportError: module 'socket' is not available"],
    ["import ctypes", "import ctypes", "ImportError: module 'ctypes' is not available"],
    ["__import__('js')", "x = __import__('js')", "ImportError: module 'js' is not available"],
  ])("should refuse %s", async (_, code, error) => {
    const result = await failure(block("python", code, [], ["x"]));
    expect(result.details).toMatchObject({ reason: "error" });
    expect(String(result.details.error)).toContain(error);
  });

  it("should not reach the worker's JS globals through the bridge modules Pyodide already loaded", async () => {
    // The import guard is only the first layer: sys.modules holds the bridge anyway.
    const code = [
      "import sys",
      "assert 'js' not in sys.modules and 'pyodide_js' not in sys.modules, 'bridge modules still registered'",
      "to_js = sys.modules['pyodide.ffi'].to_js",
      "function = to_js([]).constructor.constructor",
      "x = str(function('return typeof process')())",
    ].join("\n");
    const result = await failure(block("python", code, [], ["x"]));
    expect(result.details).toMatchObject({ reason: "error", line: 15 });
    expect(String(result.details.error)).toContain("not available in the rllm sandbox");
    await stillWorks();
  });

  it("should not run a shell command", async () => {
    const marker = join(tmpdir(), `rllm-sandbox-${process.pid}`);
    rmSync(marker, { force: true });
    const code = `import os\nstatus = os.system(${JSON.stringify(`echo pwned > ${marker}`)})`;
    expect(await runCodeBlock(block("python", code, [], ["status"]), {})).toEqual({ status: -1 });
    expect(existsSync(marker)).toBe(false);
    const popen = await failure(block("python", "import os\nx = os.popen('ls /').read()", [], ["x"]));
    expect(popen.details).toMatchObject({ reason: "error" });
  });

  it("should reach no network, even through the standard library", async () => {
    connections = 0;
    const urllib = await failure(
      block(
        "python",
        `import urllib.request\nx = urllib.request.urlopen('http://127.0.0.1:${port}/').read()`,
        [],
        ["x"],
      ),
    );
    expect(urllib.details).toMatchObject({ reason: "error" });
    expect(String(urllib.details.error)).toMatch(/^URLError: <urlopen error \[Errno 2\]/);
    const http = await failure(
      block(
        "python",
        `import http.client\nc = http.client.HTTPConnection('127.0.0.1', ${port})\nc.request('GET', '/')`,
      ),
    );
    expect(String(http.details.error)).toMatch(/^PermissionError/);
    // Give a connection that was opened anyway time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connections).toBe(0);
  });

  it("should give a block no stdin", async () => {
    const result = await failure(block("python", "x = input()", [], ["x"]));
    expect(result.details).toMatchObject({ reason: "error" });
    expect(String(result.details.error)).toMatch(/^OSError/);
  });

  it("should refuse outputs bigger than the limit", async () => {
    const result = await failure(block("python", "x = 'a' * (2 * 1024 * 1024)", [], ["x"]));
    expect(result.details).toMatchObject({
      reason: "output",
      error: "outputs are larger than the limit of 1048576 bytes of JSON",
    });
    const small = await failure(block("python", "x = 'é' * 600", [], ["x"]), {}, { maxOutputBytes: 1000 });
    expect(small.details).toMatchObject({ reason: "output" });
    await stillWorks();
  });

  it.each([
    ["an infinite loop", "while True:\n    pass"],
    [
      "an infinite loop that catches everything",
      "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass",
    ],
  ])("should stop %s with reason timeout by ending the worker", async (_, code) => {
    const result = await failure(block("python", code), {}, { timeoutMs: 500 });
    expect(result.details).toMatchObject({ reason: "timeout", error: "timed out after 500 ms" });
    expect(result.ms).toBeLessThan(10_000);
    await stillWorks();
  });

  it.each([
    ["string doubling", "x = 'a'\nwhile True:\n    x = x + x"],
    ["list doubling", "x = [0]\nwhile True:\n    x = x + x"],
    [
      "a memory bomb that catches MemoryError",
      "keep = []\nwhile True:\n    try:\n        keep.append(bytearray(1 << 20))\n    except MemoryError:\n        pass",
    ],
  ])("should stop %s with reason memory", async (_, code) => {
    const result = await failure(
      block("python", code),
      {},
      { timeoutMs: 30_000, memoryBytes: 32 * 1024 * 1024 },
    );
    expect(result.details).toMatchObject({
      reason: "memory",
      error: "MemoryError: exceeded the memory limit of 33554432 bytes",
    });
    await stillWorks();
  });
});
