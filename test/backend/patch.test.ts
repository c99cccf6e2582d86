/**
 * The patch backend against real git: every patch `buildPatch` makes must pass `git apply --check`
 * and `git apply` from the root of a temp repository and leave exactly the proposed bytes; where
 * the diff is unambiguous it must also be byte for byte what `git diff` prints for the same change.
 * `applyPatchInMemory` must agree with git. git runs without a shell and without the user's or the
 * system's git configuration.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { applyPatchInMemory, buildPatch, type FileChange } from "../../src/backend/patch.js";

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
  LC_ALL: "C",
};

const scratch = mkdtempSync(join(tmpdir(), "rllmc-patch-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let repoCount = 0;

function git(cwd: string, args: readonly string[], input?: string) {
  const result = spawnSync("git", args, {
    cwd,
    env: GIT_ENV,
    input,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return result;
}

/** A fresh repository holding every change's `before`, committed. */
function repoWith(changes: readonly FileChange[]): string {
  const dir = join(scratch, `repo-${++repoCount}`);
  mkdirSync(dir);
  git(dir, ["init", "-q"]);
  for (const change of changes) {
    if (change.before === undefined) continue;
    const file = join(dir, change.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, change.before, "utf8");
    if (change.mode === "100755") chmodSync(file, 0o755);
  }
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-q", "--allow-empty", "-m", "before"]);
  return dir;
}

/** `git apply --check` then `git apply` of the patch from the repository root. */
function gitApply(dir: string, patch: string): void {
  const check = git(dir, ["apply", "--check", "-"], patch);
  expect(check.stderr, "git apply --check").toBe("");
  expect(check.status).toBe(0);
  const apply = git(dir, ["apply", "-"], patch);
  expect(apply.status, apply.stderr).toBe(0);
}

function expectFilesAre(dir: string, changes: readonly FileChange[]): void {
  for (const change of changes) {
    const file = join(dir, change.path);
    if (change.after === undefined) expect(existsSync(file), `${change.path} deleted`).toBe(false);
    else {
      expect(readFileSync(file).equals(Buffer.from(change.after, "utf8")), `${change.path} bytes`).toBe(true);
      const mode = (statSync(file).mode & 0o777).toString(8);
      expect(mode, `${change.path} mode`).toBe(change.mode === "100755" ? "755" : "644");
    }
  }
}

/** What git itself prints for the change now in the working tree (function names after `@@` cut). */
function gitOwnDiff(dir: string): string {
  git(dir, ["add", "-A"]);
  const diff = git(dir, ["diff", "--cached", "--no-renames", "--no-color", "--no-ext-diff", "--abbrev=7"]);
  return diff.stdout.replace(/^(@@ -\S+ \+\S+ @@).*$/gm, "$1");
}

function inMemory(patch: string, changes: readonly FileChange[]) {
  return applyPatchInMemory(patch, new Map(changes.map((c) => [c.path, c.before])));
}

const lines = (n: number, tag = "line") => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}\n`).join("");
const long = lines(40);
const edited = long
  .replace("line 2\n", "line two\n")
  .replace("line 5\n", "line five\n")
  .replace("line 30\n", "")
  .replace("line 40\n", "line 40\nline 41\n");

interface Case {
  readonly name: string;
  readonly changes: readonly FileChange[];
  /** Whether the patch must equal `git diff`'s own bytes (false where two minimal diffs exist). */
  readonly sameAsGit?: boolean;
  /** Lines the patch must contain. */
  readonly contains?: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: "edits in a long file (close changes share a hunk)",
    changes: [{ path: "src/long.txt", before: long, after: edited }],
    contains: ["@@ -1,8 +1,8 @@\n", "@@ -27,7 +27,6 @@\n", "@@ -38,3 +37,4 @@\n"],
  },
  {
    name: "a new file",
    changes: [{ path: "docs/new.md", before: undefined, after: "# Title\n\ntext\n" }],
    contains: ["new file mode 100644\n", "--- /dev/null\n", "+++ b/docs/new.md\n", "@@ -0,0 +1,3 @@\n"],
  },
  {
    name: "a new empty file",
    changes: [{ path: "empty.txt", before: undefined, after: "" }],
    contains: ["new file mode 100644\nindex 0000000..e69de29\n"],
  },
  {
    name: "a deleted file",
    changes: [{ path: "old.txt", before: "one\ntwo\n", after: undefined }],
    contains: ["deleted file mode 100644\n", "+++ /dev/null\n", "@@ -1,2 +0,0 @@\n"],
  },
  {
    name: "a deleted empty file",
    changes: [{ path: "gone.txt", before: "", after: undefined }],
    contains: ["deleted file mode 100644\nindex e69de29..0000000\n"],
  },
  {
    name: "a file emptied",
    changes: [{ path: "emptied.txt", before: "a\nb\n", after: "" }],
    contains: ["@@ -1,2 +0,0 @@\n"],
  },
  {
    name: "an empty file filled",
    changes: [{ path: "filled.txt", before: "", after: "a\n" }],
    contains: ["@@ -0,0 +1 @@\n"],
  },
  {
    name: "a CRLF file edited",
    changes: [{ path: "win.txt", before: "a\r\nb\r\nc\r\n", after: "a\r\nB\r\nc\r\n" }],
    contains: ["-b\r\n+B\r\n"],
  },
  {
    name: "a file turned from CRLF to LF",
    changes: [{ path: "eol.txt", before: "a\r\nb\r\n", after: "a\nb\n" }],
  },
  {
    name: "no final newline before",
    changes: [{ path: "n1.txt", before: "a\nb", after: "a\nb\n" }],
    contains: ["-b\n\\ No newline at end of file\n+b\n"],
  },
  {
    name: "no final newline after",
    changes: [{ path: "n2.txt", before: "a\nb\n", after: "a\nb" }],
    contains: ["-b\n+b\n\\ No newline at end of file\n"],
  },
  {
    name: "no final newline on either side, last line kept",
    changes: [{ path: "n3.txt", before: "x\na\nb", after: "y\na\nb" }],
    contains: [" b\n\\ No newline at end of file\n"],
  },
  {
    name: "no final newline on either side, last line changed",
    changes: [{ path: "n4.txt", before: "a\nb", after: "a\nc" }],
  },
  {
    name: "a new file without a final newline",
    changes: [{ path: "n5.txt", before: undefined, after: "only" }],
  },
  {
    name: "non-ASCII text",
    changes: [{ path: "unicode.txt", before: "café\n日本語\n🙂\n", after: "café\n日本語 テキスト\n🙂🙂\n" }],
  },
  {
    name: "paths git quotes or pads",
    changes: [
      { path: "with space.txt", before: "a\n", after: "b\n" },
      { path: "café/naïve.txt", before: undefined, after: "é\n" },
      { path: 'quote"and\\back.txt', before: "q\n", after: "r\n" },
      { path: "tab\there.txt", before: undefined, after: "t\n" },
      { path: "gone with space.txt", before: "x\n", after: undefined },
      { path: "new é space.txt", before: undefined, after: "n\n" },
    ],
    contains: [
      'diff --git "a/caf\\303\\251/na\\303\\257ve.txt" "b/caf\\303\\251/na\\303\\257ve.txt"\n',
      "--- a/with space.txt\t\n",
      '+++ "b/new \\303\\251 space.txt"\t\n',
      '"a/quote\\"and\\\\back.txt"',
      '"b/tab\\there.txt"',
    ],
  },
  {
    name: "an executable keeps its mode",
    changes: [
      { path: "run.sh", before: "#!/bin/sh\necho a\n", after: "#!/bin/sh\necho b\n", mode: "100755" },
    ],
    contains: [" 100755\n"],
  },
  {
    name: "several files, an unchanged one left out",
    changes: [
      { path: "b.txt", before: "1\n", after: "2\n" },
      { path: "a.txt", before: "same\n", after: "same\n" },
      { path: "B.txt", before: undefined, after: "up\n" },
      { path: "é.txt", before: undefined, after: "e\n" },
      { path: "z.txt", before: undefined, after: "z\n" },
    ],
  },
];

describe("buildPatch", () => {
  it.each(CASES)(
    "should apply with git and in memory when $name",
    ({ changes, sameAsGit = true, contains = [] }) => {
      const patch = buildPatch(changes);
      for (const text of contains) expect(patch).toContain(text);
      const dir = repoWith(changes);
      gitApply(dir, patch);
      expectFilesAre(dir, changes);
      if (sameAsGit) expect(patch).toBe(gitOwnDiff(dir));

      const applied = inMemory(patch, changes);
      expect(applied).toEqual({
        ok: true,
        files: new Map(changes.filter((c) => c.before !== c.after).map((c) => [c.path, c.after])),
      });
    },
  );

  it("should print nothing when nothing changes", () => {
    expect(buildPatch([])).toBe("");
    expect(
      buildPatch([
        { path: "a", before: "x\n", after: "x\n" },
        { path: "b", before: undefined, after: undefined },
      ]),
    ).toBe("");
  });

  it("should give the same bytes whatever the order of the changes", () => {
    const changes = CASES.flatMap((c) => c.changes);
    const patch = buildPatch(changes);
    expect(buildPatch([...changes].reverse())).toBe(patch);
    expect(buildPatch(changes)).toBe(patch);
  });

  it.each([
    ["", "empty"],
    ["/etc/passwd", "absolute"],
    ["a/../b", '".." segment'],
    ["a//b", "empty segment"],
    ["dir/", "empty segment"],
    ["./a", '"." segment'],
  ])("should refuse the path %j", (path, problem) => {
    expect(() => buildPatch([{ path, before: undefined, after: "x\n" }])).toThrow(problem);
  });

  it("should refuse a path changed twice", () => {
    const twice = [
      { path: "a", before: undefined, after: "1\n" },
      { path: "a", before: undefined, after: "2\n" },
    ];
    expect(() => buildPatch(twice)).toThrow("changed twice");
  });
});

describe("applyPatchInMemory", () => {
  const change: FileChange = { path: "f.txt", before: "a\nb\nc\n", after: "a\nB\nc\n" };
  const patch = buildPatch([change]);

  it.each([
    ["the file changed since", new Map([["f.txt", "a\nb\nc\nd\n"]]), "not the patch's pre-image"],
    ["the file is missing", new Map<string, string>(), "does not exist"],
  ])("should refuse when %s", (_, current, reason) => {
    const result = applyPatchInMemory(patch, current);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it("should refuse to create a file that exists", () => {
    const created = buildPatch([{ path: "n.txt", before: undefined, after: "x\n" }]);
    const result = applyPatchInMemory(created, new Map([["n.txt", "x\n"]]));
    expect(result).toEqual({ ok: false, reason: "n.txt: the patch creates it, but it already exists" });
  });

  it("should refuse a hunk whose lines are not in the file when the index line is gone", () => {
    const withoutIndex = patch.replace(/^index .*\n/m, "");
    expect(applyPatchInMemory(withoutIndex, new Map([["f.txt", "a\nb\nc\n"]])).ok).toBe(true);
    const result = applyPatchInMemory(withoutIndex, new Map([["f.txt", "a\nx\nc\n"]]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain("hunk 1 (@@ -1,3 +1,3 @@) does not apply");
  });

  it.each([
    ["a truncated patch", patch.slice(0, -3)],
    ["a patch cut inside a hunk", `${patch.split("\n").slice(0, -3).join("\n")}\n`],
    ["garbage", "hello\n"],
    ["a rename", "diff --git a/x b/y\nsimilarity index 100%\nrename from x\nrename to y\n"],
  ])("should give a reason rather than throw for %s", (_, text) => {
    const result = applyPatchInMemory(text, new Map([["f.txt", "a\nb\nc\n"]]));
    expect(result.ok).toBe(false);
  });

  it("should find a hunk that moved, as git does", () => {
    const before = lines(20);
    const after = before.replace("line 15\n", "line fifteen\n");
    const moved = buildPatch([{ path: "m.txt", before, after }]).replace(/^index .*\n/m, "");
    const shifted = `new first line\n${before}`;
    const result = applyPatchInMemory(moved, new Map([["m.txt", shifted]]));
    expect(result).toEqual({ ok: true, files: new Map([["m.txt", `new first line\n${after}`]]) });
  });
});

describe("buildPatch (property)", () => {
  const line = fc.constantFrom(
    "a",
    "b",
    "c",
    "",
    "x y",
    "\t",
    "é",
    "日本",
    "🙂",
    "--- a",
    "+",
    "\\ x",
    "@@ -1 +1 @@",
  );
  const text = fc
    .record({
      body: fc.array(fc.tuple(line, fc.constantFrom("\n", "\r\n")), { maxLength: 24 }),
      last: fc.option(line, { nil: undefined }),
    })
    .map(({ body, last }) => body.map(([l, eol]) => l + eol).join("") + (last ?? ""));
  const content = fc.option(text, { freq: 6, nil: undefined });

  it("should make patches git applies, leaving exactly the proposed bytes", () => {
    const dir = repoWith([]);
    const file = join(dir, "f.txt");
    fc.assert(
      fc.property(content, content, (before, after) => {
        const change: FileChange = { path: "f.txt", before, after };
        const patch = buildPatch([change]);
        expect(patch === "").toBe(before === after);
        rmSync(file, { force: true });
        if (before !== undefined) writeFileSync(file, before, "utf8");
        if (patch !== "") {
          const apply = git(dir, ["apply", "-"], patch);
          expect(apply.status, `${apply.stderr}\n${patch}`).toBe(0);
        }
        if (after === undefined) expect(existsSync(file)).toBe(false);
        else expect(readFileSync(file).equals(Buffer.from(after, "utf8"))).toBe(true);
        const applied = applyPatchInMemory(patch, new Map([["f.txt", before]]));
        expect(applied).toEqual({ ok: true, files: patch === "" ? new Map() : new Map([["f.txt", after]]) });
      }),
      { numRuns: 200 },
    );
  });
});
