/**
 * The progress of `run --batch` on stderr: on a terminal one line rewritten in place (the bar,
 * done/total, in flight, tokens, spend, ETA); elsewhere one line at each tenth of the batch.
 */
import { describe, expect, it } from "vitest";
import { BatchProgress } from "../../src/cli/run-batch.js";
import { Budget } from "../../src/driver/batch/budget.js";
import { loadPrices } from "../../src/driver/batch/prices.js";

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 120, write: (t: string) => writes.push(t) } };
}

describe("BatchProgress", () => {
  it("should rewrite one line on a terminal with done/total, in flight, tokens, spend and an ETA", () => {
    const { writes, stream: tty } = stream(true);
    const budget = new Budget({}, loadPrices(), "openai");
    budget.record(
      { model: "gpt-4o", messages: [] },
      {
        text: "",
        usage: { promptTokens: 1200, completionTokens: 34 },
        model: "gpt-4o",
        finishReason: "stop",
        raw: {},
      },
    );
    const progress = new BatchProgress(10, tty, budget);
    progress.update(3, 4);
    progress.done();
    expect(writes[0]!.startsWith("\r\x1b[2K")).toBe(true);
    expect(writes[0]!.slice("\r\x1b[2K".length)).toMatch(
      /^\[#{7}\.{17}\] 3\/10 4 in flight · 1,234 tokens · \$0\.0033 · ETA \d+ s$/,
    );
    expect(writes.at(-1)).toBe("\r\x1b[2K");
  });

  it("should write one line per tenth elsewhere", () => {
    const { writes, stream: log } = stream(false);
    const progress = new BatchProgress(20, log, new Budget({}, loadPrices(), "null"));
    for (let done = 1; done <= 20; done++) progress.update(done, 1);
    expect(writes).toHaveLength(10);
    expect(writes[0]).toMatch(/^progress 2\/20 \(10%\) · 1 in flight · 0 tokens · \$0\.0000 · ETA \d+ s\n$/);
    expect(writes[9]).toBe("progress 20/20 (100%) · 1 in flight · 0 tokens · $0.0000\n");
  });
});
