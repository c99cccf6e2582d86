import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findDrift, scanDrift } from "../../src/driver/review/drift.js";
import { UsageError } from "../../src/driver/usage-error.js";
import { EXAMPLES, git, rllmc, tempRepo } from "./temp-repo.js";

const repos: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) rmSync(repo, { recursive: true, force: true });
});

function repoWithTsg(): string {
  const repo = tempRepo("drift");
  repos.push(repo);
  mkdirSync(join(repo, "ops"));
  copyFileSync(join(EXAMPLES, "pod-crashloop.md"), join(repo, "ops/tsg.md"));
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

function editTsg(repo: string, path = "ops/tsg.md"): void {
  const file = join(repo, path);
  writeFileSync(
    file,
    // A new paragraph: the step's title changes, and the lines after it move (the mapping cites them).
    readFileSync(file, "utf8").replace(
      "Check the pod's status:",
      "First look around.\n\nCheck the status of the pod:",
    ),
  );
}

describe("findDrift", () => {
  it("should find nothing when every output matches its source", async () => {
    const repo = repoWithTsg();
    const scan = await scanDrift(repo, {});
    expect({ changes: scan.changes, skipped: scan.skipped }).toEqual({ changes: [], skipped: [] });
    // The runbook is as its TSG makes it: the model may propose changes to it.
    expect(scan.candidates).toEqual([
      expect.objectContaining({
        output: join(repo, "ops/runbook.yaml"),
        source: join(repo, "ops/tsg.md"),
        mapping: join(repo, "ops/mapping.md"),
        reviewed: false,
      }),
    ]);
  });

  it("should propose the fresh compile of a TSG edited after its runbook and mapping were compiled", async () => {
    const repo = repoWithTsg();
    editTsg(repo);
    const changes = await findDrift(repo, {});
    expect(changes.map((c) => c.target)).toEqual(["ops/mapping.md", "ops/runbook.yaml"]);
    for (const change of changes)
      expect(change).toMatchObject({
        id: `recompile:${change.target}`,
        kind: "recompile",
        tier: "safe",
        confidence: "high",
        evidence_citations: [{ path: "ops/tsg.md" }],
      });
    expect(changes[1]?.rationale).toContain("ops/tsg.md");

    // The content is what the CLI writes for the edited TSG.
    rllmc(join(repo, "ops"), [
      "compile",
      "tsg.md",
      "--out",
      "runbook.yaml",
      "--mapping",
      "mapping.md",
      "--no-cache",
    ]);
    expect(changes[0]?.content).toBe(readFileSync(join(repo, "ops/mapping.md"), "utf8"));
    expect(changes[1]?.content).toBe(readFileSync(join(repo, "ops/runbook.yaml"), "utf8"));
    expect(await findDrift(repo, {})).toEqual([]);
  });

  it("should find the outputs of an --out-dir batch by their headers", async () => {
    const repo = tempRepo("outdir");
    repos.push(repo);
    mkdirSync(join(repo, "tsgs"));
    copyFileSync(join(EXAMPLES, "pod-crashloop.md"), join(repo, "tsgs/pod.md"));
    writeFileSync(join(repo, "tsgs/other.md"), "# Other\n\n## Steps\n\n```bash\nkubectl get nodes\n```\n");
    rllmc(repo, ["compile", "tsgs", "--out-dir", "out", "--no-cache"]);
    expect(await findDrift(repo, {})).toEqual([]);
    editTsg(repo, "tsgs/pod.md");
    const changes = await findDrift(repo, {});
    expect(changes.map((c) => c.target)).toEqual(["out/pod/mapping.md", "out/pod/runbook.yaml"]);
  });

  it("should propose a compiled app module whose .rllm changed, both files, as the CLI compiles them", async () => {
    const repo = tempRepo("app");
    repos.push(repo);
    copyFileSync(join(EXAMPLES, "extract_keywords.rllm"), join(repo, "app.rllm"));
    rllmc(repo, ["compile", "app.rllm"]);
    expect(await findDrift(repo, {})).toEqual([]);
    const app = join(repo, "app.rllm");
    writeFileSync(app, readFileSync(app, "utf8").replace("most important first.", "most important first!"));
    const changes = await findDrift(repo, {});
    expect(changes.map((c) => c.target)).toEqual(["app.d.mts", "app.mjs"]);
    expect(changes[1]?.evidence_citations).toEqual([{ path: "app.rllm" }]);
    rllmc(repo, ["compile", "app.rllm"]);
    expect(changes[0]?.content).toBe(readFileSync(join(repo, "app.d.mts"), "utf8"));
    expect(changes[1]?.content).toBe(readFileSync(join(repo, "app.mjs"), "utf8"));
  });

  it("should recompile a uses tree compiled under --out-dir once, and find a child's drift", async () => {
    const repo = tempRepo("tree");
    repos.push(repo);
    mkdirSync(join(repo, "apps"));
    for (const name of ["compose_summary_keywords.rllm", "summary.rllm", "extract_keywords.rllm"])
      copyFileSync(join(EXAMPLES, name), join(repo, "apps", name));
    rllmc(repo, [
      "compile",
      "apps/compose_summary_keywords.rllm",
      "--out-dir",
      "gen",
      "--runtime-import",
      "rllmc/runtime",
    ]);
    expect(await scanDrift(repo, {})).toEqual({ changes: [], skipped: [], candidates: [] });
    const child = join(repo, "apps/summary.rllm");
    writeFileSync(child, readFileSync(child, "utf8").replace("---\n", "---\n# a comment\n"));
    const app = join(repo, "apps/extract_keywords.rllm");
    writeFileSync(app, readFileSync(app, "utf8").replace("most important first.", "most important first!"));
    const changes = await findDrift(repo, {});
    expect(changes.map((c) => c.target)).toEqual(["gen/extract_keywords.d.mts", "gen/extract_keywords.mjs"]);
    expect(changes[1]?.evidence_citations).toEqual([{ path: "apps/extract_keywords.rllm" }]);
  });

  it("should recompile a runbook printed to stdout and redirected, and a mapping written alone", async () => {
    const repo = tempRepo("stdout");
    repos.push(repo);
    mkdirSync(join(repo, "ops"));
    copyFileSync(join(EXAMPLES, "pod-crashloop.md"), join(repo, "ops/tsg.md"));
    const ops = join(repo, "ops");
    writeFileSync(join(ops, "runbook.yaml"), rllmc(ops, ["compile", "tsg.md", "--no-cache"]));
    mkdirSync(join(repo, "report"));
    rllmc(ops, ["compile", "tsg.md", "--mapping", "../report/mapping.md", "--no-cache"]);
    expect(await scanDrift(repo, {})).toMatchObject({ changes: [], skipped: [] });
    editTsg(repo);
    const changes = await findDrift(repo, {});
    expect(changes.map((c) => c.target)).toEqual(["ops/runbook.yaml", "report/mapping.md"]);
    expect(changes[0]?.content).toBe(rllmc(ops, ["compile", "tsg.md", "--no-cache"]));
    rllmc(ops, ["compile", "tsg.md", "--mapping", "../report/mapping.md", "--no-cache"]);
    expect(changes[1]?.content).toBe(readFileSync(join(repo, "report/mapping.md"), "utf8"));
  });

  it("should report, not recompile, an output made with an LLM mode", async () => {
    const repo = repoWithTsg();
    const file = join(repo, "ops/runbook.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        "# Regenerate with: runbook compile tsg.md --out runbook.yaml --mapping mapping.md",
        "# Regenerate with: runbook compile tsg.md --out runbook.yaml --mapping mapping.md --llm cached --model m",
      ),
    );
    editTsg(repo);
    const scan = await scanDrift(repo, {});
    expect(scan.changes).toEqual([]);
    expect(scan.skipped.map((s) => s.output)).toEqual(["ops/mapping.md", "ops/runbook.yaml"]);
    expect(scan.skipped[1]?.reason).toContain("--llm cached");
  });

  it("should report an output whose source is gone", async () => {
    const repo = repoWithTsg();
    rmSync(join(repo, "ops/tsg.md"));
    const scan = await scanDrift(repo, {});
    expect(scan.changes).toEqual([]);
    expect(scan.skipped.map((s) => s.output)).toEqual(["ops/runbook.yaml"]);
  });

  it("should not read a source an edited header names outside the repository, by path or by symlink", async () => {
    const repo = repoWithTsg();
    const elsewhere = tempRepo("elsewhere");
    repos.push(elsewhere);
    copyFileSync(join(EXAMPLES, "pod-crashloop.md"), join(elsewhere, "secret.md"));
    editTsg(elsewhere, "secret.md");
    symlinkSync(join(elsewhere, "secret.md"), join(repo, "ops/link.md"));
    const runbook = join(repo, "ops/runbook.yaml");
    const text = readFileSync(runbook, "utf8");
    for (const source of [relative(join(repo, "ops"), join(elsewhere, "secret.md")), "link.md"]) {
      writeFileSync(runbook, text.replaceAll("tsg.md", source));
      const scan = await scanDrift(repo, {});
      expect(scan.changes.map((c) => c.target)).toEqual([]);
      expect(scan.skipped).toEqual([
        { output: "ops/runbook.yaml", reason: expect.stringContaining("is outside the repository") },
      ]);
    }
  });

  it("should look only at the given paths", async () => {
    const repo = repoWithTsg();
    editTsg(repo);
    expect(await findDrift(repo, { paths: ["elsewhere"] })).toEqual([]);
    expect((await findDrift(repo, { paths: ["ops/tsg.md"] })).length).toBe(2);
    expect((await findDrift(repo, { paths: ["ops"] })).length).toBe(2);
  });
});

describe("findDrift --from-git-since", () => {
  it("should take only outputs whose source or itself changed since the ref", async () => {
    const repo = repoWithTsg();
    mkdirSync(join(repo, "ops2"));
    copyFileSync(join(repo, "ops/tsg.md"), join(repo, "ops2/tsg.md"));
    rllmc(join(repo, "ops2"), ["compile", "tsg.md", "--out", "runbook.yaml", "--no-cache"]);
    git(repo, ["init", "-q", "-b", "main"]);
    git(repo, ["add", "."]);
    git(repo, ["commit", "-q", "-m", "base"]);
    // ops2's output drifts without its source changing: hand-edited, then committed.
    const stale = join(repo, "ops2/runbook.yaml");
    writeFileSync(stale, `${readFileSync(stale, "utf8")}# hand edit\n`);
    git(repo, ["commit", "-q", "-am", "hand edit"]);
    editTsg(repo);

    const since = await findDrift(repo, { sinceRef: "HEAD" });
    expect(since.map((c) => c.target)).toEqual(["ops/mapping.md", "ops/runbook.yaml"]);
    const whole = await findDrift(repo, {});
    expect(whole.map((c) => c.target)).toEqual(["ops/mapping.md", "ops/runbook.yaml", "ops2/runbook.yaml"]);
    const older = await findDrift(repo, { sinceRef: "HEAD~1" });
    expect(older.map((c) => c.target)).toEqual(whole.map((c) => c.target));
  });

  it("should be a usage error for a ref git does not know", async () => {
    const repo = repoWithTsg();
    git(repo, ["init", "-q"]);
    await expect(findDrift(repo, { sinceRef: "no-such-ref" })).rejects.toBeInstanceOf(UsageError);
    await expect(findDrift(repo, { sinceRef: "--output=/tmp/x" })).rejects.toBeInstanceOf(UsageError);
  });
});
