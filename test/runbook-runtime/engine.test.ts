/**
 * The runbook engine in real mode: templates, captures, assertions, statuses, governance before
 * execution, manual steps with evidence and approvals, pause and resume, redaction of everything
 * written, hostile variable values, and `runbook verify` over the trace it leaves.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { destructiveCommand } from "../../src/lang/runbook/governance.js";
import { dryRun } from "../../src/runtime/runbook/dry-run.js";
import { RunbookEngine } from "../../src/runtime/runbook/engine.js";
import { RunbookRuntimeError } from "../../src/runtime/runbook/errors.js";
import { RealRunner } from "../../src/runtime/runbook/real-runner.js";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { readTrace } from "../../src/runtime/runbook/trace.js";
import {
  formatVerifyReportJunit,
  formatVerifyReportText,
  verifyRun,
} from "../../src/runtime/runbook/verify.js";
import { filesUnder, manual, NODE, nodeStep, runbookOf, startEngine, tempDir } from "./helpers.js";

const print = (text: string) => `process.stdout.write(${JSON.stringify(text)})`;

describe("runbook engine, real mode", () => {
  it("runs cli steps, captures values and uses them in later argv; verify passes", async () => {
    const root = tempDir();
    const runbook = runbookOf(
      [
        nodeStep("list", print('{"items":[{"metadata":{"name":"api-1"}}]}'), {
          capture: {
            first: { from: "stdout", json_path: "$.items[0].metadata.name" },
            raw: "stdout",
            status: "exit_code",
          },
          assertions: [{ exit_code: 0 }, { json_path: "$.items[0].metadata.name", equals: "api-1" }],
        }),
        nodeStep("version", print("etcd Version: 3.5.9\n"), {
          capture: { version: { from: "stdout", regex: "Version: (\\S+)" } },
        }),
        nodeStep("describe", "process.stdout.write(process.argv.slice(1).join('|'))", {
          args: ["{{ .first }}", "{{ .version }}", "-n", "{{ .namespace }}"],
          assertions: [
            { equals: "api-1|3.5.9|-n|prod" },
            { not_contains: "CrashLoopBackOff" },
            { matches: "^api-\\d" },
          ],
        }),
      ],
      {},
      { namespace: "prod" },
    );
    const engine = startEngine(runbook, root);
    const outcome = await engine.continue();
    await engine.close();
    expect(engine.history.map((r) => r.error)).toEqual([null, null, null]);
    expect(outcome).toMatchObject({ kind: "finished", status: "passed" });
    expect(engine.history.map((r) => [r.step_id, r.status])).toEqual([
      ["list", "passed"],
      ["version", "passed"],
      ["describe", "passed"],
    ]);
    expect(engine.history[2]?.argv?.slice(3)).toEqual(["api-1", "3.5.9", "-n", "prod"]);
    expect(engine.values.captures).toMatchObject({
      first: { value: "api-1" },
      version: { value: "3.5.9" },
      status: { value: "0" },
    });
    // A whole-stream capture is kept as a hash and preview when store_full_stdout is off.
    expect(engine.values.captures.raw).toMatchObject({ bytes: 41 });
    expect(engine.values.captures.raw?.value).toBeUndefined();
    const store = RunStore.under(root, "run-1");
    // Snapshots at the start and the end; the steps carry their state in their trace lines.
    expect(store.snapshotNames()).toEqual([
      "step-0000.json",
      expect.stringMatching(/^step-0003\.s\d{6}\.json$/),
    ]);
    const trace = readTrace(store.tracePath);
    expect(trace.problems).toEqual([]);
    expect(trace.events.map((e) => e.type)).toEqual([
      "run_started",
      "step_started",
      "step",
      "step_started",
      "step",
      "step_started",
      "step",
      "run_finished",
    ]);
    const report = verifyRun(store);
    expect(report.passed).toBe(true);
  });

  it("stops at the first failure, skips the rest, and verify names the failed assertion", async () => {
    const root = tempDir();
    const engine = startEngine(
      runbookOf([
        nodeStep("pods", print("api-1 CrashLoopBackOff\n"), {
          assertions: [{ not_contains: "CrashLoopBackOff" }],
        }),
        nodeStep("after", print("never")),
      ]),
      root,
    );
    const outcome = await engine.continue();
    await engine.close();
    expect(outcome).toMatchObject({ kind: "finished", status: "failed" });
    expect(engine.history.map((r) => r.status)).toEqual(["failed", "skipped"]);
    expect(engine.history[0]?.error).toMatchObject({
      code: "RBX7005",
      message: 'assertion failed: stdout contains "CrashLoopBackOff" (line 1)',
    });
    const report = verifyRun(RunStore.under(root, "run-1"));
    expect(report.passed).toBe(false);
    expect(report.steps[0]?.problems[0]).toMatchObject({ code: "RBX7106" });
    expect(report.steps[1]?.problems[0]).toMatchObject({ code: "RBX7102" });
  });

  it("fails a step on a non-zero exit unless it asserts the exit code; continue_on_error goes on", async () => {
    const root = tempDir();
    const engine = startEngine(
      runbookOf([
        nodeStep("expected", "process.exit(3)", { assertions: [{ exit_code: 3 }] }),
        nodeStep("tolerated", "process.stderr.write('boom\\n'); process.exit(2)", {
          continue_on_error: true,
        }),
        nodeStep("last", print("ok")),
      ]),
      root,
    );
    const outcome = await engine.continue();
    await engine.close();
    expect(engine.history.map((r) => r.status)).toEqual(["passed", "failed", "passed"]);
    expect(engine.history[1]?.error).toMatchObject({ code: "RBX7004", hint: "it said: boom" });
    expect(outcome).toMatchObject({ status: "passed" });
    const report = verifyRun(RunStore.under(root, "run-1"));
    expect(report.passed).toBe(true);
    expect(report.steps[1]?.warnings[0]).toContain("the runbook lets the run go on");
  });

  it("refuses a command outside allowed_commands before it runs, and verify reports it", async () => {
    const root = tempDir();
    const marker = join(root, "ran");
    const runbook = runbookOf(
      [nodeStep("touch", `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`)],
      { allowed_commands: ["kubectl"] },
    );
    const engine = startEngine(runbook, root);
    await engine.continue();
    await engine.close();
    expect(existsSync(marker)).toBe(false);
    expect(engine.history[0]?.error).toMatchObject({ code: "RBX7001" });
    expect(engine.history[0]?.error?.message).toContain(
      "is not in the runbook's allowed_commands (kubectl); it was not run",
    );
    const report = verifyRun(RunStore.under(root, "run-1"));
    expect(report.steps[0]?.problems[0]).toMatchObject({ code: "RBX7107" });
  });

  it("refuses destructive commands by default and denied_commands, whatever allowed_commands says", async () => {
    expect(destructiveCommand(["rm", "-rf", "/"])).toContain("rm");
    expect(destructiveCommand(["sudo", "rm", "-fr", "~"])).toContain("rm");
    expect(destructiveCommand(["rm", "-rf", "/tmp/x"])).toBeUndefined();
    expect(destructiveCommand(["mkfs.ext4", "/dev/sdb"])).toContain("mkfs");
    expect(destructiveCommand(["dd", "if=/dev/zero", "of=/dev/sda"])).toContain("dd");
    expect(destructiveCommand(["dd", "if=/dev/zero", "of=/dev/null"])).toBeUndefined();
    expect(destructiveCommand(["kubectl", "delete", "ns", "prod"])).toContain("kubectl delete namespace");
    const root = tempDir();
    const runbook = runbookOf(
      [
        { id: "format", type: "cli", with: { argv: ["mkfs.ext4", "/nonexistent/device"] } },
        nodeStep("denied", print("x"), { continue_on_error: true }),
      ],
      { allowed_commands: ["mkfs.ext4", NODE], denied_commands: [NODE] },
    );
    const engine = startEngine(runbook, root);
    await engine.continue();
    await engine.close();
    expect(engine.history[0]?.error).toMatchObject({ code: "RBX7002" });
    // Governance refusals stop the run even where continue_on_error would go on.
    expect(engine.history[1]?.status).toBe("skipped");
  });

  it("keeps a hostile variable value one argv element that never reaches a shell", async () => {
    const root = tempDir();
    const marker = join(root, "pwned");
    const hostile = `; rm -rf / $(touch ${marker}) \`touch ${marker}\` && touch ${marker}\nsecond line | cat > ${marker}`;
    const engine = startEngine(
      runbookOf(
        [
          nodeStep("echo", "process.stdout.write(JSON.stringify(process.argv.slice(1)))", {
            args: ["{{ .target }}", "--flag"],
            capture: { argv: "stdout" },
          }),
        ],
        {
          evidence: { store_full_stdout: true },
        },
        { target: "placeholder" },
      ),
      root,
      { vars: { target: hostile } },
    );
    await engine.continue();
    await engine.close();
    expect(engine.history[0]?.error).toBeNull();
    expect(JSON.parse(engine.values.captures.argv?.value ?? "")).toEqual([hostile, "--flag"]);
    expect(existsSync(marker)).toBe(false);
  });

  it("errors on a missing template key instead of rendering an empty string", async () => {
    const root = tempDir();
    expect(() =>
      startEngine(
        runbookOf(
          [nodeStep("a", print("x"), { args: ["{{ .pod }}"] })],
          {},
          { pod: { description: "the pod" } },
        ),
        root,
      ),
    ).toThrow(/needs a value for the variable 'pod'/);
    const engine = startEngine(runbookOf([nodeStep("a", print("x"), { args: ["{{ .later }}"] })]), tempDir());
    await engine.continue();
    expect(engine.history[0]?.error).toMatchObject({ code: "RBX7003" });
    expect(engine.history[0]?.error?.message).toContain("later");
  });

  it("stops a step at its timeout and keeps output under max_output_bytes", async () => {
    const root = tempDir();
    const engine = startEngine(
      runbookOf(
        [
          nodeStep("big", "process.stdout.write('x'.repeat(100000))", {
            with: { max_output_bytes: 1000 },
            continue_on_error: true,
          }),
          nodeStep("slow", "setTimeout(() => {}, 60000)", { with: { timeout_seconds: 0.3 } }),
        ],
        { evidence: { store_full_stdout: true } },
      ),
      root,
    );
    await engine.continue();
    await engine.close();
    expect(engine.history[0]?.stdout).toMatchObject({ bytes: 1000, truncated: true });
    expect(engine.history[1]?.error).toMatchObject({ code: "RBX7006" });
  });

  it("pauses at a manual step until its evidence is given, then resumes from the snapshot", async () => {
    const root = tempDir();
    const runbook = runbookOf([
      nodeStep("before", print("ok")),
      manual("portal", {
        required_evidence: [
          { kind: "checklist", name: "criteria", items: ["error rate < 1%", "latency normal"] },
          { kind: "text", name: "dashboard_link" },
          { kind: "attachment", name: "screenshot" },
        ],
        approvals: { min: 2, roles: ["DRI"] },
      }),
      nodeStep("after", print("done")),
    ]);
    const first = startEngine(runbook, root);
    const paused = await first.continue();
    expect(paused).toMatchObject({
      kind: "paused",
      waitingFor: [
        "evidence portal.criteria",
        "evidence portal.dashboard_link",
        "evidence portal.screenshot",
      ],
    });
    await first.close();
    const shot = join(root, "shot.txt");
    writeFileSync(shot, "dashboard ok\n");
    const options = {
      runbook,
      runbookPath: "runbook.yaml",
      runbookText: JSON.stringify(runbook),
      mode: "real" as const,
      runner: new RealRunner(root),
      root,
      env: {},
      runId: "run-1",
    };
    const second = RunbookEngine.resume(
      { ...options, actor: "alice", roles: ["DRI"] },
      RunStore.under(root, "run-1"),
    );
    expect(second.current?.step.id).toBe("portal");
    second.addEvidence("portal", "criteria", { kind: "checklist", checked: "all" });
    second.addEvidence("portal", "dashboard_link", { kind: "text", text: "https://dash/x" });
    second.addEvidence("portal", "screenshot", { kind: "attachment", path: shot });
    expect(() => second.addEvidence("portal", "nope", { kind: "text", text: "x" })).toThrow(
      RunbookRuntimeError,
    );
    second.approve("portal");
    expect(() => second.approve("portal")).toThrow(/already approved/);
    second.setActor("bob", ["SRE"]);
    expect(() => second.approve("portal")).toThrow(/role 'DRI'/);
    expect(await second.next()).toMatchObject({
      kind: "paused",
      waitingFor: ["approval of portal (1 of 2, role DRI)"],
    });
    second.setActor("carol", ["DRI"]);
    second.approve("portal");
    const done = await second.continue();
    await second.close();
    expect(done).toMatchObject({ kind: "finished", status: "passed" });
    expect(second.history.map((r) => r.step_id)).toEqual(["before", "portal", "after"]);
    const portal = second.history[1];
    expect(portal?.actor).toBe("human");
    expect(portal?.approvals.map((a) => a.by)).toEqual(["alice", "carol"]);
    const report = verifyRun(RunStore.under(root, "run-1"));
    expect(report.passed).toBe(true);
    // The attachment is stored with its hash and size, and a changed file fails verify.
    const attachment = portal?.evidence.screenshot?.value;
    expect(attachment).toMatchObject({ kind: "attachment", attachment: { size: 13 } });
    if (attachment?.kind === "attachment")
      writeFileSync(join(root, ".runbook/runs/run-1", attachment.attachment.path), "edited\n");
    expect(verifyRun(RunStore.under(root, "run-1")).steps[1]?.problems[0]).toMatchObject({ code: "RBX7109" });
  });

  it("verify fails a paused run on the evidence it never got", async () => {
    const root = tempDir();
    const engine = startEngine(
      runbookOf([
        manual("check", { required_evidence: [{ kind: "text", name: "note" }] }),
        nodeStep("x", print("x")),
      ]),
      root,
    );
    await engine.continue();
    await engine.close();
    const report = verifyRun(RunStore.under(root, "run-1"));
    expect(report.passed).toBe(false);
    expect(report.steps[0]?.problems[0]).toMatchObject({
      code: "RBX7104",
      message: "step 'check': evidence 'note' was never given (the run is paused here)",
    });
    expect(report.steps[1]?.problems[0]).toMatchObject({ code: "RBX7102" });
  });

  it("fails verify when a trace line is changed, removed or a snapshot edited", async () => {
    const root = tempDir();
    const engine = startEngine(runbookOf([nodeStep("a", print("one")), nodeStep("b", print("two"))]), root);
    await engine.next();
    // A snapshot on demand (the debugger's `snapshot`): the trace names it with its hash.
    const taken = engine.snapshot();
    await engine.continue();
    await engine.close();
    const store = RunStore.under(root, "run-1");
    const original = readFileSync(store.tracePath, "utf8");
    writeFileSync(store.tracePath, original.replace('"status":"passed"', '"status":"failed"'));
    const changed = verifyRun(store);
    expect(changed.passed).toBe(false);
    expect(changed.problems[0]).toMatchObject({ code: "RBX7101" });
    expect(changed.problems[0]?.message).toContain("was changed after it was written");
    const lines = original.split("\n");
    writeFileSync(store.tracePath, [...lines.slice(0, 2), ...lines.slice(3)].join("\n"));
    expect(verifyRun(store).problems[0]?.message).toContain("does not follow line");
    writeFileSync(store.tracePath, original);
    const snapshot = join(store.dir, taken.path);
    writeFileSync(snapshot, readFileSync(snapshot, "utf8").replace('"alice"', '"mallory"'));
    expect(verifyRun(store).problems[0]).toMatchObject({
      code: "RBX7109",
      message: `${taken.path} was changed: its SHA-256 is not the one the trace recorded`,
    });
  });

  it("never writes a secret from the environment, the output or evidence under .runbook/", async () => {
    const root = tempDir();
    const secret = "s3cr3t-Seeded-Value-42";
    const runbook = runbookOf(
      [
        nodeStep(
          "leak",
          `console.log(${JSON.stringify(secret)}); console.log('password=hunter2hunter2'); console.error('Authorization: Bearer abcdefghijklmnop')`,
          {
            capture: { everything: "stdout", line: { from: "stdout", regex: "(s3cr3t\\S+)" } },
            assertions: [{ contains: secret }],
          },
        ),
        nodeStep("env", "console.log(JSON.stringify(process.env))", { capture: { env: "stdout" } }),
        manual("note", {
          required_evidence: [
            { kind: "text", name: "what" },
            { kind: "attachment", name: "log" },
          ],
        }),
        nodeStep("fails", `console.error('failed with ' + ${JSON.stringify(secret)}); process.exit(1)`),
      ],
      { evidence: { store_full_stdout: true } },
    );
    const env = { PATH: process.env.PATH, MY_SERVICE_TOKEN: secret, DB_PASSWORD: "hunter2hunter2" };
    const engine = startEngine(runbook, root, {}, env);
    await engine.continue();
    const log = join(root, "log.txt");
    writeFileSync(log, `pasted: ${secret}\n`);
    engine.addEvidence("note", "what", {
      kind: "text",
      text: `I saw ${secret} and password: hunter2hunter2`,
    });
    engine.addEvidence("note", "log", { kind: "attachment", path: log });
    await engine.continue();
    engine.snapshot();
    await engine.close();
    expect(engine.history.map((r) => r.status)).toEqual(["passed", "passed", "passed", "failed"]);
    // The child never saw the denied variables.
    expect(engine.history[1]?.stdout?.text).not.toContain("MY_SERVICE_TOKEN");
    for (const file of filesUnder(join(root, ".runbook"))) {
      expect(file.text, file.path).not.toContain(secret);
      expect(file.text, file.path).not.toContain("hunter2hunter2");
      expect(file.text, file.path).not.toContain("abcdefghijklmnop");
    }
    expect(engine.history[0]?.stdout?.text).toContain("<redacted>");
  });

  it("dry-run shows resolved argv, blocked commands, approvals and evidence and runs nothing", () => {
    const root = tempDir();
    const marker = join(root, "ran");
    const runbook = runbookOf(
      [
        nodeStep("first", `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`, {
          args: ["{{ .ns }}"],
          capture: { pod: "stdout" },
        }),
        nodeStep("second", print("x"), { args: ["{{ .pod }}"], approvals: { min: 1 } }),
        { id: "wipe", type: "cli", with: { argv: ["shred", "/dev/sda"] } },
        manual("look", { required_evidence: [{ kind: "text", name: "seen" }] }),
      ],
      {},
      { ns: "prod" },
    );
    const plan = dryRun(runbook, {}, {});
    expect(existsSync(marker)).toBe(false);
    expect(plan.steps[0]?.argv?.at(-1)).toBe("prod");
    expect(plan.steps[1]?.argv?.at(-1)).toBe("<capture pod>");
    expect(plan.steps[1]?.approvals).toEqual({ min: 1 });
    expect(plan.steps[2]?.blocked?.code).toBe("RBX7001");
    expect(plan.steps[3]?.evidence).toEqual([{ name: "seen", kind: "text" }]);
    expect(plan.summary).toMatchObject({ steps: 4, blocked: 1, approvals: 1, evidence: 1 });
  });

  it("reports verify as text and as one JUnit document with a case per step", async () => {
    const root = tempDir();
    const engine = startEngine(
      runbookOf([
        nodeStep("ok", print("fine")),
        nodeStep("bad", print("x"), { assertions: [{ contains: "<y>" }] }),
      ]),
      root,
    );
    await engine.continue();
    await engine.close();
    const report = verifyRun(RunStore.under(root, "run-1"));
    const text = formatVerifyReportText(report);
    expect(text).toContain("Run run-1 of 'test-runbook' (real): NOT VERIFIED");
    expect(text).toContain("✗   2. bad (cli): failed");
    const xml = formatVerifyReportJunit([report, report]);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="runbook verify">')).toBe(
      true,
    );
    expect(xml.match(/<testsuite /g)?.length).toBe(2);
    expect(xml).toContain('<testcase classname="test-runbook" name="step[0] ok"/>');
    expect(xml).toContain('failures="1"');
    expect(xml).toContain("stdout does not contain &quot;&lt;y&gt;&quot;");
  });
});
