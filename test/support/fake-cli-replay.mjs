#!/usr/bin/env node
/**
 * A stand-in for the public `cli-replay` binary, for integration tests of
 * `runbook exec --mode replay --replay-engine cli-replay`. It speaks cli-replay's protocol (its
 * cmd/run.go, cmd/verify.go, cmd/clean.go, main.go and internal/runner) on top of rllmc's own
 * replay engine:
 *
 *   cli-replay run [--shell bash|powershell|cmd] [--allowed-commands a,b] <scenario>
 *       checks the scenario and the allowlist, creates `.cli-replay/intercept-XXXXXX/` next to the
 *       scenario with one symlink per program (named after argv[0]) pointing at this binary,
 *       writes a fresh session state, prints (bash) `export CLI_REPLAY_SESSION='…'`,
 *       `export CLI_REPLAY_SCENARIO='…'`, `export PATH='<intercept dir>':"$PATH"` and a cleanup trap.
 *   <program> args…   (invoked through an intercept symlink: any name other than cli-replay)
 *       answers the call from the scenario in CLI_REPLAY_SCENARIO and the session state of
 *       CLI_REPLAY_SESSION: the step's stdout, stderr and exit code, or the mismatch diagnostic on
 *       stderr and exit 1; the state is saved (atomically) only after an answered call.
 *   cli-replay verify [<scenario>] [--format text|json|junit]
 *       exit 0 when every step met its min, else 1; text on stderr, json / junit on stdout.
 *   cli-replay clean [<scenario>]
 *       removes the intercept directory and the session state.
 *
 * Session state lives next to the scenario in `.cli-replay/cli-replay-<hash>.state` (JSON), the
 * hash being sha256(absolute scenario path + "\0" + session)[:16], as in cli-replay.
 *
 * It imports the compiled engine from ../../dist (built by `npm run build`); set
 * FAKE_CLI_REPLAY_DIST to use another build. install-fake-cli-replay.ts installs it on a PATH as
 * `cli-replay`: a shell wrapper that runs this file with the test's Node and passes the name it was
 * invoked by in FAKE_CLI_REPLAY_ARGV0.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const DIST =
  process.env.FAKE_CLI_REPLAY_DIST === undefined
    ? new URL("../../dist/", import.meta.url)
    : pathToFileURL(`${resolve(process.env.FAKE_CLI_REPLAY_DIST)}/`);
const replay = await import(new URL("src/runtime/replay/index.js", DIST).href);
const { parseScenario } = await import(new URL("src/frontend/replay/parse-scenario.js", DIST).href);
const { readSource } = await import(new URL("src/frontend/read-source.js", DIST).href);

const MAX_STDIN_BYTES = 1 << 20;

class Failure extends Error {}

/** The name this process was invoked by (the wrapper passes it; else the script's own path). */
const invokedPath = process.env.FAKE_CLI_REPLAY_ARGV0 ?? process.argv[1] ?? "cli-replay";
delete process.env.FAKE_CLI_REPLAY_ARGV0;
const invoked = baseName(invokedPath);

try {
  if (invoked === "cli-replay" || invoked === "fake-cli-replay.mjs") {
    process.exitCode = manage(process.argv.slice(2));
  } else {
    process.exitCode = await intercept(invoked, process.argv.slice(2));
  }
} catch (error) {
  if (!(error instanceof Failure)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}

// --- management mode ------------------------------------------------------------------------------

function manage(argv) {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return run(rest);
    case "verify":
      return verify(rest);
    case "clean":
      return clean(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(
        "cli-replay (rllmc test double)\n\nUsage:\n  cli-replay run|verify|clean <scenario.yaml>\n",
      );
      return 0;
    case "--version":
      process.stdout.write("cli-replay version fake (rllmc test double)\n");
      return 0;
    default:
      throw new Failure(`Error: unknown command "${command}" for "cli-replay"`);
  }
}

function run(args) {
  const { flags, positional } = parseFlags(args, ["shell", "allowed-commands"]);
  if (positional.length !== 1) throw new Failure(`Error: accepts 1 arg(s), received ${positional.length}`);
  const path = resolve(positional[0]);
  const { scenario } = loadScenario(path, "Error: ");
  const steps = flatSteps(scenario);
  const commands = [...new Set(steps.map((s) => baseName(s.match.argv[0] ?? "")).filter((c) => c !== ""))];
  if (commands.length === 0) throw new Failure("Error: scenario has no steps with a command name");
  const allowed = parseList(flags["allowed-commands"]);
  const denied = replay.checkScenarioAllowlist(scenario, allowed);
  if (denied !== undefined) throw new Failure(`Error: ${denied.message}`);

  const stateDir = join(dirname(path), ".cli-replay");
  mkdirSync(stateDir, { recursive: true });
  const interceptDir = mkdtempSync(join(stateDir, "intercept-"));
  const self = resolve(invokedPath);
  for (const command of commands) symlinkSync(self, join(interceptDir, command));

  const session = randomBytes(8).toString("hex");
  writeState(statePath(path, session), {
    scenario_path: path,
    scenario_hash: sha256(readFileSync(path)),
    session,
    total_steps: steps.length,
    step_counts: steps.map(() => 0),
    captures: {},
    intercept_dir: interceptDir,
    ...(allowed === undefined ? {} : { allowed_commands: allowed }),
  });

  process.stderr.write(
    `cli-replay: session initialized for "${scenario.meta.name}" (${steps.length} steps, ${commands.length} commands)\n` +
      `  intercept dir: ${interceptDir}\n  commands: ${commands.join(", ")}\n`,
  );
  process.stdout.write(shellSetup(flags.shell ?? "bash", interceptDir, path, session));
  return 0;
}

function shellSetup(shell, interceptDir, path, session) {
  switch (shell.toLowerCase()) {
    case "powershell":
    case "pwsh":
    case "ps":
      return [
        `$env:CLI_REPLAY_SESSION = '${session}'`,
        `$env:CLI_REPLAY_SCENARIO = '${path.replaceAll("'", "''")}'`,
        `$env:PATH = '${interceptDir.replaceAll("'", "''")}' + ';' + $env:PATH`,
        "",
      ].join("\n");
    case "cmd":
      return [
        `set "CLI_REPLAY_SESSION=${session}"`,
        `set "CLI_REPLAY_SCENARIO=${path}"`,
        `set "PATH=${interceptDir};%PATH%"`,
        "",
      ].join("\n");
    default: {
      const q = (s) => s.replaceAll("'", "'\\''");
      return [
        `export CLI_REPLAY_SESSION='${session}'`,
        `export CLI_REPLAY_SCENARIO='${q(path)}'`,
        `export PATH='${q(interceptDir)}':"$PATH"`,
        `_cli_replay_clean() { if [ -n "\${_cli_replay_cleaned:-}" ]; then return; fi; _cli_replay_cleaned=1; command cli-replay clean "$CLI_REPLAY_SCENARIO" 2>/dev/null; }`,
        "trap '_cli_replay_clean' EXIT INT TERM",
        "",
      ].join("\n");
    }
  }
}

function verify(args) {
  const { flags, positional } = parseFlags(args, ["format"]);
  if (positional.length > 1)
    throw new Failure(`Error: accepts at most 1 arg(s), received ${positional.length}`);
  const format = (flags.format ?? "text").toLowerCase();
  if (!["text", "json", "junit"].includes(format))
    throw new Failure(`Error: invalid format "${flags.format}": valid values are text, json, junit`);
  const given = scenarioArgument(positional);
  const path = resolve(given);
  const { scenario } = loadScenario(path, "Error: ");
  const sessionEnv = process.env.CLI_REPLAY_SESSION ?? "";
  const session = sessionEnv === "" ? "default" : sessionEnv;
  const state = readState(statePath(path, sessionEnv));
  if (state === undefined) {
    const result = replay.verifyError(scenario.meta.name, session, "no state found");
    if (format === "text")
      process.stderr.write(
        `cli-replay: no state found for "${scenario.meta.name}"\n  run 'cli-replay run ${given}' first\n`,
      );
    else
      process.stdout.write(
        format === "json" ? replay.formatVerifyJson(result) : replay.formatVerifyJunit(result, given),
      );
    return 1;
  }
  const replaySession = new replay.ReplaySession(scenario, {
    baseDir: dirname(path),
    state: { counts: state.step_counts, captures: state.captures ?? {} },
    session,
  });
  const result = replaySession.verify();
  if (format === "json") process.stdout.write(replay.formatVerifyJson(result));
  else if (format === "junit") process.stdout.write(replay.formatVerifyJunit(result, given));
  else process.stderr.write(replay.formatVerifyText(result));
  return result.passed ? 0 : 1;
}

function clean(args) {
  const { positional } = parseFlags(args, []);
  if (positional.length > 1)
    throw new Failure(`Error: accepts at most 1 arg(s), received ${positional.length}`);
  const given = scenarioArgument(positional);
  const path = resolve(given);
  loadScenario(path, "Error: ");
  const file = statePath(path, process.env.CLI_REPLAY_SESSION ?? "");
  const state = readState(file);
  if (state?.intercept_dir) {
    rmSync(state.intercept_dir, { recursive: true, force: true });
    process.stderr.write(`cli-replay: removed intercept dir ${state.intercept_dir}\n`);
  }
  rmSync(file, { force: true });
  process.stderr.write(`cli-replay: state reset for ${given}\n`);
  return 0;
}

// --- intercept mode -------------------------------------------------------------------------------

async function intercept(program, args) {
  const scenarioPath = process.env.CLI_REPLAY_SCENARIO ?? "";
  if (scenarioPath === "")
    throw new Failure(
      "cli-replay: no scenario specified\n  use: cli-replay run <scenario.yaml>\n  or:  export CLI_REPLAY_SCENARIO=/path/to/scenario.yaml",
    );
  const path = resolve(scenarioPath);
  const { scenario } = loadScenario(path, "cli-replay: ");
  const steps = flatSteps(scenario);
  const file = statePath(path, process.env.CLI_REPLAY_SESSION ?? "");
  const state = readState(file) ?? {
    scenario_path: path,
    scenario_hash: sha256(readFileSync(path)),
    total_steps: steps.length,
    step_counts: steps.map(() => 0),
    captures: {},
  };
  const wantsStdin = steps.some((s) => (s.match.stdin ?? "") !== "");
  const stdin = wantsStdin ? await readStdin() : undefined;

  const session = new replay.ReplaySession(scenario, {
    baseDir: dirname(path),
    env: process.env,
    ...(state.allowed_commands === undefined ? {} : { allowedCommands: state.allowed_commands }),
    state: { counts: state.step_counts, captures: state.captures ?? {} },
  });
  const answer = session.call([program, ...args], stdin);
  if (!answer.ok) throw new Failure(answer.message);
  process.stdout.write(answer.stdout);
  process.stderr.write(answer.stderr);
  const next = session.state;
  writeState(file, { ...state, step_counts: next.counts, captures: next.captures });
  return answer.exit;
}

async function readStdin() {
  if (process.stdin.isTTY) return "";
  const chunks = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_STDIN_BYTES) break;
  }
  process.stdin.destroy();
  return Buffer.concat(chunks).subarray(0, MAX_STDIN_BYTES).toString("utf8");
}

// --- helpers --------------------------------------------------------------------------------------

function loadScenario(path, prefix) {
  const read = readSource(path);
  const diagnostics = [...read.diagnostics];
  let scenario;
  if (read.source !== undefined) {
    const parsed = parseScenario(read.source);
    diagnostics.push(...parsed.diagnostics);
    scenario = parsed.scenario;
  }
  const error = diagnostics.find((d) => d.severity === "error");
  if (error !== undefined || scenario === undefined)
    throw new Failure(
      `${prefix}failed to load scenario: invalid scenario: ${error?.message ?? "unreadable"}`,
    );
  return { scenario };
}

function flatSteps(scenario) {
  return scenario.steps.flatMap((entry) => ("group" in entry ? entry.group.steps : [entry]));
}

function scenarioArgument(positional) {
  const path = positional[0] ?? process.env.CLI_REPLAY_SCENARIO ?? "";
  if (path === "") throw new Failure("Error: no scenario specified — pass a file or set CLI_REPLAY_SCENARIO");
  return path;
}

/** `--name value` and `--name=value` for the names given; any other flag is an error, as with cobra. */
function parseFlags(args, names) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--") || arg === "--") {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (!names.includes(name)) throw new Failure(`Error: unknown flag: --${name}`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new Failure(`Error: flag needs an argument: --${name}`);
    flags[name] = value;
  }
  return { flags, positional };
}

function parseList(value) {
  if (value === undefined) return undefined;
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return items.length === 0 ? undefined : items;
}

function statePath(scenarioPath, session) {
  const key = session === "" ? scenarioPath : `${scenarioPath}\0${session}`;
  return join(dirname(scenarioPath), ".cli-replay", `cli-replay-${sha256(key).slice(0, 16)}.state`);
}

function readState(file) {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Failure(`cli-replay: failed to read state: ${error.message}`);
  }
}

/** Temp file, then rename: a reader never sees half a state. */
function writeState(file, state) {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

function sha256(data) {
  return createHash("sha256").update(data).digest("hex");
}

function baseName(path) {
  const base = basename(path);
  const noExe = base.endsWith(".exe") ? base.slice(0, -4) : base;
  return noExe.endsWith(".cmd") ? noExe.slice(0, -4) : noExe;
}
