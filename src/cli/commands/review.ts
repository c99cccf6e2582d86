/**
 * `review [PATHS…]`: review the changes the repository's compiled outputs need (drift) and the
 * given change sets (`--changes FILE|-`, also `rllmc task run`'s stdout), run the gates, and
 * apply what the flow allows as one atomic batch (driver/review/session.ts; docs/review.md).
 *
 * The flows: off a terminal (stdin or stdout not a TTY) the events go to stdout as JSON lines
 * and nothing is written without `--auto` or `--yes`; `--format json` gives the same on a
 * terminal. On a terminal without `--auto`, `--yes` or `--format json` a person decides each
 * change (cli/review-prompt.ts). Exit 0 applied or nothing to do,
 * 1 a gate or validation failed and nothing was written, 2 no writes (refused, everything
 * skipped, or a wrong command line).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { parse as parseShell } from "shell-quote";
import { recoverBatches } from "../../driver/review/batch.js";
import { type ReviewEvent, reviewSession } from "../../driver/review/session.js";
import { createInterpreter } from "../../driver/runbook-llm.js";
import { UsageError } from "../../driver/usage-error.js";
import { splitShellCommands } from "../../lang/runbook/shell-words.js";
import type { Interpreter } from "../../passes/runbook/interpret-request.js";
import type { ProviderFlags } from "../../runtime/app/config.js";
import { type Colors, colorsFor } from "../color.js";
import { ExitCode } from "../exit-codes.js";
import { oneOf, parseOptions, withUsage } from "../options.js";
import type { terminalAsk } from "../review-prompt.js";

export default function review(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "review", async () => {
    const { values, positionals } = parseOptions(args, {
      repo: { type: "string" },
      "from-git-since": { type: "string" },
      changes: { type: "string" },
      "no-llm": { type: "boolean" },
      llm: { type: "string" },
      frozen: { type: "boolean" },
      "cache-dir": { type: "string" },
      provider: { type: "string" },
      model: { type: "string" },
      "base-url": { type: "string" },
      auto: { type: "boolean" },
      yes: { type: "boolean" },
      "auto-confidence": { type: "string" },
      "auto-max-delta": { type: "string" },
      "validate-cmd": { type: "string" },
      format: { type: "string" },
      recover: { type: "boolean" },
    });
    const repo = resolve((values.repo as string | undefined) ?? ".");
    if (!statSync(repo, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`the repository ${repo} is not a folder`);
    const confidence =
      values["auto-confidence"] === undefined
        ? "high"
        : oneOf("--auto-confidence", String(values["auto-confidence"]), ["high", "medium", "low"] as const);
    const maxDelta = wholeNumber("--auto-max-delta", values["auto-max-delta"] as string | undefined) ?? 1;
    const validateCmd =
      values["validate-cmd"] === undefined ? undefined : commandArgv(String(values["validate-cmd"]));
    const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
    const format =
      values.format === undefined
        ? tty
          ? "text"
          : "json"
        : oneOf("--format", String(values.format), ["text", "json"] as const);
    const print = (event: ReviewEvent) =>
      process.stdout.write(format === "json" ? `${JSON.stringify(event)}\n` : formatEvent(event));

    // An interrupted batch is finished or undone before anything else.
    const recovered = recoverBatches(repo);
    if (recovered.recovered !== "none")
      print({ event: "recovered", outcome: recovered.recovered, files: recovered.files });
    if (values.recover === true) {
      if (recovered.recovered === "none" && format === "text")
        process.stdout.write("no interrupted batch to recover\n");
      return ExitCode.Ok;
    }

    const auto = values.auto === true || values.yes === true;
    const interactive = !auto && tty && format === "text";
    const refusal =
      auto || interactive
        ? undefined
        : tty
          ? "--format json without --auto or --yes: nothing is written"
          : "not a terminal: nothing is written without --auto or --yes";
    const llm = proposalsSetup(values, repo);
    if ("skipped" in llm) process.stderr.write(`${program} review: LLM proposals skipped: ${llm.skipped}\n`);
    const changesPath = values.changes as string | undefined;
    const paths = positionals.map((p) => repoPath(repo, p));
    let ask: ReturnType<typeof terminalAsk> | undefined;
    if (interactive) {
      const { terminalAsk } = await import("../review-prompt.js");
      ask = terminalAsk(print);
    }
    let events: ReviewEvent[];
    try {
      events = await reviewSession({
        repo,
        ...(paths.length === 0 ? {} : { paths }),
        ...(values["from-git-since"] === undefined ? {} : { sinceRef: String(values["from-git-since"]) }),
        ...(changesPath === undefined ? {} : { changes: readChangesText(changesPath) }),
        policy: {
          mode: auto ? "auto" : interactive ? "ask" : "none",
          confidence,
          maxDelta,
          ...(refusal === undefined ? {} : { refusal }),
        },
        ...(validateCmd === undefined ? {} : { validateCmd }),
        ...("interpreter" in llm ? { interpreter: llm.interpreter } : {}),
        // In the TTY flow each suggestion is shown when its question is asked.
        onEvent: (event) => {
          if (!(interactive && event.event === "suggestion")) print(event);
        },
        ...(ask === undefined ? {} : { ask }),
      });
    } catch (error) {
      // Ctrl+C at a prompt: nothing has been written yet (the batch comes after the questions).
      if ((error as Error).name !== "ExitPromptError") throw error;
      process.stderr.write(`${program} review: interrupted; nothing was written\n`);
      return ExitCode.Usage;
    }
    const summary = events.at(-1);
    const code = summary?.event === "summary" ? summary.exit_code : ExitCode.Usage;
    // Nothing to do: nothing was refused.
    if (refusal !== undefined && code !== ExitCode.Ok)
      process.stderr.write(
        `${program} review: ${refusal}${tty ? "" : " (stdin or stdout is not a terminal)"}; run '${program} review --auto' to apply the safe changes, or run it on a terminal to decide each change (docs/review.md)\n`,
      );
    return code;
  });
}

/**
 * The LLM proposals phase: Stage B's host with the answer cache (`--llm cached`, the default:
 * answers from `<repo>/.rllmc/cache` or asked once and kept; `--frozen`: never asked), or why
 * the phase is skipped: `--no-llm`, or no model configured.
 */
function proposalsSetup(
  values: Record<string, unknown>,
  repo: string,
): { interpreter: Interpreter } | { skipped: string } {
  const mode =
    values.llm === undefined ? "cached" : oneOf("--llm", String(values.llm), ["cached", "live"] as const);
  if (values.frozen === true && mode !== "cached") throw new UsageError("--frozen goes with --llm cached");
  if (values["no-llm"] === true) {
    for (const flag of ["llm", "frozen", "cache-dir", "provider", "model", "base-url"])
      if (values[flag] !== undefined)
        throw new UsageError(`--${flag} asks for LLM proposals, but --no-llm skips them`);
    return { skipped: "--no-llm" };
  }
  const given = (flag: string, variable: string) => {
    const value = (values[flag] as string | undefined) ?? process.env[variable];
    return value === undefined || value === "" ? undefined : value;
  };
  const provider = given("provider", "LLM_PROVIDER");
  const model = given("model", "LLM_MODEL");
  if (provider === undefined || model === undefined)
    return {
      skipped: `no model configured (give --provider and --model, or set LLM_PROVIDER and LLM_MODEL; --no-llm says you meant it)`,
    };
  const flags: ProviderFlags = {
    provider,
    model,
    ...(values["base-url"] === undefined ? {} : { baseUrl: values["base-url"] as string }),
  };
  // A path given on the command line is the current folder's, as PATHS and --changes are.
  const cacheDir =
    values["cache-dir"] === undefined
      ? join(repo, ".rllmc", "cache")
      : resolve(values["cache-dir"] as string);
  const options = { cacheDir, flags, env: process.env };
  return {
    interpreter: stopAfterFailure(
      createInterpreter({ ...options, mode, frozen: values.frozen === true }),
      mode === "cached" ? createInterpreter({ ...options, mode: "cached", frozen: true }) : undefined,
    ),
  };
}

/**
 * Once a call of the session fails (its retries spent: a provider that is down, refuses the
 * model or times out, minutes each time), the model is asked no more: the runbooks left get
 * their answers from the cache only (with `--llm cached`) and are otherwise listed in
 * `not_proposed` with the first failure.
 */
function stopAfterFailure(asking: Interpreter, cacheOnly: Interpreter | undefined): Interpreter {
  let failure: string | undefined;
  return {
    async ask(request) {
      if (failure === undefined) {
        const answer = await asking.ask(request);
        if (!answer.ok && answer.reason === "call-failed") failure = answer.detail;
        return answer;
      }
      const cached = await cacheOnly?.ask(request);
      if (cached?.ok === true) return cached;
      return {
        ok: false,
        reason: "call-failed",
        detail: `not asked, since an earlier call of this review failed: ${failure}`,
        key: cached?.key ?? "",
        where: cached?.where ?? "",
      };
    },
    accept: (answer) => asking.accept?.(answer),
    rejected: (answer) => asking.rejected?.(answer),
  };
}

/** A path on the command line as the repository sees it: repo-relative, `/`-separated. */
function repoPath(repo: string, path: string): string {
  const rel = relative(repo, resolve(path));
  if (rel === ".." || rel.startsWith(`..${sep}`) || resolve(rel) === rel)
    throw new UsageError(`${path} is outside the repository ${repo}`);
  return rel === "" ? "." : rel.split(sep).join("/");
}

/** The most a change set may hold: 16 MiB (a task's patch is far smaller). */
export const MAX_CHANGES_BYTES = 16 * 1024 * 1024;

function readChangesText(path: string): { text: string; origin: string } {
  const origin = path === "-" ? "<stdin>" : path;
  let fd: number;
  try {
    fd = path === "-" ? 0 : openSync(path, "r");
  } catch (error) {
    throw new UsageError(
      `--changes ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  try {
    if (fd !== 0 && !fstatSync(fd).isFile()) throw new UsageError(`--changes ${path} is not a file`);
    // Read at most one byte over the limit: a larger set is refused without holding it all.
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.alloc(1 << 16);
    for (;;) {
      let read: number;
      try {
        read = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EAGAIN") {
          // A non-blocking stdin with nothing yet: wait a little rather than spin.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          continue;
        }
        throw new UsageError(
          `--changes ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`,
        );
      }
      if (read === 0) break;
      total += read;
      if (total > MAX_CHANGES_BYTES)
        throw new UsageError(
          `--changes ${origin} is larger than ${MAX_CHANGES_BYTES / 1024 / 1024} MiB: split it into smaller change sets`,
        );
      chunks.push(Buffer.from(buffer.subarray(0, read)));
    }
    return { text: new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks)), origin };
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

function wholeNumber(option: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${option} must be a whole number, not '${raw}'`);
  return Number(raw);
}

/**
 * --validate-cmd: a JSON array of strings, or one command line split into words as a shell
 * would (quotes only): no separators, redirections, variables or globs, since no shell runs it.
 */
export function commandArgv(text: string): readonly string[] {
  if (text.trimStart().startsWith("[")) {
    let argv: unknown;
    try {
      argv = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--validate-cmd is not a JSON array: ${(error as Error).message}`);
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((w) => typeof w === "string"))
      throw new UsageError("--validate-cmd as JSON must be a non-empty array of strings");
    return argv as string[];
  }
  if (text.trim() === "") throw new UsageError("--validate-cmd is empty");
  if (openQuote(text) !== undefined)
    throw new UsageError(`--validate-cmd has an unterminated ${openQuote(text)} quote`);
  const split = splitShellCommands(text);
  if (split.uncertain !== undefined)
    throw new UsageError(
      `--validate-cmd runs without a shell, but ${split.uncertain}; give it as a JSON array`,
    );
  const words = parseShell(text);
  if (split.commands.length !== 1 || !words.every((w) => typeof w === "string"))
    throw new UsageError(
      "--validate-cmd is one command, run without a shell: no ';', '&&', '|', redirections or globs",
    );
  return split.commands[0]!;
}

/** The quote a command line leaves open (`'` or `"`), as a shell reads it; undefined when none. */
function openQuote(text: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote === "'") {
      if (ch === "'") quote = undefined;
    } else if (ch === "\\") i++;
    else if (quote === '"') {
      if (ch === '"') quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
  }
  return quote;
}

/** An event for a person on a terminal (the goldens use it without colour). */
export function formatEvent(event: ReviewEvent, c: Colors = colorsFor(process.stdout)): string {
  switch (event.event) {
    case "recovered":
      return `recovered an interrupted batch (${event.outcome}): ${event.files.join(", ") || "no files"}\n`;
    case "suggestion": {
      const diff = event.diff
        .split("\n")
        .map((line) =>
          line.startsWith("+") && !line.startsWith("+++")
            ? c.green(line)
            : line.startsWith("-") && !line.startsWith("---")
              ? c.red(line)
              : line,
        )
        .join("\n");
      const citations = event.evidence_citations.map(
        (e) =>
          `    cites ${e.path}${e.line === undefined ? "" : `:${e.line}${e.end_line === undefined ? "" : `-${e.end_line}`}`}\n`,
      );
      return [
        `${c.bold(event.id)} ${event.kind} ${event.target} [${event.tier}, ${event.confidence} confidence]\n`,
        `${event.rationale
          .split("\n")
          .map((line) => (line === "" ? "" : `    ${line}`))
          .join("\n")}\n`,
        ...citations,
        diff === "" ? "" : `${diff.endsWith("\n") ? diff : `${diff}\n`}`,
      ].join("");
    }
    case "applied":
      return `${c.green("applied")} ${event.id}${event.files.length > 0 ? `: ${event.files.join(", ")}` : " (already in place)"}\n`;
    case "skipped":
      return `${c.yellow("skipped")} ${event.id}: ${event.reason}\n`;
    case "rejected":
      return `${c.red("rejected")} ${event.id} (${event.gate} gate): ${event.reason}\n`;
    case "rolled_back":
      return `${c.red("rolled back")} ${event.ids.join(", ")}: ${event.reason}; the tree is as it was\n`;
    case "summary":
      return [
        `\n${event.changes} change(s): ${event.applied} applied, ${event.skipped} skipped, ${event.rejected} rejected${event.rolled_back ? ", batch rolled back" : ""}\n`,
        event.files_changed.length > 0 ? `files changed: ${event.files_changed.join(", ")}\n` : "",
        ...event.manual.map((m) => `  manual: ${m.id} (${m.target}): ${m.reason}\n`),
        ...event.not_recompiled.map((n) => `  not recompiled: ${n.output}: ${n.reason}\n`),
        ...event.not_proposed.map((n) => `  no proposal: ${n.output}: ${n.reason}\n`),
      ].join("");
    default:
      return assertNever(event);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected review event ${JSON.stringify(value)}`);
}
