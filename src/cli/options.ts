/**
 * Option parsing for commands: `node:util` parseArgs in strict mode, with usage errors turned
 * into a one-line message and exit code 2 instead of an exception.
 */
import { parseArgs } from "node:util";
import { didYouMean } from "../ir/did-you-mean.js";
import type { SourceKind } from "../ir/nodes.js";
import { ExitCode } from "./exit-codes.js";

export type OptionSpec = Readonly<
  Record<string, { type: "boolean" | "string"; short?: string; multiple?: boolean }>
>;

export class UsageError extends Error {}

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
  if (value === "rllm" || value === "tsg" || value === "task") return value;
  throw new UsageError(`--kind must be rllm, tsg or task, not '${String(value)}'`);
}

/** Runs a command body, turning a UsageError into its message and exit code 2. */
export async function withUsage(
  program: string,
  command: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(
      `${program} ${command}: ${error.message}\nRun '${program} ${command} --help' for usage.\n`,
    );
    return ExitCode.Usage;
  }
}
