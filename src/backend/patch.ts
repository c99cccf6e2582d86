/**
 * The patch backend: whole-file contents before and after → one git-style unified diff, and the
 * reverse check that applies such a diff in memory.
 *
 * The model never writes a diff (issue 18): rllmc gets whole files and computes the patch here,
 * so it applies by construction. The output is what `git diff` prints and `git apply` reads from
 * the repository root:
 *
 *   diff --git a/P b/P              paths C-quoted as git quotes them ("a/caf\303\251")
 *   new file mode 100644           or `deleted file mode M`; a modified file: `index x..y M`
 *   index 0000000..e69de29         abbreviated blob ids, sha1("blob <len>\0" + bytes)
 *   --- /dev/null                  a tab after the name when the path holds a space, as git
 *   +++ b/P
 *   @@ -0,0 +1,2 @@                3 lines of context, `\ No newline at end of file` markers
 *
 * A new or deleted empty file has no `---`/`+++` lines and no hunk, as in git. Modes never change:
 * a file keeps `mode` (default 100644). Files are sorted by the bytes of their UTF-8 path, so the
 * same changes give the same bytes on every machine.
 *
 * `applyPatchInMemory` reads the patch text alone (not the changes it came from) and is stricter
 * than `git apply`: the blob ids of the `index` line must match the current and the resulting
 * contents. It is written by hand rather than with `diff`'s `parsePatch`/`applyPatch`, which do
 * not read git's extended headers (a new empty file has no `---`/`+++`), C-quoted names, or the
 * `a/`/`b/` prefixes.
 */

import { createHash } from "node:crypto";
import { type ChangeBlock, diffLineArrays, splitLines } from "./line-diff.js";

export interface FileChange {
  /** Repo-relative, forward slashes. */
  readonly path: string;
  /** The current content; undefined when the file does not exist. */
  readonly before: string | undefined;
  /** The proposed content; undefined to delete the file. */
  readonly after: string | undefined;
  /** The existing file's mode, kept as it is (new files: 100644). */
  readonly mode?: "100644" | "100755";
}

export type ApplyResult =
  | { ok: true; files: Map<string, string | undefined> }
  | { ok: false; reason: string };

const CONTEXT = 3;
const NULL_ID = "0000000";
const NO_NEWLINE = "\\ No newline at end of file\n";

/** A git-style unified diff of every change, sorted by path; "" when nothing changes. */
export function buildPatch(changes: readonly FileChange[]): string {
  const seen = new Set<string>();
  for (const change of changes) {
    const problem = pathProblem(change.path);
    if (problem !== undefined) throw new Error(`buildPatch: ${JSON.stringify(change.path)}: ${problem}`);
    if (seen.has(change.path)) throw new Error(`buildPatch: ${JSON.stringify(change.path)} is changed twice`);
    seen.add(change.path);
  }
  return changes
    .filter((change) => change.before !== change.after)
    .map((change) => ({ change, key: Buffer.from(change.path, "utf8") }))
    .sort((x, y) => Buffer.compare(x.key, y.key))
    .map(({ change }) => filePatch(change))
    .join("");
}

/** Why a path cannot be in a patch, or undefined when it can. */
function pathProblem(path: string): string | undefined {
  if (path === "") return "the path is empty";
  if (path.includes("\0")) return "the path contains a NUL character";
  if (path.startsWith("/")) return "the path is absolute (paths are relative to the repository root)";
  for (const segment of path.split("/")) {
    if (segment === "") return "the path has an empty segment (a leading, trailing or doubled `/`)";
    if (segment === "." || segment === "..") return `the path has a "${segment}" segment`;
  }
  return undefined;
}

function filePatch(change: FileChange): string {
  const { path, before, after } = change;
  const mode = change.mode ?? "100644";
  const oldName = quotePath(`a/${path}`);
  const newName = quotePath(`b/${path}`);
  const out: string[] = [`diff --git ${oldName} ${newName}\n`];
  if (before === undefined)
    out.push(`new file mode ${mode}\n`, `index ${NULL_ID}..${shortId(after ?? "")}\n`);
  else if (after === undefined)
    out.push(`deleted file mode ${mode}\n`, `index ${shortId(before)}..${NULL_ID}\n`);
  else out.push(`index ${shortId(before)}..${shortId(after)} ${mode}\n`);

  const oldLines = splitLines(before ?? "");
  const newLines = splitLines(after ?? "");
  const blocks = diffLineArrays(oldLines, newLines);
  if (blocks.length === 0) return out.join(""); // a new or deleted empty file
  const tab = path.includes(" ") ? "\t" : "";
  out.push(`--- ${before === undefined ? "/dev/null" : oldName + tab}\n`);
  out.push(`+++ ${after === undefined ? "/dev/null" : newName + tab}\n`);

  // Blocks closer than twice the context share a hunk, as in git.
  let first = 0;
  while (first < blocks.length) {
    let last = first;
    while (last + 1 < blocks.length) {
      const gap = (blocks[last + 1]?.aStart as number) - (blocks[last]?.aEnd as number);
      if (gap > 2 * CONTEXT) break;
      last++;
    }
    const head = blocks[first] as ChangeBlock;
    const tail = blocks[last] as ChangeBlock;
    const lead = Math.min(CONTEXT, head.aStart);
    const trail = Math.min(CONTEXT, oldLines.length - tail.aEnd);
    const aStart = head.aStart - lead;
    const bStart = head.bStart - lead;
    const aCount = tail.aEnd + trail - aStart;
    const bCount = tail.bEnd + trail - bStart;
    out.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@\n`);
    let i = aStart;
    for (let k = first; k <= last; k++) {
      const block = blocks[k] as ChangeBlock;
      for (; i < block.aStart; i++) pushLine(out, " ", oldLines[i] as string);
      for (let j = block.aStart; j < block.aEnd; j++) pushLine(out, "-", oldLines[j] as string);
      for (let j = block.bStart; j < block.bEnd; j++) pushLine(out, "+", newLines[j] as string);
      i = block.aEnd;
    }
    for (; i < tail.aEnd + trail; i++) pushLine(out, " ", oldLines[i] as string);
    first = last + 1;
  }
  return out.join("");
}

/** A hunk range as git prints it: `start,count`, `start` alone for one line, `start-1,0` for none. */
function range(start: number, count: number): string {
  if (count === 0) return `${start},0`;
  if (count === 1) return `${start + 1}`;
  return `${start + 1},${count}`;
}

function pushLine(out: string[], sign: string, line: string): void {
  out.push(sign, line);
  if (!line.endsWith("\n")) out.push("\n", NO_NEWLINE);
}

/** The 7-digit abbreviation of the git blob id of a text (its UTF-8 bytes). */
function shortId(text: string): string {
  return blobId(text).slice(0, 7);
}

/** sha1("blob <byte length>\0" + bytes), as `git hash-object` computes it. */
function blobId(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

// git's C-style quoting (quote.c, core.quotePath on): a name with `"`, `\`, a control character,
// DEL or any non-ASCII byte is written in double quotes, those bytes escaped; others go as they are.
const NAMED_ESCAPES: Record<number, string> = {
  7: "a",
  8: "b",
  9: "t",
  10: "n",
  11: "v",
  12: "f",
  13: "r",
  34: '"',
  92: "\\",
};

function quotePath(name: string): string {
  const bytes = Buffer.from(name, "utf8");
  if (!bytes.some(needsQuoting)) return name;
  let out = '"';
  for (const byte of bytes) {
    if (!needsQuoting(byte)) out += String.fromCharCode(byte);
    else {
      const named = NAMED_ESCAPES[byte];
      out += `\\${named ?? byte.toString(8).padStart(3, "0")}`;
    }
  }
  return `${out}"`;
}

function needsQuoting(byte: number): boolean {
  return byte < 0x20 || byte === 0x22 || byte === 0x5c || byte >= 0x7f;
}

/** Reads a name quoted by `quotePath` (the text between and including the quotes), or undefined. */
function unquotePath(quoted: string): string | undefined {
  if (!quoted.startsWith('"') || !quoted.endsWith('"') || quoted.length < 2) return undefined;
  const bytes: number[] = [];
  const inner = quoted.slice(1, -1);
  const NAMED: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i] as string;
    if (ch === '"') return undefined; // an unescaped quote ends the name early
    if (ch !== "\\") {
      bytes.push(...Buffer.from(ch, "utf8"));
      continue;
    }
    const next = inner[i + 1];
    if (next === undefined) return undefined;
    const named = NAMED[next];
    if (named !== undefined) {
      bytes.push(named);
      i += 1;
    } else if (/^[0-3][0-7]{2}$/.test(inner.slice(i + 1, i + 4))) {
      bytes.push(Number.parseInt(inner.slice(i + 1, i + 4), 8));
      i += 3;
    } else return undefined;
  }
  return Buffer.from(bytes).toString("utf8");
}

/** The path named by `a/P` or `b/P` (quoted or not), without its prefix; undefined otherwise. */
function stripPrefix(name: string, prefix: "a/" | "b/"): string | undefined {
  const plain = name.startsWith('"') ? unquotePath(name) : name;
  return plain?.startsWith(prefix) ? plain.slice(prefix.length) : undefined;
}

/** The path of `diff --git a/P b/P`; renames and copies (two different paths) are not read. */
function headerPath(rest: string): string | undefined {
  if (rest.startsWith('"')) {
    // `"a/…" "b/…"`: the first name ends at the first unescaped quote.
    let end = 1;
    while (end < rest.length && rest[end] !== '"') end += rest[end] === "\\" ? 2 : 1;
    const a = stripPrefix(rest.slice(0, end + 1), "a/");
    const b = stripPrefix(rest.slice(end + 2), "b/");
    return a !== undefined && a === b && rest[end + 1] === " " ? a : undefined;
  }
  // `a/P b/P` unquoted: P may hold spaces, so split where the two halves are the same path.
  if ((rest.length - 5) % 2 !== 0 || rest.length < 7) return undefined;
  const length = (rest.length - 5) / 2;
  const a = rest.slice(2, 2 + length);
  return rest.startsWith("a/") && rest.slice(2 + length) === ` b/${a}` ? a : undefined;
}

interface Hunk {
  readonly header: string;
  readonly oldStart: number;
  readonly oldLines: string[];
  readonly newLines: string[];
  /** Context lines after the last change: none means the hunk ends at the end of the file. */
  readonly trailing: number;
}

interface FileSection {
  readonly path: string;
  readonly isNew: boolean;
  readonly isDeleted: boolean;
  readonly oldId: string | undefined;
  readonly newId: string | undefined;
  readonly hunks: Hunk[];
}

/**
 * Applies a patch made by `buildPatch` to the given current contents, in memory, reading only the
 * patch text. Returns each touched path's resulting content (undefined: deleted), or a reason it
 * does not apply. A path missing from `current` is a file that does not exist.
 */
export function applyPatchInMemory(
  patch: string,
  current: ReadonlyMap<string, string | undefined>,
): ApplyResult {
  const parsed = parsePatch(patch);
  if (!parsed.ok) return parsed;
  const files = new Map<string, string | undefined>();
  for (const section of parsed.sections) {
    const { path } = section;
    if (files.has(path)) return { ok: false, reason: `${path}: the patch changes this file twice` };
    const before = current.get(path);
    if (section.isNew && before !== undefined)
      return { ok: false, reason: `${path}: the patch creates it, but it already exists` };
    if (!section.isNew && before === undefined)
      return { ok: false, reason: `${path}: the file does not exist` };
    if (section.oldId !== undefined && before !== undefined && !blobId(before).startsWith(section.oldId))
      return {
        ok: false,
        reason: `${path}: the current content is not the patch's pre-image (blob ${section.oldId}, the file is ${shortId(before)})`,
      };
    const applied = applyHunks(path, before ?? "", section.hunks);
    if (!applied.ok) return applied;
    if (section.isDeleted && applied.text !== "")
      return { ok: false, reason: `${path}: the patch deletes it, but its hunks leave content behind` };
    if (section.newId !== undefined && !section.isDeleted && !blobId(applied.text).startsWith(section.newId))
      return {
        ok: false,
        reason: `${path}: the result is not the patch's post-image (blob ${section.newId}, the result is ${shortId(applied.text)})`,
      };
    files.set(path, section.isDeleted ? undefined : applied.text);
  }
  return { ok: true, files };
}

/**
 * The paths a patch touches, in its order (the `diff --git` lines only, no hunk is read), or
 * undefined when a header's path cannot be read. `applyPatchInMemory` needs their contents.
 */
export function patchPaths(patch: string): string[] | undefined {
  const paths: string[] = [];
  for (const line of patch.split("\n")) {
    if (!line.startsWith("diff --git ")) continue;
    const path = headerPath(line.slice("diff --git ".length));
    if (path === undefined) return undefined;
    paths.push(path);
  }
  return paths;
}

function parsePatch(patch: string): { ok: true; sections: FileSection[] } | { ok: false; reason: string } {
  if (patch === "") return { ok: true, sections: [] };
  if (!patch.endsWith("\n"))
    return { ok: false, reason: "the patch does not end with a newline (truncated?)" };
  const lines = patch.slice(0, -1).split("\n");
  const sections: FileSection[] = [];
  let i = 0;
  const fail = (message: string) => ({ ok: false as const, reason: `patch line ${i + 1}: ${message}` });
  while (i < lines.length) {
    const line = lines[i] as string;
    if (!line.startsWith("diff --git ")) return fail(`expected "diff --git", found ${JSON.stringify(line)}`);
    const path = headerPath(line.slice("diff --git ".length));
    if (path === undefined)
      return fail(`cannot read the path of ${JSON.stringify(line)} (renames are not supported)`);
    i++;
    let isNew = false;
    let isDeleted = false;
    let oldId: string | undefined;
    let newId: string | undefined;
    for (; i < lines.length; i++) {
      const header = lines[i] as string;
      if (/^(diff --git |--- |@@ )/.test(header)) break;
      const index = /^index ([0-9a-f]{7,64})\.\.([0-9a-f]{7,64})( 100(644|755))?$/.exec(header);
      if (/^new file mode 100(644|755)$/.test(header)) isNew = true;
      else if (/^deleted file mode 100(644|755)$/.test(header)) isDeleted = true;
      else if (/^(old|new) mode 100(644|755)$/.test(header)) {
        // A mode change alone changes no content.
      } else if (index !== null) {
        oldId = /^0+$/.test(index[1] as string) ? undefined : index[1];
        newId = /^0+$/.test(index[2] as string) ? undefined : index[2];
      } else return fail(`unsupported header line ${JSON.stringify(header)}`);
    }
    if (isNew && isDeleted) return fail(`${path}: both a new and a deleted file`);
    if (i < lines.length && (lines[i] as string).startsWith("--- ")) {
      const oldName = nameOf(lines[i] as string, "--- ");
      const newName = nameOf(lines[i + 1] ?? "", "+++ ");
      const expectOld = isNew ? "/dev/null" : `a/${path}`;
      const expectNew = isDeleted ? "/dev/null" : `b/${path}`;
      if (oldName !== expectOld) return fail(`expected "--- ${expectOld}"`);
      i++;
      if (newName !== expectNew) return fail(`expected "+++ ${expectNew}"`);
      i++;
    }
    const hunks: Hunk[] = [];
    while (i < lines.length && (lines[i] as string).startsWith("@@ ")) {
      const header = lines[i] as string;
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(header);
      if (m === null) return fail(`cannot read the hunk header ${JSON.stringify(header)}`);
      let oldLeft = m[2] === undefined ? 1 : Number(m[2]);
      let newLeft = m[4] === undefined ? 1 : Number(m[4]);
      i++;
      const oldLines: string[] = [];
      const newLines: string[] = [];
      // The last line read on each side, for a `\ No newline` marker after it.
      let lastSides: ("old" | "new")[] = [];
      let trailing = 0;
      let changed = false;
      const markNoNewline = (): boolean => {
        if (lastSides.length === 0) return false;
        for (const side of lastSides) {
          const list = side === "old" ? oldLines : newLines;
          list[list.length - 1] = (list[list.length - 1] as string).slice(0, -1);
        }
        lastSides = [];
        return true;
      };
      while (oldLeft > 0 || newLeft > 0) {
        if (i >= lines.length) return fail("the hunk ends early (truncated patch?)");
        const body = lines[i] as string;
        const sign = body[0];
        const text = `${body.slice(1)}\n`;
        if (sign === " " || body === "") {
          // An empty line is an empty context line whose space an editor dropped; git reads it so.
          if (oldLeft === 0 || newLeft === 0) return fail("the hunk has more lines than its header says");
          oldLines.push(body === "" ? "\n" : text);
          newLines.push(body === "" ? "\n" : text);
          oldLeft--;
          newLeft--;
          lastSides = ["old", "new"];
          if (changed) trailing++;
        } else if (sign === "-" || sign === "+") {
          const side = sign === "-" ? "old" : "new";
          if ((side === "old" ? oldLeft : newLeft) === 0)
            return fail("the hunk has more lines than its header says");
          (side === "old" ? oldLines : newLines).push(text);
          if (side === "old") oldLeft--;
          else newLeft--;
          lastSides = [side];
          changed = true;
          trailing = 0;
        } else if (sign === "\\") {
          if (!markNoNewline()) return fail("a `\\ No newline` marker with no line before it");
          // lastSides is now empty: a second marker in a row is an error.
        } else return fail(`unexpected line in a hunk: ${JSON.stringify(body)}`);
        i++;
      }
      if (i < lines.length && (lines[i] as string).startsWith("\\")) {
        if (!markNoNewline()) return fail("a `\\ No newline` marker with no line before it");
        i++;
      }
      hunks.push({ header: m[0], oldStart: Number(m[1]), oldLines, newLines, trailing });
    }
    if (i < lines.length && !(lines[i] as string).startsWith("diff --git "))
      return fail(`unexpected line ${JSON.stringify(lines[i])}`);
    sections.push({ path, isNew, isDeleted, oldId, newId, hunks });
  }
  return { ok: true, sections };
}

/** The name of a `---`/`+++` line (unquoted; the tab git adds after a name with spaces dropped). */
function nameOf(line: string, prefix: string): string | undefined {
  if (!line.startsWith(prefix)) return undefined;
  let name = line.slice(prefix.length);
  if (name.endsWith("\t")) name = name.slice(0, -1);
  if (name.startsWith('"')) return unquotePath(name);
  return name;
}

/**
 * Applies hunks in order, as `git apply` does without fuzz: each hunk's old lines must match
 * exactly, at its stated line (shifted by the offset of the hunks before) or the nearest line
 * where they do; a hunk that starts at line 1 must match at the start, one without trailing
 * context at the end.
 */
function applyHunks(
  path: string,
  text: string,
  hunks: readonly Hunk[],
): { ok: true; text: string } | { ok: false; reason: string } {
  const lines = splitLines(text);
  const out: string[] = [];
  let done = 0; // lines of `lines` already copied or replaced
  let offset = 0;
  for (const [n, hunk] of hunks.entries()) {
    const size = hunk.oldLines.length;
    const stated = (size === 0 ? hunk.oldStart : hunk.oldStart - 1) + offset;
    const atStart = hunk.oldStart <= 1;
    const atEnd = hunk.trailing === 0;
    const fits = (at: number): boolean => {
      if (at < done || at + size > lines.length) return false;
      if (atStart && at !== 0) return false;
      if (atEnd && at + size !== lines.length) return false;
      for (let k = 0; k < size; k++) if (lines[at + k] !== hunk.oldLines[k]) return false;
      return true;
    };
    let found = -1;
    for (
      let distance = 0;
      found < 0 && (stated - distance >= done || stated + distance <= lines.length);
      distance++
    ) {
      if (fits(stated - distance)) found = stated - distance;
      else if (fits(stated + distance)) found = stated + distance;
    }
    if (found < 0)
      return {
        ok: false,
        reason: `${path}: hunk ${n + 1} (${hunk.header}) does not apply: its lines are not in the file`,
      };
    for (let k = done; k < found; k++) out.push(lines[k] as string);
    for (const line of hunk.newLines) out.push(line);
    done = found + size;
    offset = found - (stated - offset);
  }
  for (let k = done; k < lines.length; k++) out.push(lines[k] as string);
  for (let k = 0; k + 1 < out.length; k++)
    if (!(out[k] as string).endsWith("\n"))
      return { ok: false, reason: `${path}: a line without a final newline is not the last line` };
  return { ok: true, text: out.join("") };
}
