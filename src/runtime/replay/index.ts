/**
 * The replay runtime's public API: a session that answers calls from a cli-replay scenario
 * (`runbook exec --mode replay`), its verify report in cli-replay's three formats, and the
 * allowlist check. Imports only src/lang and node:. See docs/replay.md.
 */
export { checkScenarioAllowlist, effectiveAllowlist } from "./allowlist.js";
export { REPLAY_ERROR_CODES, type ReplayErrorCode, type ReplayFailure } from "./codes.js";
export { MAX_STDIN_BYTES, ReplaySession } from "./session.js";
export type { ReplayResponse, ReplaySessionOptions, ReplayState } from "./types.js";
export {
  formatVerifyJson,
  formatVerifyJunit,
  formatVerifyText,
  type ScenarioVerifyResult,
  type StepVerifyResult,
  verifyError,
} from "./verify.js";
