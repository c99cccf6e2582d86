/**
 * The fake `cli-replay` binary (test/support/fake-cli-replay.mjs) speaks cli-replay's protocol:
 * `run` prints the environment and makes intercepts, each intercepted program answers from the
 * session state, `verify` reports, `clean` removes the session. It runs the compiled engine, so
 * this test needs dist/ (`npm test` builds it first; FAKE_CLI_REPLAY_DIST points at another build).
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { installFakeCliReplay } from "../support/install-fake-cli-replay.js";

const SCENARIO = `meta:
  name: deploy
  vars: { region: eastus }
steps:
  - match: { argv: [kubectl, get, pods] }
    respond: { stdout: "pod-1 in {{ .region }}\\n", capture: { pod: pod-1 } }
  - group:
      mode: unordered
      name: checks
      steps:
        - { match: { argv: [az, account, show] }, respond: { stdout: "sub\\n" } }
        - { match: { argv: [helm, ls] }, respond: { exit: 3, stderr: "no releases\\n" } }
  - match: { argv: [kubectl, apply, -f, "-"], stdin: "kind: Pod\\n" }
    respond: { stdout: "{{ .capture.pod }} configured\\n" }
`;

interface Setup {
  readonly dir: string;
  readonly scenario: string;
  readonly env: Record<string, string>;
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function setUp(): Setup {
  const dir = mkdtempSync(join(tmpdir(), "fake-cli-replay-"));
  made.push(dir);
  const bin = installFakeCliReplay(join(dir, "bin"));
  const scenario = join(dir, "s.yaml");
  writeFileSync(scenario, SCENARIO);
  const env: Record<string, string> = { PATH: `${bin}:${process.env.PATH ?? ""}`, HOME: dir };
  if (process.env.FAKE_CLI_REPLAY_DIST !== undefined)
    env.FAKE_CLI_REPLAY_DIST = process.env.FAKE_CLI_REPLAY_DIST;
  return { dir, scenario, env };
}

function sh(argv: readonly string[], env: Record<string, string>, input?: string) {
  const result = spawnSync(argv[0]!, argv.slice(1), { env, input: input ?? "", encoding: "utf8" });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `cli-replay run --shell bash`, read back into the environment it exports. */
function started(setup: Setup, ...flags: string[]) {
  const run = sh(["cli-replay", "run", "--shell", "bash", ...flags, setup.scenario], setup.env);
  expect(run.stderr).toContain('cli-replay: session initialized for "deploy" (4 steps, 3 commands)');
  const exports = Object.fromEntries(
    [...run.stdout.matchAll(/^export (\w+)='([^']*)'/gm)].map((m) => [m[1]!, m[2]!] as const),
  );
  const env = {
    ...setup.env,
    CLI_REPLAY_SESSION: exports.CLI_REPLAY_SESSION!,
    CLI_REPLAY_SCENARIO: exports.CLI_REPLAY_SCENARIO!,
    PATH: `${exports.PATH}:${setup.env.PATH}`,
  };
  return { run, env, interceptDir: exports.PATH! };
}

describe("fake cli-replay", () => {
  it("should print cli-replay's bash setup and make one intercept per program", () => {
    const setup = setUp();
    const { run, interceptDir, env } = started(setup);
    expect(run.status).toBe(0);
    expect(run.stdout.split("\n")).toEqual([
      `export CLI_REPLAY_SESSION='${env.CLI_REPLAY_SESSION}'`,
      `export CLI_REPLAY_SCENARIO='${setup.scenario}'`,
      `export PATH='${interceptDir}':"$PATH"`,
      `_cli_replay_clean() { if [ -n "\${_cli_replay_cleaned:-}" ]; then return; fi; _cli_replay_cleaned=1; command cli-replay clean "$CLI_REPLAY_SCENARIO" 2>/dev/null; }`,
      "trap '_cli_replay_clean' EXIT INT TERM",
      "",
    ]);
    expect(env.CLI_REPLAY_SESSION).toMatch(/^[0-9a-f]{16}$/);
    expect(interceptDir.startsWith(join(setup.dir, ".cli-replay", "intercept-"))).toBe(true);
    expect(readdirSync(interceptDir).sort()).toEqual(["az", "helm", "kubectl"]);
    expect(lstatSync(join(interceptDir, "kubectl")).isSymbolicLink()).toBe(true);
  });

  it("should answer intercepted calls from the scenario and keep the session's state between them", () => {
    const setup = setUp();
    const { env } = started(setup);
    expect(sh(["kubectl", "get", "pods"], env)).toEqual({
      status: 0,
      stdout: "pod-1 in eastus\n",
      stderr: "",
    });
    expect(sh(["helm", "ls"], env)).toEqual({ status: 3, stdout: "", stderr: "no releases\n" });
    expect(sh(["az", "account", "show"], env)).toEqual({ status: 0, stdout: "sub\n", stderr: "" });
    expect(sh(["kubectl", "apply", "-f", "-"], env, "kind: Pod\r\n")).toEqual({
      status: 0,
      stdout: "pod-1 configured\n",
      stderr: "",
    });
    const verify = sh(["cli-replay", "verify", setup.scenario], env);
    expect(verify).toEqual({
      status: 0,
      stdout: "",
      stderr: '✓ Scenario "deploy" completed: 4/4 steps consumed\n',
    });
  });

  it("should print the mismatch diagnostic and exit 1 without advancing", () => {
    const setup = setUp();
    const { env } = started(setup);
    const refused = sh(["kubectl", "get", "svc"], env);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe(
      [
        'Mismatch at step 1 of "deploy":',
        "",
        "  Expected: [kubectl get pods]",
        "  Received: [kubectl get svc]",
        "",
        "  First difference at position 2:",
        "    expected: pods",
        "    received: svc",
        "",
      ].join("\n"),
    );
    expect(sh(["kubectl", "get", "pods"], env).status).toBe(0);
  });

  it("should report verify as JSON and JUnit on stdout, exiting 1 while steps are missing", () => {
    const setup = setUp();
    const { env } = started(setup);
    sh(["kubectl", "get", "pods"], env);
    const json = sh(["cli-replay", "verify", setup.scenario, "--format", "json"], env);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      scenario: "deploy",
      session: env.CLI_REPLAY_SESSION,
      passed: false,
      total_steps: 4,
      consumed_steps: 1,
    });
    const junit = sh(["cli-replay", "verify", "--format=junit"], env);
    expect(junit.status).toBe(1);
    expect(junit.stdout).toContain(
      '<testsuite name="deploy" tests="4" failures="3" errors="0" skipped="0" time="0.000">',
    );
  });

  it("should keep sessions apart: another session's state is not this one's", () => {
    const setup = setUp();
    const first = started(setup).env;
    const second = started(setup).env;
    sh(["kubectl", "get", "pods"], first);
    expect(sh(["kubectl", "get", "pods"], second).status).toBe(0);
    expect(sh(["kubectl", "get", "pods"], first).status).toBe(1);
  });

  it("should remove the intercepts and the state on clean", () => {
    const setup = setUp();
    const { env, interceptDir } = started(setup);
    sh(["kubectl", "get", "pods"], env);
    const cleaned = sh(["cli-replay", "clean", setup.scenario], env);
    expect(cleaned.status).toBe(0);
    expect(cleaned.stderr).toBe(
      `cli-replay: removed intercept dir ${interceptDir}\ncli-replay: state reset for ${setup.scenario}\n`,
    );
    expect(existsSync(interceptDir)).toBe(false);
    const verify = sh(["cli-replay", "verify", setup.scenario], env);
    expect(verify).toEqual({
      status: 1,
      stdout: "",
      stderr: `cli-replay: no state found for "deploy"\n  run 'cli-replay run ${setup.scenario}' first\n`,
    });
  });

  it("should refuse to start when the allowlists have nothing in common", () => {
    const setup = setUp();
    const run = sh(
      ["cli-replay", "run", "--shell", "bash", "--allowed-commands=terraform", setup.scenario],
      setup.env,
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      'Error: command "kubectl" is not in the allowed commands list: [terraform]\n  Scenario: deploy\n  Step 1: [kubectl get pods]\n',
    );
  });

  it("should reject flags cli-replay does not have, as cobra does", () => {
    const setup = setUp();
    const verify = sh(["cli-replay", "verify", setup.scenario, "--allowed-commands=kubectl"], setup.env);
    expect(verify).toEqual({ status: 1, stdout: "", stderr: "Error: unknown flag: --allowed-commands\n" });
  });

  it("should refuse an invalid scenario with the reader's first error", () => {
    const setup = setUp();
    writeFileSync(
      setup.scenario,
      "meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: { exit: 300 } }\n",
    );
    const run = sh(["cli-replay", "run", setup.scenario], setup.env);
    expect(run).toEqual({
      status: 1,
      stdout: "",
      stderr:
        "Error: failed to load scenario: invalid scenario: step 0: respond: exit must be in range 0-255\n",
    });
  });

  it("should work when a shell evaluates the setup, as cli-replay's docs show", () => {
    const setup = setUp();
    const script = `set -e; eval "$(cli-replay run --shell bash '${setup.scenario}')"; kubectl get pods; az account show; cli-replay verify --format json || true`;
    const result = sh(["bash", "-c", script], setup.env);
    expect(result.status).toBe(0);
    const [pods, sub, json] = result.stdout.split("\n");
    expect([pods, sub]).toEqual(["pod-1 in eastus", "sub"]);
    expect(JSON.parse(json!)).toMatchObject({ passed: false, consumed_steps: 2 });
    // The trap cleaned up when the shell exited.
    expect(readdirSync(join(setup.dir, ".cli-replay"))).toEqual([]);
  });
});
