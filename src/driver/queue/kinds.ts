/**
 * The kinds of job a worker can take, by queue name. Each kind's payload, parse and run are in a file of its own.
 * The `compile` queue carries two: a TSG (compile-kind.ts) and a root `.rllm` app with its tree
 * (compile-app-kind.ts, a payload of `type: "app"`), so a worker of `--queues compile` takes both.
 */
import { compileAppKind, isAppPayload } from "./compile-app-kind.js";
import { compileKind } from "./compile-kind.js";
import type { JobKind } from "./job-kind.js";
import { runKind } from "./run-kind.js";

const tsg = compileKind as JobKind<unknown, unknown>;
const app = compileAppKind as JobKind<unknown, unknown>;

/** The `compile` queue: each job run by the kind its payload is of. */
const compileQueue: JobKind<unknown, unknown> = {
  name: "compile",
  parse: (data) => (isAppPayload(data) ? app : tsg).parse(data),
  run: (payload, context) => (isAppPayload(payload) ? app : tsg).run(payload, context),
  describe: (payload) => (isAppPayload(payload) ? app : tsg).describe(payload),
};

export const JOB_KINDS: Readonly<Record<string, JobKind<unknown, unknown>>> = {
  compile: compileQueue,
  run: runKind as JobKind<unknown, unknown>,
};

export const KIND_NAMES: readonly string[] = Object.keys(JOB_KINDS);
