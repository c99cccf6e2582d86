/**
 * How large a file of each kind the driver reads. Every limit is far above any real file of its
 * kind (the largest TSG of our corpus is 63 KB) and low enough that the whole pipeline answers
 * in seconds and in bounded memory; `readSource` refuses a larger file with RLC0005 before reading
 * it. The frontends themselves stay robust beyond these sizes (test/property/hostile-input.test.ts
 * parses a 5 MB TSG); the limits are the driver's. docs/errors.md#size-limits lists them.
 */

export type LimitedKind = "rllm" | "tsg" | "task" | "runbook" | "scenario";

const MiB = 1024 * 1024;

export const SIZE_LIMITS: Readonly<Record<LimitedKind, number>> = {
  rllm: 2 * MiB,
  tsg: 1 * MiB,
  task: 1 * MiB,
  runbook: 4 * MiB,
  scenario: 8 * MiB,
};

const WHAT: Readonly<Record<LimitedKind, string>> = {
  rllm: "an .rllm app",
  tsg: "a TSG",
  task: "a task",
  runbook: "a runbook",
  scenario: "a cli-replay scenario",
};

export interface SizeLimit {
  readonly bytes: number;
  /** For the message: "over the N-byte limit for <what>". */
  readonly what: string;
}

export function sizeLimit(kind: LimitedKind): SizeLimit {
  return { bytes: SIZE_LIMITS[kind], what: WHAT[kind] };
}

/**
 * The limit for a file whose kind is known only by its name: `.rllm` an app, Markdown a TSG or
 * a task (both 1 MiB), YAML a runbook or a scenario (the larger of the two, until it is read).
 */
export function sizeLimitForPath(path: string): SizeLimit | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith(".rllm")) return sizeLimit("rllm");
  if (/\.(md|markdown|mdown|mkd)$/.test(lower)) return { bytes: SIZE_LIMITS.tsg, what: "a TSG or task" };
  if (/\.ya?ml$/.test(lower)) return { bytes: SIZE_LIMITS.scenario, what: "a runbook or scenario" };
  return undefined;
}
