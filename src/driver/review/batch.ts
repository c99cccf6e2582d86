/**
 * Atomic batches: every write of one `rllmc review` session goes into place together, under a
 * journal, so that a crash at any moment (kill -9) leaves the old tree or the new one, never a
 * mix (docs/review.md "Atomic batches").
 *
 * A batch is staged in `<repo>/.rllmc/review/<session>/`, inside the repository because rename(2)
 * is atomic only within one file system (a folder under /tmp is often another one):
 *
 * ```
 * journal.json   the journal (written to a temp file, fsynced, renamed over)
 * staged/<i>     the new content of file i (a create or a modify)
 * backup/<i>     file i as it was: a copy for a modify; for a delete, the file itself renamed there
 * ```
 *
 * The order of one batch: check that no target changed since the change was computed (its bytes
 * against `before`) → `beforeCommit` → write and fsync the staged files and backups → journal
 * `staged` → journal `committing` → rename each staged file over its target (a delete renames the
 * target into its backup) → fsync the folders → journal `committed` → `afterCommit`, whose failure
 * restores every backup (journal `rolling-back`, then `rolled-back`) → remove the session folder.
 * A refusal before the journal says `committing` writes nothing in the tree.
 *
 * Recovery ({@link recoverBatches}) reads the journal of every session left behind by a process
 * that is gone; what it does per state is said there.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import { UsageError } from "../usage-error.js";

export interface BatchFile {
  /** Repo-relative, `/`-separated. */
  readonly path: string;
  /** The content the change was computed against; undefined = the file did not exist. */
  readonly before: string | undefined;
  /** The new content; undefined = delete the file. */
  readonly after: string | undefined;
}

export interface BatchOptions {
  /** Runs on the staged result before anything is renamed into place; a reason refuses the batch (nothing written). */
  readonly beforeCommit?: (staged: ReadonlyMap<string, string | undefined>) => Promise<string | undefined>;
  /** Runs after every file is in place (e.g. `--validate-cmd`); a reason rolls the whole batch back. */
  readonly afterCommit?: () => Promise<string | undefined>;
  /** For tests: called at named points of the commit (to kill the process there). */
  readonly onPoint?: (point: string) => void;
}

export type BatchResult =
  | { readonly applied: true; readonly files: readonly string[] }
  | { readonly applied: false; readonly reason: string; readonly rolledBack: boolean };

/** What {@link recoverBatches} did with one session folder it found. */
export interface RecoveredSession {
  readonly session: string;
  readonly recovered: "completed" | "undone";
  readonly files: readonly string[];
}

export interface RecoveryResult {
  /** `completed` when any batch was finished, else `undone` when any was undone or discarded, else `none`. */
  readonly recovered: "none" | "completed" | "undone";
  /** The targets of every batch recovered, in journal order. */
  readonly files: readonly string[];
  /** Each session folder recovered (there is one unless two processes crashed in one repo). */
  readonly sessions: readonly RecoveredSession[];
}

/** The session folders of a repository, relative to its root. */
export const REVIEW_FOLDER = ".rllmc/review";

/** The suffix of a session folder being removed (its batch is over: recovery deletes it silently). */
const REMOVED = ".removed";

export type JournalState = "staged" | "committing" | "committed" | "rolling-back" | "rolled-back";

/** `journal.json` (docs/review.md "Atomic batches"). */
export interface Journal {
  readonly version: 1;
  readonly session: string;
  /** The process that wrote it: recovery leaves the session of a live process alone. */
  readonly pid: number;
  readonly state: JournalState;
  readonly files: readonly JournalEntry[];
  /** Folders the commit makes (repo-relative, parents first); an undo removes them when empty. */
  readonly folders: readonly string[];
}

export interface JournalEntry {
  /** Repo-relative target. */
  readonly target: string;
  /** Session-relative staged file (`staged/<i>`), or null for a delete. */
  readonly staged: string | null;
  /** Session-relative backup (`backup/<i>`), or null when the target did not exist. */
  readonly backup: string | null;
  /** sha256 (hex) of the target's bytes before the batch, or null when it did not exist. */
  readonly beforeSha256: string | null;
  /** sha256 (hex) of the new bytes, or null for a delete. */
  readonly afterSha256: string | null;
}

/** Sessions this process is running now (a live pid in a journal may be ours). */
const activeSessions = new Set<string>();

/**
 * Applies `files` as one atomic batch. A target whose bytes differ from its `before` refuses the
 * batch before anything is written; so does a reason from `beforeCommit`. A failure while the
 * files are renamed, or a reason from `afterCommit`, rolls every file back.
 */
export async function applyBatch(
  repo: string,
  files: readonly BatchFile[],
  options: BatchOptions = {},
): Promise<BatchResult> {
  const root = resolve(repo);
  const point = options.onPoint ?? (() => {});
  const invalid = reviewFolderProblem(root) ?? checkTargets(root, files) ?? checkUnchanged(root, files);
  if (invalid !== undefined) return { applied: false, reason: invalid, rolledBack: false };
  if (options.beforeCommit !== undefined) {
    const staged = new Map(files.map((file) => [file.path, file.after] as const));
    const reason = await options.beforeCommit(staged);
    if (reason !== undefined) return { applied: false, reason, rolledBack: false };
  }

  const id = sessionId();
  const dir = join(root, REVIEW_FOLDER, id);
  activeSessions.add(id);
  try {
    let journal: Journal;
    try {
      journal = stage(root, dir, id, files, point);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      const reason =
        error instanceof ChangedSince ? error.message : `cannot stage the batch: ${message(error)}`;
      return { applied: false, reason, rolledBack: false };
    }
    journal = writeJournal(dir, { ...journal, state: "committing" });
    point("journal:committing");
    try {
      rollForward(root, dir, journal, point);
    } catch (error) {
      undo(root, dir, journal, point);
      removeSession(dir);
      return { applied: false, reason: `cannot write the batch: ${message(error)}`, rolledBack: true };
    }
    journal = writeJournal(dir, { ...journal, state: "committed" });
    point("journal:committed");
    let reason: string | undefined;
    try {
      reason = options.afterCommit === undefined ? undefined : await options.afterCommit();
    } catch (error) {
      // A validation that throws has not passed: the batch goes back as for a reason.
      reason = message(error);
    }
    if (reason !== undefined) {
      undo(root, dir, journal, point);
      removeSession(dir);
      return { applied: false, reason, rolledBack: true };
    }
    removeSession(dir);
    return { applied: true, files: files.map((file) => file.path) };
  } finally {
    activeSessions.delete(id);
  }
}

/**
 * Finishes or undoes every batch a crash interrupted; call before anything else. Sessions of a
 * process still running are left alone. Per journal state:
 *
 * - no journal, or `staged` (the crash came before the first rename): the session is discarded;
 *   the tree was never touched (`undone`).
 * - `committing`: **rolled forward** — each target already renamed stays, each staged file still
 *   waiting is renamed into place (`completed`). The batch had passed every gate before the journal
 *   said `committing`, and its staged files were complete and fsynced, so the new tree is the one
 *   that was approved, and finishing it takes only renames within one file system. Only when it
 *   cannot be finished (a staged file missing or not the bytes the journal expects) is it undone
 *   from the backups (`undone`).
 * - `committed`: kept (`completed`); the batch was applied. If `afterCommit` (the `--validate-cmd`)
 *   had not run yet, validating the tree is the caller's next step.
 * - `rolling-back` / `rolled-back`: the rollback is finished (`undone`).
 *
 * Every branch leaves the targets as all old or all new; the session folder is then removed, so
 * a second call says `none`.
 */
export function recoverBatches(repo: string): RecoveryResult {
  const root = resolve(repo);
  const base = join(root, REVIEW_FOLDER);
  const folderProblem = reviewFolderProblem(root);
  if (folderProblem !== undefined) throw new UsageError(`${folderProblem}; nothing was recovered`);
  let names: string[];
  try {
    names = readdirSync(base).sort();
  } catch {
    return { recovered: "none", files: [], sessions: [] };
  }
  const sessions: RecoveredSession[] = [];
  for (const name of names) {
    const dir = join(base, name);
    if (name.endsWith(REMOVED)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (!isFolder(dir) || activeSessions.has(name)) continue;
    const journal = readJournal(dir);
    const problem = journal === undefined ? undefined : journalProblem(root, journal);
    if (problem !== undefined)
      throw new UsageError(
        `${join(dir, "journal.json")} is not a journal rllmc wrote (${problem}); nothing was recovered: look at it and remove the folder`,
      );
    if (journal !== undefined && journal.pid !== process.pid && isAlive(journal.pid)) continue;
    const files = journal?.files.map((entry) => entry.target) ?? [];
    const state = journal?.state ?? "staged";
    const done = (recovered: "completed" | "undone"): void => {
      removeSession(dir);
      sessions.push({ session: name, recovered, files });
    };
    switch (state) {
      case "staged":
        done("undone");
        break;
      case "committing": {
        const current = journal as Journal;
        if (canRollForward(root, dir, current)) {
          rollForward(root, dir, current, () => {});
          writeJournal(dir, { ...current, state: "committed" });
          done("completed");
        } else {
          undo(root, dir, current, () => {});
          done("undone");
        }
        break;
      }
      case "committed":
        done("completed");
        break;
      case "rolling-back":
        undo(root, dir, journal as Journal, () => {});
        done("undone");
        break;
      case "rolled-back":
        done("undone");
        break;
      default:
        return assertNever(state);
    }
  }
  const recovered = sessions.some((s) => s.recovered === "completed")
    ? "completed"
    : sessions.length > 0
      ? "undone"
      : "none";
  return { recovered, files: sessions.flatMap((s) => s.files), sessions };
}

/**
 * Why a journal found on disk cannot be trusted, or undefined: it is repository content too (a
 * clone may hold one), so its targets and folders must be paths a batch may write, and its
 * staged and backup files the session's own.
 */
function journalProblem(root: string, journal: Journal): string | undefined {
  if (!Array.isArray(journal.files) || !Array.isArray(journal.folders)) return "no files or folders";
  const own = (file: unknown, kind: string) =>
    file === null || (typeof file === "string" && new RegExp(`^${kind}/\\d+$`).test(file));
  for (const entry of journal.files)
    if (typeof entry?.target !== "string" || !own(entry.staged, "staged") || !own(entry.backup, "backup"))
      return "an entry that is not the session's";
  const paths = [...journal.files.map((entry) => entry.target), ...journal.folders];
  return checkTargets(
    root,
    paths.map((path) => ({ path: String(path), before: undefined, after: undefined })),
  );
}

/** A target whose bytes are not its `before` any more, found while it was backed up. */
class ChangedSince extends Error {}

/** A reason the targets cannot form a batch, or undefined. */
/**
 * Batches are staged (and journals read) only in real folders of the repository: a `.rllmc` or
 * `.rllmc/review` that is a symlink would stage files, and take journals, from elsewhere.
 */
function reviewFolderProblem(root: string): string | undefined {
  for (const folder of [".rllmc", REVIEW_FOLDER]) {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(join(root, folder));
    } catch {
      return undefined;
    }
    if (stat.isSymbolicLink())
      return `${folder} in the repository is a symlink: review stages its batches only in a real folder of the repository (remove the link)`;
    if (!stat.isDirectory()) return `${folder} in the repository is not a folder (remove it)`;
  }
  return undefined;
}

function checkTargets(root: string, files: readonly BatchFile[]): string | undefined {
  const seen = new Set<string>();
  for (const file of files) {
    const path = file.path;
    if (path === "" || isAbsolute(path) || path.includes("\\") || path.includes("\0"))
      return `'${path}' is not a repo-relative path`;
    const normal = normalize(path).split(sep).join("/");
    if (normal !== path || path === "." || path.startsWith("../") || path === "..")
      return `'${path}' is not a normalised path inside the repository`;
    if (path === ".rllmc" || path.startsWith(".rllmc/") || path === ".git" || path.startsWith(".git/"))
      return `'${path}' is inside a folder a review never writes (.git/, .rllmc/)`;
    if (seen.has(path)) return `'${path}' is changed twice in one batch`;
    seen.add(path);
  }
  // rename(2) crosses no file system: the nearest existing folder of each target must be on the
  // repository's device, as the session folder is.
  // A folder on the way may be a symbolic link: where it really leads must be inside, too.
  const device = statSync(root).dev;
  const realRoot = realpathSync(root);
  for (const file of files) {
    let folder = dirname(join(root, file.path));
    while (!existsSync(folder) && folder !== root) folder = dirname(folder);
    const stat = statSync(folder);
    if (!stat.isDirectory()) return `'${relative(root, folder)}' is a file, not a folder`;
    const real = relative(realRoot, realpathSync(folder));
    if (real === ".." || real.startsWith(`..${sep}`) || isAbsolute(real))
      return `'${file.path}' leads out of the repository through a symbolic link`;
    if (stat.dev !== device) return `'${file.path}' is on another file system than the repository`;
  }
  return undefined;
}

/** A reason when a target's bytes are not its `before` (or it is not a regular file), or undefined. */
function checkUnchanged(root: string, files: readonly BatchFile[]): string | undefined {
  for (const file of files) {
    const bytes = currentBytes(join(root, file.path), file.path);
    if (typeof bytes === "string") return bytes;
    if (!sameContent(bytes, file.before)) return `'${file.path}' changed since the change was computed`;
  }
  return undefined;
}

/** The file's bytes, undefined when it does not exist, or a reason when it is not a regular file. */
function currentBytes(path: string, shown: string): Buffer | undefined | string {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    return `cannot read '${shown}': ${message(error)}`;
  }
  if (!stat.isFile()) return `'${shown}' is not a regular file`;
  return readFileSync(path);
}

function sameContent(bytes: Buffer | undefined, text: string | undefined): boolean {
  if (bytes === undefined || text === undefined) return bytes === undefined && text === undefined;
  return bytes.equals(Buffer.from(text, "utf8"));
}

/** Writes the session folder and its journal in state `staged`; touches nothing else. */
function stage(
  root: string,
  dir: string,
  id: string,
  files: readonly BatchFile[],
  point: (name: string) => void,
): Journal {
  mkdirSync(join(dir, "staged"), { recursive: true });
  mkdirSync(join(dir, "backup"));
  const entries: JournalEntry[] = [];
  const folders: string[] = [];
  files.forEach((file, index) => {
    const target = join(root, file.path);
    // Backed up from the bytes checked again here, so a file changed since the first check is
    // still refused before anything is renamed.
    const bytes = currentBytes(target, file.path);
    if (typeof bytes === "string") throw new ChangedSince(bytes);
    if (!sameContent(bytes, file.before))
      throw new ChangedSince(`'${file.path}' changed since the change was computed`);
    let backup: string | null = null;
    if (bytes !== undefined) {
      backup = `backup/${index}`;
      // A delete renames the target here during the commit; a modify keeps a copy.
      if (file.after !== undefined) {
        copyFileSync(target, join(dir, backup));
        syncFile(join(dir, backup));
      }
    }
    let staged: string | null = null;
    if (file.after !== undefined) {
      staged = `staged/${index}`;
      const mode = bytes === undefined ? undefined : statSync(target).mode & 0o7777;
      writeDurably(join(dir, staged), Buffer.from(file.after, "utf8"), mode);
      for (let folder = dirname(file.path); folder !== "."; folder = dirname(folder)) {
        if (!existsSync(join(root, folder)) && !folders.includes(folder)) folders.push(folder);
      }
    }
    entries.push({
      target: file.path,
      staged,
      backup,
      beforeSha256: bytes === undefined ? null : sha256(bytes),
      afterSha256: file.after === undefined ? null : sha256(Buffer.from(file.after, "utf8")),
    });
    point(`staged:${file.path}`);
  });
  syncFolder(join(dir, "staged"));
  syncFolder(join(dir, "backup"));
  folders.sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  const journal = writeJournal(dir, {
    version: 1,
    session: id,
    pid: process.pid,
    state: "staged",
    files: entries,
    folders,
  });
  point("journal:staged");
  return journal;
}

/** Whether every entry is either in place or still waiting with its staged bytes intact. */
function canRollForward(root: string, dir: string, journal: Journal): boolean {
  return journal.files.every((entry) => {
    const target = join(root, entry.target);
    if (entry.staged === null) {
      // A delete: done when the target is in the backup, waiting when it is still there.
      return entry.backup === null || existsSync(join(dir, entry.backup)) || existsSync(target);
    }
    const staged = join(dir, entry.staged);
    if (existsSync(staged)) return sha256(readFileSync(staged)) === entry.afterSha256;
    return existsSync(target) && sha256(readFileSync(target)) === entry.afterSha256;
  });
}

/** Renames every waiting staged file into place (and every deleted target into its backup), then fsyncs the folders. */
function rollForward(root: string, dir: string, journal: Journal, point: (name: string) => void): void {
  const touched = new Set<string>();
  for (const entry of journal.files) {
    const target = join(root, entry.target);
    if (entry.staged === null) {
      if (entry.backup !== null && !existsSync(join(dir, entry.backup))) {
        renameSync(target, join(dir, entry.backup));
        touched.add(dirname(target));
      }
    } else if (existsSync(join(dir, entry.staged))) {
      makeFolders(root, dirname(entry.target), touched);
      renameSync(join(dir, entry.staged), target);
      touched.add(dirname(target));
    }
    point(`renamed:${entry.target}`);
  }
  touched.add(join(dir, "staged"));
  touched.add(join(dir, "backup"));
  for (const folder of touched) syncFolder(folder);
  point("synced");
}

/**
 * Puts every target back as it was: a modified or deleted file is renamed back from its backup,
 * a created one removed, then the folders the commit made are removed when empty. Safe to run
 * again after a crash half-way (each step looks at the disk first).
 */
function undo(root: string, dir: string, journal: Journal, point: (name: string) => void): void {
  let current = journal;
  if (current.state !== "rolling-back") current = writeJournal(dir, { ...current, state: "rolling-back" });
  point("journal:rolling-back");
  const touched = new Set<string>();
  for (const entry of [...current.files].reverse()) {
    const target = join(root, entry.target);
    const staged = entry.staged === null ? undefined : join(dir, entry.staged);
    const backup = entry.backup === null ? undefined : join(dir, entry.backup);
    if (staged !== undefined && existsSync(staged)) {
      // Never renamed into place: the target is still the old file.
    } else if (backup !== undefined) {
      if (existsSync(backup)) {
        makeFolders(root, dirname(entry.target), touched);
        renameSync(backup, target);
      }
    } else if (staged !== undefined) {
      rmSync(target, { force: true });
    }
    touched.add(dirname(target));
    point(`restored:${entry.target}`);
  }
  for (const folder of [...current.folders].reverse()) {
    try {
      rmdirSync(join(root, folder));
      touched.add(dirname(join(root, folder)));
    } catch {
      // Not empty (something else was put there) or already gone.
    }
  }
  for (const folder of touched) if (existsSync(folder)) syncFolder(folder);
  writeJournal(dir, { ...current, state: "rolled-back" });
  point("journal:rolled-back");
}

/** `mkdir -p` of a repo-relative folder, noting each folder whose entries changed. */
function makeFolders(root: string, folder: string, touched: Set<string>): void {
  if (folder === "." || existsSync(join(root, folder))) return;
  makeFolders(root, dirname(folder), touched);
  mkdirSync(join(root, folder));
  touched.add(dirname(join(root, folder)));
}

/** Writes the journal atomically: a temp file, fsync, rename over, fsync of the folder. */
function writeJournal(dir: string, journal: Journal): Journal {
  const temp = join(dir, "journal.json.tmp");
  writeDurably(temp, Buffer.from(`${JSON.stringify(journal, null, 2)}\n`, "utf8"));
  renameSync(temp, join(dir, "journal.json"));
  syncFolder(dir);
  return journal;
}

function readJournal(dir: string): Journal | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, "journal.json"), "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  // Journals are written atomically: one that does not parse was not written by rllmc.
  let journal: Journal | null;
  try {
    journal = JSON.parse(text) as Journal | null;
  } catch {
    journal = null;
  }
  if (journal === null || typeof journal !== "object" || journal.version !== 1)
    throw new UsageError(
      `${join(dir, "journal.json")} is not a journal rllmc wrote (${journal === null ? "not JSON" : `version ${String((journal as { version?: unknown }).version)}`}); nothing was recovered: look at it and remove the folder`,
    );
  return journal;
}

/**
 * Removes a session folder: renamed to `<session>.removed` first, in one step, so a crash while
 * it is deleted leaves a folder recovery drops without a word. (Deleting the journal first left a
 * folder without one, which recovery reported as a batch `undone`, after a batch that was applied.)
 */
function removeSession(dir: string): void {
  const removed = `${dir}${REMOVED}`;
  try {
    renameSync(dir, removed);
  } catch {
    rmSync(join(dir, "journal.json"), { force: true });
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  rmSync(removed, { recursive: true, force: true });
}

function writeDurably(path: string, bytes: Buffer, mode?: number): void {
  const fd = openSync(path, "w");
  try {
    // The staged file replaces the target, so it takes the target's mode (an executable stays one).
    if (mode !== undefined) fchmodSync(fd, mode);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a folder, so the renames in it survive a power loss; a no-op where the system refuses it. */
function syncFolder(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Windows and some file systems cannot fsync a folder.
  } finally {
    closeSync(fd);
  }
}

function sessionId(): string {
  return `${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Whether a process with this id is running (EPERM: it is, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === "EPERM";
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function assertNever(value: never): never {
  throw new Error(`unexpected journal state ${String(value)}`);
}
