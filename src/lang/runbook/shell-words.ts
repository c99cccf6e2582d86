/**
 * Splits a command line that a program hands to a shell (`bash -c '…'`, `ssh host '…'`, `watch
 * '…'`, `su -c '…'`) into the commands it runs, with shell-quote — or says why it cannot be
 * split with certainty. Governance (`governance.ts`) judges each command like a step's argv, so
 * a denied program cannot hide in a shell string.
 *
 * Certain means: quoting is the only shell syntax besides command separators (`;`, `&&`, `||`,
 * `|`, `&`) and plain redirections (`> file`, `2>&1`). Anything the shell would expand or that
 * shell-quote reads differently from a shell is refused: `$` (variables, `$(…)`, `$'…'`),
 * backquotes, line breaks (shell-quote reads them as blanks), `#` (shell-quote starts a comment
 * inside a word), parentheses and braces (subshells, functions, brace expansion; a lone `{}`
 * word is allowed), backslashes other than `\;`, globs, and reserved words (`if`, `for`, …).
 */
import { parse } from "shell-quote";

export type ShellSplit =
  | { readonly commands: readonly (readonly string[])[]; readonly uncertain?: undefined }
  | { readonly commands?: undefined; readonly uncertain: string };

const SEPARATORS = new Set([";", "&&", "||", "|", "|&", "&"]);
const REDIRECTS = new Set([">", ">>", "<", ">&", "<&", ">|"]);
const RESERVED = new Set([
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "do",
  "done",
  "case",
  "esac",
  "while",
  "until",
  "for",
  "in",
  "select",
  "function",
  "{",
  "}",
  "[[",
  "]]",
  "coproc",
  "begin",
  "end",
  "switch",
]);

/** Builtins that change what a later name runs, or run a string later. */
const REBINDING = new Set(["alias", "trap", "hash", "enable", "function"]);

/** What makes a shell string uncertain, in words, by the character that shows it. */
const UNCERTAIN_CHARACTERS: readonly [RegExp, string][] = [
  [/\$/, "'$' (a variable, command substitution or $'…' quoting)"],
  [/`/, "a backquote (command substitution)"],
  [/[\n\r]/, "a line break"],
  [/#/, "'#' (a comment)"],
  [/[()]/, "parentheses (a subshell, a function or process substitution)"],
  [/[{}]/, "braces (a group or brace expansion)"],
  [/\\/, "a backslash escape"],
];

/** The commands of a shell command line, each a list of words; or why it cannot be certain. */
export function splitShellCommands(text: string): ShellSplit {
  // `{}` as a whole word (find's placeholder) and `\;` (find's terminator) are plain words.
  const plain = text.replace(/(^|\s)\{\}(?=\s|$)/g, "$1").replace(/\\;/g, "");
  for (const [re, what] of UNCERTAIN_CHARACTERS)
    if (re.test(plain)) return { uncertain: `the shell command line holds ${what}` };
  let entries: ReturnType<typeof parse>;
  try {
    entries = parse(text, (name) => `\u0000${name}`);
  } catch (error) {
    return { uncertain: `the shell command line cannot be split: ${(error as Error).message}` };
  }
  const commands: string[][] = [];
  let current: string[] = [];
  let redirect = false;
  for (const entry of entries) {
    if (typeof entry === "string") {
      if (entry.includes("\u0000")) return { uncertain: "the shell command line uses a variable" };
      if (redirect) redirect = false;
      else current.push(entry);
      continue;
    }
    if ("comment" in entry) return { uncertain: "the shell command line holds a comment" };
    if ("op" in entry && entry.op === "glob")
      return { uncertain: `the shell command line holds a glob ('${entry.pattern}')` };
    const op = "op" in entry ? entry.op : "";
    if (redirect) return { uncertain: `the shell command line has '${op}' where a file name belongs` };
    if (SEPARATORS.has(op)) {
      if (current.length > 0) commands.push(current);
      current = [];
    } else if (REDIRECTS.has(op)) redirect = true;
    else return { uncertain: `the shell command line uses '${op}'` };
  }
  if (redirect) return { uncertain: "the shell command line ends in a redirection without a file" };
  if (current.length > 0) commands.push(current);
  for (const command of commands) {
    const first = command.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) && w !== "!");
    if (first !== undefined && RESERVED.has(first))
      return { uncertain: `the shell command line uses the reserved word '${first}'` };
    if (first !== undefined && REBINDING.has(first))
      return { uncertain: `the shell command line uses '${first}', which changes what a command runs` };
  }
  return { commands };
}
