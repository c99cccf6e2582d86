/**
 * What `runbook exec` shows when a run pauses at a manual step: the instructions once, each
 * evidence with its kind, and a checklist's items numbered, so the person knows what to attest.
 */
import { describe, expect, it } from "vitest";
import { describeManualStep } from "../../src/cli/commands/exec.js";

describe("describeManualStep", () => {
  it("should show the instructions and number the checklist's items once when a step asks for a checklist", () => {
    const text = describeManualStep({
      id: "confirm",
      type: "manual",
      title: "Confirm recovery",
      instructions: "Open the dashboard:\n\n- Errors under 1%.\n\n- No new restarts.",
      required_evidence: [
        { kind: "checklist", name: "done", items: ["Errors under 1%.", "No new restarts."] },
        { kind: "text", name: "link", description: "The dashboard's address." },
        { kind: "attachment", name: "screenshot" },
      ],
    });
    expect(text).toBe(
      [
        "  Confirm recovery",
        "    Open the dashboard:",
        "  evidence 'done' (checklist; give 'all' or the numbers of the items done)",
        "    1. Errors under 1%.",
        "    2. No new restarts.",
        "  evidence 'link' (text): The dashboard's address.",
        "  evidence 'screenshot' (attachment)",
        "",
      ].join("\n"),
    );
  });

  it("should show the command instead of instructions when the step is a command to run by hand", () => {
    const text = describeManualStep({
      id: "m",
      type: "manual",
      title: "Run it",
      instructions: "Run this command yourself.",
      command: "kubectl exec -it web-0 -- sh",
    });
    expect(text).toBe("  Run it\n  command: kubectl exec -it web-0 -- sh\n");
  });

  it("should cut long instructions and say how many lines are left", () => {
    const instructions = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n");
    const text = describeManualStep({ id: "m", type: "manual", title: "T", instructions });
    expect(text).toContain("    line 12\n    … (8 more lines in the runbook)");
    expect(text).not.toContain("line 13");
  });
});
