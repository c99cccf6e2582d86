/**
 * The kinds of job a worker can take, by queue name. A new kind (the `run` batch of issue 20's
 * batch runner) is one more entry: its payload, parse and run in a file of its own.
 */
import { compileKind } from "./compile-kind.js";
import type { JobKind } from "./job-kind.js";

export const JOB_KINDS: Readonly<Record<string, JobKind<unknown, unknown>>> = {
  compile: compileKind as JobKind<unknown, unknown>,
};

export const KIND_NAMES: readonly string[] = Object.keys(JOB_KINDS);

/** Kinds a later version knows of, so `--queues run` says it is not built yet rather than unknown. */
export const PLANNED_KINDS: readonly string[] = ["run"];
