import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compilePlan } from "../../src/driver/compile-runbooks.js";
import { scanDrift } from "../../src/driver/review/drift.js";
import { proposeChanges } from "../../src/driver/review/proposals.js";
import { type ReviewEvent, type ReviewPolicy, reviewSession } from "../../src/driver/review/session.js";
import { SourceFile } from "../../src/ir/source-file.js";
import type { Runbook, Step } from "../../src/lang/runbook/types.js";
import type { Interpreter, InterpretRequest } from "../../src/passes/runbook/interpret-request.js";
import { rllmc, tempRepo } from "./temp-repo.js";

/**
 * A TSG whose commands Stage A keeps manual: they run inside ssh sessions it opens. A model may
 * judge they run anywhere; Stage B's checks let it promote them (they are plain argvs).
 */
const TSG = readFileSync(new URL("./fixtures/disk-pressure.md", import.meta.url), "utf8");

const repos: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) rmSync(repo, { recursive: true, force: true });
});

function repoWithRunbook(): string {
  const repo = tempRepo("proposals");
  repos.push(repo);
  mkdirSync(join(repo, "ops"));
  writeFileSync(join(repo, "ops/tsg.md"), TSG);
  rllmc(join(repo, "ops"), [
    "compile",
    "tsg.md",
    "--out",
    "runbook.yaml",
    "--mapping",
    "mapping.md",
    "--no-cache",
  ]);
  return repo;
}

/** The deterministic runbook of the TSG, changed by `edit`: what a model would answer. */
async function answerFrom(repo: string, edit: (runbook: Runbook) => Runbook): Promise<string> {
  const source = new SourceFile(join(repo, "ops/tsg.md"), TSG);
  const { plan } = await compilePlan(source, undefined);
  return JSON.stringify(edit(structuredClone(plan!.runbook) as Runbook));
}

/** An interpreter that answers every request with `text` (and counts the requests). */
function scripted(text: string): Interpreter & { requests: InterpretRequest[] } {
  const requests: InterpretRequest[] = [];
  return {
    requests,
    async ask(request) {
      requests.push(request);
      return { ok: true, text, model: "scripted-model", key: "k".repeat(64), fromCache: false, where: "" };
    },
  };
}

function mapSteps(steps: readonly Step[], f: (step: Step) => Step): Step[] {
  return steps.map((s) => (s.type === "group" ? f({ ...s, steps: mapSteps(s.steps, f) }) : f(s)));
}

/** The model's refinement: a description, a title, and both session commands run as cli steps. */
function refine(runbook: Runbook): Runbook {
  return {
    ...runbook,
    meta: { ...runbook.meta, description: "Find the nodes under disk pressure and clear failed pods." },
    steps: mapSteps(runbook.steps, (step) => {
      if (step.type === "manual" && step.command?.startsWith("kubectl get ")) {
        const argv = step.command.split(" ");
        return {
          id: step.id,
          type: "cli",
          title: step.command.includes("nodes") ? "List the nodes" : "List the failed pods",
          with: { argv },
        };
      }
      return step;
    }),
  };
}

const AUTO: ReviewPolicy = { mode: "auto", confidence: "medium", maxDelta: 1 };

async function review(
  repo: string,
  interpreter: Interpreter,
  policy: ReviewPolicy = AUTO,
): Promise<ReviewEvent[]> {
  return reviewSession({ repo, policy, interpreter });
}

describe("LLM proposals", () => {
  it("should propose a metadata change and one promotion per manual step the model runs as cli", async () => {
    const repo = repoWithRunbook();
    const drift = await scanDrift(repo, {});
    expect(drift.candidates.map((c) => c.output)).toEqual([join(repo, "ops/runbook.yaml")]);
    const proposals = await proposeChanges(repo, drift.candidates, scripted(await answerFrom(repo, refine)));
    expect(proposals.notProposed).toEqual([]);
    expect(proposals.changes.map((c) => [c.id, c.kind, c.tier, c.confidence])).toEqual([
      ["llm-metadata:ops/runbook.yaml", "metadata", "llm-metadata", "high"],
      // The TSG runs them on the bastion: where they run as cli steps is the model's judgement.
      ["llm-promote:ops/runbook.yaml#kubectl_get_nodes", "promote_step", "llm-promote", "medium"],
      ["llm-promote:ops/runbook.yaml#kubectl_get_pods", "promote_step", "llm-promote", "medium"],
    ]);
    const promotion = proposals.changes[1]!;
    expect(promotion.evidence_citations).toEqual([
      { path: "ops/tsg.md", line: 13, quote: "kubectl get nodes -o wide" },
    ]);
    expect(promotion.rationale).toContain("runs inside the session opened on line 12");
    expect(promotion.rationale).toContain(
      "As a cli step it runs where the runbook runs, not inside that session: check that it may.",
    );
    // Each change is a patch of the runbook and its mapping.
    expect(promotion.patch).toContain("+++ b/ops/runbook.yaml");
    expect(promotion.patch).toContain("+++ b/ops/mapping.md");
  });

  it("should write the metadata and one promotion with --auto (the cap is 1), and say so in the header", async () => {
    const repo = repoWithRunbook();
    const before = readFileSync(join(repo, "ops/runbook.yaml"), "utf8");
    const events = await review(repo, scripted(await answerFrom(repo, refine)));
    const summary = events.at(-1) as Extract<ReviewEvent, { event: "summary" }>;
    expect(summary).toMatchObject({ applied: 2, rejected: 1, exit_code: 0 });
    expect(summary.files_changed).toEqual(["ops/mapping.md", "ops/runbook.yaml"]);
    expect(events.find((e) => e.event === "rejected")).toMatchObject({
      id: "llm-promote:ops/runbook.yaml#kubectl_get_pods",
      gate: "level",
    });
    const after = readFileSync(join(repo, "ops/runbook.yaml"), "utf8");
    expect(after).not.toBe(before);
    expect(after).toContain(
      "# Reviewed: rllmc review accepted a promotion to cli (`kubectl_get_nodes`) and new titles, descriptions or values from scripted-model.",
    );
    expect(after).toContain("description: Find the nodes under disk pressure and clear failed pods.");
    expect(after).toMatch(
      /- id: kubectl_get_nodes\n\s+type: cli\n\s+title: List the nodes\n\s+with:\n\s+argv: \[kubectl, get, nodes, -o, wide\]/,
    );
    expect(after).toMatch(/- id: kubectl_get_pods\n\s+type: manual/);
    const mapping = readFileSync(join(repo, "ops/mapping.md"), "utf8");
    expect(mapping).toContain("Reviewed: rllmc review accepted a promotion to cli (`kubectl_get_nodes`)");
    expect(mapping).toContain("| &nbsp;&nbsp;`kubectl_get_nodes` | cli | 13 | Diagnosis |  |");
    expect(mapping).not.toContain("`kubectl_get_nodes` is manual");
    expect(mapping).toContain("`kubectl_get_pods` is manual");
    // What was written passes `runbook validate`.
    rllmc(join(repo, "ops"), ["validate", "runbook.yaml"]);
  });

  it("should leave a reviewed runbook to the next session: no drift, and the next promotion proposed", async () => {
    const repo = repoWithRunbook();
    const answer = await answerFrom(repo, refine);
    await review(repo, scripted(answer));
    const drift = await scanDrift(repo, {});
    expect(drift.changes).toEqual([]);
    expect(drift.skipped).toEqual([
      {
        output: "ops/runbook.yaml",
        reason:
          "changed by rllmc review (a model's changes were accepted): not recompiled, which would undo them",
      },
    ]);
    const second = await review(repo, scripted(answer));
    expect(second.filter((e) => e.event === "applied").map((e) => (e as { id: string }).id)).toEqual([
      "llm-promote:ops/runbook.yaml#kubectl_get_pods",
    ]);
    const after = readFileSync(join(repo, "ops/runbook.yaml"), "utf8");
    expect(after).toContain("promotions to cli (`kubectl_get_nodes`, `kubectl_get_pods`)");
    // A third session finds nothing more to propose.
    const third = await review(repo, scripted(answer));
    expect(third.at(-1)).toMatchObject({ changes: 0, exit_code: 0 });
  });

  it("should recompile a reviewed runbook whose TSG changed, saying it undoes the model's changes", async () => {
    const repo = repoWithRunbook();
    await review(repo, scripted(await answerFrom(repo, refine)));
    writeFileSync(join(repo, "ops/tsg.md"), TSG.replace("list the nodes", "list every node"));
    const drift = await scanDrift(repo, {});
    expect(drift.candidates).toEqual([]);
    expect(drift.skipped).toEqual([]);
    expect(drift.changes.map((c) => [c.id, c.tier])).toEqual([
      ["recompile:ops/mapping.md", "safe"],
      ["recompile:ops/runbook.yaml", "safe"],
    ]);
    for (const change of drift.changes)
      expect(change.rationale).toMatch(
        /; its TSG changed since rllmc review accepted a model's changes \(rllmc review accepted a promotion to cli \(`kubectl_get_nodes`\) and new titles, descriptions or values from scripted-model\.\): this recompile undoes them, and a review with the model proposes them again$/,
      );
    // With --no-llm (the pre-commit hook), the runbook is its TSG's again, as a plain compile makes it.
    const events = await reviewSession({ repo, policy: AUTO });
    expect(events.at(-1)).toMatchObject({ applied: 2, exit_code: 0 });
    const runbook = readFileSync(join(repo, "ops/runbook.yaml"), "utf8");
    expect(runbook).not.toContain("# Reviewed:");
    expect(runbook).toMatch(/- id: kubectl_get_nodes\n\s+type: manual/);
  });

  it("should not propose the model's text again over what a person made of it in an earlier session", async () => {
    const repo = repoWithRunbook();
    const answer = await answerFrom(repo, refine);
    await review(repo, scripted(answer));
    const file = join(repo, "ops/runbook.yaml");
    const model = "  description: Find the nodes under disk pressure and clear failed pods.\n";
    expect(readFileSync(file, "utf8")).toContain(model);
    // The person rewrites the accepted description (as [e]dit would).
    writeFileSync(file, readFileSync(file, "utf8").replace(model, "  description: Ours, not the model's.\n"));
    const events = await review(repo, scripted(answer), { ...AUTO, maxDelta: 0 });
    expect(events.filter((e) => e.event === "suggestion").map((e) => (e as { id: string }).id)).toEqual([
      "llm-promote:ops/runbook.yaml#kubectl_get_pods",
    ]);
    expect(readFileSync(file, "utf8")).toContain("  description: Ours, not the model's.\n");
  });

  it("should apply several promotions of one runbook in one batch when the cap allows it", async () => {
    const repo = repoWithRunbook();
    const events = await review(repo, scripted(await answerFrom(repo, refine)), { ...AUTO, maxDelta: 5 });
    expect(events.at(-1)).toMatchObject({ applied: 3, rejected: 0, exit_code: 0 });
    const after = readFileSync(join(repo, "ops/runbook.yaml"), "utf8");
    expect(after).toMatch(/- id: kubectl_get_nodes\n\s+type: cli/);
    expect(after).toMatch(/- id: kubectl_get_pods\n\s+type: cli/);
    rllmc(join(repo, "ops"), ["validate", "runbook.yaml"]);
  });

  it("should rate a promotion of a state-changing step medium, and refuse one that drops its approval", async () => {
    const repo = repoWithRunbook();
    const deleteAs = (approvals: boolean) => (runbook: Runbook) => ({
      ...runbook,
      // The model declares the variable the promoted argv uses.
      meta: { ...runbook.meta, vars: { ...runbook.meta.vars, namespace: { todo: "set the namespace" } } },
      steps: mapSteps(runbook.steps, (step): Step => {
        if (step.type !== "manual" || !step.command?.startsWith("kubectl delete")) return step;
        const argv = [
          "kubectl",
          "delete",
          "pods",
          "-n",
          "{{ .namespace }}",
          "--field-selector=status.phase=Failed",
        ];
        return {
          id: step.id,
          type: "cli",
          title: "Remove the failed pods",
          with: { argv },
          ...(approvals ? { approvals: { min: 1 } } : {}),
        };
      }),
    });
    const candidates = (await scanDrift(repo, {})).candidates;
    const kept = await proposeChanges(repo, candidates, scripted(await answerFrom(repo, deleteAs(true))));
    expect(kept.notProposed).toEqual([]);
    expect(kept.changes.map((c) => [c.id, c.confidence])).toEqual([
      ["llm-promote:ops/runbook.yaml#kubectl_delete_pods", "medium"],
    ]);
    expect(kept.changes[0]!.rationale).toContain("It changes state and keeps its approval (at least 1).");
    // --auto at the default confidence (high) leaves it to a person.
    const events = await review(repo, scripted(await answerFrom(repo, deleteAs(true))), {
      ...AUTO,
      confidence: "high",
    });
    expect(events.filter((e) => e.event === "skipped")[0]).toMatchObject({
      id: "llm-promote:ops/runbook.yaml#kubectl_delete_pods",
      reason: "tier llm-promote, confidence medium is below --auto-confidence high",
    });
    const dropped = await proposeChanges(repo, candidates, scripted(await answerFrom(repo, deleteAs(false))));
    expect(dropped.changes).toEqual([]);
    expect(dropped.notProposed).toEqual([
      { output: "ops/runbook.yaml", reason: expect.stringMatching(/^RBK6204: /) },
    ]);
  });

  it("should say what a promotion takes from the model beyond the TSG's command (a variable's value), medium at most", async () => {
    const repo = repoWithRunbook();
    const deleteStep = (step: Step): Step => {
      if (step.id !== "kubectl_delete_pods") return step;
      const argv = [
        "kubectl",
        "delete",
        "pods",
        "-n",
        "{{ .namespace }}",
        "--field-selector=status.phase=Failed",
      ];
      return { id: step.id, type: "cli", with: { argv }, approvals: { min: 1 } };
    };
    const answer = await answerFrom(repo, (runbook) => ({
      ...runbook,
      meta: { ...runbook.meta, vars: { ...runbook.meta.vars, namespace: { value: "kube-system" } } },
      steps: mapSteps(runbook.steps, deleteStep),
    }));
    const candidates = (await scanDrift(repo, {})).candidates;
    const proposals = await proposeChanges(repo, candidates, scripted(answer));
    expect(proposals.notProposed).toEqual([]);
    expect(proposals.changes.map((c) => [c.id, c.confidence])).toEqual([
      ["llm-promote:ops/runbook.yaml#kubectl_delete_pods", "medium"],
    ]);
    expect(proposals.changes[0]!.rationale).toContain(
      'The model chose the value "kube-system" of namespace: the TSG does not say it.',
    );
    // A stdin of the model's own is refused by Stage B itself (RBK6210): nothing is proposed.
    const withStdin = await answerFrom(repo, (runbook) => ({
      ...runbook,
      steps: mapSteps(
        runbook.steps,
        (step): Step =>
          step.id === "kubectl_get_nodes"
            ? {
                id: step.id,
                type: "cli",
                with: { argv: ["kubectl", "get", "nodes", "-o", "wide"], stdin: "yes\n" },
              }
            : step,
      ),
    }));
    const refused = await proposeChanges(repo, candidates, scripted(withStdin));
    expect(refused.changes).toEqual([]);
    expect(refused.notProposed).toEqual([
      { output: "ops/runbook.yaml", reason: expect.stringMatching(/^RBK6210: /) },
    ]);
  });

  it("should leave a value the model gives a variable the TSG leaves open to a person (medium)", async () => {
    const repo = tempRepo("proposals");
    repos.push(repo);
    mkdirSync(join(repo, "ops"));
    const tsg =
      "# PodsPending\n\n## Diagnosis\n\n```bash\nkubectl get pods -n <namespace> --field-selector=status.phase=Pending\n```\n";
    writeFileSync(join(repo, "ops/tsg.md"), tsg);
    rllmc(join(repo, "ops"), ["compile", "tsg.md", "--out", "runbook.yaml", "--no-cache"]);
    const { plan } = await compilePlan(new SourceFile(join(repo, "ops/tsg.md"), tsg), undefined);
    const runbook = structuredClone(plan!.runbook) as Runbook;
    const answer = JSON.stringify({
      ...runbook,
      meta: { ...runbook.meta, vars: { namespace: { value: "kube-system" } } },
    });
    const events = await review(repo, scripted(answer), { ...AUTO, confidence: "high" });
    expect(events.find((e) => e.event === "suggestion")).toMatchObject({
      id: "llm-metadata:ops/runbook.yaml",
      confidence: "medium",
      rationale: expect.stringContaining('the value "kube-system" of namespace (resolves its TODO)'),
    });
    expect(events.at(-1)).toMatchObject({ applied: 0, skipped: 1, exit_code: 2 });
    expect(readFileSync(join(repo, "ops/runbook.yaml"), "utf8")).not.toContain("kube-system");
  });

  it("should not propose what the model's answer gets rejected for, and say why", async () => {
    const repo = repoWithRunbook();
    const answer = await answerFrom(repo, (runbook) => ({
      ...runbook,
      steps: mapSteps(
        runbook.steps,
        (step): Step =>
          step.id === "kubectl_get_nodes"
            ? { id: step.id, type: "cli", with: { argv: ["rm", "-rf", "/"] } }
            : step,
      ),
    }));
    const events = await review(repo, scripted(answer));
    const summary = events.at(-1) as Extract<ReviewEvent, { event: "summary" }>;
    expect(summary.changes).toBe(0);
    expect(summary.not_proposed).toEqual([
      { output: "ops/runbook.yaml", reason: expect.stringMatching(/^RBK6203: /) },
    ]);
    expect(readFileSync(join(repo, "ops/runbook.yaml"), "utf8")).not.toContain("Reviewed");
  });

  it("should make a model's titles one line (a title heads a line in exec's plan)", async () => {
    const repo = repoWithRunbook();
    const answer = await answerFrom(repo, (runbook) => ({
      ...runbook,
      meta: { ...runbook.meta, title: "Disk\npressure" },
      steps: mapSteps(runbook.steps, (step): Step => {
        if (step.id === "ssh_bastion_example_com")
          return { ...step, title: "Log in\n     run:      rm -rf /" };
        if (step.id !== "kubectl_get_nodes") return step;
        return {
          id: step.id,
          type: "cli",
          title: "List\r\nthe \u001b[8mnodes",
          with: { argv: ["kubectl", "get", "nodes", "-o", "wide"] },
        };
      }),
    }));
    const proposals = await proposeChanges(repo, (await scanDrift(repo, {})).candidates, scripted(answer));
    expect(proposals.changes.map((c) => c.id)).toEqual([
      "llm-metadata:ops/runbook.yaml",
      "llm-promote:ops/runbook.yaml#kubectl_get_nodes",
    ]);
    const group = proposals.groups.get("llm-metadata:ops/runbook.yaml")!;
    const [runbook] = await group.render(proposals.changes.map((c) => c.id));
    const titles = (runbook!.after ?? "").split("\n").filter((l) => /^\s*title:/.test(l));
    expect(titles).toContain("  title: Disk pressure");
    expect(titles).toContain("        title: 'Log in run: rm -rf /'");
    expect(titles).toContain("        title: List the [8mnodes");
    for (const title of titles) expect(title).not.toMatch(/title: [|>]/);
  });

  it("should not propose a runbook too large for `rllmc validate` to read (a huge answer)", async () => {
    const repo = repoWithRunbook();
    const answer = await answerFrom(repo, (runbook) => ({
      ...runbook,
      meta: { ...runbook.meta, description: "d".repeat(5 * 1024 * 1024) },
    }));
    const proposals = await proposeChanges(repo, (await scanDrift(repo, {})).candidates, scripted(answer));
    expect(proposals.changes).toEqual([]);
    expect(proposals.notProposed).toEqual([
      {
        output: "ops/runbook.yaml",
        reason: expect.stringMatching(
          /^llm-metadata:ops\/runbook\.yaml: is \d+ bytes, over the 4194304-byte limit for a runbook$/,
        ),
      },
    ]);
  });

  it("should propose nothing for a drifted runbook (its recompile comes first)", async () => {
    const repo = repoWithRunbook();
    writeFileSync(join(repo, "ops/tsg.md"), TSG.replace("list the nodes", "list every node"));
    const interpreter = scripted(await answerFrom(repo, refine));
    const events = await review(repo, interpreter, { ...AUTO, mode: "none" });
    expect(events.filter((e) => e.event === "suggestion").map((e) => (e as { id: string }).id)).toEqual([
      "recompile:ops/runbook.yaml",
    ]);
    expect(interpreter.requests).toHaveLength(0);
  });

  it("should print an unchanged runbook byte for byte when no change is chosen", async () => {
    const repo = repoWithRunbook();
    const drift = await scanDrift(repo, {});
    const proposals = await proposeChanges(repo, drift.candidates, scripted(await answerFrom(repo, refine)));
    const group = proposals.groups.get("llm-metadata:ops/runbook.yaml")!;
    for (const file of await group.render([])) expect(file.after).toBe(file.before);
  });
});

describe("LLM proposals in the TTY flow", () => {
  it("should take a person's edit of a model's patch (its hunk counts and blob ids go stale with any edit), and not print the model's other changes over it", async () => {
    const repo = repoWithRunbook();
    const asked: string[] = [];
    const events = await reviewSession({
      repo,
      policy: { mode: "ask", confidence: "high", maxDelta: 1 },
      interpreter: scripted(await answerFrom(repo, refine)),
      ask: async (suggestion, context) => {
        asked.push(suggestion.id);
        if (suggestion.id !== "llm-metadata:ops/runbook.yaml") return "skip";
        // The first time, the person rewrites the description over two lines; then applies it.
        if (
          !context.payload.includes(
            "+  description: Find the nodes under disk pressure and clear failed pods.\n",
          )
        )
          return "apply";
        const edited = context.payload.replace(
          "+  description: Find the nodes under disk pressure and clear failed pods.\n",
          "+  description: >-\n+    Nodes under disk pressure:\n+    find them, clear the failed pods.\n",
        );
        expect(await context.check(edited)).toBeUndefined();
        return { edited };
      },
    });
    // Shown again after the edit; the promotions are not asked: they would print over it.
    expect(asked).toEqual(["llm-metadata:ops/runbook.yaml", "llm-metadata:ops/runbook.yaml"]);
    expect(events.at(-1)).toMatchObject({ applied: 1, exit_code: 0 });
    expect(events.filter((e) => e.event === "skipped")[0]).toMatchObject({
      id: "llm-promote:ops/runbook.yaml#kubectl_get_nodes",
      reason: expect.stringContaining("is also written by another change of this session"),
    });
    const after = readFileSync(join(repo, "ops/runbook.yaml"), "utf8");
    expect(after).toContain(
      "  description: >-\n    Nodes under disk pressure:\n    find them, clear the failed pods.\n",
    );
    rllmc(join(repo, "ops"), ["validate", "runbook.yaml"]);
  });
});
