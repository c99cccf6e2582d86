/**
 * The kinds of file the commands read, as people call them, and the diagnostic for a file of
 * the wrong kind (RLC0011): `runbook exec guide.md` is told to compile the guide first, with the
 * command, instead of failing on the guide's frontmatter as if it were a runbook's YAML.
 */
import { quote } from "shell-quote";
import { detectFileKind, type FileKind } from "../frontend/detect-kind.js";
import { readSource } from "../frontend/read-source.js";
import { sizeLimitForPath } from "../frontend/size-limits.js";
import { type Diagnostic, makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";

export const KIND_NAMES: Readonly<Record<FileKind, string>> = {
  rllm: "an .rllm app",
  tsg: "a TSG (a troubleshooting guide in Markdown)",
  task: "a task (Markdown with a task block)",
  runbook: "a runbook",
  scenario: "a cli-replay scenario",
};

/** The file's kind, or undefined when it cannot be read or told (its reader then says why). */
export function kindOfFile(path: string): FileKind | undefined {
  const read = readSource(path, sizeLimitForPath(path));
  return read.source === undefined ? undefined : detectFileKind(path, read.source.text);
}

/** RLC0011 when `path` is a file of another kind than `expected`; undefined otherwise. */
export function wrongKindDiagnostic(
  path: string,
  expected: "runbook" | "scenario",
  program = "runbook",
): Diagnostic | undefined {
  const found = kindOfFile(path);
  if (found === undefined || found === expected) return undefined;
  return makeDiagnostic(
    Diagnostics.WrongFileKind,
    { file: path, start: 0, end: 0 },
    {
      path,
      found: KIND_NAMES[found],
      expected: KIND_NAMES[expected],
      next: nextStep(path, found, expected, program),
    },
  );
}

function nextStep(path: string, found: FileKind, expected: "runbook" | "scenario", program: string): string {
  const q = (...words: string[]) => quote(words);
  if (expected === "scenario")
    return found === "runbook"
      ? "give the runbook as the first argument, and the recorded responses (a cli-replay scenario) with --scenario"
      : "--scenario takes a cli-replay scenario: YAML with 'meta' and 'steps' that match commands and give their responses";
  switch (found) {
    case "tsg": {
      const out = `${path.replace(/\.[^./\\]*$/, "")}.runbook.yaml`;
      return `compile it into a runbook first: '${q(program, "compile", path, "--out", out)}', then run that: '${q(program, "exec", out)} --mode …'`;
    }
    case "task":
      return `a task is not run as a runbook; check it with '${q("rllmc", "check", path)}'`;
    case "rllm":
      return `run an app with '${q("rllmc", "run", path)} --input …'`;
    case "scenario":
      return `a scenario holds recorded responses: give the runbook first and this file with --scenario: '${q(program, "exec", "runbook.yaml", "--mode", "replay", "--scenario", path)}'`;
    case "runbook":
      return "";
  }
}
