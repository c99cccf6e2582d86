/**
 * Stage B's checks of a model's answer, with a scripted interpreter: what is accepted (and
 * re-given the compiler's provenance), and each reason an answer is rejected or warned about.
 */
import { describe, expect, it } from "vitest";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";
import type { TsgModule } from "../../src/ir/nodes.js";
import { SourceFile } from "../../src/ir/source-file.js";
import type { CliStep, GroupStep, ManualStep, Runbook } from "../../src/lang/runbook/types.js";
import { extractRunbook } from "../../src/passes/runbook/extract-runbook.js";
import type { Interpreter } from "../../src/passes/runbook/interpret-request.js";
import { interpretRunbook } from "../../src/passes/runbook/interpret-runbook.js";
import { runbookWithSources } from "../../src/passes/runbook/provenance.js";

const TSG = [
  "# Pods",
  "",
  "## Diagnosis",
  "",
  "```sh",
  "kubectl get pods -n <namespace>",
  "kubectl logs -f web-0",
  "kubectl delete pod web-0",
  "```",
  "",
].join("\n");

function setup() {
  const source = new SourceFile("tsg.md", TSG);
  const module = parseTsg(source).module as TsgModule;
  const draft = extractRunbook(module, source);
  return { source, module, draft };
}

function answering(text: string): Interpreter & { accepted: number; rejectedCount: number } {
  const interpreter = {
    accepted: 0,
    rejectedCount: 0,
    ask: async () => ({
      ok: true as const,
      text,
      model: "scripted",
      key: "k".repeat(64),
      fromCache: false,
      where: "rejected/k.json",
    }),
    accept() {
      interpreter.accepted += 1;
    },
    rejected() {
      interpreter.rejectedCount += 1;
    },
  };
  return interpreter;
}

/** The draft's steps in the one group, to edit. */
function group(runbook: Runbook): Step[] {
  return [...(runbook.steps[0] as GroupStep).steps];
}
type Step = CliStep | ManualStep | GroupStep;

function withSteps(draft: Runbook, steps: Step[], extra: Partial<Runbook["meta"]> = {}): string {
  const first = draft.steps[0] as GroupStep;
  return JSON.stringify({ ...draft, meta: { ...draft.meta, ...extra }, steps: [{ ...first, steps }] });
}

describe("interpretRunbook", () => {
  it("should accept a refined answer, keep the compiler's provenance and governance, and tell the host", async () => {
    const { source, module, draft } = setup();
    const steps = group(draft.runbook).map((s) =>
      s.type === "group" ? s : { ...s, title: `Refined ${s.id}`, source: { file: "elsewhere.md", line: 99 } },
    );
    const interpreter = answering(`Sure:\n\`\`\`json\n${withSteps(draft.runbook, steps)}\n\`\`\``);
    const { plan, diagnostics } = await interpretRunbook(draft, module, source, interpreter);
    expect(diagnostics).toEqual([]);
    expect(interpreter.accepted).toBe(1);
    const get = group(runbookWithSources(plan!, source)).find((s) => s.id === "kubectl_get_pods") as CliStep;
    expect(get.title).toBe("Refined kubectl_get_pods");
    expect(get.source).toEqual({ file: "tsg.md", line: 6, section: "diagnosis" });
    expect(plan!.interpretation).toMatchObject({ kind: "llm", model: "scripted" });
    expect(plan!.runbook.meta.governance).toEqual(draft.runbook.meta.governance);
  });

  it("should reject an answer that gives a command a stdin of the model's (RBK6210)", async () => {
    const { source, module, draft } = setup();
    const steps = group(draft.runbook).map(
      (s): Step =>
        s.id === "kubectl_get_pods" && s.type === "cli" ? { ...s, with: { ...s.with, stdin: "yes\n" } } : s,
    );
    const interpreter = answering(withSteps(draft.runbook, steps));
    const { plan, diagnostics } = await interpretRunbook(draft, module, source, interpreter);
    expect(plan).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(["RBK6210"]);
    expect(diagnostics[0]!.message).toBe(
      "the model's step 'kubectl_get_pods' gives its command a stdin, which the TSG does not",
    );
  });

  it("should reject an answer that automates a command the extraction made manual (RBK6209)", async () => {
    const { source, module, draft } = setup();
    const steps = group(draft.runbook).map(
      (s): Step =>
        s.id === "kubectl_logs_web_0" || (s.type === "manual" && s.command === "kubectl logs -f web-0")
          ? { id: s.id, type: "cli", with: { argv: ["kubectl", "logs", "-f", "web-0"] } }
          : s,
    );
    const interpreter = answering(withSteps(draft.runbook, steps));
    const { plan, diagnostics } = await interpretRunbook(draft, module, source, interpreter);
    expect(plan).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(["RBK6209"]);
    expect(interpreter.rejectedCount).toBe(1);
  });

  it("should reject an answer that drops an approval (RBK6204) or changes governance (RBK6208)", async () => {
    const { source, module, draft } = setup();
    const steps = group(draft.runbook).map((s): Step => {
      if (s.type !== "cli" || s.approvals === undefined) return s;
      const { approvals: _, ...rest } = s;
      return rest;
    });
    const answer = withSteps(draft.runbook, steps, {
      governance: { ...draft.runbook.meta.governance, deny_env_vars: [] },
    });
    const { plan, diagnostics } = await interpretRunbook(draft, module, source, answering(answer));
    expect(plan).toBeUndefined();
    expect(diagnostics.map((d) => d.code).sort()).toEqual(["RBK6204", "RBK6208"]);
  });

  it("should reject an answer that is not a runbook/v0 document (RBK6202) or not a document at all (RBK6201)", async () => {
    const { source, module, draft } = setup();
    const schema = await interpretRunbook(
      draft,
      module,
      source,
      answering(JSON.stringify({ ...draft.runbook, apiVersion: "runbook/v9" })),
    );
    expect(schema.diagnostics.map((d) => d.code)).toEqual(["RBK6202"]);
    expect(schema.diagnostics[0]!.message).toContain("'/apiVersion'");
    const prose = await interpretRunbook(draft, module, source, answering("steps: [unclosed"));
    expect(prose.diagnostics.map((d) => d.code)).toEqual(["RBK6201"]);
  });

  it("should warn when the answer leaves a command out, and lower the coverage (RBK6207)", async () => {
    const { source, module, draft } = setup();
    const steps = group(draft.runbook).filter((s) => s.id !== "kubectl_get_pods");
    const { plan, diagnostics } = await interpretRunbook(
      draft,
      module,
      source,
      answering(withSteps(draft.runbook, steps)),
    );
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([["RBK6207", "warning"]]);
    expect(plan!.coverage).toMatchObject({ commandLines: 3, covered: 2 });
    expect(plan!.coverage.missing.map((span) => source.lineCol(span.start).line)).toEqual([6]);
  });

  it("should report the host's failures: no recorded answer (RBK6205), a failed call (RBK6206)", async () => {
    const { source, module, draft } = setup();
    const frozen = await interpretRunbook(draft, module, source, {
      ask: async () => ({
        ok: false,
        reason: "not-cached",
        detail: "",
        key: "a".repeat(64),
        where: ".rllmc/cache/llm",
      }),
    });
    expect(frozen.diagnostics.map((d) => d.code)).toEqual(["RBK6205"]);
    const failed = await interpretRunbook(draft, module, source, {
      ask: async () => ({
        ok: false,
        reason: "call-failed",
        detail: "HTTP 500",
        key: "a".repeat(64),
        where: "",
      }),
    });
    expect(failed.diagnostics[0]!.message).toBe("the model could not be asked: HTTP 500");
  });
});

describe("provenance of repeated commands", () => {
  it("should give each of two steps with the same argv its own TSG line when the TSG repeats a command", async () => {
    const tsg = [
      "# Pods",
      "",
      "## Diagnosis",
      "",
      "```sh",
      "kubectl get pods -n shop",
      "```",
      "",
      "## Validation",
      "",
      "```sh",
      "kubectl get pods -n shop",
      "```",
      "",
    ].join("\n");
    const source = new SourceFile("tsg.md", tsg);
    const module = parseTsg(source).module as TsgModule;
    const draft = extractRunbook(module, source);
    const result = await interpretRunbook(draft, module, source, answering(JSON.stringify(draft.runbook)));
    expect(result.diagnostics.map((d) => d.code)).toEqual([]);
    const lines = result
      .plan!.steps.filter((n) => n.type === "cli")
      .map((n) => source.lineCol(n.span.start).line);
    expect(lines).toEqual([6, 12]);
    expect(result.plan!.coverage).toMatchObject({ covered: 2, commandLines: 2, missing: [] });
  });
});
