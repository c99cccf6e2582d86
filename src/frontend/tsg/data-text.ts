/**
 * Data that TSGs put in shell-labelled or unlabelled code blocks with no prompt: Kubernetes
 * manifests and other YAML, JSON, log excerpts, PromQL and SQL queries, command output. Such
 * text is read as data — shown to the operator, attached as sample output — never as commands,
 * so it can never become a `cli` step or an allowed command.
 *
 * - `dataLineReason`: a line is a command only when its first word (after `NAME=value`
 *   prefixes) is a program name (`src/lang/runbook/program-name.ts`) and the line does not start
 *   like a log line or a query; otherwise the reason it is data.
 * - `dataBlockReason`: a block with no prompt is data as a whole when it is a JSON document,
 *   parses as a YAML mapping or sequence, reads as SQL, is a table with no known command in
 *   it, or when none of its lines — or, with no
 *   line that looks like a known command, fewer than half of them — reads as a command.
 *
 * Blocks with prompts are transcripts and are read by `shell-lines.ts` alone.
 */
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import { programNameProblem } from "../../lang/runbook/program-name.js";
import { commandWord, isAssignmentOnly, looksLikeCommand } from "./known-commands.js";

/** Log lines: ISO or syslog timestamps, klog headers, logfmt, logrus levels, `[timestamp]`. */
const LOG_LINE: readonly (readonly [RegExp, string])[] = [
  [/^\s*\[?\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{2}:\d{2}|\b)/, "it starts with a timestamp (a log line)"],
  [/^\s*\[?\d{1,2}:\d{2}:\d{2}\b/, "it starts with a time (a log line)"],
  [/^\s*[IWEF]\d{4}\s+\d{2}:\d{2}:\d{2}/, "it is a klog log line"],
  [
    /^\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+\d{2}:\d{2}/,
    "it starts with a syslog timestamp (a log line)",
  ],
  [/^\s*(?:level|lvl|ts|time|msg|caller)=\S/, "it is a logfmt log line"],
  [/^\s*(?:ERRO|WARN|INFO|DEBU|FATA|TRAC|PANI)\[\d+\]/, "it is a log line"],
];

/** PromQL: a selector (`up{job="x"}`) or a function or aggregation applied to one. */
const PROMQL =
  /^\s*(?:[A-Za-z_:][\w:]*\s*\{|(?:sum|avg|min|max|count|stddev|stdvar|group|topk|bottomk|quantile|count_values|rate|irate|increase|delta|idelta|deriv|predict_linear|histogram_quantile|absent|absent_over_time|label_replace|label_join|(?:avg|min|max|sum|count|quantile|last|present)_over_time|changes|resets|clamp_min|clamp_max|round|vector|scalar|time)\s*(?:\(|by\s*\(|without\s*\())/;

/** The first line of an SQL statement. */
const SQL =
  /^\s*(?:select\s|with\s+\w+\s+as\s*\(|insert\s+into\s|update\s+\S+\s+set\s|delete\s+from\s|create\s+(?:unique\s+)?(?:table|index|view|extension|database|role|user|schema|function)\s|alter\s+(?:table|system|database|role|index|user)\s|drop\s+(?:table|index|view|database|extension)\s|explain\s|vacuum\b|analyze\s|grant\s|revoke\s|truncate\s+table\s)/i;

/** A line of an SQL statement: its clauses (`select …`, `from …`, `join …`, `where …`). */
const SQL_LINE =
  /^\s*(?:select|from|join|(?:left|right|inner|outer|full|cross)\s+(?:outer\s+)?join|where|order\s+by|group\s+by|having|union(?:\s+all)?|case\s+when|insert\s+into|update\s+\S+\s+set|delete\s+from)\s/i;

/**
 * A table row: three or more columns apart by runs of two or more spaces (or tabs), no option
 * among them (`sdb      8:16   0   50G  0 disk /var/log`).
 */
export const TABLE_ROW = /^\s*[^\s-][^\s]*(?:(?: {2,}|\t+)[^\s-][^\s]*){2,}/;

/** Redirections before the command: `< in.txt`, `2>/dev/null`. */
const LEADING_REDIRECTS = /^(?:\d*(?:<|>{1,2})\s*\S+\s+)+/;
/** `NAME=value`, `NAME=$(…)`, ``NAME=`…` `` at the start of a line. */
const ASSIGNMENT_FIRST = /^[A-Za-z_]\w*=/;

/** A word that is a placeholder: `$EDITOR`, `${TOOL}`, `<tool>`. */
const PLACEHOLDER_WORD = /^(?:\$[A-Za-z_]\w*|\$\{[A-Za-z_]\w*\}|<[A-Za-z_][\w -]*>)$/;

/** A YAML key that can be data: a plain identifier-like word, no spaces. */
const YAML_KEY = /^[A-Za-z_$@][\w.$@/-]*$/;
/** A first line that starts a YAML document: `key:`, `key: value`, `- item`, `---`. */
const YAML_START = /^(?:---\s*$|-\s|[A-Za-z_$@][\w.$@/-]*:(?:\s|$))/;
/** Above this size a block is not parsed as YAML (it is read line by line instead). */
const MAX_YAML_PARSE = 200_000;

/** Why the line `text` (no prompt) is data rather than a command; undefined when it may be one. */
export function dataLineReason(text: string): string | undefined {
  // A trailing `\` continues the command on the next line: judge what is on this one; a leading
  // redirection (`< list.txt xargs …`) is the shell's, not the program.
  const trimmed = text
    .trim()
    .replace(/(?:^|\s+)\\$/, "")
    .replace(LEADING_REDIRECTS, "");
  // A line that starts by setting a shell variable (`NAME=value …`, `NAME=$(…)`) is the shell's.
  if (trimmed === "" || isAssignmentOnly(trimmed) || ASSIGNMENT_FIRST.test(trimmed)) return undefined;
  for (const [pattern, reason] of LOG_LINE) if (pattern.test(trimmed)) return reason;
  if (PROMQL.test(trimmed)) return "it reads as a PromQL query";
  if (SQL_LINE.test(`${trimmed} `) && !looksLikeCommand(trimmed)) return "it reads as SQL";
  const word = commandWord(trimmed)?.word;
  // A placeholder for the program (`$EDITOR file`, `<tool> --check`) is a command to fill in.
  if (word === undefined || PLACEHOLDER_WORD.test(word)) return undefined;
  const problem = programNameProblem(word);
  return problem === undefined ? undefined : `its first word \`${clip(word)}\` ${problem}`;
}

/**
 * Why a prompt-less block of `lines` is data as a whole; undefined when it reads as commands.
 * `#` lines and blank lines are left out of the count.
 */
export function dataBlockReason(lines: readonly string[]): string | undefined {
  const significant = lines.map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  if (significant.length === 0) return undefined;
  const text = lines.join("\n").trim();
  const first = significant[0]!;
  if ((text.startsWith("{") && text.endsWith("}")) || (text.startsWith("[") && text.endsWith("]"))) {
    if (isJson(text)) return "it is a JSON document";
    if (text.startsWith("{")) return "it reads as JSON";
  }
  if (YAML_START.test(first) && text.length <= MAX_YAML_PARSE) {
    const shape = yamlShape(text);
    if (shape !== undefined) return `it parses as a YAML ${shape}`;
  }
  const knownCommand = significant.some((l) => looksLikeCommand(l));
  if (SQL.test(first) && !knownCommand) return "it reads as SQL";
  if (!knownCommand && significant.every((l) => TABLE_ROW.test(l)))
    return "it reads as a table (command output)";
  let commands = 0;
  let firstReason: string | undefined;
  for (const line of significant) {
    const reason = dataLineReason(line);
    if (reason === undefined) commands++;
    else firstReason ??= reason;
  }
  if (commands === 0) return `no line of it reads as a command (the first: ${firstReason})`;
  if (!knownCommand && commands * 2 < significant.length)
    return `most of its lines do not read as commands (the first: ${firstReason})`;
  return undefined;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** "mapping" or "sequence" when `text` is one YAML document of that shape with data-like keys. */
function yamlShape(text: string): string | undefined {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) return undefined;
  const root = doc.contents;
  if (isSeq(root)) return root.items.length > 0 ? "sequence" : undefined;
  if (!isMap(root) || root.items.length === 0) return undefined;
  for (const pair of root.items) {
    if (!isScalar(pair.key)) return undefined;
    const quoted = pair.key.type === "QUOTE_DOUBLE" || pair.key.type === "QUOTE_SINGLE";
    if (!quoted && !YAML_KEY.test(String(pair.key.value))) return undefined;
  }
  return "mapping";
}

function clip(word: string): string {
  return word.length <= 40 ? word : `${word.slice(0, 39)}…`;
}
