/**
 * `commandResult`, the one construction of a `cli` call's result the real, replay and cli-replay
 * runners share: whole streams are cut here at `maxOutputBytes`, streams a process reader read are
 * taken as it cut them.
 */
import { describe, expect, it } from "vitest";
import { callFailed, commandResult } from "../../src/runtime/runbook/command-result.js";
import { RealRunner } from "../../src/runtime/runbook/real-runner.js";
import { ReplayRunner } from "../../src/runtime/runbook/replay-runners.js";

describe("commandResult", () => {
  const table = [
    {
      name: "should keep whole streams under the cap as they are",
      output: { exitCode: 0, stdout: "ok\n", stderr: "" },
      max: 10,
      want: { exitCode: 0, stdout: "ok\n", stderr: "", truncated: [] },
    },
    {
      name: "should cut a whole stream over the cap at its UTF-8 bytes and name it",
      output: { exitCode: 3, stdout: "0123456789abc", stderr: "é".repeat(4) },
      max: 4,
      want: { exitCode: 3, stdout: "0123", stderr: "éé", truncated: ["stdout", "stderr"] },
    },
    {
      name: "should name stdout before stderr when both are cut",
      output: { exitCode: 0, stdout: "abcdef", stderr: "ghijkl" },
      max: 2,
      want: { exitCode: 0, stdout: "ab", stderr: "gh", truncated: ["stdout", "stderr"] },
    },
    {
      name: "should take streams a reader cut as it cut them, with its timeout",
      output: {
        exitCode: 143,
        stdout: "a\uFFFD",
        stderr: "",
        timedOut: true,
        truncated: ["stdout"] as const,
      },
      max: 2,
      want: { exitCode: 143, stdout: "a\uFFFD", stderr: "", timedOut: true, truncated: ["stdout"] },
    },
  ];
  for (const { name, output, max, want } of table)
    it(name, () => {
      expect(commandResult(output, max)).toEqual(want);
    });

  it("should give a call that reached no program its error and no output", () => {
    const error = { code: "RBX7001", message: "nope" };
    expect(callFailed(127, error)).toEqual({ exitCode: 127, stdout: "", stderr: "", error });
  });
});

describe("runners", () => {
  const call = { env: { PATH: process.env.PATH ?? "" }, timeoutMs: 10_000, maxOutputBytes: 5 };

  it("should cut a real process's output at maxOutputBytes", async () => {
    const result = await new RealRunner().run({
      ...call,
      argv: [process.execPath, "-e", "process.stdout.write('x'.repeat(20))"],
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: "xxxxx", stderr: "", truncated: ["stdout"] });
  });

  it("should cut a replayed answer at maxOutputBytes the same way", async () => {
    const runner = new ReplayRunner(
      {
        meta: { name: "t" },
        steps: [{ match: { argv: ["tool"] }, respond: { exit: 0, stdout: "y".repeat(20) } }],
      } as never,
      { baseDir: ".", env: {} },
    );
    expect(await runner.run({ ...call, argv: ["tool"] })).toEqual({
      exitCode: 0,
      stdout: "yyyyy",
      stderr: "",
      truncated: ["stdout"],
    });
  });
});
