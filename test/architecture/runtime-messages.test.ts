/**
 * The runbook runtime says everything through its catalogue (`RunbookErrors` in
 * `runtime/runbook/errors.ts`): `runError(entry, args)` for a step or the run, `verify.ts`'s
 * `finding(entry, args)` for what `runbook verify` finds. This test keeps it so: every code has a
 * message, and no source file builds a code and a message by hand. The scan reads every file
 * under src/, so it holds wherever the files move.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RunbookErrors, RunCodes } from "../../src/runtime/runbook/errors.js";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/**
 * A runbook runtime code with a message made beside it rather than by a catalogue entry: an
 * object given a `RunCodes` code (`{ code: RunCodes.X, message: … }`), a `RunCodes` code passed
 * next to a string (`problem(RunCodes.X, "…")`), or an RBX code spelt out. Only the catalogue's
 * file, the one that defines `RunCodes`, may spell one out.
 */
const INLINE: readonly RegExp[] = [
  /\bcode:\s*RunCodes\.\w+/,
  /\bRunCodes\.\w+\s*,\s*["'`]/,
  /["'`]RBX\d{4}\b/,
];

const inline = (text: string) => INLINE.some((pattern) => pattern.test(text));

describe("runbook runtime messages", () => {
  it("should give every code of RunCodes at least one message", () => {
    const used = new Set<string>(Object.values(RunbookErrors).map((entry) => entry.code));
    expect(Object.values(RunCodes).filter((code) => !used.has(code))).toEqual([]);
  });

  it.each([
    ["{ code: RunCodes.TraceCut, message: `cut` }", true],
    ["problems.push({\n  code: RunCodes.FileTampered,\n  message: x,\n})", true],
    ['problem(RunCodes.ManifestMismatch, "manifest.json is missing")', true],
    ["problem(\n  RunCodes.StepNotRun,\n  `the step did not run`,\n)", true],
    ['{ code: "RBX7101", message }', true],
    ["problem(RunbookErrors.StepDidNotRun, { stepId })", false],
    ["error.code === RunCodes.AssertionFailed ||", false],
    ["new Set<string>([RunCodes.CommandNotAllowed, RunCodes.CommandDenied])", false],
    ["// the finding RBX7114, or a warning", false],
  ])("should tell a message made by hand when the source reads %j (%s)", (text, expected) => {
    expect(inline(text)).toBe(expected);
  });

  it("should make no runbook runtime message outside the catalogue", () => {
    const files = sourceFiles(SRC).filter(
      (file) => !readFileSync(file, "utf8").includes("export const RunCodes"),
    );
    // The scan sees runbook verify, wherever it lives.
    expect(files.some((file) => readFileSync(file, "utf8").includes("export function verifyRun("))).toBe(
      true,
    );
    const offenders = files
      .filter((file) => inline(readFileSync(file, "utf8")))
      .map((file) => relative(SRC, file));
    expect(offenders).toEqual([]);
  });
});
