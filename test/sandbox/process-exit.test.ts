import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/exit-without-close.mjs", import.meta.url));

describe("kept-alive sandbox workers", () => {
  it("should let a process exit without closeSandboxes() when blocks have run", {
    timeout: 90_000,
  }, async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, [fixture], { timeout: 80_000 }, (error, stdout) =>
        resolve({ code: error ? (child.exitCode ?? -1) : 0, stdout }),
      );
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ js: { y: 2 }, python: { y: 3 } });
  });
});
