/**
 * What a generated file says about where it came from: the source's path and the command that
 * regenerates it. Both are relative to the output's folder (with `/` separators), so the bytes
 * depend neither on where the checkout lives nor on where the command ran, and the command
 * works when run from that folder. The command carries every option that decides the output
 * (`--out-dir`, `--runtime-import`, `--llm`, `--frozen`, `--provider`, `--model`, `--cache-dir`,
 * …) and none that does not (`--json`, `--quiet`, `--no-cache`).
 */
import { dirname, relative, resolve, sep } from "node:path";

/** `target` relative to `folder`, `/`-separated; `.` for the folder itself. */
export function pathFrom(folder: string, target: string): string {
  const path = relative(resolve(folder), resolve(target)).split(sep).join("/");
  return path === "" ? "." : path;
}

/**
 * Words as a POSIX shell command line: a word of safe characters as it is (`qwen2.5:7b`,
 * `../x.md`), any other in single quotes.
 */
function quote(words: readonly string[]): string {
  return words
    .map((word) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}

/** A path as a command argument: one that starts with `-` must not read as an option. */
function argument(path: string): string {
  return path.startsWith("-") ? `./${path}` : path;
}

export interface AppCommandOptions {
  /** The apps named on the command line, as given. */
  readonly roots: readonly string[];
  readonly outDir: string | undefined;
  readonly runtimeImport: string | undefined;
}

/**
 * The header of one compiled app: its source from the module's folder, and the command as
 * typed (every root, `--out-dir`, `--runtime-import`) with its paths from that folder. Run
 * there, the command rewrites the whole tree, this module with the same bytes.
 */
export function appProvenance(
  app: string,
  module: string,
  options: AppCommandOptions,
): { source: string; command: string } {
  const folder = dirname(resolve(module));
  return {
    source: pathFrom(folder, app),
    command: quote([
      "rllmc",
      "compile",
      ...options.roots.map((root) => argument(pathFrom(folder, root))),
      ...(options.outDir === undefined ? [] : ["--out-dir", argument(pathFrom(folder, options.outDir))]),
      // A module specifier, written into the module as given: not a path from the cwd.
      ...(options.runtimeImport === undefined ? [] : ["--runtime-import", options.runtimeImport]),
    ]),
  };
}

/** The `--llm` settings of a runbook compile, resolved (flags, then the environment). */
export interface RunbookLlmSettings {
  readonly mode: "off" | "cached" | "live";
  readonly frozen?: boolean;
  readonly provider?: string | undefined;
  readonly model?: string | undefined;
  readonly baseUrl?: string | undefined;
  readonly cassette?: string | undefined;
  readonly cacheDir?: string | undefined;
}

/** Where a TSG's outputs go; an absent runbook goes to stdout. */
export interface RunbookOutputs {
  readonly runbook?: string | undefined;
  readonly mapping?: string | undefined;
}

/** How a compiled runbook names its TSG and the command that remakes it. */
export interface RunbookPlacement {
  /** The TSG as `runbook.yaml` names it (`source.file`): from its folder, or the cwd for stdout. */
  readonly file: string;
  /** The TSG as `mapping.md` names it: from its folder. */
  readonly mappingFile: string;
  /** The single-file command that remakes both outputs, run from `runbook.yaml`'s folder. */
  readonly command: string;
}

/**
 * The placement of one TSG's outputs. A batch compile (`--out-dir`) gives each file the
 * command that compiles it alone into its folder (`--out runbook.yaml --mapping mapping.md`):
 * the same bytes either way, so the command regenerates exactly what it is written in.
 */
export function runbookPlacement(
  path: string,
  outputs: RunbookOutputs,
  llm: RunbookLlmSettings,
  cwd: string = process.cwd(),
): RunbookPlacement {
  const folder = outputs.runbook === undefined ? cwd : dirname(resolve(outputs.runbook));
  const from = (target: string) => argument(pathFrom(folder, target));
  const file = pathFrom(folder, path);
  const llmArgs =
    llm.mode === "off"
      ? []
      : [
          "--llm",
          llm.mode,
          ...(llm.frozen === true ? ["--frozen"] : []),
          ...(llm.provider === undefined ? [] : ["--provider", llm.provider]),
          ...(llm.model === undefined ? [] : ["--model", llm.model]),
          ...(llm.baseUrl === undefined ? [] : ["--base-url", llm.baseUrl]),
          ...(llm.cassette === undefined ? [] : ["--cassette", from(llm.cassette)]),
          // Always named: the default (.rllmc/cache) is relative to where the command runs.
          ...(llm.cacheDir === undefined ? [] : ["--cache-dir", from(llm.cacheDir)]),
        ];
  return {
    file,
    mappingFile: outputs.mapping === undefined ? file : pathFrom(dirname(resolve(outputs.mapping)), path),
    command: quote([
      "runbook",
      "compile",
      argument(file),
      ...(outputs.runbook === undefined ? [] : ["--out", from(outputs.runbook)]),
      ...(outputs.mapping === undefined ? [] : ["--mapping", from(outputs.mapping)]),
      ...llmArgs,
    ]),
  };
}
