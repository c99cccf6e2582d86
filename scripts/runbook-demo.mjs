#!/usr/bin/env node
// The runbook acceptance demo (`npm run demo`): a TSG compiled by `runbook compile` (with the
// LLM pass's recorded answer, so no model is called), run in replay mode against a recorded
// scenario — evidence, approvals, trace and snapshots — and verified; then its three negative
// twins, each of which must fail `runbook verify` with a clear message:
//   1. missing evidence   — the manual step's evidence is never given (the run stays paused);
//   2. disallowed command — a reviewer's policy denies `kubectl rollout undo`;
//   3. failing assertion  — the scenario's pods still crash after the rollback.
// Everything it writes goes to .runbook-demo/ in the checkout, or to `--out-dir DIR`. Exit 0 when every step
// behaved as expected. Needs a build first (npm run build; `npm run demo` does it).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
process.chdir(ROOT);
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
// `--out-dir DIR` puts it elsewhere (the test suite gives a temporary folder).
const outAt = process.argv.indexOf("--out-dir");
const OUT = outAt > 0 && process.argv[outAt + 1] !== undefined ? process.argv[outAt + 1] : ".runbook-demo";
const DEMO = join("examples", "runbook-demo");
const quiet = process.argv.includes("--quiet");
let failures = 0;

function runbook(args, expected, title) {
  const shown = `runbook ${args.join(" ")}`;
  if (!quiet) process.stdout.write(`\n$ ${shown}\n`);
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  if (!quiet) process.stdout.write(`${result.stdout}${result.stderr}`);
  const ok = result.status === expected;
  if (!ok) failures += 1;
  process.stdout.write(
    `${ok ? "✓" : "✗"} ${title}: exit ${result.status}${ok ? "" : `, expected ${expected}`}\n`,
  );
  return result;
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const compiled = join(OUT, "runbook.yaml");
const vars = ["--var", "namespace=shop", "--var", "pod_name=checkout-7d9c6b5f4-x2x9z"];
const evidence = [
  "--evidence",
  "confirm_recovery_manual.done=all",
  "--evidence",
  "confirm_recovery_manual.dashboard_link=https://grafana.example.com/d/checkout?from=now-15m",
];
const replay = (scenario, id) => [
  "exec",
  compiled,
  "--mode",
  "replay",
  "--scenario",
  join(DEMO, scenario),
  ...vars,
  "--as",
  "alice",
  "--role",
  "DRI",
  "--run-dir",
  OUT,
  "--run-id",
  id,
  "--no-input",
];

process.stdout.write("== The acceptance demo: compile, run in replay mode, verify\n");
runbook(
  [
    "compile",
    join(DEMO, "pod-crashloop.md"),
    "--llm",
    "cached",
    "--frozen",
    "--provider",
    "openai-compatible",
    "--model",
    "recorded-model",
    "--cache-dir",
    join(DEMO, "llm-cache"),
    "--out",
    compiled,
    "--mapping",
    join(OUT, "mapping.md"),
  ],
  0,
  "compile the TSG into runbook.yaml + mapping.md",
);
runbook(["exec", compiled, "--mode", "dry-run", ...vars], 0, "dry run: the plan, nothing executed");
runbook(
  [
    ...replay("scenario.yaml", "demo"),
    "--approve",
    "kubectl_rollout_undo",
    "--approve",
    "confirm_recovery_manual",
    ...evidence,
  ],
  0,
  "run it against the recorded scenario",
);
runbook(["verify", "demo", "--run-dir", OUT], 0, "verify the run");

process.stdout.write("\n== Negative twin 1: missing evidence\n");
runbook(
  [...replay("scenario.yaml", "twin-missing-evidence"), "--approve", "kubectl_rollout_undo"],
  4,
  "the run pauses at the manual step",
);
expectFailure(runbook(["verify", "twin-missing-evidence", "--run-dir", OUT], 1, "verify fails"), "RBX7104");

process.stdout.write("\n== Negative twin 2: a disallowed command\n");
const twin = join(OUT, "runbook-denied.yaml");
const document = parseDocument(readFileSync(compiled, "utf8"));
document.setIn(["meta", "governance", "denied_commands"], ["kubectl rollout undo"]);
writeFileSync(twin, document.toString());
runbook(
  [
    ...replay("scenario.yaml", "twin-disallowed").map((a) => (a === compiled ? twin : a)),
    "--approve",
    "kubectl_rollout_undo",
  ],
  1,
  "the engine refuses the rollback",
);
expectFailure(runbook(["verify", "twin-disallowed", "--run-dir", OUT], 1, "verify fails"), "RBX7107");

process.stdout.write("\n== Negative twin 3: a failing assertion\n");
runbook(
  [...replay("scenario-still-crashing.yaml", "twin-assertion"), "--approve", "kubectl_rollout_undo"],
  1,
  "the validation step's assertion fails",
);
expectFailure(runbook(["verify", "twin-assertion", "--run-dir", OUT], 1, "verify fails"), "RBX7106");

process.stdout.write(
  failures === 0
    ? `\nDemo complete: every step behaved as expected. Runs are in ${OUT}/.runbook/runs/.\n`
    : `\n${failures} demo step(s) did not behave as expected.\n`,
);
process.exitCode = failures === 0 ? 0 : 1;

function expectFailure(result, code) {
  if (!result.stdout.includes(code)) {
    failures += 1;
    process.stdout.write(`✗ expected verify to report ${code}\n`);
  }
}
