/**
 * Option parsing for commands: `node:util` parseArgs in strict mode, with usage errors turned
 * into a one-line message and exit code 2 instead of an exception.
 */
import { parseArgs } from "node:util";
import { DiagnosticUsageError, UsageError } from "../driver/usage-error.js";
import { didYouMean } from "../ir/did-you-mean.js";
import type { SourceKind } from "../ir/nodes.js";
import { ExitCode } from "./exit-codes.js";

export type OptionSpec = Readonly<
  Record<string, { type: "boolean" | "string"; short?: string; multiple?: boolean }>
>;

export interface ParsedOptions {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

export function parseOptions(args: readonly string[], options: OptionSpec): ParsedOptions {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message);
    if (unknown !== null) {
      const hint = didYouMean(
        unknown[1]!,
        Object.keys(options).map((o) => `--${o}`),
      );
      throw new UsageError(`unknown option '${unknown[1]}'${hint ? `; ${hint}` : ""}`);
    }
    throw new UsageError(message.split(/\. To specify/)[0] ?? message);
  }
}

export function parseKind(value: unknown): SourceKind | undefined {
  if (value === undefined) return undefined;
  return oneOf("--kind", String(value), ["rllm", "tsg", "task"] as const);
}

/** `--kind` of `check`, which also reads runbooks and cli-replay scenarios. */
export function parseFileKind(value: unknown): SourceKind | "runbook" | "scenario" | undefined {
  if (value === undefined) return undefined;
  return oneOf("--kind", String(value), ["rllm", "tsg", "task", "runbook", "scenario"] as const);
}

/**
 * An option (or environment variable) whose value must be one of `allowed`: the value, or a
 * UsageError that lists them and says "did you mean" when the value is a likely typo.
 */
export function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const hint = didYouMean(value, allowed);
  const list = allowed.length === 2 ? allowed.join(" or ") : `one of ${allowed.join(", ")}`;
  throw new UsageError(`${what} must be ${list}, not '${value}'${hint ? `; ${hint}` : ""}`);
}

/**
 * Runs a command body, turning a UsageError into its message and exit code 2, and an output path
 * that cannot be written into its diagnostic (RLC0009, RLC0010) and exit code 2.
 */
export async function withUsage(
  program: string,
  command: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (isOutputPathError(error)) {
      // A path to write that cannot be written (or a source whose name leaves no output name):
      // the command line's fault, said as a diagnostic (RLC0009, RLC0010).
      const { outputPathDiagnostic } = await import("../driver/output-paths.js");
      const { formatDiagnostic, sourceLookup } = await import("../ir/print-diagnostics.js");
      process.stderr.write(`${formatDiagnostic(outputPathDiagnostic(error)!, sourceLookup([]))}\n`);
      return ExitCode.Usage;
    }
    if (!(error instanceof UsageError)) throw error;
    if (error instanceof DiagnosticUsageError) {
      const { formatDiagnostic, sourceLookup } = await import("../ir/print-diagnostics.js");
      process.stderr.write(`${formatDiagnostic(error.diagnostic, sourceLookup([]))}\n`);
      return ExitCode.Usage;
    }
    process.stderr.write(
      `${program} ${command}: ${error.message}\nRun '${program} ${command} --help' for usage.\n`,
    );
    return ExitCode.Usage;
  }
}

/** WritePathError (runtime/shared/write-file.ts) or OutputNameError (output-paths.ts), told by name so
 * that this module, which every command loads, loads neither. */
function isOutputPathError(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return error instanceof Error && (name === "WritePathError" || name === "OutputNameError");
}
