/**
 * Shell and REPL prompts at the start of a code-block line. `matchPrompt` only says what the
 * line starts with; whether a `# ` is a root prompt or a comment is decided by the caller
 * (`shell-lines.ts`), which sees the whole block.
 *
 * Kinds:
 * - `shell`: `$ `, `% `, `$> `, `user@host:~$ `, `host:/path# `, `:~$ `, `[root@host ~]# `,
 *   `(venv) user@host$ `, `sh-4.2$ `, `bash-4.4# `, `worker$ `, `workstation $ `, `db-01 # `,
 *   `~ `, `➜  dir `, `PS> `, `PS C:\x> `: the line is a shell command.
 * - `root`: `# ` followed by text: a root prompt when that text looks like a command, else a comment.
 * - `repl`: `db=# `, `db=> ` (psql), `10.0.0.1:6379> ` (redis-cli), `irb(main):001:0> `, `irb> `,
 *   `[1] pry(main)> `, `gpg> `, `gpg/card> `, `mysql> `, `>>> `, `(gdb) `: a command typed into an interactive
 *   program that an earlier command opened; kept as a command, read as one line.
 * - `gt`: a bare `> `: a REPL prompt or a secondary prompt; read as one line.
 */

import type { PromptKind } from "../../ir/nodes.js";

export type { PromptKind };

export interface PromptMatch {
  readonly kind: PromptKind;
  /** The prompt as written, without surrounding spaces (`$`, `user@host:~$`, `db=#`). */
  readonly prompt: string;
  /** Column where the prompt starts. */
  readonly promptStart: number;
  /** Column where the command text after the prompt starts (spaces skipped). */
  readonly textStart: number;
}

const SHELL_PATTERNS: readonly RegExp[] = [
  // PS>, PS C:\Users\me>
  /^[ \t]*(PS(?: [^>\n]{1,120})?>)(?=[ \t]|$)/d,
  // [root@host ~]#, [user@host dir]$
  /^[ \t]*(\[[^\]\n]{1,120}\][$#%])(?=[ \t]|$)/d,
  // (venv) user@host:~/dir$, root@host:/var/log#, user@host$
  /^[ \t]*((?:\([^()\s]{1,40}\) ?)?[\w.-]{1,64}@[\w.-]{1,160}(?::[^\s$#%]{0,200})?[$#%])(?=[ \t]|$)/d,
  // host.example.com:~$, host:/var/log#
  /^[ \t]*([\w.-]{1,160}:[~/][^\s$#%]{0,200}[$#])(?=[ \t]|$)/d,
  // :~$ (host left out), and zsh themes: ~ cmd, ➜  dir cmd
  /^[ \t]*(:[~/][^\s$#%]{0,200}[$#])(?=[ \t]|$)/d,
  /^[ \t]*((?:➜ +[^\s]{1,80}|~))(?=[ \t]+\S)/d,
  // workstation $ cmd, chef-repo % cmd, db-host-01 # cmd (a root prompt needs a host-like name)
  /^[ \t]*([\w.-]{1,64}[ \t]{1,24}[$%]|\w+[.-][\w.-]{0,62}[ \t]{1,24}#)(?=[ \t])/d,
  // $> cmd
  /^[ \t]*(\$>)(?=[ \t])/d,
  // sh-4.2$, bash-4.4#
  /^[ \t]*((?:ba|z|k)?sh-\d+(?:\.\d+)*[$#])(?=[ \t]|$)/d,
  // worker$
  /^[ \t]*([\w.-]{1,64}\$)(?=[ \t])/d,
  // $ cmd, and a lone $
  /^[ \t]*(\$)(?=[ \t]|$)/d,
  // % cmd (zsh); a lone % is output
  /^[ \t]*(%)(?=[ \t]+\S)/d,
];

const REPL_PATTERNS: readonly RegExp[] = [
  // psql: db=#, db=>, db-# (a bare `word#` or `word>` is too often output, such as gpg's `sec#`)
  /^[ \t]*([A-Za-z_][\w-]{0,63}[=-][#>])(?=[ \t]|$)/d,
  // redis-cli: 10.0.0.1:6379>, host:6379[1]>
  /^[ \t]*([\w.-]{1,160}:\d{2,5}(?:\[\d+\])?>)(?=[ \t]|$)/d,
  // irb(main):001:0>, pry: [1] pry(main)>
  /^[ \t]*((?:irb|pry)\([^()\n]{0,60}\)(?::\d+){1,2}[>*"'])(?=[ \t]|$)/d,
  /^[ \t]*(\[\d+\] pry\([^()\n]{0,60}\)>)(?=[ \t]|$)/d,
  // named interactive programs
  /^[ \t]*((?:irb|gpg|gpg\/card|mysql|mariadb|sqlite|ftp|sftp|mongo|cqlsh|ksql|lldb|jshell)>)(?=[ \t]|$)/d,
  /^[ \t]*(>>>|\(gdb\)|\(Pdb\))(?=[ \t]|$)/d,
];

/**
 * Every pattern has the `d` flag and captures the prompt in group 1: its column comes from the
 * match indices, not from the match's length (a pattern may also match blanks after the prompt).
 */
function make(kind: PromptKind, line: string, match: RegExpExecArray): PromptMatch {
  const prompt = match[1]!;
  const promptStart = match.indices![1]![0];
  let textStart = match[0].length;
  while (textStart < line.length && (line[textStart] === " " || line[textStart] === "\t")) textStart++;
  return { kind, prompt, promptStart, textStart };
}

/** The prompt `line` starts with, if any. */
export function matchPrompt(line: string): PromptMatch | undefined {
  // Cheap exits: most lines start with a letter and carry no prompt character at all.
  const first = firstNonBlank(line);
  if (first < 0) return undefined;
  const c = line[first]!;
  if (c === "#") {
    // `# cmd` with one space; `#   text` (indented) is a comment's continuation.
    const m = /^[ \t]*(#) (?=\S)/d.exec(line);
    return m === null ? undefined : make("root", line, m);
  }
  if (c === ">") {
    // `>>> ` is Python's REPL prompt; a bare `> ` is a REPL's or the shell's secondary prompt.
    const repl = /^[ \t]*(>>>)(?=[ \t]|$)/d.exec(line);
    if (repl !== null) return make("repl", line, repl);
    const m = /^[ \t]*(>)[ \t]+(?=\S)/d.exec(line);
    return m === null ? undefined : make("gt", line, m);
  }
  if (!/[$#%>)~➜]/.test(line.slice(first, first + 240))) return undefined;
  for (const pattern of SHELL_PATTERNS) {
    const m = pattern.exec(line);
    if (m !== null) return make("shell", line, m);
  }
  for (const pattern of REPL_PATTERNS) {
    const m = pattern.exec(line);
    if (m !== null) return make("repl", line, m);
  }
  return undefined;
}

/** A leading `> ` secondary prompt (PS2) on a continuation line of a prompted command. */
export function secondaryPromptLength(line: string): number {
  const m = /^[ \t]*> ?/.exec(line);
  return m === null ? 0 : m[0].length;
}

function firstNonBlank(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== " " && c !== "\t") return i;
  }
  return -1;
}
