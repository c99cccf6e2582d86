/**
 * `rllmc review` and `rllmc init --hook|--makefile` through the bin, in temporary git
 * repositories: the non-TTY refusal, --auto on a drifted runbook, a task's stdout contract with
 * the tier/confidence rules, gate rejections and a failing --validate-cmd that leave the tree
 * byte-identical, the hook templates, and the JSON events' stable fields (docs/review.md).
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const EXAMPLE = join(ROOT, "examples/pod-crashloop.md");
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], cwd: string, input?: string) {
  const { NO_COLOR: _n, FORCE_COLOR: _f, ...env } = process.env;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...env, NO_COLOR: "1" },
    ...(input === undefined ? { stdio: ["ignore", "pipe", "pipe"] } : { input }),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** A git repository with one TSG compiled beside it (tsgs/crash.md → crash/runbook.yaml, mapping.md), committed. */
function repoWithRunbook(): string {
  const dir = mkdtempSync(join(tmpdir(), "rllmc-review-"));
  temps.push(dir);
  git(dir, "init", "-q");
  git(dir, "config", "user.email", "t@example.com");
  git(dir, "config", "user.name", "t");
  writeFileSync(join(dir, ".gitignore"), ".rllmc/\n");
  mkdirSync(join(dir, "tsgs"));
  cpSync(EXAMPLE, join(dir, "tsgs/crash.md"));
  writeFileSync(join(dir, "notes.txt"), "one\ntwo\nthree\n");
  const compiled = cli(["compile", "tsgs/crash.md", "--out-dir", "."], dir);
  expect(compiled.code, compiled.stderr).toBe(0);
  expect(existsSync(join(dir, "crash/runbook.yaml"))).toBe(true);
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "init");
  return dir;
}

/** Edits the TSG so that its runbook drifts: a new command in the diagnosis. */
function driftTsg(dir: string): void {
  appendFileSync(
    join(dir, "tsgs/crash.md"),
    "\n## Check events\n\n```bash\nkubectl get events -n <namespace>\n```\n",
  );
}

/** Every file of the tree but .git and the compile cache, with its bytes' hash. */
function treeHash(dir: string): string {
  const hash = createHash("sha256");
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const rel = relative(dir, path);
      if (rel === ".git" || rel === join(".rllmc", "cache")) continue;
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(`${rel}\0`).update(readFileSync(path)).update("\0");
    }
  };
  walk(dir);
  return hash.digest("hex");
}

type Event = Record<string, unknown> & { event: string };
const events = (stdout: string): Event[] =>
  stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Event);
const ofKind = (list: Event[], kind: string) => list.filter((e) => e.event === kind);

/** The task stdout contract for a change of notes.txt, made with git diff and then undone. */
function taskOutput(dir: string): string {
  writeFileSync(join(dir, "notes.txt"), "one\nTWO\nthree\n");
  const patch = git(dir, "diff", "--", "notes.txt");
  git(dir, "checkout", "--", "notes.txt");
  return `---COMMIT_MSG---\nfix(notes): capitalise two\n\nTracking: test\n---PATCH---\n${patch}`;
}

describe("rllmc review off a terminal", () => {
  it("should refuse to write without --auto or --yes: exit 2, the suggestions as JSON lines, nothing written", () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const before = treeHash(dir);
    const run = cli(["review"], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("not a terminal: nothing is written without --auto or --yes");
    expect(run.stderr).toMatch(/LLM proposals skipped: no model configured \(give --provider and --model/);
    const list = events(run.stdout);
    expect(ofKind(list, "suggestion").length).toBeGreaterThan(0);
    expect(ofKind(list, "applied")).toEqual([]);
    expect(ofKind(list, "skipped").length).toBe(ofKind(list, "suggestion").length);
    expect(list.at(-1)).toMatchObject({ event: "summary", applied: 0, exit_code: 2, files_changed: [] });
    expect(treeHash(dir)).toBe(before);
  });

  it("should recompile a drifted runbook with --auto, as one batch, and say so in the events", () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const run = cli(["review", "--auto", "--no-llm"], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("LLM proposals skipped: --no-llm");
    // What review wrote is what the CLI's own compile writes.
    const reviewed = readFileSync(join(dir, "crash/runbook.yaml"), "utf8");
    expect(cli(["compile", "tsgs/crash.md", "--out-dir", ".", "--no-cache"], dir).code).toBe(0);
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toBe(reviewed);
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toContain("kubectl");
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toContain("events");
    const list = events(run.stdout);
    const suggestion = ofKind(list, "suggestion").find((e) => e.target === "crash/runbook.yaml")!;
    expect(Object.keys(suggestion).sort()).toEqual(
      [
        "confidence",
        "diff",
        "event",
        "evidence_citations",
        "files",
        "id",
        "kind",
        "rationale",
        "target",
        "tier",
      ].sort(),
    );
    expect(suggestion).toMatchObject({ kind: "recompile", tier: "safe" });
    expect(suggestion.diff).toMatch(/^diff --git a\/crash\/runbook\.yaml/m);
    expect(ofKind(list, "applied").map((e) => e.id)).toEqual(ofKind(list, "suggestion").map((e) => e.id));
    const summary = list.at(-1)!;
    expect(Object.keys(summary).sort()).toEqual(
      [
        "applied",
        "changes",
        "event",
        "exit_code",
        "files_changed",
        "manual",
        "not_proposed",
        "not_recompiled",
        "rejected",
        "rolled_back",
        "skipped",
      ].sort(),
    );
    expect(summary).toMatchObject({
      event: "summary",
      skipped: 0,
      rejected: 0,
      rolled_back: false,
      exit_code: 0,
    });
    expect(summary.files_changed).toContain("crash/runbook.yaml");
    expect(existsSync(join(dir, ".rllmc/review")) ? readdirSync(join(dir, ".rllmc/review")) : []).toEqual([]);

    // A second review has nothing to do.
    const again = cli(["review", "--auto", "--no-llm"], dir);
    expect(again.code).toBe(0);
    expect(events(again.stdout).at(-1)).toMatchObject({ changes: 0, applied: 0, files_changed: [] });
  });

  it("should treat --yes as --auto", () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const run = cli(["review", "--yes", "--no-llm"], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(events(run.stdout).at(-1)).toMatchObject({ exit_code: 0 });
  });

  it("should be a usage error (exit 2) for a --repo that is not a folder", () => {
    const dir = repoWithRunbook();
    const run = cli(["review", "--auto", "--repo", join(dir, "missing")], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not a folder");
    expect(run.stdout).toBe("");
  });

  it("should exit 0 on a tree without drift without --auto too, refusing nothing", () => {
    const dir = repoWithRunbook();
    const run = cli(["review", "--no-llm"], dir);
    expect(run.code).toBe(0);
    expect(events(run.stdout)).toEqual([
      expect.objectContaining({ event: "summary", changes: 0, exit_code: 0 }),
    ]);
    expect(run.stderr).not.toContain("nothing is written");
  });

  it("should print nothing to do with exit 0 on a tree without drift", () => {
    const dir = repoWithRunbook();
    const run = cli(["review", "--auto", "--no-llm"], dir);
    expect(run.code).toBe(0);
    expect(events(run.stdout)).toEqual([
      {
        event: "summary",
        changes: 0,
        applied: 0,
        skipped: 0,
        rejected: 0,
        rolled_back: false,
        files_changed: [],
        manual: [],
        not_recompiled: [],
        not_proposed: [],
        exit_code: 0,
      },
    ]);
  });
});

describe("the scope of a review", () => {
  /** Two TSGs compiled and committed, then both edited (only the second after the tag 'base'). */
  function twoDrifted(): string {
    const dir = repoWithRunbook();
    cpSync(EXAMPLE, join(dir, "tsgs/other.md"));
    expect(cli(["compile", "tsgs/other.md", "--out-dir", "."], dir).code).toBe(0);
    driftTsg(dir);
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "two");
    git(dir, "tag", "base");
    git(dir, "checkout", "-q", "HEAD~1", "--", "tsgs/crash.md", "crash");
    git(dir, "commit", "-qm", "crash back");
    appendFileSync(
      join(dir, "tsgs/other.md"),
      "\n## More\n\n```bash\nkubectl top pods -n <namespace>\n```\n",
    );
    return dir;
  }

  it("should review only what changed since --from-git-since REF (git, on a real repository)", () => {
    const dir = twoDrifted();
    // Since 'base', tsgs/crash.md went back (its outputs too) and tsgs/other.md changed in the tree.
    driftTsg(dir);
    git(dir, "add", "tsgs/crash.md");
    git(dir, "commit", "-qm", "crash again");
    const all = events(cli(["review", "--no-llm"], dir).stdout);
    const since = events(cli(["review", "--no-llm", "--from-git-since", "HEAD"], dir).stdout);
    const targets = (list: Event[]) => ofKind(list, "suggestion").map((e) => e.target as string);
    expect(targets(all).some((t) => t.startsWith("crash/"))).toBe(true);
    expect(targets(all).some((t) => t.startsWith("other/"))).toBe(true);
    expect(targets(since).length).toBeGreaterThan(0);
    expect(targets(since).every((t) => t.startsWith("other/"))).toBe(true);
    const bad = cli(["review", "--no-llm", "--from-git-since", "no-such-ref"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("no-such-ref");
  });

  it("should review only the PATHS given", () => {
    const dir = twoDrifted();
    driftTsg(dir);
    const run = cli(["review", "--no-llm", "--auto", "tsgs/other.md"], dir);
    expect(run.code, run.stderr).toBe(0);
    const targets = ofKind(events(run.stdout), "suggestion").map((e) => e.target as string);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.every((t) => t.startsWith("other/"))).toBe(true);
    expect(cli(["review", "--no-llm", "../elsewhere"], dir).code).toBe(2);
  });
});

describe("rllmc task run … | rllmc review --changes - --auto", () => {
  it("should skip a task patch (tier task, confidence medium) below --auto-confidence high: exit 2", () => {
    const dir = repoWithRunbook();
    const output = taskOutput(dir);
    const before = treeHash(dir);
    const run = cli(["review", "--changes", "-", "--auto", "--no-llm"], dir, output);
    expect(run.code).toBe(2);
    const list = events(run.stdout);
    expect(ofKind(list, "suggestion")).toEqual([
      expect.objectContaining({
        kind: "task_patch",
        tier: "task",
        confidence: "medium",
        target: "notes.txt",
        rationale: expect.stringContaining("fix(notes): capitalise two"),
      }),
    ]);
    expect(ofKind(list, "skipped")[0]!.reason).toMatch(/below --auto-confidence high/);
    expect(list.at(-1)).toMatchObject({
      skipped: 1,
      manual: [expect.objectContaining({ target: "notes.txt" })],
    });
    expect(treeHash(dir)).toBe(before);
  });

  it("should apply it with --auto-confidence medium", () => {
    const dir = repoWithRunbook();
    const file = join(dir, "task.out");
    writeFileSync(file, taskOutput(dir));
    const run = cli(["review", "--changes", file, "--auto", "--auto-confidence", "medium", "--no-llm"], dir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("one\nTWO\nthree\n");
    expect(ofKind(events(run.stdout), "applied")).toEqual([
      { event: "applied", id: expect.stringMatching(/^task:[0-9a-f]{12}$/), files: ["notes.txt"] },
    ]);
  });
});

describe("gates and rollback", () => {
  it("should reject a promotion whose cited lines do not hold the command: exit 1, the tree byte-identical", () => {
    const dir = repoWithRunbook();
    const before = treeHash(dir);
    const set = {
      changes: [
        {
          id: "promote-1",
          kind: "promote_step",
          target: "crash/runbook.yaml",
          tier: "llm-promote",
          confidence: "high",
          rationale: "the command stands in the TSG",
          evidence_citations: [
            { path: "tsgs/crash.md", line: 1, quote: "kubectl rollout restart deployment" },
          ],
          content: readFileSync(join(dir, "crash/runbook.yaml"), "utf8").replace("crash", "crash2"),
        },
      ],
    };
    const run = cli(["review", "--changes", "-", "--auto", "--no-llm"], dir, JSON.stringify(set));
    expect(run.code).toBe(1);
    const rejected = ofKind(events(run.stdout), "rejected");
    expect(rejected).toEqual([
      { event: "rejected", id: "promote-1", gate: "evidence", reason: expect.any(String) },
    ]);
    expect(events(run.stdout).at(-1)).toMatchObject({ rejected: 1, applied: 0, exit_code: 1 });
    expect(treeHash(dir)).toBe(before);
  });

  /** A promotion of crash/runbook.yaml (its title changed, to see it applied) citing `citation`. */
  function promotion(dir: string, citation: Record<string, unknown>, id = "promote-ok") {
    return {
      id,
      kind: "promote_step",
      target: "crash/runbook.yaml",
      tier: "llm-promote",
      confidence: "high",
      rationale: "the command stands in the TSG",
      evidence_citations: [citation],
      content: readFileSync(join(dir, "crash/runbook.yaml"), "utf8").replace(
        "  title: KubePodCrashLooping",
        "  title: Promoted",
      ),
    };
  }

  it.each([
    [
      "present, with the quote",
      { path: "tsgs/crash.md", line: 48, quote: "kubectl rollout undo" },
      0,
      "applied",
    ],
    ["missing", { path: "tsgs/gone.md", line: 48, quote: "kubectl rollout undo" }, 1, "rejected"],
    [
      "present, without the quote",
      { path: "tsgs/crash.md", line: 17, quote: "kubectl rollout undo" },
      1,
      "rejected",
    ],
  ])("should judge a promotion by its citation: %s", (_name, citation, code, outcome) => {
    const dir = repoWithRunbook();
    const before = treeHash(dir);
    const set = { changes: [promotion(dir, citation)] };
    const run = cli(["review", "--changes", "-", "--auto", "--no-llm"], dir, JSON.stringify(set));
    expect(run.code, run.stdout + run.stderr).toBe(code);
    const list = events(run.stdout);
    expect(list.filter((e) => e.event === "applied" || e.event === "rejected").map((e) => e.event)).toEqual([
      outcome,
    ]);
    if (outcome === "rejected") {
      expect(ofKind(list, "rejected")[0]).toMatchObject({ gate: "evidence" });
      expect(treeHash(dir)).toBe(before);
    } else expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toContain("title: Promoted");
  });

  it("should reject every promotion with --auto-max-delta 0 (level gate)", () => {
    const dir = repoWithRunbook();
    const set = {
      changes: [promotion(dir, { path: "tsgs/crash.md", line: 48, quote: "kubectl rollout undo" })],
    };
    const run = cli(
      ["review", "--changes", "-", "--auto", "--auto-max-delta", "0", "--no-llm"],
      dir,
      JSON.stringify(set),
    );
    expect(run.code).toBe(1);
    expect(ofKind(events(run.stdout), "rejected")).toEqual([
      {
        event: "rejected",
        id: "promote-ok",
        gate: "level",
        reason: expect.stringContaining("--auto-max-delta 0"),
      },
    ]);
  });

  it("should reject a change set that is not one (schema gate, named by its origin)", () => {
    const dir = repoWithRunbook();
    const run = cli(["review", "--changes", "-", "--auto", "--no-llm"], dir, "{ not json");
    expect(run.code).toBe(1);
    expect(ofKind(events(run.stdout), "rejected")).toEqual([
      { event: "rejected", id: "<stdin>", gate: "schema", reason: expect.stringContaining("not JSON") },
    ]);
  });

  it("should discard the whole batch when a staged runbook fails the validate gate", () => {
    const dir = repoWithRunbook();
    const before = treeHash(dir);
    const set = {
      changes: [
        {
          id: "meta-1",
          kind: "metadata",
          target: "crash/runbook.yaml",
          tier: "llm-metadata",
          confidence: "high",
          rationale: "a better title",
          evidence_citations: [],
          content: "apiVersion: runbook/v0\nkind: Runbook\nmeta: 7\n",
        },
      ],
    };
    const run = cli(["review", "--changes", "-", "--auto", "--no-llm"], dir, JSON.stringify(set));
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const list = events(run.stdout);
    expect(ofKind(list, "rejected")).toEqual([
      {
        event: "rejected",
        id: "meta-1",
        gate: "validate",
        reason: expect.stringContaining("crash/runbook.yaml"),
      },
    ]);
    expect(ofKind(list, "rolled_back")).toEqual([
      expect.objectContaining({ ids: ["meta-1"], files: ["crash/runbook.yaml"] }),
    ]);
    expect(list.at(-1)).toMatchObject({ applied: 0, rejected: 1, rolled_back: true, exit_code: 1 });
    expect(treeHash(dir)).toBe(before);
  });

  it("should reject a given change that takes the id of a drift change, and apply the drift", () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const imposter = {
      id: "recompile:crash/runbook.yaml",
      kind: "metadata",
      target: "notes.txt",
      tier: "llm-metadata",
      confidence: "high",
      rationale: "r",
      evidence_citations: [],
      content: "x\n",
    };
    const run = cli(
      ["review", "--auto", "--no-llm", "--changes", "-"],
      dir,
      JSON.stringify({ changes: [imposter] }),
    );
    expect(run.code).toBe(0);
    expect(events(run.stdout)).toContainEqual(
      expect.objectContaining({ event: "rejected", id: imposter.id, gate: "schema" }),
    );
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("one\ntwo\nthree\n");
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toContain("events");
  });

  it("should skip a change whose file another change of the session writes", () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const set = {
      changes: [
        {
          id: "meta-2",
          kind: "metadata",
          target: "crash/runbook.yaml",
          tier: "llm-metadata",
          confidence: "high",
          rationale: "a better title",
          evidence_citations: [],
          content: "apiVersion: runbook/v0\n",
        },
      ],
    };
    const run = cli(["review", "--changes", "-", "--auto", "--no-llm"], dir, JSON.stringify(set));
    expect(run.code, run.stderr).toBe(0);
    const list = events(run.stdout);
    expect(ofKind(list, "skipped")).toEqual([
      { event: "skipped", id: "meta-2", reason: expect.stringContaining("also written by another change") },
    ]);
    expect(list.at(-1)).toMatchObject({ skipped: 1, manual: [expect.objectContaining({ id: "meta-2" })] });
  });

  it("should roll back the applied batch when --validate-cmd fails", () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const before = treeHash(dir);
    const run = cli(["review", "--auto", "--no-llm", "--validate-cmd", "false"], dir);
    expect(run.code).toBe(1);
    const list = events(run.stdout);
    expect(ofKind(list, "rolled_back")).toEqual([
      {
        event: "rolled_back",
        reason: expect.stringContaining("--validate-cmd false exited 1"),
        ids: ofKind(list, "suggestion").map((e) => e.id),
        files: expect.arrayContaining(["crash/runbook.yaml"]),
      },
    ]);
    expect(list.at(-1)).toMatchObject({ rolled_back: true, applied: 0, files_changed: [], exit_code: 1 });
    expect(treeHash(dir)).toBe(before);

    const ok = cli(["review", "--auto", "--no-llm", "--validate-cmd", '["git","status","--short"]'], dir);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("should refuse a --validate-cmd that needs a shell", () => {
    const dir = repoWithRunbook();
    const run = cli(["review", "--auto", "--validate-cmd", "make test && echo ok"], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--validate-cmd is one command");
  });

  it.each([
    ['npm test "--grep', 'unterminated " quote'],
    ["   ", "is empty"],
  ])("should refuse the --validate-cmd %j (exit 2), not run it and roll back", (command, message) => {
    const dir = repoWithRunbook();
    const run = cli(["review", "--auto", "--validate-cmd", command], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

describe("an interrupted batch", () => {
  /** Runs applyBatch on notes.txt in a child process that kill -9s itself at `point`. */
  function killedAt(dir: string, point: string): void {
    const batch = join(ROOT, "dist/src/driver/review/batch.js");
    const program = `
      import { applyBatch } from ${JSON.stringify(batch)};
      await applyBatch(${JSON.stringify(dir)}, [{ path: "notes.txt", before: "one\\ntwo\\nthree\\n", after: "new\\n" }], {
        onPoint: (p) => { if (p === ${JSON.stringify(point)}) process.kill(process.pid, "SIGKILL"); },
      });`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", program], { encoding: "utf8" });
    expect(child.signal, child.stderr).toBe("SIGKILL");
  }

  it.each(["journal:committing", "journal:committed"])(
    "should be finished or undone by --recover before anything else (killed at %s)",
    (point) => {
      const dir = repoWithRunbook();
      killedAt(dir, point);
      expect(readdirSync(join(dir, ".rllmc/review")).length).toBe(1);
      const run = cli(["review", "--recover", "--format", "json"], dir);
      expect(run.code, run.stderr).toBe(0);
      const list = events(run.stdout);
      expect(list).toEqual([
        {
          event: "recovered",
          outcome: expect.stringMatching(/^(completed|undone)$/),
          files: expect.any(Array),
        },
      ]);
      const notes = readFileSync(join(dir, "notes.txt"), "utf8");
      expect(notes).toBe(list[0]!.outcome === "completed" ? "new\n" : "one\ntwo\nthree\n");
      expect(readdirSync(join(dir, ".rllmc/review"))).toEqual([]);
      // Nothing left: a second --recover has nothing to do, and prints nothing in JSON.
      expect(cli(["review", "--recover", "--format", "json"], dir).stdout).toBe("");
    },
  );

  it("should be recovered by a plain review first, then the review goes on", () => {
    const dir = repoWithRunbook();
    killedAt(dir, "journal:committing");
    driftTsg(dir);
    const run = cli(["review", "--auto", "--no-llm"], dir);
    expect(run.code, run.stderr).toBe(0);
    const list = events(run.stdout);
    expect(list[0]!.event).toBe("recovered");
    expect(list.at(-1)).toMatchObject({ event: "summary", exit_code: 0 });
  });
});

describe("rllmc init", () => {
  it("should write an executable pre-commit hook, and not over an existing one without --force", () => {
    const dir = repoWithRunbook();
    const hook = join(dir, ".git/hooks/pre-commit");
    rmSync(hook, { force: true });
    const first = cli(["init", "--hook"], dir);
    expect(first.code, first.stderr).toBe(0);
    const text = readFileSync(hook, "utf8");
    expect(text).toMatch(/^#!\/bin\/sh\n/);
    expect(text).toContain("review --auto --no-llm");
    expect(statSync(hook).mode & 0o111).not.toBe(0);

    writeFileSync(hook, "#!/bin/sh\necho mine\n");
    const second = cli(["init", "--hook"], dir);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("pass --force");
    expect(readFileSync(hook, "utf8")).toBe("#!/bin/sh\necho mine\n");
    expect(cli(["init", "--hook", "--force"], dir).code).toBe(0);
    expect(readFileSync(hook, "utf8")).toBe(text);
  });

  it("should make the hook stop a commit whose TSG drifted its runbook, and recompile it", () => {
    const dir = repoWithRunbook();
    expect(cli(["init", "--hook", "--force"], dir).code).toBe(0);
    driftTsg(dir);
    git(dir, "add", "tsgs/crash.md");
    const commit = spawnSync("git", ["commit", "-qm", "edit"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, RLLMC: `${process.execPath} ${BIN}` },
    });
    expect(commit.status).not.toBe(0);
    expect(commit.stderr).toContain("rewrote compiled outputs");
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toContain("events");
    git(dir, "add", "-A");
    const again = spawnSync("git", ["commit", "-qm", "edit"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, RLLMC: `${process.execPath} ${BIN}` },
    });
    expect(again.status, again.stderr).toBe(0);
  });

  it("should make the hook stop a commit when review rewrote an output already edited in the work tree", () => {
    const dir = repoWithRunbook();
    expect(cli(["init", "--hook", "--force"], dir).code).toBe(0);
    for (const output of ["crash/runbook.yaml", "crash/mapping.md"])
      appendFileSync(join(dir, output), "\n# a local note\n");
    driftTsg(dir);
    git(dir, "add", "tsgs/crash.md");
    const commit = spawnSync("git", ["commit", "-qm", "edit"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, RLLMC: `${process.execPath} ${BIN}` },
    });
    expect(commit.status).not.toBe(0);
    expect(commit.stderr).toContain("rewrote compiled outputs");
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).not.toContain("a local note");
  });

  it("should print the Makefile fragment, or write it to --out", () => {
    const dir = repoWithRunbook();
    const run = cli(["init", "--makefile"], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^rllmc-review:/m);
    expect(run.stdout).toMatch(/^rllmc-check:/m);
    expect(cli(["init", "--makefile", "--out", "rllmc.mk"], dir).code).toBe(0);
    expect(readFileSync(join(dir, "rllmc.mk"), "utf8")).toBe(run.stdout);
    expect(cli(["init", "--makefile", "--out", "rllmc.mk"], dir).code).toBe(1);
    expect(cli(["init"], dir).code).toBe(2);
  });

  it.skipIf(spawnSync("make", ["--version"]).status !== 0)(
    "should make rllmc-check pass on a clean tree, and fail on drift and when review cannot run",
    () => {
      const dir = repoWithRunbook();
      expect(cli(["init", "--makefile", "--out", "rllmc.mk"], dir).code).toBe(0);
      const check = (rllmc: string) =>
        spawnSync("make", ["-s", "-f", "rllmc.mk", "rllmc-check", `RLLMC=${rllmc}`], {
          cwd: dir,
          encoding: "utf8",
        });
      const rllmc = `${process.execPath} ${BIN}`;
      expect(check(rllmc).status, check(rllmc).stderr).toBe(0);
      expect(check("false").stderr).toContain("did not run to its end");
      expect(check("false").status).not.toBe(0);
      driftTsg(dir);
      expect(check(rllmc).stderr).toContain("have drifted");
    },
  );
});

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

/**
 * `rllmc review` on a real pseudo-terminal (util-linux `script`): each key is sent when the next
 * `[a]pply [s]kip …` question shows; the terminal's text, without escapes, and the exit code.
 */
function onTerminal(
  dir: string,
  args: string[],
  keys: (string | { readonly after: string; readonly key: string })[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; text: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", TERM: "xterm", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const steps = keys.map((k) => (typeof k === "string" ? { after: "[A]pply all safe", key: k } : k));
  let text = "";
  let next = 0;
  let seen = 0;
  const onData = (chunk: Buffer) => {
    text += chunk.toString("utf8");
    for (;;) {
      const step = steps[next];
      if (step === undefined) return;
      const at = text.indexOf(step.after, seen);
      if (at < 0) return;
      seen = at + step.after.length;
      next++;
      setTimeout(() => child.stdin.write(step.key), 150);
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, text: stripVTControlCharacters(text) });
    });
  });
}

describe.skipIf(!hasScript)("rllmc review on a terminal (the TTY flow, on a pty)", () => {
  it("should ask for each change: [s]kip one, [a]pply the other; only the applied one is written", async () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const mapping = readFileSync(join(dir, "crash/mapping.md"), "utf8");
    const run = await onTerminal(dir, ["review", "--no-llm"], ["s", "a"]);
    expect(run.code, run.text).toBe(0);
    expect(run.text).toContain("recompile:crash/mapping.md: skip");
    expect(run.text).toContain("recompile:crash/runbook.yaml: apply");
    expect(run.text).toMatch(/2 change\(s\): 1 applied, 1 skipped, 0 rejected/);
    expect(readFileSync(join(dir, "crash/mapping.md"), "utf8")).toBe(mapping);
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toContain("kubectl_get_events");
  });

  it("should apply every safe change after [A]pply all safe, and nothing after [q]uit", async () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const all = await onTerminal(dir, ["review", "--no-llm"], ["A"]);
    expect(all.code, all.text).toBe(0);
    expect(all.text.split("[A]pply all safe").length - 1).toBe(1);
    expect(all.text).toMatch(/2 change\(s\): 2 applied/);

    const other = repoWithRunbook();
    driftTsg(other);
    const before = treeHash(other);
    const quit = await onTerminal(other, ["review", "--no-llm"], ["q"]);
    expect(quit.code, quit.text).toBe(2);
    expect(quit.text).toContain("not reviewed: the review was ended with [q]uit");
    expect(treeHash(other)).toBe(before);
  });

  it("should open [e]dit in $VISUAL, check the edit by the gates, show it again and apply it", async () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const script = join(dir, "..", `${relative(tmpdir(), dir)}-editor.sh`);
    writeFileSync(
      script,
      "#!/bin/sh\nsed -i 's/^  title: KubePodCrashLooping$/  title: Pod crash-looping (edited)/' \"$1\"\n",
      {
        mode: 0o755,
      },
    );
    temps.push(script);
    const run = await onTerminal(dir, ["review", "--no-llm"], ["s", "e", "a"], {
      VISUAL: script,
      EDITOR: script,
    });
    expect(run.code, run.text).toBe(0);
    expect(run.text).toContain("+  title: Pod crash-looping (edited)");
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toContain(
      "title: Pod crash-looping (edited)",
    );
  });

  it("should write nothing on Ctrl+C at a question (exit 2)", async () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const before = treeHash(dir);
    const run = await onTerminal(dir, ["review", "--no-llm"], ["a", "\u0003"]);
    expect(run.code, run.text).toBe(2);
    expect(run.text).toContain("interrupted; nothing was written");
    expect(treeHash(dir)).toBe(before);
  });

  it("should leave a promotion over --auto-max-delta to the person, with a note", async () => {
    const dir = repoWithRunbook();
    const content = readFileSync(join(dir, "crash/runbook.yaml"), "utf8").replace(
      "  title: KubePodCrashLooping",
      "  title: Promoted by a person",
    );
    const set = {
      changes: [
        {
          id: "promote-tty",
          kind: "promote_step",
          target: "crash/runbook.yaml",
          tier: "llm-promote",
          confidence: "low",
          rationale: "the command stands in the TSG",
          evidence_citations: [{ path: "tsgs/crash.md", line: 48, quote: "kubectl rollout undo" }],
          content,
        },
      ],
    };
    const file = join(dir, "..", `${relative(tmpdir(), dir)}-set.json`);
    writeFileSync(file, JSON.stringify(set));
    temps.push(file);
    const run = await onTerminal(
      dir,
      ["review", "--no-llm", "--changes", file, "--auto-max-delta", "0"],
      ["a"],
    );
    expect(run.code, run.text).toBe(0);
    expect(run.text).toContain("promotions are disabled (--auto-max-delta 0): yours to decide");
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toBe(content);
  });

  it("should show a gate's refusal of an edit and re-open the editor on Enter", async () => {
    const dir = repoWithRunbook();
    driftTsg(dir);
    const base = join(dir, "..", relative(tmpdir(), dir));
    // First save: a runbook without steps (the validate gate refuses it); second: a good edit.
    writeFileSync(
      `${base}-editor2.sh`,
      [
        "#!/bin/sh",
        `if [ ! -e '${base}-first' ]; then cp "$1" '${base}-orig'; touch '${base}-first'; printf 'apiVersion: runbook/v0\\nmeta: 7\\n' > "$1";`,
        `else cp '${base}-orig' "$1"; sed -i 's/^  title: KubePodCrashLooping$/  title: Second try/' "$1"; fi`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    temps.push(`${base}-editor2.sh`, `${base}-first`, `${base}-orig`);
    const run = await onTerminal(
      dir,
      ["review", "--no-llm"],
      ["s", "e", { after: "validate gate:", key: "\r" }, "a"],
      { VISUAL: `${base}-editor2.sh` },
    );
    expect(run.code, run.text).toBe(0);
    expect(run.text).toContain("validate gate:");
    expect(readFileSync(join(dir, "crash/runbook.yaml"), "utf8")).toContain("title: Second try");
  });
});
