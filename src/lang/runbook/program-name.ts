/**
 * What may stand as `argv[0]` of a `cli` step: a program's plain name (`kubectl`, `pg_dump`,
 * `g++`, `7z`) or a path to one (`./bin/get-server-state`, `/opt/gitlab/embedded/bin/consul`,
 * `~/bin/x.sh`). Shared by the TSG frontend (a line whose first word is no program name is data,
 * not a command) and Stage C (a `cli` step whose `argv[0]` is none is refused, RBK6014), so a
 * YAML key, a log line, a query or a table row can never become an executable step or an
 * allowed command.
 *
 * Not a program name: a word ending in `:` or holding `:` (`spec:`, `key:value`, `8:16`); one
 * holding `{`, `}`, `=`, `]`, `(`, `)`, quotes or other shell syntax (`acm_up{job="x"}`,
 * `graph_builder.go:279]`, `ERRO[0000]`); an option (`--jobs=N`, `-`); a number or a timestamp
 * (`0.000000000`, `2020-07-07T14:51:36Z`); a klog severity and date (`I0428`); blank, invisible
 * or non-ASCII characters; a directory (`.`, `..`, `dir/`). A lone `[` (test) is a program.
 */

/** Characters a program name or path is made of. */
const NAME_CHARS = /^[A-Za-z0-9_.+@~/-]+$/;
/** A number, maybe with a unit (`0.000000000`, `50G`, `26Mi`, `10m`, `95%`); `7z` is a program. */
const NUMBER = /^[+-]?\d+(?:[.,]\d+)*(?:[KMGTPE]i?B?|[kmgtpe]b?|ms|us|ns|s|m|h|d|w|y|%)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T_]|$)/;
const KLOG = /^[IWEF]\d{4}$/;
const MAX_LENGTH = 255;

/** Why `word` cannot be a program name, in words ("ends with ':'"); undefined when it can. */
export function programNameProblem(word: string): string | undefined {
  if (word === "") return "is empty";
  if (word === "[") return undefined;
  if (word.length > MAX_LENGTH) return `is longer than ${MAX_LENGTH} characters`;
  if (hasBlankOrInvisible(word)) return "holds blank or invisible characters";
  if (word.endsWith(":")) return "ends with ':' (a key or a label, not a program)";
  const syntax = /[:{}=[\]()"'`<>|;&$*?!#,\\%^]/.exec(word);
  if (syntax !== null) return `holds '${syntax[0]}', which no program name does`;
  if (!isAscii(word)) return "holds characters outside ASCII";
  if (word.startsWith("-")) return "is an option, not a program";
  if (DATE.test(word)) return "is a date or a timestamp";
  if (NUMBER.test(word)) return "is a number";
  if (KLOG.test(word)) return "is a log line's severity and date";
  if (word === "." || word === ".." || word.endsWith("/")) return "is a directory";
  if (!NAME_CHARS.test(word)) return "is not a program name or a path";
  return undefined;
}

export function isProgramName(word: string): boolean {
  return programNameProblem(word) === undefined;
}

/** Whitespace, control characters, and the invisible ones pasted from web pages (U+200B …). */
function hasBlankOrInvisible(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c <= 32 || c === 0x7f || c === 0xa0 || (c >= 0x200b && c <= 0x200f) || c === 0x2028) return true;
    if (c === 0x2029 || c === 0x2060 || c === 0xfeff) return true;
  }
  return false;
}

function isAscii(word: string): boolean {
  for (let i = 0; i < word.length; i++) if (word.charCodeAt(i) > 0x7e) return false;
  return true;
}
