/**
 * Stage A rules that the goldens show but a reader of extract-runbook.ts should find pinned
 * beside it: sessions and when they end, empty headings, prose sections, secrets.
 */
import { describe, expect, it } from "vitest";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";
import type { TsgModule } from "../../src/ir/nodes.js";
import { SourceFile } from "../../src/ir/source-file.js";
import { allSteps, type ManualStep, type Step } from "../../src/lang/runbook/types.js";
import { extractRunbook } from "../../src/passes/runbook/extract-runbook.js";
import { schemaProblems } from "../../src/passes/runbook/validate-runbook.js";

function extract(markdown: string) {
  const source = new SourceFile("tsg.md", markdown);
  const plan = extractRunbook(parseTsg(source).module as TsgModule, source);
  const steps = [...allSteps(plan.runbook.steps)].filter(
    (s): s is Exclude<Step, { type: "group" }> => s.type !== "group",
  );
  return { plan, steps };
}

const fence = (...lines: string[]) => ["```sh", ...lines, "```", ""].join("\n");

describe("extractRunbook", () => {
  it("should make the commands after a session opener manual, until exit", () => {
    const { steps } = extract(
      ["# T", "", "## Check", "", fence("oc rsh web-0", "ps aux", "exit", "kubectl get pods")].join("\n"),
    );
    expect(steps.map((s) => [s.type, s.type === "manual" ? s.reason : ""])).toEqual([
      ["manual", "'oc rsh' opens a shell in a container"],
      ["manual", "it runs inside the session opened on line 6 ('oc rsh' opens a shell in a container)"],
      ["manual", "it runs inside the session opened on line 6 ('oc rsh' opens a shell in a container)"],
      ["cli", ""],
    ]);
  });

  it("should end a session when another command opens its own, and at the end of the section", () => {
    const { steps } = extract(
      [
        "# T",
        "",
        "## A",
        "",
        fence("ssh db1", "uptime", "kubectl exec -it web-0 -- bash", "ls"),
        "## B",
        "",
        fence("df -h"),
      ].join("\n"),
    );
    const reasons = steps.map((s) => (s.type === "manual" ? s.reason : "cli"));
    expect(reasons[2]).toBe("'kubectl exec' with a terminal opens a shell in a container");
    expect(reasons[3]).toContain("session opened on line 8");
    expect(reasons[4]).toBe("cli");
  });

  it("should give a prose step a title when its heading is empty, so the runbook stays valid", () => {
    const { plan, steps } = extract(
      ["# T", "", "##", "", "1. Check the dashboard.", "2. Page the on-call.", ""].join("\n"),
    );
    const manual = steps[0] as ManualStep;
    expect(manual.title).toBe("Section at line 3");
    expect(manual.required_evidence).toEqual([
      { kind: "checklist", name: "done", items: ["Check the dashboard.", "Page the on-call."] },
    ]);
    expect(schemaProblems(plan.runbook)).toEqual([]);
  });

  it("should skip descriptive sections and keep secrets out of templates", () => {
    const { plan, steps } = extract(
      [
        "# T",
        "",
        "## Impact",
        "",
        "Check nothing here: it is a description.",
        "",
        "## Diagnosis",
        "",
        fence('curl -H "Authorization: Bearer $GITLAB_TOKEN" https://x/api'),
      ].join("\n"),
    );
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({
      type: "manual",
      command: 'curl -H "Authorization: Bearer $GITLAB_TOKEN" https://x/api',
    });
    expect(plan.runbook.meta.vars).toBeUndefined();
  });
});
