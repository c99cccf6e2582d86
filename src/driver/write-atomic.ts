/** How the driver writes every output: atomically, and only when its bytes change. */
import { writeFileAtomic } from "../runtime/shared/write-file.js";

/**
 * Writes `text` to `path` through a temp file and a rename; leaves an identical file alone.
 * Throws WritePathError (runtime/shared/write-file.ts) for a path that cannot be written.
 */
export function writeAtomic(path: string, text: string): void {
  writeFileAtomic(path, text, { unchanged: "keep" });
}
