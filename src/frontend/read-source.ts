/**
 * Reading a source file: size limit, binary and UTF-8 checks, BOM removal. Never throws for a
 * bad file; it reports a diagnostic instead.
 */

import { isUtf8 } from "node:buffer";
import { readFileSync, statSync } from "node:fs";
import type { Diagnostic } from "../ir/diagnostic.js";
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import { SourceFile } from "../ir/source-file.js";
import type { SizeLimit } from "./size-limits.js";

/** Largest source file accepted (64 MiB): far above any real one, well below memory trouble. */
export const MAX_SOURCE_BYTES = 64 * 1024 * 1024;

export interface ReadResult {
  readonly source: SourceFile | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Reads `path` as a source file. `limit` is the size limit of the file's kind
 * (size-limits.ts); without one, only `MAX_SOURCE_BYTES` applies.
 */
export function readSource(path: string, limit?: SizeLimit): ReadResult {
  const whole = { file: path, start: 0, end: 0 };
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      return fail(makeDiagnostic(Diagnostics.FileNotReadable, whole, { path, reason: "it is a directory" }));
    }
    if (!stat.isFile()) {
      // A FIFO, socket or device could block or never end: only regular files are read.
      return fail(
        makeDiagnostic(Diagnostics.FileNotReadable, whole, { path, reason: "it is not a regular file" }),
      );
    }
    if (stat.size > MAX_SOURCE_BYTES) {
      return fail(
        makeDiagnostic(Diagnostics.FileTooLarge, whole, { size: stat.size, limit: MAX_SOURCE_BYTES }),
      );
    }
    if (limit !== undefined && stat.size > limit.bytes) {
      return fail(
        makeDiagnostic(Diagnostics.FileTooLarge, whole, {
          size: stat.size,
          limit: limit.bytes,
          what: limit.what,
        }),
      );
    }
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return fail(makeDiagnostic(Diagnostics.FileNotFound, whole, { path }));
    const reason = code === "EACCES" ? "permission denied" : ((error as Error).message ?? String(error));
    return fail(makeDiagnostic(Diagnostics.FileNotReadable, whole, { path, reason }));
  }
  return decodeSource(path, bytes);
}

export function decodeSource(path: string, bytes: Uint8Array): ReadResult {
  const whole = { file: path, start: 0, end: 0 };
  if (bytes.includes(0)) return fail(makeDiagnostic(Diagnostics.BinaryFile, whole, {}));
  if (!isUtf8(bytes)) {
    return fail(makeDiagnostic(Diagnostics.InvalidUtf8, whole, { byteOffset: firstInvalidUtf8Byte(bytes) }));
  }
  return { source: sourceFromText(path, new TextDecoder("utf-8").decode(bytes)), diagnostics: [] };
}

/** A source from text already in memory (tests, stdin). A leading BOM is removed. */
export function sourceFromText(path: string, text: string): SourceFile {
  return new SourceFile(path, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

function fail(diagnostic: Diagnostic): ReadResult {
  return { source: undefined, diagnostics: [diagnostic] };
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlongs, surrogates and values past U+10FFFF.
    const c1 = bytes[i + 1] ?? 0;
    if (
      (b === 0xe0 && c1 < 0xa0) ||
      (b === 0xed && c1 > 0x9f) ||
      (b === 0xf0 && c1 < 0x90) ||
      (b === 0xf4 && c1 > 0x8f)
    ) {
      return i;
    }
    i += need + 1;
  }
  return bytes.length;
}
