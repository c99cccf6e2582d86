/**
 * Turns one command of a TSG into an argument vector, or says why it cannot be one. Words are
 * split by shell-quote (real POSIX quoting rules, and it reports pipes, redirects, `&&`/`;`,
 * globs and comments as operators rather than words). Before splitting, each placeholder
 * (`<pod-name>`, `$NS`, `${NS}`, `{NS}`) and each Go template (`{{ .metadata.name }}`) is
 * swapped for a plain-word sentinel, so that `<pod>` is not read as two redirections and a
 * template's spaces do not split a word; after splitting, a placeholder becomes `{{ .var }}` and
 * a Go template becomes a raw-string action that prints it literally, so the runbook runtime
 * never evaluates it.
 *
 * A command is plain — a `cli` step — only when it needs no shell: no pipe, redirect, list,
 * background job, subshell, command substitution, heredoc, glob, tilde, or shell variable that
 * is not a placeholder.
 */
import { type ParseEntry, parse } from "shell-quote";
import type { CommandLine } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";

export interface CommandVar {
  /** The name used in templates. */
  readonly name: string;
  /** The placeholder as written (`<pod-name>`). */
  readonly raw: string;
}

export interface SplitCommand {
  /** The argument vector, templated; set when the command needs no shell. */
  readonly argv: readonly string[] | undefined;
  /** Why the command needs a shell, when it does. */
  readonly shellReason: string | undefined;
  /** The command text with placeholders as `{{ .var }}` and Go templates escaped. */
  readonly templated: string;
  /** The placeholders it uses, in order of first use. */
  readonly vars: readonly CommandVar[];
  /** Words split even when the command needs a shell (for naming the step). */
  readonly words: readonly string[];
  /** It contains Go-template text kept literally. */
  readonly literalTemplates: boolean;
  /** Placeholders that name a secret, as written: never turned into variables. */
  readonly secrets: readonly string[];
}

const OPERATOR_REASONS: Readonly<Record<string, string>> = {
  "|": "it pipes one command into another",
  "|&": "it pipes one command into another",
  "||": "it chains commands with '||'",
  "&&": "it chains commands with '&&'",
  ";": "it runs several commands in a row",
  ";;": "it is a shell 'case' statement",
  "&": "it runs a command in the background",
  ">": "it redirects output to a file",
  ">>": "it appends output to a file",
  ">&": "it redirects output",
  "<": "it reads input from a file",
  "<<": "it has a heredoc",
  "<<<": "it has a here-string",
  "<(": "it uses process substitution",
  "(": "it uses a subshell or command substitution",
  ")": "it uses a subshell or command substitution",
};

/** Names a placeholder as a template variable: `<pod-name>` → `pod_name`, `$NS` → `NS`. */
export function varName(placeholder: string): string {
  let name = placeholder
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
  if (name === "") name = "value";
  if (/^[0-9]/.test(name)) name = `v_${name}`;
  return name.slice(0, 64);
}

/**
 * A template action that prints `text` literally: a raw string ``{{`text`}}`` when it can be one
 * (no backquote, no carriage return, which raw strings drop), else a quoted string with the
 * template language's escapes (docs/template-language.md).
 */
export function literalAction(text: string): string {
  if (!text.includes("`") && !text.includes("\r")) return `{{\`${text}\`}}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be escaped.
  const escaped = text.replace(/[\\"\u0000-\u001f\u2028\u2029]/g, (c) => {
    switch (c) {
      case "\\":
        return "\\\\";
      case '"':
        return '\\"';
      case "\n":
        return "\\n";
      case "\t":
        return "\\t";
      case "\r":
        return "\\r";
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    }
  });
  return `{{"${escaped}"}}`;
}

/**
 * Splits `command`. A placeholder whose variable name `isSecret` (`$GITLAB_TOKEN`) is left as
 * written and makes the command manual: a runbook never reads a secret into a template.
 */
export function splitCommand(
  command: CommandLine,
  source: SourceFile,
  isSecret: (name: string) => boolean = () => false,
): SplitCommand {
  const text = command.text;
  const salt = uniqueSalt(text);
  const sentinels = new Map<string, string>();
  const vars: CommandVar[] = [];
  let working = text;
  let index = 0;
  const originals = new Map<string, string>();
  const protect = (raw: string, replacement: string) => {
    if (raw === "" || !working.includes(raw)) return;
    const sentinel = `${salt}${index++}z`;
    sentinels.set(sentinel, replacement);
    originals.set(sentinel, raw);
    working = working.split(raw).join(sentinel);
  };
  const templates = unique(command.literalTemplates.map((s) => source.text.slice(s.start, s.end)));
  for (const raw of templates.sort((a, b) => b.length - a.length)) protect(raw, literalAction(raw));
  const placeholders = unique(command.placeholders.map((p) => source.text.slice(p.span.start, p.span.end)));
  const byName = new Map(
    command.placeholders.map((p) => [source.text.slice(p.span.start, p.span.end), p.name]),
  );
  const secrets = placeholders.filter((raw) => isSecret(varName(byName.get(raw) ?? raw)));
  const plain = placeholders.filter((raw) => !secrets.includes(raw));
  for (const raw of [...plain].sort((a, b) => b.length - a.length)) {
    const name = varName(byName.get(raw) ?? raw);
    protect(raw, `{{ .${name} }}`);
  }
  // Variables in order of first use in the text.
  for (const raw of plain.sort((a, b) => text.indexOf(a) - text.indexOf(b))) {
    const name = varName(byName.get(raw) ?? raw);
    if (!vars.some((v) => v.name === name)) vars.push({ name, raw });
  }
  const templateSentinels = new Set<string>();
  for (const [sentinel, replacement] of sentinels)
    if (!replacement.startsWith("{{ .")) templateSentinels.add(sentinel);
  const pattern = new RegExp(`${salt}\\d+z`, "g");
  const restore = (word: string) => {
    // Go templates next to each other in one word (with only literal text between them) become
    // one literal action, so `{{range .items}}{{.name}}{{end}}` reads as written.
    const found = [...word.matchAll(pattern)];
    const templatesAt = found.filter((m) => templateSentinels.has(m[0]));
    if (templatesAt.length > 1) {
      const first = templatesAt[0]!;
      const last = templatesAt[templatesAt.length - 1]!;
      const start = first.index;
      const end = last.index + last[0].length;
      const between = found.filter((m) => m.index > start && m.index < end && !templateSentinels.has(m[0]));
      if (between.length === 0) {
        const raw = word.slice(start, end).replace(pattern, (s) => originals.get(s) ?? s);
        word = `${word.slice(0, start)}${salt}merged${word.slice(end)}`;
        return word
          .replace(pattern, (s) => sentinels.get(s) ?? s)
          .replace(`${salt}merged`, literalAction(raw));
      }
    }
    return word.replace(pattern, (s) => sentinels.get(s) ?? s);
  };
  const templated = restore(working);

  const reasons: string[] = [];
  if (command.heredocs.length > 0) reasons.push("it has a heredoc");
  if (hasUnquotedBacktick(working)) reasons.push("it uses command substitution");
  if (/\n/.test(working.trim())) reasons.push("it spans several lines");
  let entries: ParseEntry[];
  try {
    entries = parse(working, (key: string) => {
      if (key === "") reasons.push("it uses command substitution");
      else reasons.push(`it uses the shell variable $${key}`);
      return "";
    });
  } catch {
    entries = [];
    reasons.push("the shell cannot read it (unbalanced quotes)");
  }
  if (hasUnbalancedQuote(working)) reasons.push("it has an unclosed quote");
  const words: string[] = [];
  for (const entry of entries) {
    if (typeof entry === "string") {
      words.push(restore(entry));
      continue;
    }
    if ("comment" in entry) break;
    if (entry.op === "glob") {
      const pattern = (entry as { pattern: string }).pattern;
      // An unmatched `?` is left as it is by the shell (a URL's query string): only `*` and
      // `[…]` are globs worth refusing.
      if (/[*[]/.test(pattern)) reasons.push(`it uses the glob '${restore(pattern)}', which needs a shell`);
      words.push(restore(pattern));
      continue;
    }
    reasons.push(OPERATOR_REASONS[entry.op] ?? `it uses the shell operator '${entry.op}'`);
  }
  if (words.some((w) => w === "~" || w.startsWith("~/")))
    reasons.push("it uses '~', which needs a shell to expand");
  if (words.some((w) => w.includes(salt)))
    reasons.push("its placeholders could not be placed in single words");
  const shellReason = reasons[0];
  return {
    argv: shellReason === undefined && words.length > 0 ? words : undefined,
    shellReason,
    templated,
    vars,
    words,
    literalTemplates: templates.length > 0,
    secrets,
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** A word prefix that does not occur in `text`. */
function uniqueSalt(text: string): string {
  let salt = "zqrbk";
  while (text.includes(salt)) salt += "q";
  return salt;
}

/** A backquote outside single quotes (command substitution in sh). */
function hasUnquotedBacktick(text: string): boolean {
  let single = false;
  let double = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && !single) i += 1;
    else if (c === "'" && !double) single = !single;
    else if (c === '"' && !single) double = !double;
    else if (c === "`" && !single) return true;
  }
  return false;
}

function hasUnbalancedQuote(text: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && quote !== "'") i += 1;
    else if (quote === undefined && (c === "'" || c === '"')) quote = c;
    else if (c === quote) quote = undefined;
  }
  return quote !== undefined;
}
