import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildPatch } from "../../src/backend/patch.js";
import type { Change, StagedFile } from "../../src/driver/review/change-set.js";
import { evidenceGate, levelGate, schemaGate, validateGate } from "../../src/driver/review/gates.js";
import { EXAMPLES, rllmc, tempRepo } from "./temp-repo.js";

const repos: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) rmSync(repo, { recursive: true, force: true });
});

function repo(): string {
  const dir = tempRepo("gates");
  repos.push(dir);
  mkdirSync(join(dir, "ops"));
  copyFileSync(join(EXAMPLES, "pod-crashloop.md"), join(dir, "ops/tsg.md"));
  return dir;
}

const promote: Change = {
  id: "p1",
  kind: "promote_step",
  target: "ops/runbook.yaml",
  tier: "llm-promote",
  confidence: "high",
  rationale: "The command is a plain kubectl call.",
  evidence_citations: [
    { path: "ops/tsg.md", line: 29, quote: "kubectl describe pod <pod-name> -n $NAMESPACE" },
  ],
  content: "x\n",
};

describe("schemaGate", () => {
  it("should pass a valid change inside the repository", () => {
    expect(schemaGate(promote, repo())).toBeUndefined();
  });

  it.each([
    ["a target with '..'", { ...promote, target: "ops/../../x" }],
    ["an absolute target", { ...promote, target: "/etc/passwd" }],
    ["a target in .git", { ...promote, target: ".git/hooks/pre-commit" }],
    ["a citation outside", { ...promote, evidence_citations: [{ path: "../x" }] }],
    ["no id", { ...promote, id: "" }],
  ])("should reject %s", (_name, change) => {
    expect(schemaGate(change as Change, repo())).toMatchObject({ gate: "schema" });
  });

  it("should reject a target that resolves through a symlink out of the repository", () => {
    const dir = repo();
    const outside = tempRepo("outside");
    repos.push(outside);
    symlinkSync(outside, join(dir, "link"));
    const rejection = schemaGate({ ...promote, target: "link/runbook.yaml" }, dir);
    expect(rejection?.reason).toContain("symlink");
  });

  it("should reject a target that is a folder or a link", () => {
    const dir = repo();
    mkdirSync(join(dir, "ops/runbook.yaml"));
    expect(schemaGate(promote, dir)?.reason).toContain("is a folder");
    symlinkSync("tsg.md", join(dir, "ops/link.md"));
    expect(schemaGate({ ...promote, target: "ops/link.md" }, dir)?.reason).toContain("symlink");
  });

  it("should check every path a patch names, and that the target is one of them", () => {
    const dir = repo();
    const patch = buildPatch([{ path: "ops/a.md", before: undefined, after: "a\n" }]);
    const base = {
      ...promote,
      kind: "task_patch" as const,
      tier: "task" as const,
      content: undefined,
      patch,
    };
    expect(schemaGate({ ...base, target: "ops/a.md" }, dir)).toBeUndefined();
    expect(schemaGate({ ...base, target: "ops/b.md" }, dir)?.reason).toContain(
      "not a file the patch changes",
    );
    const escaping = buildPatch([{ path: ".git/config", before: undefined, after: "x\n" }]);
    expect(schemaGate({ ...base, target: ".git/config", patch: escaping }, dir)?.reason).toContain(".git");
  });
});

describe("evidenceGate", () => {
  it("should pass a promotion citing the TSG line that holds the command", () => {
    expect(evidenceGate(promote, repo())).toBeUndefined();
  });

  it("should pass a quote over lines joined by a continuation", () => {
    const change = {
      ...promote,
      evidence_citations: [
        {
          path: "ops/tsg.md",
          line: 25,
          end_line: 26,
          quote: "kubectl logs <pod-name> -n <namespace> --previous --tail=200",
        },
      ],
    };
    expect(evidenceGate(change, repo())).toBeUndefined();
  });

  it("should reject a promotion whose cited file is missing", () => {
    const change = {
      ...promote,
      evidence_citations: [{ ...promote.evidence_citations[0]!, path: "ops/gone.md" }],
    };
    expect(evidenceGate(change, repo())).toMatchObject({
      gate: "evidence",
      reason: expect.stringContaining("no such file"),
    });
  });

  it("should reject a promotion whose cited lines do not hold the quote", () => {
    const change = { ...promote, evidence_citations: [{ ...promote.evidence_citations[0]!, line: 17 }] };
    expect(evidenceGate(change, repo())).toMatchObject({
      gate: "evidence",
      reason: expect.stringContaining("does not contain"),
    });
  });

  it("should reject cited lines past the end of the file", () => {
    const change = { ...promote, evidence_citations: [{ ...promote.evidence_citations[0]!, line: 900 }] };
    expect(evidenceGate(change, repo())?.reason).toContain("not in the file");
  });

  it("should reject a promotion with no citation, or one without line and quote", () => {
    expect(evidenceGate({ ...promote, evidence_citations: [] }, repo())?.gate).toBe("evidence");
    expect(evidenceGate({ ...promote, evidence_citations: [{ path: "ops/tsg.md" }] }, repo())?.gate).toBe(
      "evidence",
    );
  });

  it("should reject a citation of another file than the TSG the runbook is compiled from", () => {
    const dir = repo();
    rllmc(join(dir, "ops"), ["compile", "tsg.md", "--out", "runbook.yaml", "--no-cache"]);
    expect(evidenceGate(promote, dir)).toBeUndefined();
    copyFileSync(join(dir, "ops/tsg.md"), join(dir, "ops/copy.md"));
    const change = {
      ...promote,
      evidence_citations: [{ ...promote.evidence_citations[0]!, path: "ops/copy.md" }],
    };
    expect(evidenceGate(change, dir)?.reason).toContain("is compiled from 'ops/tsg.md'");
  });

  it("should reject a citation of a file that is not Markdown when the runbook names no TSG", () => {
    const dir = repo();
    writeFileSync(join(dir, "ops/notes.txt"), readFileSync(join(dir, "ops/tsg.md")));
    const change = {
      ...promote,
      evidence_citations: [{ ...promote.evidence_citations[0]!, path: "ops/notes.txt" }],
    };
    expect(evidenceGate(change, dir)?.reason).toContain("Markdown");
  });

  it("should let other kinds pass", () => {
    expect(evidenceGate({ ...promote, kind: "metadata", evidence_citations: [] }, repo())).toBeUndefined();
  });
});

describe("levelGate", () => {
  const p = (id: string, target = "ops/runbook.yaml"): Change => ({ ...promote, id, target });

  it("should allow maxDelta promotions per runbook and reject the extras", () => {
    const changes = [p("a"), p("b"), p("c", "other/runbook.yaml"), { ...p("m"), kind: "metadata" as const }];
    expect(levelGate(changes, 1).map((r) => r.change)).toEqual(["b"]);
    expect(levelGate(changes, 2)).toEqual([]);
  });

  it("should reject every promotion with maxDelta 0", () => {
    const rejections = levelGate([p("a"), p("c", "other/runbook.yaml")], 0);
    expect(rejections.map((r) => [r.change, r.gate])).toEqual([
      ["a", "level"],
      ["c", "level"],
    ]);
  });
});

describe("validateGate", () => {
  it("should refuse a compiled module or declaration file that does not parse, and pass one that does", async () => {
    const dir = repo();
    const module = (path: string, after: string): StagedFile => ({ path, before: undefined, after });
    expect(await validateGate([module("gen/app.mjs", "export const a = 1;\n")], dir)).toEqual([]);
    expect(await validateGate([module("gen/app.d.mts", "export declare const a: number;\n")], dir)).toEqual(
      [],
    );
    const [broken] = await validateGate([module("gen/app.mjs", "export const a = ;\n")], dir);
    expect(broken).toMatchObject({ change: "gen/app.mjs", gate: "validate" });
    expect(broken?.reason).toMatch(/^1:18 TS1109: Expression expected/);
    const [types] = await validateGate([module("gen/app.d.mts", "export declare const a: ;\n")], dir);
    expect(types?.reason).toMatch(/^1:\d+ TS\d+: /);
  });

  function compiled(): string {
    const dir = repo();
    rllmc(join(dir, "ops"), [
      "compile",
      "tsg.md",
      "--out",
      "runbook.yaml",
      "--mapping",
      "mapping.md",
      "--no-cache",
    ]);
    return dir;
  }
  const staged = (dir: string, path: string, after: string | undefined): StagedFile => ({
    path,
    before: readFileSync(join(dir, path), "utf8"),
    after,
  });

  it("should pass a valid runbook and its mapping", async () => {
    const dir = compiled();
    const runbook = readFileSync(join(dir, "ops/runbook.yaml"), "utf8");
    const mapping = readFileSync(join(dir, "ops/mapping.md"), "utf8");
    expect(
      await validateGate(
        [staged(dir, "ops/runbook.yaml", runbook), staged(dir, "ops/mapping.md", mapping)],
        dir,
      ),
    ).toEqual([]);
  });

  it("should reject a broken runbook, naming the file and the first error", async () => {
    const dir = compiled();
    const broken = readFileSync(join(dir, "ops/runbook.yaml"), "utf8").replace("type: cli", "type: shell");
    const rejections = await validateGate([staged(dir, "ops/runbook.yaml", broken)], dir);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({ change: "ops/runbook.yaml", gate: "validate" });
    expect(rejections[0]?.reason).toMatch(/^\d+:\d+ [A-Z]+\d+: /);
  });

  it("should check a runbook replaced by text that does not look like one as a runbook", async () => {
    const dir = compiled();
    const rejections = await validateGate([staged(dir, "ops/runbook.yaml", "x\n")], dir);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({ change: "ops/runbook.yaml", gate: "validate" });
  });

  it("should reject a runbook that breaks policy (Stage C), not only the schema", async () => {
    const dir = compiled();
    const text = readFileSync(join(dir, "ops/runbook.yaml"), "utf8");
    const duplicate = text.replace("id: kubectl_logs", "id: kubectl_get_pods");
    const rejections = await validateGate([staged(dir, "ops/runbook.yaml", duplicate)], dir);
    expect(rejections).toHaveLength(1);
  });

  it("should reject a mapping whose TSG is gone or that names another runbook", async () => {
    const dir = compiled();
    const mapping = readFileSync(join(dir, "ops/mapping.md"), "utf8");
    const renamed = mapping.replace("→ runbook `KubePodCrashLooping`", "→ runbook `Other`");
    expect((await validateGate([staged(dir, "ops/mapping.md", renamed)], dir))[0]?.reason).toContain("Other");
    const tsg: StagedFile = { path: "ops/tsg.md", before: "x", after: undefined };
    expect((await validateGate([tsg, staged(dir, "ops/mapping.md", mapping)], dir))[0]?.reason).toContain(
      "does not exist",
    );
  });

  it("should check an app with loadSource's checks, naming the first error", async () => {
    const dir = repo();
    const app = readFileSync(join(EXAMPLES, "extract_keywords.rllm"), "utf8");
    writeFileSync(join(dir, "app.rllm"), app);
    const ok: StagedFile = { path: "app.rllm", before: app, after: app };
    expect(await validateGate([ok], dir)).toEqual([]);
    const broken: StagedFile = {
      path: "app.rllm",
      before: app,
      after: app.replace("input_schema:", "input_schemaa:"),
    };
    const rejections = await validateGate([broken], dir);
    expect(rejections[0]?.reason).toMatch(/^\d+:\d+ [A-Z]+\d+: /);
  });

  it("should not check a deleted file, and refuse text with a NUL", async () => {
    const dir = repo();
    expect(await validateGate([{ path: "ops/tsg.md", before: "x", after: undefined }], dir)).toEqual([]);
    expect(
      (await validateGate([{ path: "notes.txt", before: undefined, after: "a\0b" }], dir))[0]?.reason,
    ).toContain("NUL");
  });
});
