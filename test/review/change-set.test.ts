import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { buildPatch } from "../../src/backend/patch.js";
import { type Change, readChanges, resolveChange } from "../../src/driver/review/change-set.js";
import { tempRepo } from "./temp-repo.js";

const repos: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) rmSync(repo, { recursive: true, force: true });
});

const good: Change = {
  id: "c1",
  kind: "metadata",
  target: "ops/runbook.yaml",
  tier: "llm-metadata",
  confidence: "high",
  rationale: "A clearer title.",
  evidence_citations: [{ path: "ops/tsg.md", line: 3, quote: "# Title" }],
  content: "new\n",
};

describe("readChanges", () => {
  it("should keep every valid change of a change set", () => {
    const { changes, rejections } = readChanges(
      JSON.stringify({ changes: [good, { ...good, id: "c2" }] }),
      "x.json",
    );
    expect(rejections).toEqual([]);
    expect(changes.map((c) => c.id)).toEqual(["c1", "c2"]);
  });

  it.each([
    ["a patch and a content", { ...good, patch: "diff --git a/x b/x\n" }],
    ["neither a patch nor a content", { ...good, content: undefined }],
    ["an unknown kind", { ...good, kind: "rewrite" }],
    ["an unknown tier", { ...good, tier: "yolo" }],
    ["a bad confidence", { ...good, confidence: "sure" }],
    ["a target with '..'", { ...good, target: "../etc/passwd" }],
    ["an absolute target", { ...good, target: "/etc/passwd" }],
    ["a citation line 0", { ...good, evidence_citations: [{ path: "a", line: 0 }] }],
    ["an extra field", { ...good, extra: 1 }],
    ["no rationale", { ...good, rationale: undefined }],
  ])("should reject a change with %s and keep the others", (_name, bad) => {
    const { changes, rejections } = readChanges(
      JSON.stringify({ changes: [bad, { ...good, id: "ok" }] }),
      "x.json",
    );
    expect(changes.map((c) => c.id)).toEqual(["ok"]);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({ change: "c1", gate: "schema" });
  });

  it("should say what a bad path is, not ajv's 'must NOT be valid'", () => {
    const { rejections } = readChanges(JSON.stringify({ changes: [{ ...good, target: "../x" }] }), "x.json");
    expect(rejections[0]?.reason).toBe(
      "/target must be a path relative to the repository root ('/'-separated, no '..' segment, not absolute)",
    );
  });

  it("should reject a second change with the same id", () => {
    const { changes, rejections } = readChanges(JSON.stringify({ changes: [good, good] }), "x.json");
    expect(changes).toHaveLength(1);
    expect(rejections[0]?.reason).toContain("second change");
  });

  it.each([
    ["text that is not JSON", "not json"],
    ["JSON without changes", "{}"],
    ["an array", "[]"],
  ])("should reject %s as a whole, named by its origin", (_name, text) => {
    const { changes, rejections } = readChanges(text, "in.json");
    expect(changes).toEqual([]);
    expect(rejections).toEqual([expect.objectContaining({ change: "in.json", gate: "schema" })]);
  });
});

describe("the task run stdout contract", () => {
  it("should read back as one task_patch change for the whole patch, tier task", () => {
    const patch = buildPatch([
      { path: "docs/a.md", before: "one\n", after: "one\ntwo\n" },
      { path: "docs/b.md", before: undefined, after: "new\n" },
    ]);
    const stdout = `---COMMIT_MSG---\ndocs: add b\n\nWhy.\n\nTracking: user=t\n---PATCH---\n${patch}`;
    const { changes, rejections } = readChanges(stdout, "-");
    expect(rejections).toEqual([]);
    expect(changes).toHaveLength(1);
    const change = changes[0] as Change;
    expect(change).toMatchObject({ kind: "task_patch", tier: "task", target: "docs/a.md", patch });
    expect(change.rationale).toBe("docs: add b\n\nWhy.\n\nTracking: user=t");

    const repo = tempRepo("task");
    repos.push(repo);
    mkdirSync(join(repo, "docs"));
    writeFileSync(join(repo, "docs/a.md"), "one\n");
    const resolved = resolveChange(change, repo);
    expect(resolved).toEqual({
      files: [
        { path: "docs/a.md", before: "one\n", after: "one\ntwo\n" },
        { path: "docs/b.md", before: undefined, after: "new\n" },
      ],
    });
  });

  it("should keep the CRs of a CRLF file's patch lines", () => {
    const patch = buildPatch([{ path: "w.txt", before: "a\r\n", after: "a\r\nb\r\n" }]);
    const { changes } = readChanges(`---COMMIT_MSG---\nfix: w\n---PATCH---\n${patch}`, "-");
    expect(changes[0]?.patch).toBe(patch);
  });

  it("should give no change for an empty patch", () => {
    expect(readChanges("---COMMIT_MSG---\nchore: nothing\n---PATCH---\n", "-")).toEqual({
      changes: [],
      rejections: [],
    });
  });

  it("should reject output without a ---PATCH--- line", () => {
    expect(readChanges("---COMMIT_MSG---\nhalf\n", "-").rejections[0]?.gate).toBe("schema");
  });
});

describe("resolveChange", () => {
  it("should take a content as the target's new text, with its current text", () => {
    const repo = tempRepo("content");
    repos.push(repo);
    mkdirSync(join(repo, "ops"));
    writeFileSync(join(repo, "ops/runbook.yaml"), "old\n");
    expect(resolveChange(good, repo)).toEqual({
      files: [{ path: "ops/runbook.yaml", before: "old\n", after: "new\n" }],
    });
  });

  it("should reject a patch that does not apply to the tree as it is", () => {
    const repo = tempRepo("stale");
    repos.push(repo);
    writeFileSync(join(repo, "a.md"), "changed meanwhile\n");
    const patch = buildPatch([{ path: "a.md", before: "one\n", after: "two\n" }]);
    const result = resolveChange(
      { ...good, kind: "task_patch", tier: "task", target: "a.md", content: undefined, patch },
      repo,
    );
    expect(result).toMatchObject({ rejection: { change: "c1", gate: "validate" } });
  });
});

describe("grammar/schemas/change-set.schema.json", () => {
  const schema = JSON.parse(
    readFileSync(new URL("../../grammar/schemas/change-set.schema.json", import.meta.url), "utf8"),
  ) as Record<string, unknown>;

  it("should describe every property, definition and branch", () => {
    const missing: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (typeof node !== "object" || node === null) return;
      const record = node as Record<string, unknown>;
      if (at !== "" && typeof record.description !== "string" && record.$ref === undefined) missing.push(at);
      for (const [key, value] of Object.entries((record.properties as object | undefined) ?? {}))
        walk(value, `${at}/properties/${key}`);
      for (const [key, value] of Object.entries((record.$defs as object | undefined) ?? {}))
        walk(value, `${at}/$defs/${key}`);
      if (record.items !== undefined) walk(record.items, `${at}/items`);
      for (const [i, branch] of ((record.oneOf as unknown[] | undefined) ?? []).entries())
        walk(branch, `${at}/oneOf/${i}`);
    };
    walk(schema, "");
    expect(missing).toEqual([]);
  });
});

describe("readChanges on any input", () => {
  it("should never throw, and give changes or rejections", () => {
    const json = fc.jsonValue().map((v) => JSON.stringify({ changes: [v] }));
    const task = fc.string().map((s) => `---COMMIT_MSG---\n${s}\n---PATCH---\ndiff --git a/x b/x\n${s}`);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          json,
          task,
        ),
        (text) => {
          const { changes, rejections } = readChanges(text, "p");
          expect(Array.isArray(changes) && Array.isArray(rejections)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("should read task output whose message lines end in CRLF, keeping the patch's bytes", () => {
    const patch = buildPatch([{ path: "a.md", before: undefined, after: "a\n" }]);
    const { changes } = readChanges(`---COMMIT_MSG---\r\nfix: a\r\n\r\nWhy.\r\n---PATCH---\r\n${patch}`, "-");
    expect(changes[0]).toMatchObject({
      kind: "task_patch",
      target: "a.md",
      rationale: "fix: a\n\nWhy.",
      patch,
    });
  });
});
