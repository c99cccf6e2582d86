/**
 * Checklist evidence from the command line (`--evidence step.name=…`, the debugger's `evidence
 * set`): `all`, `none`, item numbers, or the items by their text.
 */
import { describe, expect, it } from "vitest";
import { evidenceInput } from "../../src/driver/runbook-session.js";

const ITEMS = [
  "The error rate is back under 1%.",
  "No new restarts in the last 10 minutes.",
  "Tell the channel",
];
const input = (raw: string) =>
  evidenceInput({ step: "confirm", name: "done", raw, attach: false }, "checklist", ITEMS);

describe("checklist evidence", () => {
  it.each([
    ["all", "all"],
    ["none", []],
    ["1,3", [1, 3]],
    [" 2 ", [2]],
    ["No new restarts in the last 10 minutes.", [2]],
    ["no new restarts in the last  10 minutes", [2]],
    ["tell the channel.", [3]],
    ["Tell the channel, 1", [3, 1]],
  ])("should read %j as the items %j", (raw, checked) => {
    expect(input(raw)).toEqual({ kind: "checklist", checked });
  });

  it("should refuse text that is no item, naming the items by number", () => {
    expect(() => input("the dashboard is green")).toThrow(
      "checklist 'confirm.done': 'the dashboard is green' is not 'all', an item number or an item's text (items: 1. The error rate is back under 1%.; 2. No new restarts in the last 10 minutes.; 3. Tell the channel)",
    );
  });

  it("should keep text evidence as it was typed", () => {
    expect(evidenceInput({ step: "s", name: "n", raw: " a, b ", attach: false }, "text")).toEqual({
      kind: "text",
      text: " a, b ",
    });
  });
});
