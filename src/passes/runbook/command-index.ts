/**
 * Stage B's tracing: every command of the TSG, split as Stage A splits it, indexed by argv and by
 * text, so that each step of a model's answer is traced back to the command it came from.
 */

import type { CommandLine, TsgBlock, TsgModule, TsgSection } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";
import { DEFAULT_DENY_ENV_VARS, isDeniedEnvVar } from "../../lang/runbook/governance.js";
import { splitCommand } from "./split-command.js";

export interface CommandMatch {
  readonly command: CommandLine;
  readonly origin: "code-block" | "run-line" | "inline-code";
  readonly section: string;
  readonly sectionId: string | undefined;
  readonly words: readonly string[];
}

/**
 * The TSG's commands by argv and by text. One argv can stand on several lines (the same check
 * before and after a fix): a step takes the first such command no earlier step took, preferring
 * the line the model's step names, so each step keeps its own provenance.
 */
export class CommandIndex {
  readonly codeBlockCommands: CommandLine[] = [];
  readonly #byArgv = new Map<string, CommandMatch[]>();
  readonly #byText = new Map<string, CommandMatch[]>();

  constructor(module: TsgModule, source: SourceFile) {
    const push = (map: Map<string, CommandMatch[]>, key: string, match: CommandMatch) => {
      const list = map.get(key);
      if (list === undefined) map.set(key, [match]);
      else if (!list.includes(match)) list.push(match);
    };
    const add = (command: CommandLine, section: TsgSection | undefined) => {
      const split = splitCommand(command, source, (name) => isDeniedEnvVar(name, DEFAULT_DENY_ENV_VARS));
      const match: CommandMatch = {
        command,
        origin: command.origin,
        section: section?.title ?? module.title,
        sectionId: section?.id,
        words: split.argv ?? split.words,
      };
      if (split.argv !== undefined) push(this.#byArgv, argvKey(split.argv), match);
      for (const text of [split.templated, command.text]) push(this.#byText, textKey(text), match);
    };
    const visitBlocks = (blocks: readonly TsgBlock[], section: TsgSection | undefined) => {
      for (const block of blocks) {
        if (block.kind === "code")
          for (const line of block.lines) {
            if (line.kind !== "command") continue;
            this.codeBlockCommands.push(line);
            add(line, section);
          }
        else if (block.kind === "paragraph") for (const command of block.commands) add(command, section);
        else if (block.kind === "list") for (const item of block.items) visitBlocks(item.blocks, section);
        else if (block.kind === "blockquote") visitBlocks(block.blocks, section);
      }
    };
    visitBlocks(module.preamble, undefined);
    const visitSections = (sections: readonly TsgSection[]) => {
      for (const section of sections) {
        visitBlocks(section.blocks, section);
        visitSections(section.children);
      }
    };
    visitSections(module.sections);
  }

  matchArgv(argv: readonly string[], used: ReadonlySet<CommandLine>, line?: Line): CommandMatch | undefined {
    return pick(this.#byArgv.get(argvKey(argv)), used, line);
  }

  matchText(text: string, used: ReadonlySet<CommandLine>, line?: Line): CommandMatch | undefined {
    return pick(this.#byText.get(textKey(text)), used, line);
  }
}

/** Whether a command stands on the line a step of the answer names. */
export type Line = (command: CommandLine) => boolean;

function pick(
  matches: readonly CommandMatch[] | undefined,
  used: ReadonlySet<CommandLine>,
  named: Line | undefined,
): CommandMatch | undefined {
  if (matches === undefined) return undefined;
  const free = matches.filter((m) => !used.has(m.command));
  return (named === undefined ? undefined : free.find((m) => named(m.command))) ?? free[0] ?? matches[0];
}

/** Variable names do not matter for tracing (`{{ .pod }}` = `{{ .POD_NAME }}`); words do. */
function argvKey(argv: readonly string[]): string {
  return JSON.stringify(
    argv.map((word) => word.replace(/\{\{\s*\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}/g, "\u0000")),
  );
}

function textKey(text: string): string {
  return text
    .replace(/\{\{\s*\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}/g, "\u0000")
    .replace(/\s+/g, " ")
    .trim();
}
