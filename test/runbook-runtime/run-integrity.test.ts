/**
 * A trace that cannot be cut or swapped (issue 16, section 1): `runbook verify` against each
 * tampering — a cut tail, an appended line, an edited manifest, a tail rewritten with recomputed
 * hashes (a failed step made `passed`), a changed runbook, scenario or policy — with and without
 * a manifest key; and the key itself never reaches a file of the run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { headOf, type Manifest, readManifest, writeManifest } from "../../src/runtime/runbook/manifest.js";
import type { ChainedEvent, TraceEvent } from "../../src/runtime/runbook/state.js";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { chainLine, GENESIS, readTrace } from "../../src/runtime/runbook/trace.js";
import {
  formatVerifyReportJunit,
  formatVerifyReportText,
  type VerifyOptions,
  verifyRun,
} from "../../src/runtime/runbook/verify.js";
import { filesUnder, NODE, nodeStep, runbookOf, startEngine, tempDir } from "./helpers.js";

const CLI = join(process.cwd(), "dist", "src", "cli", "main.js");

const KEY = Buffer.from("correct horse battery staple 7f3a", "utf8");

/** A finished run of three steps: s1 passes, s2 fails (exit 3), s3 is skipped. */
async function failedRun(key: Uint8Array | undefined): Promise<RunStore> {
  const root = tempDir("rb-integrity-");
  const runbook = runbookOf([
    nodeStep("s1", "process.stdout.write('ok')"),
    nodeStep("s2", "process.exit(3)"),
    nodeStep("s3", "process.stdout.write('never')"),
  ]);
  const engine = startEngine(runbook, root, key === undefined ? {} : { traceKey: key });
  await engine.continue();
  await engine.close();
  return RunStore.under(root, "run-1");
}

function lines(store: RunStore): string[] {
  return readFileSync(store.tracePath, "utf8").split("\n").filter(Boolean);
}

/** Rewrites the trace from line `from` (0-based) on with `edit` applied, recomputing every hash. */
function rewriteTail(store: RunStore, from: number, edit: (event: TraceEvent) => TraceEvent): void {
  const events = readTrace(store.tracePath).events;
  let prev = from === 0 ? GENESIS : (events[from - 1] as ChainedEvent).hash;
  const out = lines(store).slice(0, from);
  for (const event of events.slice(from)) {
    const { hash: _h, prev: _p, ...plain } = event;
    const { line, hash } = chainLine(edit(plain as TraceEvent), prev);
    out.push(line.trimEnd());
    prev = hash;
  }
  writeFileSync(store.tracePath, `${out.join("\n")}\n`);
}

/** What an attacker without the key can do: recompute the manifest's plain digest from the trace. */
function recomputeManifest(store: RunStore, key?: Uint8Array): void {
  const manifest = readManifest(store.dir) as Manifest;
  writeManifest(store.dir, manifest.run_id, headOf(readTrace(store.tracePath).events), manifest.files, key);
}

const codes = (store: RunStore, options: VerifyOptions = {}) =>
  verifyRun(store, options).problems.map((p) => p.code);

describe.each([
  ["without a key", undefined],
  ["with a key", KEY],
] as const)("runbook verify, %s", (_, key) => {
  const options: VerifyOptions = key === undefined ? {} : { key };

  it("should verify an untouched run only on the run's own failures, and say which digest it checked", async () => {
    const store = await failedRun(key);
    const report = verifyRun(store, options);
    expect(report.problems).toEqual([]);
    expect(report.manifest).toEqual({ digest: key === undefined ? "sha256" : "hmac-sha256", verified: true });
    expect(formatVerifyReportText(report)).toContain(
      key === undefined
        ? "manifest: plain SHA-256 digest (no key) checked"
        : "manifest: HMAC-SHA256 (keyed) checked",
    );
    expect(formatVerifyReportJunit([report])).toContain(key === undefined ? "plain SHA-256" : "HMAC-SHA256");
  });

  it("should fail RBX7111 when the last line is cut off", async () => {
    const store = await failedRun(key);
    writeFileSync(store.tracePath, `${lines(store).slice(0, -1).join("\n")}\n`);
    expect(codes(store, options)).toContain("RBX7111");
    expect(verifyRun(store, options).passed).toBe(false);
  });

  it("should fail RBX7111 when the tail is cut and the manifest rewritten to match", async () => {
    const store = await failedRun(key);
    writeFileSync(store.tracePath, `${lines(store).slice(0, -3).join("\n")}\n`);
    recomputeManifest(store);
    // The snapshots written after the cut still name trace positions the trace no longer has.
    expect(codes(store, options)).toContain("RBX7111");
  });

  it("should fail RBX7112 when the trace is longer than its manifest", async () => {
    const store = await failedRun(key);
    const events = readTrace(store.tracePath).events;
    const last = events.at(-1) as ChainedEvent;
    const { line } = chainLine(
      {
        type: "snapshot",
        seq: events.length + 1,
        at: last.at,
        snapshot: { path: "", sha256: "" },
      } as TraceEvent,
      last.hash,
    );
    writeFileSync(store.tracePath, `${lines(store).join("\n")}\n${line}`);
    expect(codes(store, options)).toContain("RBX7112");
  });

  it("should fail RBX7113 when the manifest is edited", async () => {
    const store = await failedRun(key);
    const path = join(store.dir, "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
    writeFileSync(path, JSON.stringify({ ...manifest, status: "passed" }));
    expect(codes(store, options)).toContain("RBX7113");
  });

  it("should fail when a failed step is rewritten as passed with recomputed hashes and manifest", async () => {
    const store = await failedRun(key);
    const at = readTrace(store.tracePath).events.findIndex(
      (e) => e.type === "step" && e.result.step_id === "s2",
    );
    rewriteTail(store, at, (event) =>
      event.type === "step" && event.result.step_id === "s2"
        ? { ...event, result: { ...event.result, status: "passed", error: null } }
        : event,
    );
    recomputeManifest(store);
    const found = codes(store, options);
    // The snapshots and run_finished still say failed.
    expect(found).toContain("RBX7115");
    // With a key, the manifest the attacker recomputed is not signed.
    if (key !== undefined) expect(found).toContain("RBX7113");
    const messages = verifyRun(store, options).problems.map((p) => p.message);
    expect(messages.some((m) => /records step 's2' as failed, but the trace as passed/.test(m))).toBe(true);
  });

  it("should fail RBX7115 when run_finished's counts are rewritten to match a swapped step", async () => {
    const store = await failedRun(key);
    rewriteTail(store, 0, (event) =>
      event.type === "run_finished"
        ? { ...event, status: "passed", steps: { passed: 3, failed: 0, skipped: 0 } }
        : event,
    );
    recomputeManifest(store);
    expect(codes(store, options)).toContain("RBX7115");
  });

  it("should fail RBX7114 when the runbook, scenario or policy changed, and warn with allowChanged", async () => {
    const store = await failedRun(key);
    const changed = {
      ...options,
      inputs: () => ({
        runbook: { path: "runbook.yaml", sha256: "1".repeat(64) },
        scenario: { path: "scenario.yaml", sha256: "2".repeat(64) },
        policy: { path: "runbook.yaml", sha256: "3".repeat(64) },
      }),
    };
    const report = verifyRun(store, changed);
    // The run has no scenario: only the runbook and the policy are compared.
    expect(report.problems.filter((p) => p.code === "RBX7114").map((p) => p.message)).toEqual([
      expect.stringContaining("the runbook 'runbook.yaml' changed since the run"),
      expect.stringContaining("the policy (meta.governance of 'runbook.yaml') changed"),
    ]);
    const allowed = verifyRun(store, { ...changed, allowChanged: true });
    expect(allowed.problems.map((p) => p.code)).not.toContain("RBX7114");
    expect(allowed.warnings.join("\n")).toContain("allowed by --allow-changed");
  });
});

describe("runbook verify and the manifest key", () => {
  it("should fail a signed run checked without its key or with a wrong one", async () => {
    const store = await failedRun(KEY);
    expect(verifyRun(store).manifest).toEqual({ digest: "hmac-sha256", verified: false });
    expect(
      verifyRun(store)
        .problems.map((p) => p.message)
        .join("\n"),
    ).toContain("give its key");
    expect(codes(store, { key: Buffer.from("another key") })).toContain("RBX7113");
  });

  it("should fail an unsigned run checked with a key (a manifest replaced by a plain one)", async () => {
    const store = await failedRun(KEY);
    recomputeManifest(store);
    expect(
      verifyRun(store, { key: KEY })
        .problems.map((p) => p.message)
        .join("\n"),
    ).toContain("only a plain digest");
  });

  it("should never write the key into the run folder", async () => {
    const store = await failedRun(KEY);
    for (const file of filesUnder(store.dir)) {
      expect(file.text).not.toContain(KEY.toString("utf8"));
      expect(file.text).not.toContain(KEY.toString("hex"));
    }
  });
});

describe.skipIf(!existsSync(CLI))("runbook verify on the command line", () => {
  it("should fail RBX7114 on an edited runbook or policy, pass with --allow-changed, and take --trace-key-file", async () => {
    const root = tempDir("rb-integrity-cli-");
    const runbook = {
      apiVersion: "runbook/v0",
      meta: { name: "edited", governance: { allowed_commands: [NODE] } },
      steps: [{ id: "s1", type: "cli", with: { argv: [NODE, "-e", "1"] } }],
    };
    const file = join(root, "runbook.yaml");
    writeFileSync(file, JSON.stringify(runbook));
    const keyFile = join(root, "trace.key");
    writeFileSync(keyFile, "a key kept in a file\n");
    const { RUNBOOK_TRACE_KEY: _k, ...env } = process.env;
    const cli = (...args: string[]) => spawnSync(NODE, [CLI, ...args], { encoding: "utf8", cwd: root, env });
    const common = ["--run-dir", root, "--trace-key-file", keyFile];
    const exec = cli("exec", "runbook.yaml", "--mode", "real", "--run-id", "e", ...common);
    expect(exec.status).toBe(0);
    // The verify command it prints works as printed: it carries the key file.
    expect(exec.stderr).toMatch(/verify: .*verify e .*--trace-key-file /);
    expect(cli("verify", "e", ...common).stdout).toContain("manifest: HMAC-SHA256 (keyed) checked");
    const unkeyed = cli("verify", "e", "--run-dir", root);
    expect(unkeyed.status).toBe(1);
    expect(unkeyed.stdout).toContain("give its key");

    writeFileSync(file, JSON.stringify({ ...runbook, meta: { ...runbook.meta, governance: {} } }));
    const changed = cli("verify", "e", ...common, "--format", "junit");
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain("RBX7114");
    expect(changed.stdout).toContain("the policy (meta.governance of &apos;runbook.yaml&apos;) changed");
    expect(changed.stdout).toContain("run integrity (manifest: HMAC-SHA256 (keyed) checked)");
    const allowed = cli("verify", "e", ...common, "--allow-changed", "--format", "json");
    expect(allowed.status, allowed.stdout).toBe(0);
    expect(JSON.parse(allowed.stdout).warnings.join("\n")).toContain("allowed by --allow-changed");
    // The debugger's suggested commands carry the key file too.
    const debug = spawnSync(
      NODE,
      [CLI, "debug", "runbook.yaml", "--mode", "real", "--run-id", "d", ...common],
      { encoding: "utf8", cwd: root, env, input: "quit\n" },
    );
    expect(debug.stdout).toMatch(/exec --resume d .*--trace-key-file /);
    expect(cli("verify", "e", ...common, "--trace-key-file", join(root, "missing.key")).stderr).toContain(
      "RBX7025: cannot read the trace key file",
    );
  }, 30_000);

  it("should fail RBX7114 when the replay scenario changed since the run", () => {
    const root = tempDir("rb-integrity-scenario-");
    writeFileSync(
      join(root, "runbook.yaml"),
      JSON.stringify({
        apiVersion: "runbook/v0",
        meta: { name: "replayed", governance: { allowed_commands: ["kubectl"] } },
        steps: [{ id: "pods", type: "cli", with: { argv: ["kubectl", "get", "pods"] } }],
      }),
    );
    const scenario = join(root, "scenario.yaml");
    const text =
      "meta:\n  name: s\nsteps:\n  - match:\n      argv: [kubectl, get, pods]\n    respond:\n      stdout: ok\n";
    writeFileSync(scenario, text);
    const { RUNBOOK_TRACE_KEY: _k, ...env } = process.env;
    const cli = (...args: string[]) => spawnSync(NODE, [CLI, ...args], { encoding: "utf8", cwd: root, env });
    const exec = cli(
      "exec",
      "runbook.yaml",
      "--mode",
      "replay",
      "--scenario",
      "scenario.yaml",
      "--run-id",
      "r",
    );
    expect(exec.status, exec.stderr).toBe(0);
    expect(cli("verify", "r").status).toBe(0);
    writeFileSync(scenario, text.replace("stdout: ok", "stdout: changed"));
    const changed = cli("verify", "r");
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain("RBX7114 the scenario 'scenario.yaml' changed since the run");
    expect(cli("verify", "r", "--allow-changed").status).toBe(0);
  }, 30_000);
});
