/**
 * Reading what a task names: its `context` files and folders, and the current content of its
 * `outputs` (docs/task-spec.md, "Context"). Text only: a file with NUL bytes or that is not
 * UTF-8, is not a regular file (a FIFO is never opened) or cannot be read is left out with a note
 * (TSK4203). Folders are read recursively, in byte order of their names, without `.git`; a file
 * reached twice is read once. A file over the per-file limit or a context over the total limit is
 * refused with the largest files named (TSK4202): nothing is cut.
 */
import { createHash } from "node:crypto";
import { type Dirent, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Diagnostic, makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { TaskEntry } from "../../passes/task/resolve-task.js";
import { type Located, locateContext, locateOutput, symlinkEscape, type TaskRoots } from "./paths.js";

export interface ContextLimits {
  /** The largest context file read. */
  readonly fileBytes: number;
  /** All context files together. */
  readonly totalBytes: number;
}

export const DEFAULT_CONTEXT_LIMITS: ContextLimits = { fileBytes: 256 * 1024, totalBytes: 2 * 1024 * 1024 };

export interface ContextFile {
  /** `context:README.md` or `repo:src/a.ts`. */
  readonly label: string;
  readonly description: string | undefined;
  readonly content: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ReadContext {
  readonly files: readonly ContextFile[];
  /** What was left out and why, for the prompt. */
  readonly notes: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/** The current state of one output rule. */
export interface OutputState {
  /** Repository-relative; a folder rule ends in `/`. */
  readonly path: string;
  readonly located: Located;
  /** The file's content now (exact rules); undefined when it does not exist. */
  readonly current: string | undefined;
  /** The file's git mode, when it exists. */
  readonly mode: "100644" | "100755" | undefined;
  /** Folder rules: the repository-relative paths of the files under it now. */
  readonly existing?: readonly string[];
}

export function readContext(
  entries: readonly TaskEntry[],
  roots: TaskRoots,
  limits: ContextLimits,
): ReadContext {
  const diagnostics: Diagnostic[] = [];
  const notes: string[] = [];
  const files: ContextFile[] = [];
  const seen = new Set<string>();
  const tooLarge: { label: string; bytes: number }[] = [];
  for (const entry of entries) {
    const where = locateContext(entry.path, roots);
    if (!where.ok) {
      diagnostics.push(
        makeDiagnostic(Diagnostics.TaskPathOutsideRoot, entry.span, {
          what: "context",
          path: entry.path,
          reason: where.reason,
        }),
      );
      continue;
    }
    const { located } = where;
    let isDirectory: boolean;
    try {
      isDirectory = statSync(located.absolute).isDirectory();
    } catch {
      diagnostics.push(
        makeDiagnostic(Diagnostics.TaskContextMissing, entry.span, {
          path: entry.path,
          resolved: `${located.root}:${located.relative}`,
        }),
      );
      continue;
    }
    const base = located.root === "repo" ? roots.repo : roots.context;
    const paths = isDirectory ? walk(located.absolute, located.relative) : [located.relative];
    for (const rel of paths) {
      const absolute = join(base, rel);
      const label = `${located.root}:${rel}`;
      const outside = symlinkEscape(base, absolute);
      if (outside !== undefined) {
        diagnostics.push(
          makeDiagnostic(Diagnostics.TaskPathOutsideRoot, entry.span, {
            what: "context",
            path: `${entry.path}${isDirectory ? ` (its file '${rel}')` : ""}`,
            reason: outside,
          }),
        );
        continue;
      }
      let real: string;
      try {
        real = realpathSync(absolute);
      } catch {
        continue;
      }
      if (seen.has(real)) continue;
      seen.add(real);
      const leaveOut = (reason: string) => {
        diagnostics.push(makeDiagnostic(Diagnostics.TaskContextNotText, entry.span, { path: label, reason }));
        notes.push(`${label}: ${reason}`);
      };
      // A FIFO would block the read for ever, a socket fails it: only regular files are read.
      const stat = statSync(real);
      if (!stat.isFile()) {
        leaveOut(stat.isDirectory() ? "it is a folder that cannot be read" : "it is not a regular file");
        continue;
      }
      if (stat.size > limits.fileBytes) {
        tooLarge.push({ label, bytes: stat.size });
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = readFileSync(real);
      } catch (error) {
        leaveOut(`it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
        continue;
      }
      const text = asText(bytes);
      if (text === undefined) {
        leaveOut(bytes.includes(0) ? "it has NUL bytes (a binary file)" : "it is not UTF-8 text");
        continue;
      }
      files.push({
        label,
        description: entry.description,
        content: text,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        bytes: bytes.length,
      });
    }
  }
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  if (tooLarge.length > 0 || total > limits.totalBytes) {
    const all = [...tooLarge, ...files.map((f) => ({ label: f.label, bytes: f.bytes }))].sort(
      (a, b) => b.bytes - a.bytes || (a.label < b.label ? -1 : 1),
    );
    const detail =
      tooLarge.length > 0
        ? `${tooLarge.length} file${tooLarge.length === 1 ? " is" : "s are"} over the per-file limit of ${limits.fileBytes} bytes`
        : `${total} bytes in ${files.length} files, over the limit of ${limits.totalBytes} bytes`;
    const span = entries[0]?.span;
    if (span !== undefined)
      diagnostics.push(
        makeDiagnostic(Diagnostics.TaskContextTooLarge, span, { detail, largest: largestFiles(all) }),
      );
  }
  return { files, notes, diagnostics };
}

/** The three largest files, `label (N bytes)`. */
export function largestFiles(files: readonly { label: string; bytes: number }[]): string {
  return files
    .slice(0, 3)
    .map((f) => `${f.label} (${f.bytes} bytes)`)
    .join(", ");
}

/** The outputs' current state; TSK4201/TSK4205 for an output that cannot be one. */
export function readOutputs(
  entries: readonly TaskEntry[],
  roots: TaskRoots,
): { readonly outputs: readonly OutputState[]; readonly diagnostics: readonly Diagnostic[] } {
  const outputs: OutputState[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const entry of entries) {
    const folder = entry.path.endsWith("/");
    const where = locateOutput(entry.path, roots);
    if (!where.ok) {
      diagnostics.push(
        makeDiagnostic(Diagnostics.TaskPathOutsideRoot, entry.span, {
          what: "output",
          path: entry.path,
          reason: where.reason,
        }),
      );
      continue;
    }
    const { located } = where;
    const notFile = (reason: string) =>
      diagnostics.push(
        makeDiagnostic(Diagnostics.TaskOutputNotFile, entry.span, { path: entry.path, reason }),
      );
    if (located.relative === "") {
      notFile("is the repository root itself");
      continue;
    }
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(located.absolute);
    } catch {
      stat = undefined;
    }
    if (folder) {
      if (stat !== undefined && !stat.isDirectory()) {
        notFile("ends in '/' but is a file");
        continue;
      }
      outputs.push({
        path: `${located.relative}/`,
        located,
        current: undefined,
        mode: undefined,
        existing: stat === undefined ? [] : walk(located.absolute, located.relative),
      });
      continue;
    }
    if (stat?.isDirectory()) {
      notFile("is a folder (end it with '/' to let the task change the files under it)");
      continue;
    }
    if (isSymlink(located.absolute)) {
      // A patch changes the link, not its target: refused now rather than after the model's answer.
      notFile("is a symlink; name the file it points to");
      continue;
    }
    if (stat !== undefined && !stat.isFile()) {
      notFile("is not a regular file");
      continue;
    }
    let current: string | undefined;
    if (stat !== undefined) {
      try {
        current = asText(readFileSync(located.absolute));
      } catch (error) {
        notFile(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
        continue;
      }
      if (current === undefined) {
        notFile("is not a text file (NUL bytes or not UTF-8); a task changes text files only");
        continue;
      }
    }
    outputs.push({
      path: located.relative,
      located,
      current,
      mode: stat === undefined ? undefined : (stat.mode & 0o111) !== 0 ? "100755" : "100644",
    });
  }
  return { outputs, diagnostics };
}

/** The files under `dir` (relative paths joined onto `prefix`), in byte order of names, without `.git`. */
function walk(dir: string, prefix: string): string[] {
  const out: string[] = [];
  const visited = new Set<string>();
  const visit = (absolute: string, rel: string): void => {
    let real: string;
    try {
      real = realpathSync(absolute);
    } catch {
      return;
    }
    if (visited.has(real)) return; // a symlink loop
    visited.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(absolute, { withFileTypes: true });
    } catch {
      out.push(rel); // a folder that cannot be listed: the reader says so rather than skip it
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name === ".git") continue;
      const childAbsolute = join(absolute, entry.name);
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        try {
          isDir = statSync(childAbsolute).isDirectory();
        } catch {
          continue; // a dangling symlink holds nothing to read
        }
      }
      if (isDir) visit(childAbsolute, childRel);
      else out.push(childRel);
    }
  };
  visit(dir, prefix);
  return out;
}

/** The bytes as text, or undefined when they have NULs or are not UTF-8. A BOM is kept. */
export function asText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
