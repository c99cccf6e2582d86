/**
 * The CLI end to end, as users run it: the compiled bin, spawned with the Node that runs the
 * tests. `npm test` builds first.
 */

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

function cli(args: string[], bin = BIN) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  expect(result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/); // never a stack trace
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("rllmc CLI", () => {
  it("should print the version", () => {
    expect(cli(["--version"])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it("should print help on stdout for --help and on stderr with exit 2 when given nothing", () => {
    const help = cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: rllmc <command> [options]");
    expect(help.stdout).toContain("check");
    const none = cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: rllmc");
  });

  it("should show a command's usage for <command> --help", () => {
    const result = cli(["check", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: rllmc check <file|dir|glob>...");
  });

  it("should reject an unknown command with a suggestion and exit 2", () => {
    const result = cli(["chek", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'chek'; did you mean 'check'?");
  });

  it("should exit 2 when asked for help on an unknown command", () => {
    const result = cli(["help", "chekc"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no help for unknown command 'chekc'; did you mean 'check'?");
  });

  it("should refuse to read a FIFO instead of hanging", () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-fifo-"));
    const fifo = join(dir, "app.rllm");
    spawnSync("mkfifo", [fifo]);
    const result = cli(["check", fifo]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error RLC0002: cannot read");
    expect(result.stderr).toContain("it is not a regular file");
  });

  it("should search a dot-folder that a glob names", () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-dot-"));
    mkdirSync(join(dir, ".github"));
    copyFileSync(join(ROOT, "examples/summary.rllm"), join(dir, ".github/app.rllm"));
    const result = spawnSync(process.execPath, [BIN, "check", "--json", ".github/*.rllm"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect((JSON.parse(result.stdout) as { files: { path: string }[] }).files).toEqual([
      { path: ".github/app.rllm", kind: "rllm" },
    ]);
  });

  it("should reject an unknown option with a suggestion and exit 2", () => {
    const result = cli(["check", "--jsn", "examples"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--jsn'; did you mean '--json'?");
  });

  it("should reject a bad --kind and a missing path with exit 2", () => {
    expect(cli(["check", "--kind", "pdf", "examples"]).code).toBe(2);
    expect(cli(["check"]).stderr).toContain("expected at least one file, directory or glob");
    expect(cli(["inspect", "a", "b"]).code).toBe(2);
  });

  it("should check the bundled examples cleanly", () => {
    const result = cli(["check", "examples/"]);
    expect(result.stderr).toMatch(/Checked \d+ files: 0 errors, 0 warnings\.\n$/);
    expect(result.code).toBe(0);
  });

  it("should print errors with code frames and exit 1", () => {
    const result = cli(["check", "goldens/rllm/bad-types/input.rllm"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "goldens/rllm/bad-types/input.rllm:6:21 - error SCH1103: 'max_context_window' must be an integer, found the string \"eight thousand\"",
    );
    expect(result.stderr).toContain(
      '6 max_context_window: "eight thousand"\n                      ^~~~~~~~~~~~~~~',
    );
  });

  it("should print the same diagnostics as JSON on stdout with --json", () => {
    const result = cli(["check", "--json", "goldens/rllm/bad-types/input.rllm", "examples/summary.rllm"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      files: { path: string; kind: string }[];
      diagnostics: { code: string; range: { line: number; column: number } }[];
      summary: { files: number; errors: number };
    };
    expect(report.files).toEqual([
      { path: "goldens/rllm/bad-types/input.rllm", kind: "rllm" },
      { path: "examples/summary.rllm", kind: "rllm" },
    ]);
    expect(report.summary.errors).toBe(report.diagnostics.length);
    expect(report.diagnostics.find((d) => d.code === "SCH1103")?.range).toMatchObject({
      line: 6,
      column: 21,
    });
  });

  it("should report a missing file and a glob that matches nothing", () => {
    const missing = cli(["check", "nope.rllm"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("nope.rllm - error RLC0001: cannot read 'nope.rllm': no such file");
    const glob = cli(["check", "examples/**/*.nothing"]);
    expect(glob.stderr).toContain("error RLC0006: 'examples/**/*.nothing' matches no .rllm or .md file");
  });

  it("should expand globs and read files as the kind given by --kind", () => {
    const result = cli(["check", "--json", "examples/*.rllm"]);
    expect((JSON.parse(result.stdout) as { files: unknown[] }).files).toHaveLength(3);
    const forced = cli(["check", "--kind", "task", "examples/pod-crashloop.md"]);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain("TSK4001");
  });

  it("should print the IR as JSON with inspect", () => {
    const result = cli(["inspect", "--ir", "examples/summary.rllm"]);
    expect(result.code).toBe(0);
    const module = JSON.parse(result.stdout) as { kind: string; header: { name: string } };
    expect(module.kind).toBe("rllm");
    expect(module.header.name).toBe("summary");
    const json = cli(["inspect", "--json", "examples/generate-openapi.task.md"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: "task", diagnostics: [] });
  });

  it("should answer to the names runbook and runllm", () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-bin-"));
    for (const name of ["runbook", "runllm"]) {
      const link = join(dir, name);
      symlinkSync(BIN, link);
      const result = cli(["--help"], link);
      expect(result.stdout).toContain(`Usage: ${name} <command> [options]`);
    }
  });
});
