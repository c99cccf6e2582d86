/**
 * Where a compiled source's outputs go, and the errors of output paths as diagnostics.
 *
 * An output's name comes from its source's name (`guide.md` → `<out-dir>/guide/runbook.yaml`,
 * `app.rllm` → `app.mjs`): a source named `.rllm`, `...rllm` or `...md` has no usable name left
 * once the extension is gone (`''`, `..`), and `join(outDir, "..")` would write outside the
 * output folder. Such a source is refused with RLC0010 instead.
 *
 * `WritePathError` (runtime/shared/write-file.ts, a path that cannot be written: a folder given for a
 * file, a file in the way of a folder, `/proc`, no permission) and `OutputNameError` become
 * RLC0009 and RLC0010; `withUsage` (cli/options.ts) prints them and ends the command with exit 2.
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type Diagnostic, makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import { WritePathError } from "../runtime/shared/write-file.js";

/** A source whose name leaves no usable name for its outputs. */
export class OutputNameError extends Error {
  override readonly name = "OutputNameError";
  constructor(
    readonly path: string,
    readonly stem: string,
  ) {
    super(`cannot name the outputs of '${path}'`);
  }
}

/**
 * The path of `source`'s outputs without their extension: `<outDir>/<source relative to base,
 * extension removed>`, or beside the source without `outDir`. Throws OutputNameError when that
 * name is empty or only dots, or when it would leave `outDir`.
 */
export function outputStem(
  source: string,
  extension: RegExp,
  options: { readonly base: string; readonly outDir: string | undefined },
): string {
  const stem = source.replace(extension, "");
  const name = stem.slice(Math.max(stem.lastIndexOf("/"), stem.lastIndexOf(sep)) + 1);
  if (/^\.*$/.test(name)) throw new OutputNameError(source, name);
  if (options.outDir === undefined) return stem;
  const inside = relative(options.base, stem);
  const out = join(options.outDir, inside);
  const back = relative(resolve(options.outDir), resolve(out));
  if (back === "" || back.startsWith("..") || isAbsolute(back)) throw new OutputNameError(source, name);
  return out;
}

/** The deepest folder holding every file (`.` for files in the cwd): the base of `outputStem`. */
export function commonDirectory(files: readonly string[]): string {
  if (files.length === 0) return ".";
  let common = dirname(resolve(files[0]!)).split(sep);
  for (const file of files.slice(1)) {
    const parts = dirname(resolve(file)).split(sep);
    let i = 0;
    while (i < common.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return relative(process.cwd(), common.join(sep) || sep) || ".";
}

/** The diagnostic of an output path that cannot be used, or undefined for any other error. */
export function outputPathDiagnostic(error: unknown): Diagnostic | undefined {
  if (error instanceof WritePathError)
    return makeDiagnostic(
      Diagnostics.OutputNotWritable,
      { file: error.path, start: 0, end: 0 },
      { path: error.path, reason: error.reason },
    );
  if (error instanceof OutputNameError)
    return makeDiagnostic(
      Diagnostics.OutputNameUnusable,
      { file: error.path, start: 0, end: 0 },
      { path: error.path, name: error.stem },
    );
  return undefined;
}
