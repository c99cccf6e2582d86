/**
 * `runbook exec --mode real --record scenario.yaml`: a real run kept as a cli-replay scenario —
 * redacted, with large outputs in files beside it, variables written back as templates — that
 * replays the same runbook to the same step results and verifies; kept whole across a pause and
 * a resume; refused (RLC0012, exit 2) where there is no real run to record. Real runs here spawn
 * real programs: `node` scripts, `printf`, and for the demo a fake `kubectl` on PATH that answers
 * from a table built from the demo's scenario.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseScenario } from "../../src/frontend/replay/parse-scenario.js";
import { formatDiagnostic, sourceLookup } from "../../src/ir/print-diagnostics.js";
import { SourceFile } from "../../src/ir/source-file.js";
import type { Scenario } from "../../src/lang/replay/types.js";
import { renderResponse } from "../../src/runtime/replay/render.js";
import { templatize } from "../../src/runtime/runbook/recorded-scenario.js";
import { RunStore } from "../../src/runtime/runbook/store.js";
import { filesUnder, tempDir } from "./helpers.js";

const CLI = join(process.cwd(), "dist", "src", "cli", "main.js");
const DEMO = join(process.cwd(), "examples", "runbook-demo");
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;

function cli(args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, PATH, FORCE_COLOR: "0", ...env },
  });
}

/** Reads a written scenario with the project's reader; fails on any diagnostic. */
function readScenarioFile(path: string): Scenario {
  const source = new SourceFile(path, readFileSync(path, "utf8"));
  const parsed = parseScenario(source);
  const text = parsed.diagnostics.map((d) => formatDiagnostic(d, sourceLookup([source]))).join("\n");
  expect(text).toBe("");
  expect(parsed.scenario).toBeDefined();
  return parsed.scenario as Scenario;
}

/** Each step's id, status and assertion outcomes, from a run's newest snapshot. */
function outcomes(root: string, runId: string) {
  const state = RunStore.under(root, runId).latestState()?.state;
  return (state?.history ?? []).map((r) => ({
    id: r.step_id,
    status: r.status,
    exit: r.exit_code,
    assertions: r.assertions.map((a) => a.passed),
  }));
}

describe("templatize", () => {
  it.each([
    ["a plain text", "pods in shop\n", [["ns", "shop"]]],
    ["a value only as a whole word", "shopping at shop; shop-1 (shop)", [["ns", "shop"]]],
    ["literal braces", "{{ x }} and {{{ and {shop} }}", [["ns", "shop"]]],
    ["a brace right before a value", "{shop", [["ns", "shop"]]],
    [
      "the longer of two values first",
      "eu-west-1 eu-west",
      [
        ["a", "eu-west"],
        ["b", "eu-west-1"],
      ],
    ],
    ["no variables", "{{- trim -}} {{ .x }}", []],
  ] as const)("should render back to the text recorded when it holds %s", (_what, text, vars) => {
    const list = [...vars]
      .map(([n, v]) => [n, v] as [string, string])
      .sort((a, b) => b[1].length - a[1].length);
    const template = templatize(text, list);
    const rendered = renderResponse(template, Object.fromEntries(list), {});
    expect(rendered).toEqual({ ok: true, text });
  });

  it("should write a value as {{ .name }} so that another value renders in its place", () => {
    const template = templatize("ns shop; shopping\n", [["ns", "shop"]]);
    expect(template).toBe("ns {{ .ns }}; shopping\n");
    expect(renderResponse(template, { ns: "mall" }, {})).toEqual({ ok: true, text: "ns mall; shopping\n" });
  });
});

describe.skipIf(!existsSync(CLI))("runbook exec --mode real --record", () => {
  it("keeps a run whose commands print seeded secrets: nothing secret is written, it replays and verifies", () => {
    const root = tempDir("rb-record-");
    const secret = "glpat-Zq8sSeededTokenValue42";
    const password = "hunter2-correct-horse";
    writeFileSync(
      join(root, "print.js"),
      [
        `console.log("connected to " + process.argv[2]);`,
        `console.log("token in use: ${secret}");`,
        `console.log("password=${password}");`,
        `console.error("warning: password: ${password}");`,
      ].join("\n"),
    );
    writeFileSync(
      join(root, "big.js"),
      `for (let i = 0; i < 400; i++) console.log("line " + i + " of the report");`,
    );
    writeFileSync(
      join(root, "runbook.yaml"),
      [
        "apiVersion: runbook/v0",
        "meta:",
        "  name: seeded-secrets",
        "  vars:",
        "    region: { value: westeurope }",
        "  governance:",
        "    allowed_commands: [node, printf]",
        "steps:",
        "  - id: connect",
        "    type: cli",
        "    title: Connect",
        `    with: { argv: [node, print.js, "{{ .region }}"] }`,
        "    assertions: [{ contains: connected to westeurope }, { not_contains: ERROR }]",
        "  - id: report",
        "    type: cli",
        "    title: A long report",
        "    with: { argv: [node, big.js] }",
        "    assertions: [{ contains: line 399 of the report }]",
        "  - id: look",
        "    type: manual",
        "    title: Look at it",
        "    instructions: Read the report.",
        "  - id: echo_token",
        "    type: cli",
        "    title: A command whose argv holds the secret",
        `    with: { argv: [printf, "%s\\n", "--token=${secret}", "{{ .region }}-x"] }`,
        "    capture: { out: stdout }",
      ].join("\n"),
    );
    const env = { GITLAB_TOKEN: secret };
    const scenarioPath = join(root, "recorded", "scenario.yaml");
    const started = cli(
      [
        "exec",
        "runbook.yaml",
        "--mode",
        "real",
        "--record",
        "recorded/scenario.yaml",
        "--run-id",
        "real",
        "--no-input",
      ],
      root,
      env,
    );
    expect(started.status, started.stderr).toBe(4);
    expect(started.stderr).toContain("Recorded 2 commands as the scenario");
    // Paused: the scenario holds what ran so far, and reads.
    expect(readScenarioFile(scenarioPath).steps).toHaveLength(2);

    const resumed = cli(["exec", "--resume", "real", "--evidence", "look.outcome=read it"], root, env);
    expect(resumed.status, resumed.stderr).toBe(0);
    const scenario = readScenarioFile(scenarioPath);
    expect(scenario.steps).toHaveLength(3);
    expect(scenario.meta.name).toBe("seeded-secrets");
    expect(scenario.meta.description).toMatch(/sha256 [0-9a-f]{64}/);
    expect(scenario.meta.vars).toEqual({ region: "westeurope" });
    const [connect, report, echo] = scenario.steps as Scenario["steps"] & { match: { argv: string[] } }[];
    expect(connect?.match.argv).toEqual(["node", "print.js", "{{ .any }}"]);
    expect((connect as { respond: { stdout: string } }).respond.stdout).toContain(
      "connected to {{ .region }}",
    );
    expect((report as { respond: { stdout_file?: string } }).respond.stdout_file).toBe(
      "scenario.outputs/02-report.stdout",
    );
    expect(echo?.match.argv).toEqual(["printf", "%s\n", "{{ .any }}", '{{ .regex "^.*-x$" }}']);

    // Nothing secret anywhere: the scenario, its files, the run folder.
    const written = [...filesUnder(join(root, "recorded")), ...filesUnder(join(root, ".runbook"))];
    expect(written.map((f) => f.path)).toContain(join(RunStore.under(root, "real").dir, "recording.jsonl"));
    for (const file of written) {
      expect(file.text, file.path).not.toContain(secret);
      expect(file.text, file.path).not.toContain(password);
    }

    const replay = cli(
      [
        "exec",
        "runbook.yaml",
        "--mode",
        "replay",
        "--scenario",
        "recorded/scenario.yaml",
        "--run-id",
        "replayed",
        "--evidence",
        "look.outcome=read it",
        "--no-input",
      ],
      root,
      env,
    );
    expect(replay.status, replay.stderr).toBe(0);
    expect(outcomes(root, "replayed")).toEqual(outcomes(root, "real"));
    for (const id of ["real", "replayed"]) {
      const verify = cli(["verify", id], root);
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    }
  }, 60_000);

  it("keeps the demo run against a fake kubectl; it replays with the same and with other variable values, and verifies", () => {
    const root = tempDir("rb-record-demo-");
    const bin = join(root, "bin");
    mkdirSync(bin);
    // The demo's scenario as a table of answers: each element exact, or a regex for a matcher.
    const demo = parse(readFileSync(join(DEMO, "scenario.yaml"), "utf8")) as Scenario;
    const table = demo.steps.map((entry) => {
      const step = entry as { match: { argv: string[] }; respond: { stdout?: string } };
      return {
        argv: step.match.argv.slice(1).map((a) => {
          const m = /^\{\{ \.regex "(.*)" \}\}$/.exec(a);
          return m === null ? { exact: a } : { regex: m[1] };
        }),
        stdout: (step.respond.stdout ?? "").replaceAll("{{ .cluster }}", demo.meta.vars?.cluster ?? ""),
      };
    });
    writeFileSync(join(bin, "table.json"), JSON.stringify(table));
    writeFileSync(
      join(bin, "kubectl"),
      `#!${process.execPath}
const table = JSON.parse(require("node:fs").readFileSync(require("node:path").join(__dirname, "table.json"), "utf8"));
const args = process.argv.slice(2);
const row = table.find((r) => r.argv.length === args.length && r.argv.every((p, i) => p.exact !== undefined ? p.exact === args[i] : new RegExp(p.regex).test(args[i])));
if (row === undefined) { process.stderr.write("kubectl (fake): no answer for " + args.join(" ") + "\\n"); process.exit(1); }
process.stdout.write(row.stdout);
`,
    );
    chmodSync(join(bin, "kubectl"), 0o755);
    const env = { PATH: `${bin}:${PATH}` };
    const compile = cli(
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
        "runbook.yaml",
      ],
      root,
    );
    expect(compile.status, compile.stderr).toBe(0);
    const vars = (ns: string, pod: string) => ["--var", `namespace=${ns}`, "--var", `pod_name=${pod}`];
    const finish = [
      "--approve",
      "kubectl_rollout_undo",
      "--approve",
      "confirm_recovery_manual",
      "--as",
      "bob",
      "--role",
      "DRI",
      "--evidence",
      "confirm_recovery_manual.done=all",
      "--evidence",
      "confirm_recovery_manual.dashboard_link=https://grafana.example.com/d/checkout",
    ];
    const first = cli(
      [
        "exec",
        "runbook.yaml",
        "--mode",
        "real",
        "--record",
        "incident.yaml",
        ...vars("shop", "checkout-7d9c6b5f4-x2x9z"),
        "--as",
        "alice",
        "--role",
        "DRI",
        "--run-id",
        "incident",
        "--no-input",
      ],
      root,
      env,
    );
    expect(first.status, first.stderr).toBe(4); // paused for the rollback's approval
    expect(readScenarioFile(join(root, "incident.yaml")).steps).toHaveLength(3);
    const second = cli(["exec", "--resume", "incident", ...finish], root, env);
    expect(second.status, second.stderr).toBe(0);
    const scenario = readScenarioFile(join(root, "incident.yaml"));
    expect(scenario.steps).toHaveLength(5);
    expect(scenario.meta.security?.allowed_commands).toEqual(["kubectl"]);
    expect(scenario.meta.vars).toEqual({ pod_name: "checkout-7d9c6b5f4-x2x9z" });
    expect((scenario.steps[1] as unknown as { match: { argv: string[] } }).match.argv).toEqual([
      "kubectl",
      "logs",
      "{{ .any }}",
      "-n",
      "{{ .any }}",
      "--previous",
      "--tail=50",
    ]);
    expect(readFileSync(join(root, "incident.yaml"), "utf8")).toContain(
      "{{ .pod_name }}    0/1     CrashLoopBackOff",
    );

    // Replayed with no kubectl at all, with the incident's values and with others.
    const noKubectl = { PATH };
    for (const [id, ns, pod] of [
      ["replayed", "shop", "checkout-7d9c6b5f4-x2x9z"],
      ["elsewhere", "mall", "checkout-0000000000-aaaaa"],
    ] as const) {
      const replay = cli(
        [
          "exec",
          "runbook.yaml",
          "--mode",
          "replay",
          "--scenario",
          "incident.yaml",
          ...vars(ns, pod),
          ...finish,
          "--run-id",
          id,
          "--no-input",
        ],
        root,
        noKubectl,
      );
      expect(replay.status, replay.stderr).toBe(0);
      expect(outcomes(root, id)).toEqual(outcomes(root, "incident"));
      const verify = cli(["verify", id], root);
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    }
    expect(cli(["verify", "incident"], root).status).toBe(0);
    expect(readdirSync(root)).not.toContain("incident.outputs");
  }, 60_000);

  it("keeps recording when a recorded run is resumed in the debugger", () => {
    const root = tempDir("rb-record-debug-");
    writeFileSync(
      join(root, "runbook.yaml"),
      [
        "apiVersion: runbook/v0",
        "meta:",
        "  name: two-commands",
        "  governance: { allowed_commands: [printf] }",
        "steps:",
        "  - { id: one, type: cli, title: One, with: { argv: [printf, one] } }",
        "  - { id: look, type: manual, title: Look, instructions: Look. }",
        "  - { id: two, type: cli, title: Two, with: { argv: [printf, two] } }",
      ].join("\n"),
    );
    const started = cli(
      ["exec", "runbook.yaml", "--mode", "real", "--record", "s.yaml", "--run-id", "dbg", "--json"],
      root,
    );
    expect(started.status, started.stderr).toBe(4);
    expect(JSON.parse(started.stdout)).toMatchObject({
      status: "paused",
      recorded_scenario: { path: join(root, "s.yaml"), steps: 1 },
    });
    expect(readScenarioFile(join(root, "s.yaml")).steps).toHaveLength(1);
    const debug = spawnSync(process.execPath, [CLI, "debug", "--resume", "dbg"], {
      cwd: root,
      encoding: "utf8",
      input: "evidence set look.outcome looked\ncontinue\n",
      env: { ...process.env, PATH, FORCE_COLOR: "0" },
    });
    expect(debug.status, debug.stdout + debug.stderr).toBe(0);
    expect(debug.stdout).toContain("Recorded 2 commands as the scenario");
    const scenario = readScenarioFile(join(root, "s.yaml"));
    expect(scenario.steps.map((s) => (s as unknown as { match: { argv: string[] } }).match.argv)).toEqual([
      ["printf", "one"],
      ["printf", "two"],
    ]);
  }, 60_000);

  it("refuses --record where there is no real run to record (RLC0012, exit 2)", () => {
    const root = tempDir("rb-record-usage-");
    writeFileSync(
      join(root, "runbook.yaml"),
      [
        "apiVersion: runbook/v0",
        "meta:",
        "  name: small",
        "  governance: { allowed_commands: [printf] }",
        "steps:",
        "  - { id: say, type: cli, title: Say, with: { argv: [printf, hi] } }",
        "  - { id: look, type: manual, title: Look, instructions: Look. }",
      ].join("\n"),
    );
    writeFileSync(
      join(root, "s.yaml"),
      "meta: { name: s }\nsteps:\n  - match: { argv: [printf, hi] }\n    respond: { stdout: hi }\n",
    );
    for (const mode of [
      ["--mode", "replay", "--scenario", "s.yaml"],
      ["--mode", "dry-run"],
    ]) {
      const result = cli(["exec", "runbook.yaml", ...mode, "--record", "out.yaml"], root);
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain("error RLC0012: --record keeps a real run as a replay scenario");
    }
    // A run that ran a command unrecorded cannot start recording on --resume.
    expect(
      cli(["exec", "runbook.yaml", "--mode", "real", "--run-id", "plain", "--no-input"], root).status,
    ).toBe(4);
    const late = cli(["exec", "--resume", "plain", "--record", "out.yaml"], root);
    expect(late.status, late.stderr).toBe(2);
    expect(late.stderr).toContain("ran commands before it was recorded");
    // Without --record, exec's own usage errors are unchanged.
    const dry = cli(["exec", "runbook.yaml", "--mode", "dry-run", "--resume", "nothing"], root);
    expect(dry.status).toBe(2);
    expect(dry.stderr).toContain("--mode dry-run cannot --resume a run");
    // A folder is no scenario file.
    mkdirSync(join(root, "folder"));
    const folder = cli(["exec", "runbook.yaml", "--mode", "real", "--record", "folder"], root);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toContain("RLC0009");
    expect(existsSync(join(root, "out.yaml"))).toBe(false);
  }, 60_000);
});
