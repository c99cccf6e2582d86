/**
 * The text of replay failures, worded and laid out as cli-replay prints them (without colour):
 * `Mismatch at step N of "name":`, the expected and received argv, the first difference, the note
 * after a failed lookahead. Steps are numbered from 1 here, as in cli-replay's messages (verify
 * output and the reader's messages number them from 0, as cli-replay does there too). Texts have
 * no trailing newline.
 */
import { classifyArgvElement, elementMatches } from "../../lang/replay/argv-match.js";
import { goList, goQuote } from "../../lang/replay/go-format.js";
import type { FlatGroup, FlatStep } from "./flatten.js";

/** Longest argv shown whole; longer ones end in `...+K more`. */
const MAX_SHOWN_ARGS = 12;
/** Most extra or missing arguments listed. */
const MAX_LISTED_ARGS = 5;
/** Characters of stdin shown in a stdin mismatch. */
const MAX_STDIN_PREVIEW = 200;

/** What was tried after the expected step failed. */
export type Lookahead =
  | { readonly kind: "step"; readonly step: FlatStep }
  | { readonly kind: "group"; readonly group: FlatGroup; readonly candidates: readonly FlatStep[] }
  | { readonly kind: "left-group"; readonly group: FlatGroup };

export function formatArgv(argv: readonly string[]): string {
  if (argv.length <= MAX_SHOWN_ARGS) return goList(argv);
  return `${goList(argv.slice(0, MAX_SHOWN_ARGS))}  ...+${argv.length - MAX_SHOWN_ARGS} more`;
}

export function argvMismatchText(
  scenario: string,
  expected: FlatStep,
  received: readonly string[],
  lookahead?: Lookahead,
): string {
  const want = expected.step.match.argv;
  const lengths = want.length !== received.length;
  const lines = [
    `Mismatch at step ${expected.index + 1} of ${goQuote(scenario)}:`,
    "",
    `  Expected: ${formatArgv(want)}${lengths ? `  (${want.length} args)` : ""}`,
    `  Received: ${formatArgv(received)}${lengths ? `  (${received.length} args)` : ""}`,
  ];
  const at = firstDifference(want, received);
  if (at >= 0) lines.push("", ...differenceLines(want, received, at));
  if (lookahead !== undefined) lines.push("", ...lookaheadLines(expected, lookahead));
  return lines.join("\n");
}

function firstDifference(expected: readonly string[], received: readonly string[]): number {
  const longest = Math.max(expected.length, received.length);
  for (let i = 0; i < longest; i++) {
    if (i >= expected.length || i >= received.length) return i;
    if (!elementMatches(expected[i]!, received[i]!)) return i;
  }
  return -1;
}

function differenceLines(expected: readonly string[], received: readonly string[], at: number): string[] {
  if (at < expected.length && at < received.length) {
    const pattern = classifyArgvElement(expected[at]!);
    const lines = [`  First difference at position ${at}:`];
    if (pattern.kind === "regex")
      lines.push(`    expected pattern: ${pattern.pattern}`, `    received value:   ${received[at]}`);
    else lines.push(`    expected: ${expected[at]}`, `    received: ${received[at]}`);
    return lines;
  }
  const [title, list] =
    at >= expected.length ? ["Extra arguments", received] : ["Missing arguments", expected];
  const lines = [`  ${title} starting at position ${at}:`];
  const end = Math.min(list.length, at + MAX_LISTED_ARGS);
  for (let i = at; i < end; i++) lines.push(`    [${i}]: ${goQuote(list[i]!)}`);
  if (list.length - at > MAX_LISTED_ARGS) lines.push(`    ...+${list.length - at - MAX_LISTED_ARGS} more`);
  return lines;
}

function lookaheadLines(expected: FlatStep, lookahead: Lookahead): string[] {
  switch (lookahead.kind) {
    case "step":
      return [
        `  Note: step ${expected.index + 1} min count was satisfied, tried advancing to step ${lookahead.step.index + 1}:`,
        `    Next expected: ${formatArgv(lookahead.step.step.match.argv)}`,
        "    Neither step matched the received command.",
      ];
    case "group":
      return [
        `  Note: step ${expected.index + 1} min count was satisfied, tried advancing to group ${goQuote(lookahead.group.name)}:`,
        ...lookahead.candidates.map((c) => `    step ${c.index + 1}: ${formatArgv(c.step.match.argv)}`),
        "    No step of the group matched the received command.",
      ];
    case "left-group":
      return [
        `  Note: no step of group ${goQuote(lookahead.group.name)} matched and every step of the group had met its min count,`,
        "    so the step after the group was tried.",
      ];
  }
}

export function groupMismatchText(
  scenario: string,
  group: FlatGroup,
  candidates: readonly FlatStep[],
  received: readonly string[],
): string {
  return [
    `No match in group ${goQuote(group.name)} of ${goQuote(scenario)}:`,
    "",
    `  Received: ${formatArgv(received)}`,
    "",
    "  Candidates (steps of the group with calls left):",
    ...candidates.map((c) => `    step ${c.index + 1}: ${formatArgv(c.step.match.argv)}`),
  ].join("\n");
}

export function stdinMismatchText(
  scenario: string,
  step: FlatStep,
  expected: string,
  received: string,
): string {
  return [
    `Mismatch at step ${step.index + 1} of ${goQuote(scenario)}:`,
    "",
    "  argv matched, stdin mismatch:",
    `    expected (first ${MAX_STDIN_PREVIEW} chars):`,
    ...preview(expected),
    `    received (first ${MAX_STDIN_PREVIEW} chars):`,
    ...preview(received),
  ].join("\n");
}

function preview(text: string): string[] {
  const chars = [...text];
  const shown = chars.length > MAX_STDIN_PREVIEW ? `${chars.slice(0, MAX_STDIN_PREVIEW).join("")}...` : text;
  return shown.split("\n").map((line) => `      ${line}`);
}

export function completeText(scenario: string, total: number): string {
  return `scenario ${goQuote(scenario)} already complete (all ${total} steps consumed)`;
}
