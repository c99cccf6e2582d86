/**
 * How a code block is read: `shell` (commands, maybe with prompts and sample output) or
 * `literal` (kept as text). The rule:
 *
 * - a block labelled with a shell language (`SHELL_LANGUAGES`) is `shell`;
 * - any other label (yaml, json, promql, sql, ruby, text, …) is `literal`;
 * - an unlabelled block is `shell` when some line has a shell prompt (`$ `, `user@host:~$ `,
 *   a root `# ` before a command, …; REPL prompts such as `db=#` do not count), or when its
 *   first significant line — skipping blank lines, `#` lines and bare `NAME=value`
 *   assignments — looks like a command (`looksLikeCommand` in `known-commands.ts`), or when
 *   it holds nothing but such assignments (`POOL=<name of pool>`); otherwise it is `literal`;
 * - a `shell` block with no prompt at all is read as data (`literal`, with the reason) when
 *   `dataBlockReason` finds it is one: YAML, JSON, SQL, log lines, queries, command output.
 */
import type { CodeBlockRole } from "../../ir/nodes.js";
import { dataBlockReason } from "./data-text.js";
import { isAssignmentOnly, looksLikeCommand } from "./known-commands.js";
import type { BlockFacts } from "./line-facts.js";

/** Transcript languages: when such a block has prompts, every line without one is output. */
export const SESSION_LANGUAGES: ReadonlySet<string> = new Set([
  "console",
  "shell-session",
  "shellsession",
  "sh-session",
  "bash-session",
  "terminal",
  "term",
]);

/** PowerShell: a trailing backtick continues a line; no heredocs. */
export const POWERSHELL_LANGUAGES: ReadonlySet<string> = new Set(["powershell", "pwsh", "ps1", "posh"]);

/** Info-string languages whose blocks hold shell commands. */
export const SHELL_LANGUAGES: ReadonlySet<string> = new Set([
  ...["sh", "bash", "shell", "shel", "zsh", "ksh", "dash", "fish", "shellscript"],
  ...SESSION_LANGUAGES,
  ...POWERSHELL_LANGUAGES,
]);

export interface BlockReading {
  readonly role: CodeBlockRole;
  /** Why a block that could have held commands was read as data. */
  readonly dataReason?: string;
}

/** How a block labelled `lang` (lower-cased, "" for none) is read, given its lines' facts. */
export function readCodeBlock(lang: string, lines: readonly string[], facts: () => BlockFacts): BlockReading {
  const role = codeBlockRole(lang, lines, facts);
  if (role !== "shell" || facts().prompted) return { role };
  const dataReason = dataBlockReason(lines);
  return dataReason === undefined ? { role } : { role: "literal", dataReason };
}

function codeBlockRole(lang: string, lines: readonly string[], facts: () => BlockFacts): CodeBlockRole {
  if (lang !== "") return SHELL_LANGUAGES.has(lang) ? "shell" : "literal";
  if (facts().shellPrompted) return "shell";
  let assignments = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (isAssignmentOnly(trimmed)) {
      assignments = true;
      continue;
    }
    return looksLikeCommand(trimmed) ? "shell" : "literal";
  }
  return assignments ? "shell" : "literal";
}
