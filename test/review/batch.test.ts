/**
 * Atomic batches (src/driver/review/batch.ts): a batch goes in whole or not at all, a refusal
 * writes nothing, a failed afterCommit rolls everything back, and a kill -9 at any point of the
 * commit leaves, after recovery, the old tree or the new one. The kills run in a child Node
 * process against the build (dist/): build it first with `npx tsc -p tsconfig.build.json`.
 */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { applyBatch, type BatchFile, REVIEW_FOLDER, recoverBatches } from "../../src/driver/review/batch.js";
import { UsageError } from "../../src/driver/usage-error.js";

const BATCH_JS = fileURLToPath(new URL("../../dist/src/driver/review/batch.js", import.meta.url));

const OLD_TREE: Record<string, string> = {
  "keep.txt": "untouched\n",
  "modify.md": "# old\n",
  "delete.txt": "to be deleted\n",
  "docs/guide.md": "guide v1\n",
  "docs/gone.md": "gone soon\n",
};

/** Create, modify, delete, and creates in new nested folders. */
const BATCH: readonly BatchFile[] = [
  { path: "modify.md", before: "# old\n", after: "# new\n" },
  { path: "new/deep/er/file.yaml", before: undefined, after: "a: 1\n" },
  { path: "delete.txt", before: "to be deleted\n", after: undefined },
  { path: "docs/guide.md", before: "guide v1\n", after: "guide v2\n" },
  { path: "new/other.txt", before: undefined, after: "other\n" },
  { path: "docs/gone.md", before: "gone soon\n", after: undefined },
  { path: "top.txt", before: undefined, after: "top\n" },
];

function makeRepo(files: Record<string, string> = OLD_TREE): string {
  const root = mkdtempSync(join(tmpdir(), "rllmc-batch-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A hash of every file (path, bytes, mode) and folder under `root`, `.rllmc/` left out. */
function treeHash(root: string): string {
  const lines: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = `${prefix}${entry.name}`;
      if (rel === ".rllmc") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        lines.push(`d ${rel}/`);
        walk(path, `${rel}/`);
      } else {
        const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
        lines.push(`f ${rel} ${(statSync(path).mode & 0o777).toString(8)} ${sha}`);
      }
    }
  };
  walk(root, "");
  return createHash("sha256").update(lines.sort().join("\n")).digest("hex");
}

function sessionsLeft(root: string): string[] {
  const base = join(root, REVIEW_FOLDER);
  return existsSync(base) ? readdirSync(base) : [];
}

describe("applyBatch", () => {
  it("should create, modify and delete files, making nested folders, when the batch applies", async () => {
    const root = makeRepo();
    const result = await applyBatch(root, BATCH);
    expect(result).toEqual({ applied: true, files: BATCH.map((file) => file.path) });
    expect(readFileSync(join(root, "modify.md"), "utf8")).toBe("# new\n");
    expect(readFileSync(join(root, "new/deep/er/file.yaml"), "utf8")).toBe("a: 1\n");
    expect(readFileSync(join(root, "new/other.txt"), "utf8")).toBe("other\n");
    expect(readFileSync(join(root, "docs/guide.md"), "utf8")).toBe("guide v2\n");
    expect(existsSync(join(root, "delete.txt"))).toBe(false);
    expect(existsSync(join(root, "docs/gone.md"))).toBe(false);
    expect(readFileSync(join(root, "keep.txt"), "utf8")).toBe("untouched\n");
    expect(sessionsLeft(root)).toEqual([]);
    expect(recoverBatches(root).recovered).toBe("none");
  });

  it("should keep a modified file's mode when it is replaced", async () => {
    const root = makeRepo({ "run.sh": "#!/bin/sh\necho 1\n" });
    chmodSync(join(root, "run.sh"), 0o755);
    const result = await applyBatch(root, [
      { path: "run.sh", before: "#!/bin/sh\necho 1\n", after: "#!/bin/sh\necho 2\n" },
    ]);
    expect(result.applied).toBe(true);
    expect(statSync(join(root, "run.sh")).mode & 0o777).toBe(0o755);
  });

  it.each([
    [
      "a modified file's bytes differ from before",
      { path: "modify.md", before: "# older\n", after: "# new\n" },
    ],
    ["a file to create exists", { path: "keep.txt", before: undefined, after: "x\n" }],
    ["a file to delete is gone", { path: "missing.txt", before: "x\n", after: undefined }],
    ["a target is a folder", { path: "docs", before: "x\n", after: "y\n" }],
    ["a path leaves the repository", { path: "../outside.txt", before: undefined, after: "x\n" }],
    ["a path is absolute", { path: "/tmp/x.txt", before: undefined, after: "x\n" }],
    ["a path is not normalised", { path: "docs/../x.txt", before: undefined, after: "x\n" }],
    ["a path is in .rllmc/", { path: ".rllmc/x.txt", before: undefined, after: "x\n" }],
    ["a path is in .git/", { path: ".git/config", before: undefined, after: "x\n" }],
    ["a folder on the way is a file", { path: "keep.txt/x.txt", before: undefined, after: "x\n" }],
  ] satisfies [string, BatchFile][])(
    "should refuse the whole batch, writing nothing, when %s",
    async (_name, bad) => {
      const root = makeRepo();
      const before = treeHash(root);
      const result = await applyBatch(root, [...BATCH.slice(0, 2), bad]);
      expect(result.applied).toBe(false);
      expect(result).toMatchObject({ rolledBack: false });
      expect(treeHash(root)).toBe(before);
      expect(existsSync(join(root, ".rllmc"))).toBe(false);
    },
  );

  it("should refuse a target reached through a symbolic link out of the repository", async () => {
    const root = makeRepo();
    const outside = mkdtempSync(join(tmpdir(), "rllmc-batch-outside-"));
    symlinkSync(outside, join(root, "link"));
    const result = await applyBatch(root, [{ path: "link/x.txt", before: undefined, after: "x\n" }]);
    expect(result).toMatchObject({ applied: false, rolledBack: false });
    expect(readdirSync(outside)).toEqual([]);
  });

  it("should roll the batch back when afterCommit throws", async () => {
    const root = makeRepo();
    const before = treeHash(root);
    const result = await applyBatch(root, BATCH, {
      afterCommit: async () => {
        throw new Error("validator crashed");
      },
    });
    expect(result).toEqual({ applied: false, reason: "validator crashed", rolledBack: true });
    expect(treeHash(root)).toBe(before);
  });

  it("should refuse a batch that changes one path twice", async () => {
    const root = makeRepo();
    const result = await applyBatch(root, [BATCH[0] as BatchFile, BATCH[0] as BatchFile]);
    expect(result).toEqual({
      applied: false,
      reason: "'modify.md' is changed twice in one batch",
      rolledBack: false,
    });
  });

  it("should write nothing when beforeCommit gives a reason, having shown it the staged result", async () => {
    const root = makeRepo();
    const before = treeHash(root);
    let seen: [string, string | undefined][] = [];
    const result = await applyBatch(root, BATCH, {
      beforeCommit: async (staged) => {
        seen = [...staged];
        return "runbook.yaml: schema error";
      },
    });
    expect(result).toEqual({ applied: false, reason: "runbook.yaml: schema error", rolledBack: false });
    expect(seen).toEqual(BATCH.map((file) => [file.path, file.after]));
    expect(treeHash(root)).toBe(before);
    expect(existsSync(join(root, ".rllmc"))).toBe(false);
  });

  it("should roll every file back, folders made included, when afterCommit gives a reason", async () => {
    const root = makeRepo();
    const before = treeHash(root);
    let during = "";
    const result = await applyBatch(root, BATCH, {
      afterCommit: async () => {
        during = readFileSync(join(root, "new/deep/er/file.yaml"), "utf8");
        return "validate-cmd exited 1";
      },
    });
    expect(during).toBe("a: 1\n");
    expect(result).toEqual({ applied: false, reason: "validate-cmd exited 1", rolledBack: true });
    expect(treeHash(root)).toBe(before);
    expect(existsSync(join(root, "new"))).toBe(false);
    expect(sessionsLeft(root)).toEqual([]);
  });
});

describe("recoverBatches", () => {
  it("should refuse to stage or recover through a .rllmc that is a symlink out of the repository", async () => {
    const root = makeRepo();
    const elsewhere = mkdtempSync(join(tmpdir(), "rllmc-review-elsewhere-"));
    try {
      symlinkSync(elsewhere, join(root, ".rllmc"));
      const before = treeHash(root);
      const result = await applyBatch(root, BATCH);
      expect(result).toMatchObject({ applied: false, rolledBack: false });
      expect((result as { reason: string }).reason).toMatch(/^\.rllmc in the repository is a symlink/);
      expect(treeHash(root)).toBe(before);
      expect(readdirSync(elsewhere)).toEqual([]);
      expect(() => recoverBatches(root)).toThrow(
        /\.rllmc in the repository is a symlink.*nothing was recovered/,
      );
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("should say none when there is no session folder", () => {
    expect(recoverBatches(makeRepo())).toEqual({ recovered: "none", files: [], sessions: [] });
  });

  it.each([
    ["a target outside the repository", { target: "../outside.txt", staged: "staged/0" }],
    ["a target in .git", { target: ".git/hooks/pre-commit", staged: "staged/0" }],
    ["a staged file outside the session", { target: "a.txt", staged: "../../../../outside.txt" }],
  ])("should refuse to recover a planted journal with %s, touching nothing", (_name, entry) => {
    const root = makeRepo();
    const dir = join(root, REVIEW_FOLDER, "s1");
    mkdirSync(join(dir, "staged"), { recursive: true });
    writeFileSync(join(dir, "staged", "0"), "pwned\n");
    const journal = {
      version: 1,
      session: "s1",
      pid: 2 ** 22 + 1,
      state: "committing",
      files: [{ ...entry, backup: null, beforeSha256: null, afterSha256: null }],
      folders: [],
    };
    writeFileSync(join(dir, "journal.json"), JSON.stringify(journal));
    const before = treeHash(root);
    expect(() => recoverBatches(root)).toThrow(/is not a journal rllmc wrote/);
    expect(treeHash(root)).toBe(before);
    expect(existsSync(join(root, "..", "outside.txt"))).toBe(false);
  });

  it.each(["garbage", "null", '{"version":2}'])("should refuse, not crash on, the journal %s", (text) => {
    const root = makeRepo();
    mkdirSync(join(root, REVIEW_FOLDER, "s1"), { recursive: true });
    writeFileSync(join(root, REVIEW_FOLDER, "s1", "journal.json"), text);
    expect(() => recoverBatches(root)).toThrow(UsageError);
  });

  it("should drop a session folder left half removed after its batch ended, reporting nothing", () => {
    const root = makeRepo();
    const dir = join(root, REVIEW_FOLDER, "s1.removed");
    mkdirSync(join(dir, "backup"), { recursive: true });
    writeFileSync(join(dir, "backup", "0"), "old");
    const before = treeHash(root);
    expect(recoverBatches(root)).toEqual({ recovered: "none", files: [], sessions: [] });
    expect(treeHash(root)).toBe(before);
    expect(sessionsLeft(root)).toEqual([]);
  });

  it("should discard a session folder that has no journal yet", () => {
    const root = makeRepo();
    mkdirSync(join(root, REVIEW_FOLDER, "s1", "staged"), { recursive: true });
    writeFileSync(join(root, REVIEW_FOLDER, "s1", "staged", "0"), "half");
    const before = treeHash(root);
    expect(recoverBatches(root).recovered).toBe("undone");
    expect(treeHash(root)).toBe(before);
    expect(sessionsLeft(root)).toEqual([]);
  });

  it("should leave alone the session of a process that is still running", () => {
    const root = makeRepo();
    const dir = join(root, REVIEW_FOLDER, "live");
    mkdirSync(dir, { recursive: true });
    const journal = {
      version: 1,
      session: "live",
      pid: process.ppid,
      state: "committing",
      files: [],
      folders: [],
    };
    writeFileSync(join(dir, "journal.json"), JSON.stringify(journal));
    expect(recoverBatches(root).recovered).toBe("none");
    expect(sessionsLeft(root)).toEqual(["live"]);
  });
});

/** The child: applies BATCH and kills itself with SIGKILL at the k-th point of the commit. */
const CHILD = `
import { readFileSync } from "node:fs";
import { applyBatch } from ${JSON.stringify(pathToFileURL(BATCH_JS).href)};
const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
let count = 0;
const points = [];
const result = await applyBatch(spec.repo, spec.files, {
  onPoint(point) {
    count += 1;
    points.push(point);
    if (count === spec.killAt) process.kill(process.pid, "SIGKILL");
  },
  ...(spec.failAfterCommit ? { afterCommit: async () => "validation failed" } : {}),
});
process.stdout.write(JSON.stringify({ points, result }));
`;

describe("kill -9 during a batch, then recoverBatches", () => {
  const work = mkdtempSync(join(tmpdir(), "rllmc-batch-kill-"));
  const script = join(work, "child.mjs");
  writeFileSync(script, CHILD);

  const oldRepo = makeRepo();
  const oldHash = treeHash(oldRepo);
  const newRepo = makeRepo();
  let newHash = "";
  beforeAll(async () => {
    expect((await applyBatch(newRepo, BATCH)).applied).toBe(true);
    newHash = treeHash(newRepo);
  });

  it.each([
    ["the batch applies", false],
    ["afterCommit fails and the batch rolls back", true],
  ])(
    "should leave the old or the new tree at every point when %s",
    async (_name, failAfterCommit) => {
      expect(existsSync(BATCH_JS), "build first: npx tsc -p tsconfig.build.json").toBe(true);
      expect(newHash).not.toBe(oldHash);
      const outcomes: string[] = [];
      for (let killAt = 1; ; killAt++) {
        const repo = mkdtempSync(join(work, "repo-"));
        cpSync(oldRepo, repo, { recursive: true });
        const spec = join(work, `spec-${killAt}.json`);
        writeFileSync(spec, JSON.stringify({ repo, files: BATCH, killAt, failAfterCommit }));
        const child = spawnSync(process.execPath, [script, spec], { encoding: "utf8", timeout: 30_000 });
        if (child.signal === null) {
          // Past the last point: the batch ran to its end.
          expect(child.status, child.stderr).toBe(0);
          const done = JSON.parse(child.stdout) as { points: string[]; result: { applied: boolean } };
          expect(killAt).toBe(done.points.length + 1);
          expect(treeHash(repo)).toBe(failAfterCommit ? oldHash : newHash);
          expect(recoverBatches(repo).recovered).toBe("none");
          break;
        }
        expect(child.signal).toBe("SIGKILL");
        const recovery = recoverBatches(repo);
        const hash = treeHash(repo);
        expect([oldHash, newHash]).toContain(hash);
        // What recovery says matches the tree it left.
        expect(hash).toBe(recovery.recovered === "completed" ? newHash : oldHash);
        expect(recoverBatches(repo).recovered).toBe("none");
        expect(sessionsLeft(repo)).toEqual([]);
        outcomes.push(`${killAt}:${recovery.recovered}`);
      }
      // Points while staging are undone; points after the journal says committing are finished.
      expect(outcomes.some((o) => o.endsWith(":undone"))).toBe(true);
      expect(outcomes.some((o) => o.endsWith(":completed"))).toBe(true);
      expect(outcomes.length).toBeGreaterThan(BATCH.length * 2);
    },
    120_000,
  );

  it("should undo a batch killed while committing when a staged file it still needs is missing", () => {
    const repo = mkdtempSync(join(work, "repo-"));
    cpSync(oldRepo, repo, { recursive: true });
    const spec = join(work, "spec-missing.json");
    // The points: one per staged file, journal:staged, journal:committing, then one per rename.
    const killAt = BATCH.length + 2 + 2;
    writeFileSync(spec, JSON.stringify({ repo, files: BATCH, killAt, failAfterCommit: false }));
    const child = spawnSync(process.execPath, [script, spec], { encoding: "utf8", timeout: 30_000 });
    expect(child.signal).toBe("SIGKILL");
    const [session = ""] = sessionsLeft(repo);
    const journal = JSON.parse(readFileSync(join(repo, REVIEW_FOLDER, session, "journal.json"), "utf8"));
    expect(journal.state).toBe("committing");
    // Two renamed (modify.md, the nested create); the third staged file, still waiting, goes missing.
    expect(readFileSync(join(repo, "modify.md"), "utf8")).toBe("# new\n");
    expect(readFileSync(join(repo, "new/deep/er/file.yaml"), "utf8")).toBe("a: 1\n");
    rmSync(join(repo, REVIEW_FOLDER, session, "staged", "3"));
    const recovery = recoverBatches(repo);
    expect(recovery).toMatchObject({ recovered: "undone", files: BATCH.map((file) => file.path) });
    expect(treeHash(repo)).toBe(oldHash);
    expect(recoverBatches(repo).recovered).toBe("none");
  });
});
