/**
 * Colour: when it is on (a TTY or FORCE_COLOR; never with NO_COLOR or --no-color), what it looks
 * like, and that the plain text under the colours is what the goldens hold.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { diagnosticStyle, useColor } from "../../src/cli/color.js";
import { makeDiagnostic } from "../../src/ir/diagnostic.js";
import { Diagnostics } from "../../src/ir/diagnostic-catalogue.js";
import { formatDiagnostic, sourceLookup } from "../../src/ir/print-diagnostics.js";
import { SourceFile } from "../../src/ir/source-file.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const BAD = "goldens/rllm/bad-types/input.rllm";
/** Whether the text holds terminal colour codes. */
const isColoured = (text: string) => stripVTControlCharacters(text) !== text;

/** The environment without any colour setting of the machine running the tests. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NO_COLOR: _n, FORCE_COLOR: _f, ...rest } = process.env;
  return { ...rest, ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: env(extra),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the colour decision", () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it.each([
    ["a terminal", tty, {}, false, true],
    ["a pipe", pipe, {}, false, false],
    ["a dumb terminal", tty, { TERM: "dumb" }, false, false],
    ["a pipe with FORCE_COLOR=1", pipe, { FORCE_COLOR: "1" }, false, true],
    ["a pipe with FORCE_COLOR empty", pipe, { FORCE_COLOR: "" }, false, true],
    ["a terminal with FORCE_COLOR=0", tty, { FORCE_COLOR: "0" }, false, false],
    ["a terminal with FORCE_COLOR=false", tty, { FORCE_COLOR: "false" }, false, false],
    ["a terminal with NO_COLOR=1", tty, { NO_COLOR: "1" }, false, false],
    ["NO_COLOR over FORCE_COLOR", pipe, { NO_COLOR: "1", FORCE_COLOR: "1" }, false, false],
    ["a terminal with NO_COLOR empty (unset, per no-color.org)", tty, { NO_COLOR: "" }, false, true],
    ["--no-color on a terminal", tty, {}, true, false],
    ["--no-color over FORCE_COLOR", pipe, { FORCE_COLOR: "1" }, true, false],
  ])("should decide for %s", (_name, stream, vars, flag, expected) => {
    expect(useColor(stream, vars, flag)).toBe(expected);
  });
});

describe("coloured diagnostics", () => {
  const file = new SourceFile("app.rllm", "name: 7up\n");
  const d = makeDiagnostic(
    Diagnostics.SchemaType,
    { file: "app.rllm", start: 6, end: 9 },
    { pointer: "name", expected: "a string", found: "a number" },
    { hint: "quote it", related: [{ message: "here", span: { file: "app.rllm", start: 0, end: 4 } }] },
  );

  it("should colour the text and leave, without the colour codes, exactly the plain text", () => {
    const lookup = sourceLookup([file]);
    const plain = formatDiagnostic(d, lookup);
    const styled = formatDiagnostic(d, lookup, diagnosticStyle({ isTTY: true }));
    expect(isColoured(plain)).toBe(false);
    expect(isColoured(styled)).toBe(true);
    expect(stripVTControlCharacters(styled)).toBe(plain);
    expect(styled).toContain("\x1b[31m^~~\x1b[39m"); // the marker in the severity's colour
  });
});

describe("colour through the CLI", () => {
  it("should colour diagnostics and the summary with FORCE_COLOR=1, and print the same text", () => {
    const styled = cli(["check", BAD], { FORCE_COLOR: "1" });
    const plain = cli(["check", BAD]);
    expect(styled.code).toBe(1);
    expect(isColoured(styled.stderr)).toBe(true);
    expect(styled.stderr).toContain("\x1b[31m^~~~~~~~~~~~~~~~\x1b[39m");
    expect(styled.stderr).toContain("Checked 1 file: \x1b[31m\x1b[1m");
    expect(isColoured(plain.stderr)).toBe(false);
    expect(stripVTControlCharacters(styled.stderr)).toBe(plain.stderr);
  });

  it("should not colour when NO_COLOR is set or --no-color is given, even with FORCE_COLOR", () => {
    for (const [args, vars] of [
      [["check", BAD], { FORCE_COLOR: "1", NO_COLOR: "1" }],
      [["check", BAD, "--no-color"], { FORCE_COLOR: "1" }],
      [["--no-color", "check", BAD], { FORCE_COLOR: "1" }],
    ] as const) {
      const result = cli([...args], vars);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("error SCH1103");
      expect(isColoured(result.stderr)).toBe(false);
    }
  });

  it("should never colour --json or --format sarif", () => {
    for (const format of [["--json"], ["--format", "sarif"]]) {
      const result = cli(["check", BAD, ...format], { FORCE_COLOR: "1" });
      expect(isColoured(result.stdout)).toBe(false);
      expect(() => JSON.parse(result.stdout)).not.toThrow();
    }
  });

  const script = spawnSync("script", ["--version"], { encoding: "utf8" });
  it.skipIf(script.status !== 0)(
    "should colour on a real terminal, and not with NO_COLOR (util-linux script)",
    () => {
      const inPty = (extra: Record<string, string>) =>
        spawnSync(
          "script",
          [
            "-q",
            "-e",
            "-c",
            `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} check ${BAD}`,
            "/dev/null",
          ],
          {
            cwd: ROOT,
            encoding: "utf8",
            env: env({ TERM: "xterm", ...extra }),
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
      const tty = inPty({});
      expect(tty.status).toBe(1);
      expect(tty.stdout).toContain("SCH1103");
      expect(isColoured(tty.stdout)).toBe(true);
      const noColor = inPty({ NO_COLOR: "1" });
      expect(noColor.stdout).toContain("SCH1103");
      expect(isColoured(noColor.stdout)).toBe(false);
    },
  );
});
