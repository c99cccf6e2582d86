/**
 * `runbook debug`: the Debugger driven by scripted input on a runbook in a temp folder, in real
 * mode with `node -e` commands; and the built CLI with stdin piped (`npm test` builds dist first).
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Debugger } from "../../src/cli/runbook-debugger.js";
import { openSession } from "../../src/driver/runbook-session.js";
import type { RunState } from "../../src/runtime/runbook/state.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const NODE = process.execPath;

/** hello (cli, captures) → confirm (manual: text, checklist, attachment; approval by a DRI) → echo (cli, uses a capture). */
function demoRunbook(failing = false): object {
  return {
    apiVersion: "runbook/v0",
    meta: {
      name: "debug-demo",
      vars: { ns: "default" },
      governance: { allowed_commands: [NODE], evidence: { store_full_stdout: false } },
    },
    steps: [
      {
        id: "hello",
        type: "cli",
        title: "Say hello",
        with: { argv: [NODE, "-e", "console.log('hello ' + process.argv[1])", "{{ .ns }}"] },
        capture: { greeting: "stdout", word: { from: "stdout", regex: "hello (\\w+)", group: 1 } },
      },
      ...(failing
        ? [
            {
              id: "broken",
              type: "cli",
              title: "Fail",
              with: { argv: [NODE, "-e", "console.error('boom'); process.exit(3)"] },
            },
          ]
        : []),
      {
        id: "confirm",
        type: "manual",
        title: "Confirm by hand",
        instructions: "Look at the pods.",
        command: "kubectl get pods",
        required_evidence: [
          { kind: "text", name: "outcome" },
          { kind: "checklist", name: "checks", items: ["pods running", "alerts cleared"] },
          { kind: "attachment", name: "log" },
        ],
        approvals: { min: 1, roles: ["DRI"] },
      },
      {
        id: "echo",
        type: "cli",
        title: "Echo",
        with: { argv: [NODE, "-e", "console.log(process.argv[1])", "{{ .word }}"] },
      },
    ],
  };
}

function workspace(failing = false): { dir: string; runbook: string } {
  const dir = mkdtempSync(join(tmpdir(), "rbdb-"));
  const runbook = join(dir, "runbook.yaml");
  // JSON is YAML.
  writeFileSync(runbook, `${JSON.stringify(demoRunbook(failing), null, 2)}\n`);
  writeFileSync(join(dir, "pods.log"), "pod-a Running\npod-b Running\n");
  return { dir, runbook };
}

async function debugSession(
  lines: readonly string[],
  where: { dir: string; runbook: string },
  options: { resume?: string; runId?: string } = {},
) {
  const opened = await openSession({
    ...(options.resume === undefined
      ? { runbookPath: where.runbook, mode: "real" }
      : { resume: options.resume }),
    vars: {},
    actor: "alice",
    roles: [],
    root: where.dir,
    runId: options.runId ?? "run-1",
    quiet: true,
  });
  if ("exit" in opened) throw new Error(`the runbook did not load (exit ${opened.exit})`);
  const output = new PassThrough();
  let out = "";
  output.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  const input = Readable.from(lines.map((line) => `${line}\n`));
  const code = await new Debugger(opened.engine, input, output, {
    runbook: opened.loaded.runbook,
    resumed: options.resume !== undefined,
  }).run();
  return { code, out, engine: opened.engine };
}

/** The output of one command: from its echoed line to the next prompt. */
function answer(out: string, command: string, nth = 0): string {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = out.indexOf(`) ${command}\n`, at + 1);
  if (at < 0) throw new Error(`no '${command}' in:\n${out}`);
  const start = at + command.length + 3;
  const end = out.indexOf("(rbdb ", start);
  return out.slice(start, end < 0 ? undefined : end);
}

describe("runbook debug", () => {
  it("should keep who you are when an approval given with --as is refused", async () => {
    const { out, engine } = await debugSession(
      ["approve --as bob confirm", "approve confirm", "quit"],
      workspace(),
    );
    expect(answer(out, "approve --as bob confirm")).toContain("error RBX7016");
    // Still alice (no role): refused as alice, not as bob.
    expect(answer(out, "approve confirm")).toContain("alice has no role");
    expect(engine.actor).toBe("alice");
  });

  it("should describe the run and the current step, and show the step in the prompt", async () => {
    const { code, out } = await debugSession(["quit"], workspace());
    expect(out).toContain("Debugging 'debug-demo' (real) as run run-1\n  run folder: ");
    expect(out).toContain("type 'help' for the commands");
    expect(out).toContain("Step 1/3 'hello' (cli) — Say hello\n  run:      ");
    expect(out).toContain("'console.log('\\''hello '\\'' + process.argv[1])' default"); // the argv with {{ .ns }} rendered
    expect(out).toContain("  captures: greeting, word");
    expect(out).toContain("(rbdb 1/3 hello cli) quit\n");
    expect(code).toBe(4);
  });

  it("should step with next, pause at a manual step, take evidence and an approval, and finish", async () => {
    const ws = workspace();
    const { code, out, engine } = await debugSession(
      [
        "print vars",
        "next",
        "print captures",
        "continue",
        "evidence check",
        "evidence set outcome restarted   the pod",
        "evidence set confirm.checks all",
        `evidence attach confirm.log ${join(ws.dir, "pods.log")}`,
        "evidence check confirm",
        "next",
        "approve --as bob confirm",
        "approve --as carol --role DRI",
        "c",
        "history",
        "next",
        "quit",
      ],
      ws,
    );
    expect(answer(out, "print vars")).toBe('ns = "default"\n');
    const next = answer(out, "next");
    expect(next).toMatch(/^✓ 1\/3 hello \(cli\) {2}\S+ -e /);
    expect(next).toContain(
      "Step 2/3 'confirm' (manual) — Confirm by hand\n  Look at the pods.\n  by hand:  kubectl get pods\n",
    );
    expect(next).toContain("  evidence: outcome (text) — missing\n");
    expect(next).toContain("  approval: 0 of 1 with role DRI\n");
    // A whole stream is kept as a hash and a preview (store_full_stdout: false); a regex group as its value.
    expect(answer(out, "print captures")).toMatch(
      /^greeting = sha256:[0-9a-f]{12}… \(13 bytes\) "hello default"\nword = "default"\n$/,
    );

    const paused = answer(out, "continue");
    expect(paused).toContain(
      "Paused at step 2/3 'confirm' (manual): waiting for evidence confirm.outcome, evidence confirm.checks, evidence confirm.log",
    );
    expect(paused).toContain("  evidence set confirm.outcome <text>\n");
    expect(paused).toContain(
      "  evidence set confirm.checks all   (or item numbers: 1,2,…, or an item's text)\n",
    );
    expect(paused).toContain("  evidence attach confirm.log <file>\n");
    expect(paused).toContain("then 'next' (or 'continue').");
    expect(out).toContain("(rbdb 2/3 confirm manual) evidence check\n");

    const before = answer(out, "evidence check");
    expect(before).toContain(
      "Evidence for step 2/3 'confirm' (manual):\n  ✗ outcome (text)\n      give it: evidence set confirm.outcome <text>\n",
    );
    expect(before).toContain("      1. pods running\n      2. alerts cleared\n");
    expect(before).toContain("Missing: 3 of 3.\napproval: 0 of 1 with role DRI\n");
    // The text is the rest of the line as typed.
    expect(answer(out, "evidence set outcome restarted   the pod")).toBe(
      "evidence confirm.outcome recorded by alice: \"restarted   the pod\"\nstep 'confirm' still needs: checks, log\n",
    );
    expect(answer(out, "evidence set confirm.checks all")).toContain("2 of 2 items ticked");
    expect(answer(out, "evidence set confirm.checks all")).not.toContain("not ticked");
    expect(out).toContain("pods.log → attachments/");
    expect(out).toContain("step 'confirm' has all its evidence\n");
    const after = answer(out, "evidence check confirm");
    expect(after).toContain('  ✓ outcome (text)\n      "restarted   the pod" — by alice\n');
    expect(after).toContain("All given.\n");

    expect(answer(out, "next", 1)).toContain("waiting for approval of confirm (0 of 1, role DRI)");
    expect(answer(out, "next", 1)).toContain("  approve --as <name> --role DRI confirm\n");
    expect(answer(out, "approve --as bob confirm")).toBe(
      "error RBX7016: step 'confirm' must be approved by someone with the role 'DRI'; bob has no role\n  hint: approve with --as <name> --role DRI\n",
    );
    expect(answer(out, "approve --as carol --role DRI")).toBe(
      "approved 'confirm' as carol (DRI); approvals: 1 of 1 with role DRI; given by carol (DRI)\n",
    );

    const finished = answer(out, "c");
    expect(finished).toContain("✓ 2/3 confirm (manual)\n✓ 3/3 echo (cli)");
    expect(finished).toContain("Run run-1 passed: 3 passed, 0 failed, 0 skipped.\n");
    expect(answer(out, "history")).toBe(
      "1/3 passed  hello (cli)  exit 0\n2/3 passed  confirm (manual)\n3/3 passed  echo (cli)  exit 0\n",
    );
    expect(answer(out, "next", 2)).toContain("the run has finished (passed)");
    expect(out).toContain("(rbdb done) quit\n");
    expect(out).not.toContain("stays resumable");
    expect(code).toBe(0);
    expect(engine.done).toBe(true);
    const confirm = engine.history[1];
    expect(confirm?.evidence.outcome?.by).toBe("alice");
    expect(confirm?.approvals.map((a) => a.by)).toEqual(["carol"]);
  });

  it("should print the run state as JSON for dump", async () => {
    const { out } = await debugSession(["next", "dump", "quit"], workspace());
    const state = JSON.parse(answer(out, "dump")) as RunState;
    expect(state).toMatchObject({
      format: "runbook-run/v0",
      run_id: "run-1",
      mode: "real",
      current_step_index: 1,
      actor: "alice",
    });
    expect(state.history.map((r) => r.step_id)).toEqual(["hello"]);
  });

  it("should explain unknown commands and wrong arguments, and go on", async () => {
    const { code, out } = await debugSession(
      [
        "help",
        "nxt",
        "frobnicate",
        "print var",
        "print",
        "evidence sett x.y z",
        "evidence set outcome done",
        "evidence set hello.x y",
        "approve a b",
        "approve --ass x",
        "evidence check nope",
      ],
      workspace(),
    );
    const help = answer(out, "help");
    expect(help).toMatch(/^Commands \(with their short forms\):\n {2}n {2}next {2,}run the current step\n/);
    for (const usage of [
      "c  continue",
      "p  print vars|captures",
      "   dump",
      "   history",
      "   evidence set [<step>.]<name>",
      "   evidence attach",
      "   evidence check [<step>]",
      "   approve [--as <name>] [--role <role>]... [<step>]",
      "   snapshot",
      "h  help",
      "q  quit",
    ])
      expect(help).toContain(`\n  ${usage}`);
    expect(answer(out, "nxt")).toBe(
      "error: unknown command 'nxt'; did you mean 'next'? (type 'help' for the commands)\n",
    );
    expect(answer(out, "frobnicate")).toBe(
      "error: unknown command 'frobnicate' (type 'help' for the commands)\n",
    );
    expect(answer(out, "print var")).toBe(
      "error: cannot print 'var'; did you mean 'vars'? — print vars | print captures\n",
    );
    expect(answer(out, "print")).toBe("error: print what? — print vars | print captures\n");
    expect(answer(out, "evidence sett x.y z")).toContain(
      "error: no evidence command 'sett'; did you mean 'set'?",
    );
    expect(answer(out, "evidence set outcome done")).toBe(
      "error: 'outcome': name the step as <step>.outcome (the current step 'hello' is not a manual step)\n",
    );
    expect(answer(out, "evidence set hello.x y")).toBe(
      "error RBX7017: 'hello' is not a manual step of this runbook\n  hint: manual steps: confirm\n",
    );
    expect(answer(out, "approve a b")).toBe("error: approve takes one step, got 2: a b\n");
    expect(answer(out, "approve --ass x")).toContain("error: unknown option '--ass'; did you mean '--as'?");
    expect(answer(out, "evidence check nope")).toBe("error: the runbook has no step 'nope'\n");
    // The end of input quits.
    expect(out).toContain("Run run-1 is not finished at step 1/3 'hello'; it stays resumable:");
    expect(code).toBe(4);
  });

  it("should write a snapshot, leave a resumable run on quit, and resume it", async () => {
    const ws = workspace();
    const first = await debugSession(["next", "continue", "snapshot", "quit"], ws);
    const snapshot = /snapshot written: (\S+)/.exec(first.out)?.[1];
    expect(snapshot).toBeDefined();
    expect(existsSync(snapshot as string)).toBe(true);
    expect(first.out).toContain(
      "Run run-1 is paused at step 2/3 'confirm'; it stays resumable:\n  runbook debug --resume run-1\n  runbook exec --resume run-1\n",
    );
    expect(first.code).toBe(4);

    const second = await debugSession(
      [
        "evidence set outcome ok",
        "evidence set checks 2",
        "evidence set checks 1,2",
        `evidence attach log ${join(ws.dir, "pods.log")}`,
        "approve --as dana --role DRI",
        "continue",
        "quit",
      ],
      ws,
      { resume: "run-1" },
    );
    expect(second.out).toContain("Resuming 'debug-demo' (real) as run run-1");
    expect(answer(second.out, "evidence set checks 2")).toContain(
      "1 of 2 items ticked\n  not ticked: pods running — the step fails unless every item is ticked\n",
    );
    expect(second.out).toContain("Run run-1 passed: 3 passed, 0 failed, 0 skipped.");
    expect(second.code).toBe(0);
  });

  it("should print the failed step and the skipped ones, and exit 1 when the run failed", async () => {
    const { code, out } = await debugSession(["continue", "history", "quit"], workspace(true));
    const run = answer(out, "continue");
    expect(run).toContain("✗ 2/4 broken (cli)");
    expect(run).toContain("RBX7004 '");
    expect(run).toContain("- 3/4 confirm (manual)\n");
    expect(run).toContain("- 4/4 echo (cli)\n");
    expect(run).toContain("Run run-1 failed: 1 passed, 1 failed, 2 skipped.");
    expect(answer(out, "history")).toContain("2/4 failed  broken (cli)  exit 3  RBX7004 ");
    expect(code).toBe(1);
  });

  it.skipIf(!existsSync(join(ROOT, "dist/src/cli/commands/debug.js")))(
    "should run as `runbook debug` with commands on stdin",
    () => {
      const ws = workspace();
      const script = [
        "next",
        "continue",
        "evidence set outcome fine",
        "evidence set checks all",
        `evidence attach log ${join(ws.dir, "pods.log")}`,
        "approve --as erin --role DRI",
        "continue",
        "quit",
      ];
      const run = (args: string[], input: string) =>
        spawnSync(NODE, [BIN, "debug", ...args], { cwd: ws.dir, input, encoding: "utf8" });
      const done = run(
        [ws.runbook, "--mode", "real", "--as", "alice", "--run-id", "cli-1"],
        `${script.join("\n")}\n`,
      );
      expect(done.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
      expect(done.stdout).toContain("Debugging 'debug-demo' (real) as run cli-1");
      expect(done.stdout).toContain("Run cli-1 passed: 3 passed, 0 failed, 0 skipped.");
      expect(done.status).toBe(0);

      const left = run([ws.runbook, "--mode", "real", "--run-id", "cli-2"], "next\n");
      // The program as invoked (the bin is main.js, so rllmc).
      expect(left.stdout).toContain("rllmc debug --resume cli-2");
      expect(left.status).toBe(4);
      const resumed = run(["--resume", "cli-2", "--run-dir", ws.dir], "print captures\n");
      expect(resumed.stdout).toContain("Resuming 'debug-demo' (real) as run cli-2");
      expect(resumed.stdout).toContain('word = "default"');
      expect(resumed.status).toBe(4);

      const usage = run([ws.runbook, "--mode", "dry-run"], "");
      expect(usage.status).toBe(2);
      expect(usage.stderr).toContain("--mode must be real or replay");
    },
  );
});
