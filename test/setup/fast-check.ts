/**
 * Property tests explore new inputs on every local run; in CI (CI=true) they use one fixed seed
 * so that a landing is reproducible. A failure prints its seed and counterexample either way
 * (rerun with FC_SEED=<seed> to replay it).
 */
import fc from "fast-check";

const seed =
  process.env.FC_SEED ?? (process.env.CI === "true" || process.env.CI === "1" ? "20261121" : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
