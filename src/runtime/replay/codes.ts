/**
 * The codes of `ReplayFailure` and what each failure says: what can go wrong when a call is
 * answered from a scenario. `REPLAY_ERROR_CODES` names each code once with its meaning;
 * `ReplayErrors` is the catalogue of messages, one entry per situation, each with its code and a
 * message built from typed arguments (the mismatch texts are laid out in mismatch-text.ts, as
 * cli-replay prints them). They share the RPL prefix with the scenario reader's diagnostics
 * (RPL80xx, in the compiler's catalogue) and are documented in docs/diagnostics.md
 * (test/architecture/codes.test.ts); never renumber or reuse one.
 */
import { goList, goQuote } from "../../lang/replay/go-format.js";
import type { FlatGroup, FlatStep } from "./flatten.js";
import {
  argvMismatchText,
  completeText,
  groupMismatchText,
  type Lookahead,
  stdinMismatchText,
} from "./mismatch-text.js";

export const REPLAY_ERROR_CODES = {
  RPL8101: "the call does not match the expected step (nor, when it could be skipped, the next one)",
  RPL8102: "the call matches no step of the unordered group, and the group cannot be left yet",
  RPL8103: "the call's argv matches the step but its standard input does not",
  RPL8104: "every step of the scenario has been consumed",
  RPL8105: "the command is not in the effective allowlist",
  RPL8106: "a response file (stdout_file, stderr_file) cannot be read",
  RPL8107: "a response template cannot be rendered",
  RPL8108: "the state given to resume from does not fit the scenario",
} as const;

export type ReplayErrorCode = keyof typeof REPLAY_ERROR_CODES;

/** A call the scenario does not answer; the session's state is unchanged. */
export interface ReplayFailure {
  readonly ok: false;
  readonly code: ReplayErrorCode;
  /** The whole diagnostic, possibly several lines, without a trailing newline. */
  readonly message: string;
  /** The flat index of the step concerned, when there is one. */
  readonly step?: number;
}

/** One way a replayed call can fail: its code and its message from typed arguments. */
export interface ReplayErrorDefinition<A> {
  readonly code: ReplayErrorCode;
  readonly message: (args: A) => string;
}

function r<A>(code: ReplayErrorCode, message: (args: A) => string): ReplayErrorDefinition<A> {
  return { code, message };
}

export const ReplayErrors = {
  ArgvMismatch: r<{
    scenario: string;
    expected: FlatStep;
    received: readonly string[];
    lookahead?: Lookahead | undefined;
  }>("RPL8101", (a) => argvMismatchText(a.scenario, a.expected, a.received, a.lookahead)),
  GroupMismatch: r<{
    scenario: string;
    group: FlatGroup;
    candidates: readonly FlatStep[];
    received: readonly string[];
  }>("RPL8102", (a) => groupMismatchText(a.scenario, a.group, a.candidates, a.received)),
  StdinMismatch: r<{ scenario: string; step: FlatStep; expected: string; received: string }>("RPL8103", (a) =>
    stdinMismatchText(a.scenario, a.step, a.expected, a.received),
  ),
  Complete: r<{ scenario: string; total: number }>("RPL8104", (a) => completeText(a.scenario, a.total)),
  /** Found before any call: a step of the scenario runs a program the allowlist does not allow. */
  StepNotAllowed: r<{
    scenario: string;
    program: string;
    allowed: readonly string[];
    step: number;
    argv: readonly string[];
    yamlList: readonly string[] | undefined;
    cliList: readonly string[] | undefined;
  }>("RPL8105", (a) => {
    const lines = [
      `command ${goQuote(a.program)} is not in the allowed commands list: ${goList(a.allowed)}`,
      `  Scenario: ${a.scenario}`,
      `  Step ${a.step + 1}: ${goList(a.argv)}`,
    ];
    if (a.allowed.length === 0)
      lines.push(
        `  Note: security.allowed_commands ${goList(a.yamlList ?? [])} and the allowed commands given ${goList(a.cliList ?? [])} have no command in common, so none is allowed`,
      );
    return lines.join("\n");
  }),
  CommandNotAllowed: r<{ scenario: string; program: string; allowed: readonly string[] }>(
    "RPL8105",
    (a) =>
      `command ${goQuote(a.program)} is not in the allowed commands list: ${goList(a.allowed)}\n  Scenario: ${a.scenario}`,
  ),
  ResponseFileUnreadable: r<{ step: number; stream: string; file: string; reason: string }>(
    "RPL8106",
    (a) => `step ${a.step}: failed to read ${a.stream}_file ${goQuote(a.file)}: ${a.reason}`,
  ),
  ResponseTemplateFailed: r<{ step: number; stream: string; error: string }>(
    "RPL8107",
    (a) => `step ${a.step}: failed to render ${a.stream} template: ${a.error}`,
  ),
  StateMismatch: r<{ scenario: string; problem: string }>(
    "RPL8108",
    (a) => `the replay state does not fit scenario ${goQuote(a.scenario)}: ${a.problem}`,
  ),
} as const;

/** The failure an entry of {@link ReplayErrors} says for `args`, about the flat step `step`. */
export function replayFailure<A>(
  definition: ReplayErrorDefinition<A>,
  args: A,
  step?: number,
): ReplayFailure {
  const message = definition.message(args);
  return step === undefined
    ? { ok: false, code: definition.code, message }
    : { ok: false, code: definition.code, message, step };
}
