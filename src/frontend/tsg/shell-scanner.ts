/**
 * A line-at-a-time scanner for POSIX shell syntax, just deep enough to tell where a command
 * ends: quotes (`'…'`, `"…"`, `$'…'`, backticks), `$(…)`, `$((…))`, `${…}`, `(…)`, compound
 * commands (`for/while/until/select … done`, `if … fi`, `case … esac`, `{ … }` at command
 * position), comments, a trailing `|`, `&&` or `||`, a trailing `\`, and heredoc operators
 * (`<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"`, `<<\EOF`; `<<<` is a here-string).
 *
 * The scanner keeps its state between lines, so the caller can ask, after each line, whether
 * the command is still open. It never fails: odd input just leaves it open or closed.
 */

/** Scanner contexts, innermost last on the stack. */
const Ctx = { Top: 0, Single: 1, Ansi: 2, Double: 3, Backtick: 4, Paren: 5, Arith: 6, Brace: 7 } as const;
type Ctx = (typeof Ctx)[keyof typeof Ctx];

export interface HeredocOperator {
  readonly delimiter: string;
  /** `<<-`: leading tabs are stripped from the body and the delimiter line. */
  readonly stripTabs: boolean;
  /** The delimiter was quoted: the body is not expanded. */
  readonly quoted: boolean;
  /** Columns of the operator and its word in the scanned line. */
  readonly start: number;
  readonly end: number;
}

export interface LineScan {
  /** Column of a trailing `\` that continues the line, or -1. */
  readonly continuation: number;
  readonly heredocs: readonly HeredocOperator[];
}

const OPENERS: ReadonlySet<string> = new Set(["for", "while", "until", "select", "if", "case"]);
const CLOSERS: ReadonlySet<string> = new Set(["done", "fi", "esac"]);
/** Words after which the next word is again in command position. */
const COMMAND_PREFIXES: ReadonlySet<string> = new Set([
  "do",
  "then",
  "else",
  "elif",
  "!",
  "time",
  "while",
  "until",
  "if",
  "{",
]);
const WORD_END = /[\s;&|()<>'"`\\$]/;

export class ShellScanner {
  #stack: Ctx[] = [Ctx.Top];
  #compound = 0;
  #commandStart = true;
  #trailingOperator = false;
  #continued = false;

  /** True while the command cannot end here: open quote, bracket, compound command or operator. */
  get open(): boolean {
    return this.#stack.length > 1 || this.#compound > 0 || this.#trailingOperator;
  }

  /** Scans `text` from column `from`, continuing the state left by the previous line. */
  scanLine(text: string, from = 0): LineScan {
    const stack = this.#stack;
    const heredocs: HeredocOperator[] = [];
    const n = text.length;
    let continuation = -1;
    let lastSignificant = -1;
    let i = from;
    this.#trailingOperator = false;
    const top = stack[stack.length - 1];
    if (!this.#continued && (top === Ctx.Top || top === Ctx.Paren)) this.#commandStart = true;
    scan: while (i < n) {
      const ctx = stack[stack.length - 1]!;
      const c = text[i]!;
      switch (ctx) {
        case Ctx.Single: {
          const close = text.indexOf("'", i);
          if (close < 0) {
            i = n;
          } else {
            stack.pop();
            i = close + 1;
          }
          lastSignificant = i - 1;
          continue;
        }
        case Ctx.Ansi: {
          if (c === "\\") {
            i += 2;
          } else {
            if (c === "'") stack.pop();
            i++;
          }
          lastSignificant = i - 1;
          continue;
        }
        case Ctx.Double: {
          if (c === "\\") {
            if (i === n - 1) {
              continuation = i;
              break scan;
            }
            i += 2;
          } else if (c === '"') {
            stack.pop();
            i++;
          } else if (c === "$" && text[i + 1] === "(") {
            i = this.#openDollarParen(text, i);
          } else if (c === "$" && text[i + 1] === "{") {
            stack.push(Ctx.Brace);
            i += 2;
          } else if (c === "`") {
            stack.push(Ctx.Backtick);
            this.#commandStart = true;
            i++;
          } else {
            i++;
          }
          lastSignificant = i - 1;
          continue;
        }
        case Ctx.Brace: {
          if (c === "}") stack.pop();
          else if (c === "'") stack.push(Ctx.Single);
          else if (c === '"') stack.push(Ctx.Double);
          else if (c === "\\") i++;
          else if (c === "$" && text[i + 1] === "{") {
            stack.push(Ctx.Brace);
            i++;
          } else if (c === "$" && text[i + 1] === "(") {
            i = this.#openDollarParen(text, i);
            lastSignificant = i - 1;
            continue;
          }
          i++;
          lastSignificant = i - 1;
          continue;
        }
        default:
          break;
      }
      // Top, Paren, Arith, Backtick: shell words and operators.
      if (c === " " || c === "\t" || c === "\r") {
        i++;
        continue;
      }
      lastSignificant = i;
      if (c === "\\") {
        if (i === n - 1) {
          continuation = i;
          lastSignificant = i - 1;
          break;
        }
        this.#commandStart = false;
        i += 2;
        continue;
      }
      if (c === "'") {
        stack.push(text[i - 1] === "$" ? Ctx.Ansi : Ctx.Single);
        this.#commandStart = false;
        i++;
        continue;
      }
      if (c === '"') {
        stack.push(Ctx.Double);
        this.#commandStart = false;
        i++;
        continue;
      }
      if (c === "`") {
        if (ctx === Ctx.Backtick) stack.pop();
        else stack.push(Ctx.Backtick);
        this.#commandStart = ctx !== Ctx.Backtick;
        i++;
        continue;
      }
      if (c === "#" && (i === from || /[\s;&|()]/.test(text[i - 1]!))) {
        lastSignificant = i - 1;
        while (lastSignificant >= from && /\s/.test(text[lastSignificant]!)) lastSignificant--;
        break;
      }
      if (c === "$") {
        const next = text[i + 1];
        if (next === "(") i = this.#openDollarParen(text, i);
        else if (next === "{") {
          stack.push(Ctx.Brace);
          i += 2;
        } else i++;
        this.#commandStart = false;
        continue;
      }
      if (c === "(") {
        stack.push(Ctx.Paren);
        this.#commandStart = true;
        i++;
        continue;
      }
      if (c === ")") {
        if (ctx === Ctx.Arith && text[i + 1] === ")") {
          stack.pop();
          i += 2;
        } else {
          if (ctx === Ctx.Paren) stack.pop();
          i++;
        }
        this.#commandStart = false;
        continue;
      }
      if (c === "<" && text[i + 1] === "<" && ctx !== Ctx.Arith) {
        if (text[i + 2] === "<") {
          i += 3;
          continue;
        }
        const heredoc = readHeredoc(text, i);
        if (heredoc !== undefined) {
          heredocs.push(heredoc);
          i = heredoc.end;
          lastSignificant = i - 1;
        } else {
          i += 2;
        }
        continue;
      }
      if (c === ";" || c === "&" || c === "|") {
        this.#commandStart = true;
        i++;
        continue;
      }
      if (c === "<" || c === ">") {
        i++;
        continue;
      }
      // A word.
      const start = i;
      while (i < n && !WORD_END.test(text[i]!)) i++;
      if (i === start) {
        i++;
        continue;
      }
      this.#word(text.slice(start, i), ctx);
    }
    if (continuation < 0 && lastSignificant >= 0 && stack.length === 1) {
      const end = lastSignificant + 1;
      const tail = text.slice(Math.max(from, end - 2), end);
      // A line that starts with `|` or `+` is a table row, not a pipeline.
      const lead = text.slice(from).trimStart()[0];
      this.#trailingOperator = (tail.endsWith("|") || tail.endsWith("&&")) && lead !== "|" && lead !== "+";
    }
    this.#continued = continuation >= 0;
    return { continuation, heredocs };
  }

  #openDollarParen(text: string, i: number): number {
    if (text[i + 2] === "(") {
      this.#stack.push(Ctx.Arith);
      return i + 3;
    }
    this.#stack.push(Ctx.Paren);
    this.#commandStart = true;
    return i + 2;
  }

  #word(word: string, ctx: Ctx): void {
    if (!this.#commandStart || ctx === Ctx.Arith) {
      this.#commandStart = false;
      return;
    }
    if (OPENERS.has(word) || word === "{") this.#compound++;
    else if ((CLOSERS.has(word) || word === "}") && this.#compound > 0) this.#compound--;
    this.#commandStart = COMMAND_PREFIXES.has(word) || /^[A-Za-z_]\w*=/.test(word);
  }
}

/** Longest quoted heredoc delimiter looked for (keeps a line of unclosed `<<'` linear). */
const MAX_DELIMITER = 256;

/** Reads `<<[-]WORD` at column `i`; undefined when no word follows. */
function readHeredoc(text: string, i: number): HeredocOperator | undefined {
  const n = text.length;
  let j = i + 2;
  const stripTabs = text[j] === "-";
  if (stripTabs) j++;
  while (j < n && (text[j] === " " || text[j] === "\t")) j++;
  let delimiter = "";
  let quoted = false;
  while (j < n) {
    const c = text[j]!;
    if (/[\s;&|<>()]/.test(c)) break;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, j + 1);
      if (close < 0 || close - j > MAX_DELIMITER) return undefined;
      delimiter += text.slice(j + 1, close);
      quoted = true;
      j = close + 1;
    } else if (c === "\\") {
      quoted = true;
      if (j + 1 < n) delimiter += text[j + 1];
      j += 2;
    } else {
      delimiter += c;
      j++;
    }
  }
  if (delimiter === "") return undefined;
  return { delimiter, stripTabs, quoted, start: i, end: j };
}
