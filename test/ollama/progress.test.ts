/**
 * The pull progress printer: one line rewritten in place on a terminal, one line per status
 * change elsewhere, and a clean end when the pull fails.
 */
import { describe, expect, it } from "vitest";
import {
  autoPullFromEnv,
  type PullProgress,
  pullProgressPrinter,
} from "../../src/runtime/app/providers/ollama-models.js";
import { pullLines } from "./fake-ollama.js";

function printed(tty: boolean, events: readonly PullProgress[]): string[] {
  const writes: string[] = [];
  const print = pullProgressPrinter({ write: (t) => writes.push(t), tty });
  for (const e of events) print(e);
  return writes;
}

const PULL: PullProgress[] = pullLines().map((l) => ({ model: "llama3.2:3b", ...l }));

describe("pullProgressPrinter", () => {
  it("should print one line per status change when not on a terminal", () => {
    const events = [...PULL.slice(0, 3), PULL[2]!, ...PULL.slice(3)];
    expect(printed(false, events).join("")).toBe(
      [
        "ollama: pulling llama3.2:3b: pulling manifest",
        "ollama: pulling llama3.2:3b: pulling abababababab (2000 MB)",
        "ollama: pulling llama3.2:3b: verifying sha256 digest",
        "ollama: pulling llama3.2:3b: writing manifest",
        "ollama: pulled llama3.2:3b",
        "",
      ].join("\n"),
    );
  });

  it("should rewrite one line with percent and MB on a terminal, and end it with a newline", () => {
    const writes = printed(true, [...PULL.slice(0, 3), PULL[2]!, ...PULL.slice(3)]);
    expect(writes).toEqual([
      "\r\x1b[2Kollama: pulling llama3.2:3b: pulling manifest",
      "\r\x1b[2Kollama: pulling llama3.2:3b: pulling abababababab 0% (0 of 2000 MB)",
      "\r\x1b[2Kollama: pulling llama3.2:3b: pulling abababababab 50% (1000 of 2000 MB)",
      "\r\x1b[2Kollama: pulling llama3.2:3b: pulling abababababab 100% (2000 of 2000 MB)",
      "\r\x1b[2Kollama: pulling llama3.2:3b: verifying sha256 digest",
      "\r\x1b[2Kollama: pulling llama3.2:3b: writing manifest",
      "\r\x1b[2Kollama: pulled llama3.2:3b\n",
    ]);
  });

  it("should end the line with the failure when a pull fails on a terminal", () => {
    const writes = printed(true, [PULL[0]!, { model: "llama3.2:3b", status: "failed" }]);
    expect(writes.at(-1)).toBe("\r\x1b[2Kollama: pulling llama3.2:3b failed\n");
  });

  it("should print nothing on a terminal for a pull that failed before any progress", () => {
    expect(printed(true, [{ model: "m", status: "failed" }])).toEqual([]);
    expect(printed(false, [{ model: "m", status: "failed" }])).toEqual(["ollama: pulling m failed\n"]);
  });
});

describe("autoPullFromEnv", () => {
  it.each([
    ["1", true],
    ["true", true],
    ["YES", true],
    [" on ", true],
    ["0", false],
    ["", false],
    [undefined, false],
  ])("should read RLLMC_OLLAMA_AUTO_PULL=%s as %s", (value, on) => {
    expect(autoPullFromEnv(value === undefined ? {} : { RLLMC_OLLAMA_AUTO_PULL: value })).toBe(on);
  });
});
