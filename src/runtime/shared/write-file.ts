/**
 * Writing files and making folders where a user pointed us (`--out`, `--out-dir`, `--run-dir`,
 * `--record`, RLLMC_HOME, cache folders), failing fast with a reason a person can act on.
 *
 * `makeDirectory` replaces `mkdirSync(dir, { recursive: true })`, which spins forever on a path
 * the kernel refuses with ENOENT although its parent exists (`/proc/foo`), and whose errors name
 * neither the component in the way nor what is wrong with it. `writeFileAtomic` writes a temp
 * file beside the target and renames it over, so a reader sees the old file or the new one,
 * never half of one; it refuses a target that is a folder before writing anything.
 *
 * Both throw {@link WritePathError}; the CLI reports it as RLC0009 with exit code 2.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** A path rllmc was asked to write to cannot be written; `reason` says why, for a person. */
export class WritePathError extends Error {
  override readonly name = "WritePathError";
  /** The file or folder that was to be written, as given. */
  readonly path: string;
  /** Why not, e.g. "'README.md' is a file, not a folder". */
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`cannot write '${path}': ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

/** `mkdir -p`, one component at a time; throws WritePathError for anything in the way. */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT") {
        const parent = dirname(current);
        if (parent === current) throw new WritePathError(dir, `'${current}' does not exist`);
        missing.push(current);
        current = parent;
        continue;
      }
      if (code === "ENOTDIR") {
        // Some ancestor is a file: find it, to name it.
        throw new WritePathError(dir, `'${fileAncestor(current) ?? current}' is a file, not a folder`);
      }
      throw new WritePathError(dir, describeError(error, current));
    }
    if (!isDirectory) throw new WritePathError(dir, `'${current}' is a file, not a folder`);
    break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if (errorCode(error) === "EEXIST" && isFolder(folder)) continue;
      throw new WritePathError(dir, describeError(error, folder, "folder"));
    }
  }
}

/**
 * Writes `data` to `path` through a temp file and a rename, making its folder first. With
 * `unchanged: "keep"`, a file that already holds exactly `data` is left alone (its time too).
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { readonly unchanged?: "keep" | "rewrite" } = {},
): void {
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(path);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOTDIR")
      throw new WritePathError(path, `'${fileAncestor(path) ?? path}' is a file, not a folder`);
    if (code !== "ENOENT") throw new WritePathError(path, describeError(error, path));
  }
  if (existing?.isDirectory()) throw new WritePathError(path, "it is a folder; give a file name");
  if (existing !== undefined && !existing.isFile())
    throw new WritePathError(path, "it is not a regular file (a FIFO, socket or device)");
  if (existing !== undefined && options.unchanged === "keep" && sameBytes(path, data)) return;
  const folder = dirname(path) || ".";
  makeDirectory(folder);
  const temp = join(folder, `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new WritePathError(path, describeError(error, path));
  }
}

/** A person's reason for a failed file-system call that was to make `path`, a file or a folder. */
export function describeError(error: unknown, path: string, what: "file" | "folder" = "file"): string {
  switch (errorCode(error)) {
    case "EACCES":
    case "EPERM":
      return `permission denied: cannot create the ${what} '${path}'`;
    case "EROFS":
      return `'${path}' is on a read-only file system`;
    case "ENOSPC":
      return "no space left on the device";
    case "EDQUOT":
      return "the disk quota is used up";
    case "ENOENT":
      // The folder it goes in exists (it was made or checked first), yet the system says it does
      // not: a special file system such as /proc.
      return `'${dirname(path)}' does not allow a new ${what} in it`;
    case "ENOTDIR":
      return `'${fileAncestor(path) ?? path}' is a file, not a folder`;
    case "EISDIR":
      return `'${path}' is a folder; give a file name`;
    case "ENAMETOOLONG":
      return "the path is too long";
    case "EEXIST":
      return `'${path}' already exists and is not a folder`;
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The nearest ancestor of `path` (or `path` itself) that exists and is not a folder. */
function fileAncestor(path: string): string | undefined {
  for (let current = path; ; current = dirname(current)) {
    try {
      if (!statSync(current).isDirectory()) return current;
    } catch {
      // Not there, or a file above it: keep going up.
    }
    if (dirname(current) === current) return undefined;
  }
}

function sameBytes(path: string, data: string | Uint8Array): boolean {
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
    if (statSync(path).size !== bytes.length) return false;
    return readFileSync(path).equals(bytes);
  } catch {
    return false;
  }
}
