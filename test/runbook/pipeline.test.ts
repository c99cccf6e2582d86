/**
 * The runbook passes' order (passes/runbook/pipeline.ts) and their narrow context: Stage B runs
 * only when the host gives an interpreter, a rejected answer ends the run, and the plan's
 * runbook gets its steps' `source:` lines only when printed.
 */
import { describe, expect, it } from "vitest";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";
import type { TsgModule } from "../../src/ir/nodes.js";
import { SourceFile } from "../../src/ir/source-file.js";
import { allSteps } from "../../src/lang/runbook/types.js";
import type { Interpreter } from "../../src/passes/runbook/interpret-request.js";
import { runbookPasses, runRunbookPasses } from "../../src/passes/runbook/pipeline.js";
import { runbookWithSources } from "../../src/passes/runbook/provenance.js";

const TSG = "# Pods\n\n## Check\n\n```sh\n$ kubectl get pods\nNAME READY\n```\n";
const interpreter = (text: string): Interpreter => ({
  ask: async () => ({ ok: true, text, model: "scripted", key: "k".repeat(64), fromCache: true, where: "w" }),
});

function setup() {
  const source = new SourceFile("tsg.md", TSG);
  return { source, module: parseTsg(source).module as TsgModule };
}

describe("runbook pipeline", () => {
  it.each([
    [
      "without a host",
      {},
      ["extract-runbook", "check-runbook-schema", "check-runbook-policy", "check-runbook-coverage"],
    ],
    [
      "with a host",
      { interpreter: interpreter("{}") },
      [
        "extract-runbook",
        "interpret-runbook",
        "check-runbook-schema",
        "check-runbook-policy",
        "check-runbook-coverage",
      ],
    ],
  ])("should list the passes in order %s", (_when, context, names) => {
    expect(runbookPasses({ report: () => {}, ...context }).map((p) => p.name)).toEqual(names);
  });

  it("should end the run with no plan when Stage B rejects the answer", async () => {
    const { source, module } = setup();
    const result = await runRunbookPasses(module, source, "tsg.md", interpreter("not: [a runbook"));
    expect(result.plan).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toEqual(["RBK6201"]);
  });

  it("should give the steps their source lines when printed, not in the plan", async () => {
    const { source, module } = setup();
    const { plan } = await runRunbookPasses(module, source, "tsg.md", undefined);
    const inPlan = [...allSteps(plan!.runbook.steps)];
    expect(inPlan.map((s) => s.source)).toEqual([undefined, undefined]);
    const printed = [...allSteps(runbookWithSources(plan!, source).steps)];
    expect(printed.map((s) => [s.id, s.source])).toEqual([
      ["check", { file: "tsg.md", line: 3, end_line: 8, section: "check" }],
      ["kubectl_get_pods", { file: "tsg.md", line: 6, section: "check" }],
    ]);
    // `source` stands before `sample_output`, as the runbook was always built.
    expect(Object.keys(printed[1]!)).toEqual(["id", "type", "with", "source", "sample_output"]);
  });
});
