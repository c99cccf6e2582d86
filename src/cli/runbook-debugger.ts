/**
 * `runbook debug`: a line REPL over the runbook engine. `next` runs the current step, `continue`
 * runs on until the run finishes or pauses; `dump`, `print vars|captures` and `history` show the
 * run's memory; `evidence set|attach|check` and `approve` give what a paused step waits for;
 * `snapshot` saves the state; `quit` (or end of input) leaves an unfinished run resumable. Every
 * change goes through the engine, so the trace records it as it would for `runbook exec`. It reads
 * commands from any stream and writes to any stream, so tests drive it without a terminal.
 */
import { join } from "node:path";
import { createInterface } from "node:readline";
import { evidenceInput } from "../driver/runbook-session.js";
import { UsageError } from "../driver/usage-error.js";
import { didYouMean } from "../ir/did-you-mean.js";
import { assertNever } from "../ir/nodes.js";
import type { Evidence, Runbook } from "../lang/runbook/types.js";
import { quoteForDisplay } from "../runtime/runbook/dry-run.js";
import {
  commandBlocked,
  type PlannedStep,
  type RunbookEngine,
  requiredEvidence,
  type StepOutcome,
} from "../runtime/runbook/engine.js";
import { RunbookRuntimeError } from "../runtime/runbook/errors.js";
import type { ApprovalRecord, CaptureRecord, EvidenceRecord, StepResult } from "../runtime/runbook/state.js";
import { renderArgv } from "../runtime/runbook/values.js";
import { ExecExit, stepLine } from "./commands/exec.js";
import { ExitCode } from "./exit-codes.js";
import { followUp } from "./follow-up.js";
import { parseOptions } from "./options.js";

type CommandName =
  | "next"
  | "continue"
  | "print"
  | "dump"
  | "history"
  | "evidence"
  | "approve"
  | "snapshot"
  | "help"
  | "quit";

interface CommandDoc {
  readonly name: CommandName;
  readonly alias?: string;
  readonly usage: readonly string[];
  readonly summary: string;
}

export const DEBUGGER_COMMANDS: readonly CommandDoc[] = [
  { name: "next", alias: "n", usage: ["next"], summary: "run the current step" },
  {
    name: "continue",
    alias: "c",
    usage: ["continue"],
    summary: "run steps until the run finishes or pauses",
  },
  {
    name: "print",
    alias: "p",
    usage: ["print vars|captures"],
    summary: "the variables, or the captures so far",
  },
  {
    name: "dump",
    usage: ["dump"],
    summary: "the run's state as JSON (a snapshot's, with the history from the trace)",
  },
  { name: "history", usage: ["history"], summary: "one line per step run so far" },
  {
    name: "evidence",
    usage: [
      "evidence set [<step>.]<name> <text | all | 1,3 | an item's text>",
      "evidence attach [<step>.]<name> <file>",
      "evidence check [<step>]",
    ],
    summary: "give evidence for a manual step (the step defaults to the current one), or see what it needs",
  },
  {
    name: "approve",
    usage: ["approve [--as <name>] [--role <role>]... [<step>]"],
    summary: "approve a step (default: the current one); --as sets who you are from now on",
  },
  { name: "snapshot", usage: ["snapshot"], summary: "write the run's state to a snapshot file now" },
  { name: "help", alias: "h", usage: ["help"], summary: "this list" },
  {
    name: "quit",
    alias: "q",
    usage: ["quit"],
    summary: "stop; a run not finished stays resumable (also: end of input)",
  },
];

export interface DebuggerOptions {
  /** The runbook the engine runs: its name, and the evidence policy for `evidence check`. */
  readonly runbook: Runbook;
  /** The engine continues an earlier run (`--resume`). */
  readonly resumed?: boolean;
  /** How the debugger was invoked, for the commands it suggests: the program (default `runbook`) and `--run-dir`. */
  readonly program?: string;
  readonly runDir?: string;
  /** Options every suggested command carries (`--trace-key-file F`). */
  readonly keep?: readonly string[];
}

interface Word {
  readonly text: string;
  readonly start: number;
}

export class Debugger {
  private readonly terminal: boolean;

  constructor(
    private readonly engine: RunbookEngine,
    private readonly input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    private readonly options: DebuggerOptions,
  ) {
    this.terminal =
      (input as { isTTY?: boolean }).isTTY === true && (output as { isTTY?: boolean }).isTTY === true;
  }

  /** Reads commands until `quit` or the end of input; closes the engine. 0 = run passed, 1 = failed, 4 = left unfinished. */
  async run(): Promise<number> {
    const rl = createInterface({ input: this.input, output: this.output, terminal: this.terminal });
    // Ctrl-C leaves the debugger (after the step that is running, if any) rather than pausing the input.
    rl.on("SIGINT", () => rl.close());
    let closed = false;
    rl.on("close", () => {
      closed = true;
    });
    // Without a terminal, input that has ended closes the interface while its lines are still being
    // read from it, so the prompt is written directly; nothing echoes the command either, so a
    // transcript would not show it.
    const prompt = () => {
      if (!this.terminal) this.say(this.promptText());
      else if (!closed) {
        rl.setPrompt(this.promptText());
        rl.prompt();
      }
    };
    let quit = false;
    try {
      this.intro();
      prompt();
      for await (const line of rl) {
        if (!this.terminal) this.say(`${line}\n`);
        if (await this.execute(line)) {
          quit = true;
          break;
        }
        prompt();
      }
      if (!quit) this.say("\n");
    } finally {
      rl.close();
      await this.engine.close();
    }
    return this.leave();
  }

  /** `(rbdb 3/7 check_pods cli) `, or `(rbdb done) ` when the run has finished. */
  private promptText(): string {
    const engine = this.engine;
    const at = engine.current;
    const where = engine.done
      ? "done"
      : at === undefined
        ? "end"
        : `${at.index + 1}/${engine.plan.length} ${at.step.id} ${at.step.type}`;
    return `(rbdb ${where}) `;
  }

  private say(text: string): void {
    this.output.write(text);
  }

  private intro(): void {
    const engine = this.engine;
    this.say(
      `${this.options.resumed ? "Resuming" : "Debugging"} '${this.options.runbook.meta.name}' (${engine.state.mode}) as run ${engine.runId}\n` +
        `  run folder: ${engine.store.dir}\n` +
        `  type 'help' for the commands, 'next' to run the current step\n\n`,
    );
    this.describeCurrent();
  }

  /** Runs one command line; true when the debugger should stop. */
  private async execute(line: string): Promise<boolean> {
    const words = splitWords(line);
    const first = words[0];
    if (first === undefined) return false;
    const command = DEBUGGER_COMMANDS.find((c) => c.name === first.text || c.alias === first.text);
    if (command === undefined) {
      const hint = didYouMean(
        first.text,
        DEBUGGER_COMMANDS.map((c) => c.name),
      );
      this.say(
        `error: unknown command '${first.text}'${hint ? `; ${hint}` : ""} (type 'help' for the commands)\n`,
      );
      return false;
    }
    const args = words.slice(1);
    try {
      switch (command.name) {
        case "next":
          await this.advance(false);
          break;
        case "continue":
          await this.advance(true);
          break;
        case "print":
          this.print(args);
          break;
        case "dump":
          this.say(`${JSON.stringify(this.engine.state, null, 2)}\n`);
          break;
        case "history":
          this.history();
          break;
        case "evidence":
          this.evidence(args, line);
          break;
        case "approve":
          this.approve(args);
          break;
        case "snapshot": {
          const binding = this.engine.snapshot();
          this.say(
            `snapshot written: ${join(this.engine.store.dir, binding.path)}\n  sha256: ${binding.sha256}\n`,
          );
          break;
        }
        case "help":
          this.help();
          break;
        case "quit":
          return true;
        default:
          return assertNever(command.name, "debugger command");
      }
    } catch (error) {
      if (error instanceof RunbookRuntimeError)
        this.say(
          `error ${error.error.code}: ${error.error.message}\n${error.error.hint ? `  hint: ${error.error.hint}\n` : ""}`,
        );
      else if (error instanceof UsageError) this.say(`error: ${error.message}\n`);
      else throw error;
    }
    return false;
  }

  // --- running -------------------------------------------------------------------------------

  private async advance(all: boolean): Promise<void> {
    const engine = this.engine;
    if (engine.done) {
      this.say(`the run has finished (${engine.state.status}); nothing is left to run — 'quit' to leave\n`);
      return;
    }
    for (;;) {
      const before = engine.history.length;
      let outcome: StepOutcome = await engine.next();
      // A failed step ends the run at once, and the steps after it are recorded as skipped: print them all.
      for (const result of engine.history.slice(before)) this.say(stepLine(result, engine.plan.length));
      // The last step ran: finish the run now, so the trace says how it ended.
      if (outcome.kind === "step" && engine.current === undefined) outcome = await engine.next();
      if (outcome.kind === "paused") return this.paused(outcome);
      if (outcome.kind === "finished") return this.finished(outcome);
      if (!all) return this.describeCurrent();
    }
  }

  private paused(outcome: Extract<StepOutcome, { kind: "paused" }>): void {
    const step = outcome.step.step;
    this.say(
      `\nPaused at step ${outcome.step.index + 1}/${this.engine.plan.length} '${step.id}' (${step.type}): waiting for ${outcome.waitingFor.join(", ")}\n`,
    );
    this.describe(outcome.step);
    this.say("Give it with:\n");
    for (const waiting of outcome.waitingFor) {
      if (waiting.startsWith("evidence ")) {
        const target = waiting.slice("evidence ".length);
        const name = target.slice(target.indexOf(".") + 1);
        const spec =
          step.type === "manual"
            ? requiredEvidence(step, this.options.runbook).find((e) => e.name === name)
            : undefined;
        this.say(`  ${evidenceCommand(target, spec)}\n`);
      } else
        this.say(
          `  approve --as <name>${step.approvals?.roles ? ` --role ${step.approvals.roles[0]}` : ""} ${step.id}\n`,
        );
    }
    this.say("then 'next' (or 'continue').\n");
  }

  private finished(outcome: Extract<StepOutcome, { kind: "finished" }>): void {
    const engine = this.engine;
    const count = (status: string) => engine.history.filter((r) => r.status === status).length;
    if (outcome.scenario !== undefined && !outcome.scenario.passed)
      this.say(
        `✗ the replay scenario was not consumed: ${outcome.scenario.consumed_steps}/${outcome.scenario.total_steps} steps\n${outcome.scenario.unmet.map((u) => `    ${u}\n`).join("")}`,
      );
    this.say(
      `\nRun ${engine.runId} ${outcome.status}: ${count("passed")} passed, ${count("failed")} failed, ${count("skipped")} skipped.\n` +
        `  trace: ${engine.store.dir}/trace.jsonl\n  verify: ${this.followUp(["verify", engine.runId])}\n`,
    );
  }

  private followUp(words: readonly string[]): string {
    return followUp(
      this.options.program ?? "runbook",
      [...words, ...(this.options.keep ?? [])],
      this.options.runDir,
    );
  }

  /** After `quit`: the exit code, and how to go on with a run that has not finished. */
  private leave(): number {
    const engine = this.engine;
    if (engine.done) return engine.state.status === "passed" ? ExitCode.Ok : ExitCode.Errors;
    const at = engine.current;
    const where = at === undefined ? "" : ` at step ${at.index + 1}/${engine.plan.length} '${at.step.id}'`;
    this.say(
      `Run ${engine.runId} is ${engine.state.status === "paused" ? "paused" : "not finished"}${where}; it stays resumable:\n` +
        `  ${this.followUp(["debug", "--resume", engine.runId])}\n  ${this.followUp(["exec", "--resume", engine.runId])}\n`,
    );
    return ExecExit.Paused;
  }

  // --- looking -------------------------------------------------------------------------------

  private describeCurrent(): void {
    const at = this.engine.current;
    if (at === undefined) this.say("Every step has run; 'next' finishes the run.\n");
    else this.describe(at);
  }

  /** A step as the person about to run it needs to see it. */
  private describe(planned: PlannedStep): void {
    const engine = this.engine;
    const step = planned.step;
    const groups = planned.groups.length > 0 ? ` [${planned.groups.join(" › ")}]` : "";
    const lines = [
      `Step ${planned.index + 1}/${engine.plan.length} '${step.id}' (${step.type})${groups}${step.title ? ` — ${step.title}` : ""}`,
    ];
    if (step.type === "cli") {
      const rendered = renderArgv(step.with.argv, this.data());
      const argv = rendered.ok ? rendered.argv : step.with.argv;
      lines.push(`  run:      ${argv.map(quoteForDisplay).join(" ")}`);
      if (!rendered.ok) lines.push(`  needs:    ${rendered.message}`);
      const blocked = commandBlocked(argv, this.options.runbook);
      if (blocked !== undefined) lines.push(`  BLOCKED:  ${blocked.code} ${blocked.message}`);
      if (step.capture !== undefined) lines.push(`  captures: ${Object.keys(step.capture).join(", ")}`);
    } else {
      for (const text of step.instructions.trim().split("\n")) lines.push(`  ${text}`.trimEnd());
      if (step.command !== undefined) lines.push(`  by hand:  ${step.command}`);
      const given = this.pendingEvidence(step.id);
      const required = requiredEvidence(step, this.options.runbook);
      for (const [i, spec] of required.entries()) {
        const record = given[spec.name];
        lines.push(
          `  ${i === 0 ? "evidence:" : "         "} ${spec.name} (${spec.kind}) — ${record === undefined ? "missing" : `given by ${record.by}`}`,
        );
      }
    }
    const approval = this.approvalLine(planned);
    if (approval !== undefined) lines.push(`  approval: ${approval}`);
    this.say(`${lines.join("\n")}\n`);
  }

  /** The variables and the stored capture values, for rendering a step's argv. */
  private data(): Record<string, string> {
    const { vars, captures } = this.engine.values;
    const data: Record<string, string> = { ...vars };
    for (const [name, record] of Object.entries(captures))
      if (record.value !== undefined) data[name] = record.value;
    return data;
  }

  private pendingEvidence(stepId: string): Readonly<Record<string, EvidenceRecord>> {
    return this.engine.state.pending.evidence[stepId] ?? {};
  }

  /** "1 of 2 with role DRI; given by alice" for a step that needs approvals. */
  private approvalLine(planned: PlannedStep): string | undefined {
    const policy = planned.step.approvals;
    if (policy === undefined) return undefined;
    const have = this.engine.state.pending.approvals[planned.step.id] ?? [];
    const valid = have.filter(
      (a) => policy.roles === undefined || policy.roles.some((r) => a.roles.includes(r)),
    );
    const roles = policy.roles === undefined ? "" : ` with role ${policy.roles.join(" or ")}`;
    return `${valid.length} of ${policy.min}${roles}${have.length > 0 ? `; given by ${have.map(approver).join(", ")}` : ""}`;
  }

  private print(args: readonly Word[]): void {
    const what = args[0]?.text;
    const { vars, captures } = this.engine.values;
    if (what === "vars")
      this.say(
        nameValueLines(
          Object.entries(vars).map(([name, value]) => [name, JSON.stringify(value)]),
          "no variables",
        ),
      );
    else if (what === "captures")
      this.say(
        nameValueLines(
          Object.entries(captures).map(([name, record]) => [name, captureText(record)]),
          "no captures yet",
        ),
      );
    else {
      const hint = what === undefined ? undefined : didYouMean(what, ["vars", "captures"]);
      throw new UsageError(
        `${what === undefined ? "print what?" : `cannot print '${what}'${hint ? `; ${hint}` : ""}`} — print vars | print captures`,
      );
    }
  }

  private history(): void {
    const history = this.engine.history;
    if (history.length === 0) {
      this.say("no step has run yet\n");
      return;
    }
    const total = this.engine.plan.length;
    const width = String(total).length;
    for (const result of history)
      this.say(
        `${String(result.index + 1).padStart(width)}/${total} ${result.status.padEnd(7)} ${result.step_id} (${result.type})${exitText(result)}${result.error === null ? "" : `  ${result.error.code} ${result.error.message}`}\n`,
      );
  }

  private help(): void {
    const rows = DEBUGGER_COMMANDS.flatMap((c) =>
      c.usage.map((usage, i) => [i === 0 ? (c.alias ?? "") : "", usage, i === 0 ? c.summary : ""] as const),
    );
    const width = Math.max(...rows.map(([, usage]) => usage.length));
    this.say(
      `Commands (with their short forms):\n${rows.map(([alias, usage, summary]) => `  ${alias.padEnd(1)}  ${usage.padEnd(width)}  ${summary}`.trimEnd()).join("\n")}\n`,
    );
  }

  // --- giving --------------------------------------------------------------------------------

  private evidence(args: readonly Word[], line: string): void {
    const sub = args[0]?.text;
    if (sub === "check") {
      if (args.length > 2) throw new UsageError("evidence check takes one step at most");
      this.evidenceCheck(args[1]?.text);
      return;
    }
    if (sub !== "set" && sub !== "attach") {
      const hint = sub === undefined ? undefined : didYouMean(sub, ["set", "attach", "check"]);
      throw new UsageError(
        `${sub === undefined ? "evidence what?" : `no evidence command '${sub}'${hint ? `; ${hint}` : ""}`} — evidence set|attach [<step>.]<name> …, evidence check [<step>]`,
      );
    }
    const target = args[1];
    const valueWord = args[2];
    if (target === undefined || valueWord === undefined)
      throw new UsageError(
        `expected: evidence ${sub} [<step>.]<name> ${sub === "attach" ? "<file>" : "<text | all | 1,3>"}`,
      );
    const raw = line.slice(valueWord.start).trim();
    const { step, name } = this.evidenceTarget(target.text);
    const planned = this.engine.plan.find((p) => p.step.id === step);
    const spec =
      planned?.step.type === "manual"
        ? requiredEvidence(planned.step, this.options.runbook).find((e) => e.name === name)
        : undefined;
    const attach = sub === "attach";
    const input = evidenceInput(
      { step, name, raw, attach },
      spec?.kind ?? (attach ? "attachment" : "text"),
      spec?.items,
    );
    const record = this.engine.addEvidence(step, name, input);
    this.say(`evidence ${step}.${name} recorded by ${record.by}: ${evidenceText(record)}\n`);
    if (record.value.kind === "checklist") {
      const open = record.value.items.filter((i) => !i.checked).map((i) => i.item);
      if (open.length > 0)
        this.say(`  not ticked: ${open.join("; ")} — the step fails unless every item is ticked\n`);
    }
    if (planned?.step.type === "manual") {
      const given = this.pendingEvidence(step);
      const missing = requiredEvidence(planned.step, this.options.runbook).filter(
        (e) => given[e.name] === undefined,
      );
      this.say(
        missing.length === 0
          ? `step '${step}' has all its evidence\n`
          : `step '${step}' still needs: ${missing.map((e) => e.name).join(", ")}\n`,
      );
    }
  }

  /** `step.name`, or just `name` for the current step when it is a manual one. */
  private evidenceTarget(text: string): { step: string; name: string } {
    const dot = text.indexOf(".");
    if (dot > 0) return { step: text.slice(0, dot), name: text.slice(dot + 1) };
    const at = this.engine.current;
    if (at === undefined || at.step.type !== "manual")
      throw new UsageError(
        `'${text}': name the step as <step>.${text}${at === undefined ? "" : ` (the current step '${at.step.id}' is not a manual step)`}`,
      );
    return { step: at.step.id, name: text };
  }

  private evidenceCheck(stepId: string | undefined): void {
    const engine = this.engine;
    const planned = stepId === undefined ? engine.current : engine.plan.find((p) => p.step.id === stepId);
    if (planned === undefined) {
      if (stepId === undefined)
        throw new UsageError("every step has run; name a step: evidence check <step>");
      const hint = didYouMean(
        stepId,
        engine.plan.map((p) => p.step.id),
      );
      throw new UsageError(`the runbook has no step '${stepId}'${hint ? `; ${hint}` : ""}`);
    }
    const step = planned.step;
    const head = `step ${planned.index + 1}/${engine.plan.length} '${step.id}' (${step.type})`;
    if (step.type !== "manual") {
      const approval = this.approvalLine(planned);
      this.say(
        `${head} is a cli step; it asks for no evidence${approval === undefined ? "" : `\n  approval: ${approval}`}\n`,
      );
      return;
    }
    const done = engine.history.find((r) => r.index === planned.index);
    const given = done === undefined ? this.pendingEvidence(step.id) : done.evidence;
    const required = requiredEvidence(step, this.options.runbook);
    const lines = [`Evidence for ${head}${done === undefined ? "" : ` — it has run (${done.status})`}:`];
    if (required.length === 0) lines.push("  none required");
    for (const spec of required) {
      const record = given[spec.name];
      const about = `${spec.name} (${spec.kind})${spec.description ? ` — ${spec.description}` : ""}`;
      if (record !== undefined) lines.push(`  ✓ ${about}\n      ${evidenceText(record)} — by ${record.by}`);
      else {
        lines.push(`  ✗ ${about}`);
        if (spec.kind === "checklist")
          for (const [i, item] of (spec.items ?? []).entries()) lines.push(`      ${i + 1}. ${item}`);
        if (done === undefined)
          lines.push(`      give it: ${evidenceCommand(`${step.id}.${spec.name}`, spec)}`);
      }
    }
    const missing = required.filter((e) => given[e.name] === undefined).length;
    if (done === undefined)
      lines.push(missing === 0 ? "All given." : `Missing: ${missing} of ${required.length}.`);
    const approval = this.approvalLine(planned);
    if (approval !== undefined && done === undefined) lines.push(`approval: ${approval}`);
    this.say(`${lines.join("\n")}\n`);
  }

  private approve(args: readonly Word[]): void {
    const { values, positionals } = parseOptions(
      args.map((w) => w.text),
      { as: { type: "string" }, role: { type: "string", multiple: true } },
    );
    if (positionals.length > 1)
      throw new UsageError(`approve takes one step, got ${positionals.length}: ${positionals.join(" ")}`);
    const stepId = positionals[0] ?? this.engine.current?.step.id;
    if (stepId === undefined) throw new UsageError("every step has run; there is nothing to approve");
    const roles = (values.role as string[] | undefined) ?? [];
    const as = values.as as string | undefined;
    const before = { actor: this.engine.actor, roles: this.engine.roles };
    if (as !== undefined) this.engine.setActor(as, roles);
    else if (roles.length > 0) this.engine.setActor(this.engine.actor, roles);
    let record: ApprovalRecord;
    try {
      record = this.engine.approve(stepId);
    } catch (error) {
      // A refused approval changes nobody: `--as` takes effect only with the approval it gave.
      this.engine.setActor(before.actor, before.roles);
      throw error;
    }
    const planned = this.engine.plan.find((p) => p.step.id === stepId);
    this.say(
      `approved '${stepId}' as ${approver(record)}${planned === undefined ? "" : `; approvals: ${this.approvalLine(planned)}`}\n`,
    );
  }
}

/** Words and where each starts, so a command can take the rest of the line as it was typed. */
function splitWords(line: string): Word[] {
  return [...line.matchAll(/\S+/g)].map((m) => ({ text: m[0], start: m.index }));
}

function evidenceCommand(target: string, spec: Evidence | undefined): string {
  if (spec?.kind === "attachment") return `evidence attach ${target} <file>`;
  if (spec?.kind === "checklist")
    return `evidence set ${target} all   (or item numbers: 1,2,…, or an item's text)`;
  return `evidence set ${target} <text>`;
}

function evidenceText(record: EvidenceRecord): string {
  const value = record.value;
  switch (value.kind) {
    case "text":
      return JSON.stringify(value.text.length > 80 ? `${value.text.slice(0, 80)}…` : value.text);
    case "checklist":
      return `${value.items.filter((i) => i.checked).length} of ${value.items.length} items ticked`;
    case "attachment":
      return `${value.attachment.name} → ${value.attachment.path} (${value.attachment.size} bytes)`;
    default:
      return assertNever(value, "evidence value");
  }
}

function captureText(record: CaptureRecord): string {
  if (record.value !== undefined) return JSON.stringify(record.value);
  return `sha256:${record.sha256?.slice(0, 12) ?? "?"}… (${record.bytes ?? "?"} bytes) ${JSON.stringify(record.preview ?? "")}`;
}

function nameValueLines(entries: readonly (readonly [string, string])[], none: string): string {
  if (entries.length === 0) return `(${none})\n`;
  return entries.map(([name, value]) => `${name} = ${value}\n`).join("");
}

function approver(record: ApprovalRecord): string {
  return `${record.by}${record.roles.length > 0 ? ` (${record.roles.join(", ")})` : ""}`;
}

function exitText(result: StepResult): string {
  return result.exit_code === undefined ? "" : `  exit ${result.exit_code}`;
}
