/**
 * The codes of `ReplayFailure`: what can go wrong when a call is answered from a scenario. They
 * share the RPL prefix with the scenario reader's diagnostics (RPL80xx, in the compiler's
 * catalogue) and are documented in docs/diagnostics.md; never renumber or reuse one.
 */
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
