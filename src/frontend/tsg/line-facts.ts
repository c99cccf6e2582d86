/**
 * A first look at the lines of a code block: which ones carry a prompt, which are comments.
 * Shared by the role decision (`code-block-role.ts`) and the line splitter (`shell-lines.ts`),
 * so a block is only looked at once.
 *
 * The root-prompt rule: `# text` is a root prompt only when `text` looks like a command
 * (`looksLikeCommand`) and the block is a transcript — it has other prompts, or none of its
 * unprompted lines looks like a command. So `# iostat -x 1 3` followed by output is a root
 * prompt, `$ sudo su -` then `# cd /var/log` is one too, but in a script such as
 * `# docker runtime` + `docker ps`, or `# kill -9 1234` + `kill -9 5678`, the `#` lines are
 * comments (a commented-out command is a comment).
 *
 * A `> ` line that reads as `curl -v`'s request trace (`> GET / HTTP/1.1`, `> Host: x`) is not
 * a prompt.
 */
import { looksLikeCommand } from "./known-commands.js";
import { matchPrompt, type PromptMatch } from "./prompts.js";

export interface LineFact {
  readonly blank: boolean;
  /** The prompt the line starts with, after the root-prompt rule; undefined for none. */
  readonly prompt: PromptMatch | undefined;
  /** A whole-line `#` comment (including `# text` rejected as a root prompt). */
  readonly comment: boolean;
}

export interface BlockFacts {
  readonly lines: readonly LineFact[];
  /** Some line has a prompt of any kind. */
  readonly prompted: boolean;
  /** Some line has a shell or root prompt followed by text that does not start with a digit. */
  readonly shellPrompted: boolean;
}

/** `curl -v` request lines (`> GET / HTTP/1.1`, `> Host: x`): output, not a `>` prompt. */
const HTTP_TRACE = /^(?:[A-Z]+ \S+ HTTP\/[\d.]+|[A-Za-z][\w-]*: .*)\s*$/;

const BLANK: LineFact = { blank: true, prompt: undefined, comment: false };
const COMMENT: LineFact = { blank: false, prompt: undefined, comment: true };
const PLAIN: LineFact = { blank: false, prompt: undefined, comment: false };

export function analyseLines(lines: readonly string[]): BlockFacts {
  const facts: LineFact[] = new Array(lines.length);
  const roots: number[] = [];
  let explicit = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isBlank(line)) {
      facts[i] = BLANK;
      continue;
    }
    const prompt = matchPrompt(line);
    if (prompt === undefined) {
      facts[i] = /^[ \t]*#/.test(line) ? COMMENT : PLAIN;
    } else if (prompt.kind === "gt" && HTTP_TRACE.test(line.slice(prompt.textStart))) {
      facts[i] = PLAIN;
    } else if (prompt.kind === "root") {
      facts[i] = COMMENT;
      if (looksLikeCommand(line.slice(prompt.textStart))) roots.push(i);
    } else {
      facts[i] = { blank: false, prompt, comment: false };
      explicit++;
    }
  }
  if (roots.length > 0 && (explicit > 0 || !hasUnpromptedCommand(lines, facts))) {
    for (const i of roots) facts[i] = { blank: false, prompt: matchPrompt(lines[i]!), comment: false };
  }
  let prompted = false;
  let shellPrompted = false;
  for (let i = 0; i < facts.length; i++) {
    const p = facts[i]!.prompt;
    if (p === undefined) continue;
    prompted = true;
    if ((p.kind === "shell" || p.kind === "root") && /^[^\d\s]/.test(lines[i]!.slice(p.textStart))) {
      shellPrompted = true;
      break;
    }
  }
  return { lines: facts, prompted, shellPrompted };
}

function hasUnpromptedCommand(lines: readonly string[], facts: readonly LineFact[]): boolean {
  for (let i = 0; i < lines.length; i++) {
    if (facts[i] === PLAIN && looksLikeCommand(lines[i]!)) return true;
  }
  return false;
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
