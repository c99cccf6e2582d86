/**
 * The kinds of job a worker can take, by queue name. Each kind's payload, parse and run are in a file of its own.
 */
import { compileKind } from "./compile-kind.js";
import type { JobKind } from "./job-kind.js";
import { runKind } from "./run-kind.js";

export const JOB_KINDS: Readonly<Record<string, JobKind<unknown, unknown>>> = {
  compile: compileKind as JobKind<unknown, unknown>,
  run: runKind as JobKind<unknown, unknown>,
};

export const KIND_NAMES: readonly string[] = Object.keys(JOB_KINDS);
