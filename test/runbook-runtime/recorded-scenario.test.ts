/**
 * The scenario a recording becomes: it reads with the project's scenario reader without a
 * diagnostic, and the replay engine answers each recorded call with the bytes recorded — for
 * any output (braces, template syntax, control characters, long lines, large outputs in files),
 * with the variables' values written back as templates.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseScenario } from "../../src/frontend/replay/parse-scenario.js";
import { SourceFile } from "../../src/ir/source-file.js";
import type { Runbook } from "../../src/lang/runbook/types.js";
import { ReplaySession } from "../../src/runtime/replay/index.js";
import {
  buildRecordedScenario,
  LARGE_OUTPUT_BYTES,
  writeRecordedScenario,
} from "../../src/runtime/runbook/recorded-scenario.js";
import {
  RECORDING_FILE,
  type RecordedCall,
  RecordingRunner,
  readRecording,
} from "../../src/runtime/runbook/recorder.js";
import { RunRedactor } from "../../src/runtime/runbook/redaction.js";
import { tempDir } from "./helpers.js";

const runbook: Runbook = {
  apiVersion: "runbook/v0",
  meta: { name: "prop", vars: { region: { value: "westeurope" } }, governance: { redact: [] } },
  steps: [
    { id: "one", type: "cli", title: "One", with: { argv: ["tool", "get", "--region={{ .region }}"] } },
    { id: "two", type: "cli", title: "Two", with: { argv: ["/usr/bin/other", "{{ .region }}"] } },
  ],
};

function call(index: number, argv: string[], stdout: string, stderr = "", exit = 0): RecordedCall {
  return {
    type: "call",
    index,
    step_id: index === 0 ? "one" : "two",
    argv,
    redacted_argv: [],
    exit,
    stdout,
    stderr,
  };
}

/** Builds, writes and reads back the scenario; replays both calls; returns what came back. */
function roundTrip(stdout: string, stderr: string, exit: number) {
  const dir = tempDir("rb-recorded-");
  const path = join(dir, "s.yaml");
  const built = buildRecordedScenario(
    {
      runbook,
      runbookPath: "runbook.yaml",
      runbookSha256: "0".repeat(64),
      runId: "r",
      vars: { region: "westeurope" },
      calls: [
        call(0, ["tool", "get", "--region=westeurope"], stdout, stderr, exit),
        call(1, ["/usr/bin/other", "westeurope"], `other in westeurope\n${stdout}`),
      ],
      redactor: new RunRedactor(runbook.meta.governance, {}),
    },
    path,
  );
  if (built === undefined) throw new Error("nothing built");
  writeRecordedScenario(path, built);
  const source = new SourceFile(path, readFileSync(path, "utf8"));
  const parsed = parseScenario(source);
  expect(parsed.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  if (parsed.scenario === undefined) throw new Error("no scenario");
  const session = new ReplaySession(parsed.scenario, { baseDir: dir, env: {} });
  return {
    first: session.call(["tool", "get", "--region=westeurope"]),
    second: session.call(["other", "westeurope"]),
    verified: session.verify().passed,
    files: built.files.length,
  };
}

describe("buildRecordedScenario", () => {
  it.each([
    ["plain lines", "NAME READY\npod-1 1/1\n", "", 0],
    ["template syntax and braces", '{{ .x }} {{- "y" -}} {{{ }} {westeurope}\n', "{{", 3],
    ["control characters and CRLF", "a\r\nb\tc\u0000d\u001b[0m\n", "\r", 255],
    ["no trailing newline and trailing spaces", "last line   ", "  ", 1],
    ["a large output", `${"row of the report\n".repeat(Math.ceil(LARGE_OUTPUT_BYTES / 18) + 1)}`, "", 0],
    ["a large output with a value and braces", `${"westeurope {{ x }}\n".repeat(400)}`, "", 0],
  ])("should replay %s as recorded", (_what, stdout, stderr, exit) => {
    const result = roundTrip(stdout, stderr, exit);
    expect(result.first).toMatchObject({ ok: true, stdout, stderr, exit });
    expect(result.second).toMatchObject({ ok: true, stdout: `other in westeurope\n${stdout}` });
    expect(result.verified).toBe(true);
    if (Buffer.byteLength(stdout) >= LARGE_OUTPUT_BYTES) expect(result.files).toBeGreaterThan(0);
  });

  it("should replay any output as recorded (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 300 }),
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 0, max: 255 }),
        (stdout, stderr, exit) => {
          const result = roundTrip(stdout, stderr, exit);
          expect(result.first).toMatchObject({ ok: true, stdout, stderr, exit });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("should match the argv with other variable values, the program by its base name", () => {
    const dir = tempDir("rb-recorded-");
    const built = buildRecordedScenario(
      {
        runbook,
        runbookPath: "runbook.yaml",
        runbookSha256: "0".repeat(64),
        runId: "r",
        vars: { region: "westeurope" },
        calls: [
          call(0, ["tool", "get", "--region=westeurope"], "in westeurope\n"),
          call(1, ["/usr/bin/other", "westeurope"], ""),
        ],
        redactor: new RunRedactor(runbook.meta.governance, {}),
      },
      join(dir, "s.yaml"),
    );
    expect(built?.yaml).toContain(`argv: [ tool, get, '{{ .regex "^--region=.*$" }}' ]`);
    expect(built?.yaml).toContain(`argv: [ other, "{{ .any }}" ]`);
    expect(built?.yaml).toContain("stdout: |\n        in {{ .region }}\n");
    const scenario = parseScenario(new SourceFile("s.yaml", built?.yaml ?? "")).scenario;
    if (scenario === undefined) throw new Error("no scenario");
    const session = new ReplaySession(scenario, { baseDir: dir, env: { region: "northeurope" } });
    expect(session.call(["tool", "get", "--region=northeurope"])).toMatchObject({
      ok: true,
      stdout: "in northeurope\n",
    });
    expect(session.call(["other", "northeurope"])).toMatchObject({ ok: true });
  });
});

describe("RecordingRunner", () => {
  it("should redact what it records, end a line a crash cut off, and keep a rerun step's last call", async () => {
    const dir = tempDir("rb-recorder-");
    const redactor = new RunRedactor(undefined, { GITLAB_TOKEN: "glpat-secret-value-1" });
    const inner = {
      kind: "real" as const,
      run: async () => ({ exitCode: 0, stdout: "token glpat-secret-value-1\n", stderr: "password=abc\n" }),
    };
    const steps = runbook.steps.map((step, index) => ({ index, step, groups: [] })) as never[];
    let current = 0;
    const bind = (runner: RecordingRunner) =>
      runner.bind({ dir, redactor, current: () => steps[current] }, join(dir, "s.yaml"));
    const first = new RecordingRunner(inner);
    bind(first);
    const resolved = { timeoutMs: 1000, maxOutputBytes: 1000, env: {} };
    await first.run({ argv: ["tool", "--key=glpat-secret-value-1"], ...resolved });
    current = 1;
    await first.run({ argv: ["other", "a"], ...resolved });
    appendFileSync(join(dir, RECORDING_FILE), '{"type":"call","index":1,"step_id":"tw'); // a crash mid-line
    const resumed = new RecordingRunner(inner);
    bind(resumed);
    await resumed.run({ argv: ["other", "b"], ...resolved });
    const recording = readRecording(dir);
    expect(recording.target).toBe(join(dir, "s.yaml"));
    expect(recording.calls.map((c) => c.argv)).toEqual([
      ["tool", "--key=<redacted>"],
      ["other", "b"],
    ]);
    expect(recording.calls[0]).toMatchObject({
      redacted_argv: [1],
      stdout: "token <redacted>\n",
      stderr: "password=<redacted>\n",
    });
    expect(readFileSync(join(dir, RECORDING_FILE), "utf8")).not.toContain("glpat-secret-value-1");
  });
});
