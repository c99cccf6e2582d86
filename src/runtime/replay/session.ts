/**
 * The replay engine: answers calls from a cli-replay scenario, in process, with cli-replay's
 * semantics (docs/replay.md). Over the flat list of steps, with a call count per step:
 *
 * 1. past the last step, every call fails ("already complete");
 * 2. steps and groups that are exhausted (count = max) are skipped;
 * 3. in an unordered group, the first member in file order with calls left whose argv matches
 *    answers; when none does and every member has met its `min`, the group is left and only the
 *    step right after it is tried; otherwise the call fails listing the candidates;
 * 4. an ordered step answers when it matches; when it does not, has met its `min` and a next step
 *    exists, the next step (or every member of the next group) is tried — one step only;
 * 5. a match counts the call; `match.stdin`, when set, must then be equal too;
 * 6. the response (`stdout`/`stderr`, or a file's content) is rendered over vars and captures;
 * 7. the step's `capture` literals are merged.
 *
 * A call that fails for any reason changes nothing. Never throws for user input.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { argvMatches, reduceArgv } from "../../lang/replay/argv-match.js";
import { goQuote } from "../../lang/replay/go-format.js";
import type { Scenario } from "../../lang/replay/types.js";
import { checkCommandAllowed, checkScenarioAllowlist } from "./allowlist.js";
import { type ReplayErrorDefinition, ReplayErrors, type ReplayFailure, replayFailure } from "./codes.js";
import { type FlatGroup, type FlatScenario, type FlatStep, flattenScenario } from "./flatten.js";
import type { Lookahead } from "./mismatch-text.js";
import { renderResponse, responseVars } from "./render.js";
import type { ReplayResponse, ReplaySessionOptions, ReplayState } from "./types.js";
import { buildVerifyResult, type ScenarioVerifyResult, verifyError } from "./verify.js";

/** Bytes of standard input compared, as cli-replay reads at most 1 MiB. */
export const MAX_STDIN_BYTES = 1 << 20;

type Resolution =
  | { readonly ok: true; readonly step: FlatStep }
  | { readonly ok: false; readonly failure: ReplayFailure };

export class ReplaySession {
  readonly #scenario: Scenario;
  readonly #flat: FlatScenario;
  readonly #options: ReplaySessionOptions;
  readonly #vars: Readonly<Record<string, string>>;
  /** Set when the scenario or the resumed state cannot be replayed: every call returns it. */
  readonly #broken: ReplayFailure | undefined;
  #counts: number[];
  #captures: Record<string, string>;

  constructor(scenario: Scenario, options: ReplaySessionOptions) {
    this.#scenario = scenario;
    this.#flat = flattenScenario(scenario);
    this.#options = options;
    this.#vars = responseVars(scenario, options.env ?? {});
    this.#counts = this.#flat.steps.map(() => 0);
    this.#captures = {};
    const stateProblem = options.state === undefined ? undefined : this.#restore(options.state);
    this.#broken = stateProblem ?? checkScenarioAllowlist(scenario, options.allowedCommands);
  }

  /** A copy of the current state. */
  get state(): ReplayState {
    return { counts: [...this.#counts], captures: { ...this.#captures } };
  }

  /** Answers one call, or says why the scenario does not answer it (and changes nothing). */
  call(argv: readonly string[], stdin?: string): ReplayResponse | ReplayFailure {
    if (this.#broken !== undefined) return this.#broken;
    const received = reduceArgv(argv);
    const denied = checkCommandAllowed(this.#scenario, this.#options.allowedCommands, received[0] ?? "");
    if (denied !== undefined) return denied;

    const resolution = this.#resolve(received);
    if (!resolution.ok) return resolution.failure;
    const matched = resolution.step;
    const name = this.#scenario.meta.name;

    const expectedStdin = matched.step.match.stdin;
    if (expectedStdin !== undefined && expectedStdin !== "") {
      const given = capStdin(stdin ?? "");
      if (normaliseStdin(given) !== normaliseStdin(expectedStdin))
        return replayFailure(
          ReplayErrors.StdinMismatch,
          { scenario: name, step: matched, expected: expectedStdin, received: given },
          matched.index,
        );
    }

    const respond = matched.step.respond;
    const stdout = this.#respondText(matched, respond.stdout, respond.stdout_file, "stdout");
    if (!stdout.ok) return stdout.failure;
    const stderr = this.#respondText(matched, respond.stderr, respond.stderr_file, "stderr");
    if (!stderr.ok) return stderr.failure;

    this.#counts[matched.index] = (this.#counts[matched.index] ?? 0) + 1;
    for (const [key, value] of Object.entries(respond.capture ?? {}))
      Object.defineProperty(this.#captures, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return {
      ok: true,
      step: matched.index,
      label: matched.label,
      exit: respond.exit ?? 0,
      stdout: stdout.text,
      stderr: stderr.text,
    };
  }

  /** Whether every step has been called at least its `min` times. */
  verify(): ScenarioVerifyResult {
    const session = this.#options.session ?? "default";
    if (this.#broken?.code === ReplayErrors.StateMismatch.code)
      return verifyError(this.#scenario.meta.name, session, this.#broken.message);
    return buildVerifyResult(this.#scenario.meta.name, session, this.#flat.steps, this.#counts);
  }

  // --- ordering ------------------------------------------------------------------------------

  #resolve(received: readonly string[]): Resolution {
    const steps = this.#flat.steps;
    const name = this.#scenario.meta.name;
    const complete = (): Resolution => failed(ReplayErrors.Complete, { scenario: name, total: steps.length });

    let at = this.#position();
    for (;;) {
      if (at >= steps.length) return complete();
      const group = steps[at]!.group;
      if (group !== undefined) {
        if (!this.#groupAll(group, (s) => this.#count(s) >= s.max)) break;
        at = group.end;
      } else if (this.#count(steps[at]!) >= steps[at]!.max) at += 1;
      else break;
    }

    const current = steps[at]!;
    if (current.group !== undefined) {
      const group = current.group;
      const member = this.#firstMatchInGroup(group, received);
      if (member !== undefined) return { ok: true, step: member };
      if (!this.#groupAll(group, (s) => this.#count(s) >= s.min)) {
        const candidates = this.#withBudget(group);
        return failed(
          ReplayErrors.GroupMismatch,
          { scenario: name, group, candidates, received },
          group.start,
        );
      }
      const after = steps[group.end];
      if (after === undefined) return complete();
      if (argvMatches(after.step.match.argv, received)) return { ok: true, step: after };
      return failed(
        ReplayErrors.ArgvMismatch,
        { scenario: name, expected: after, received, lookahead: { kind: "left-group", group } },
        after.index,
      );
    }

    if (argvMatches(current.step.match.argv, received)) return { ok: true, step: current };
    const next = steps[at + 1];
    if (this.#count(current) < current.min || next === undefined)
      return failed(
        ReplayErrors.ArgvMismatch,
        { scenario: name, expected: current, received },
        current.index,
      );
    if (next.group !== undefined) {
      const member = this.#firstMatchInGroup(next.group, received);
      if (member !== undefined) return { ok: true, step: member };
      const lookahead: Lookahead = {
        kind: "group",
        group: next.group,
        candidates: this.#withBudget(next.group),
      };
      return failed(
        ReplayErrors.ArgvMismatch,
        { scenario: name, expected: current, received, lookahead },
        current.index,
      );
    }
    if (argvMatches(next.step.match.argv, received)) return { ok: true, step: next };
    return failed(
      ReplayErrors.ArgvMismatch,
      { scenario: name, expected: current, received, lookahead: { kind: "step", step: next } },
      current.index,
    );
  }

  /** The step being worked on: the last one called (its group's start for a member), else 0. */
  #position(): number {
    const last = this.#counts.findLastIndex((c) => c > 0);
    if (last < 0) return 0;
    return this.#flat.steps[last]!.group?.start ?? last;
  }

  #count(step: FlatStep): number {
    return this.#counts[step.index] ?? 0;
  }

  #members(group: FlatGroup): readonly FlatStep[] {
    return this.#flat.steps.slice(group.start, group.end);
  }

  #groupAll(group: FlatGroup, test: (step: FlatStep) => boolean): boolean {
    return this.#members(group).every(test);
  }

  #withBudget(group: FlatGroup): FlatStep[] {
    return this.#members(group).filter((s) => this.#count(s) < s.max);
  }

  #firstMatchInGroup(group: FlatGroup, received: readonly string[]): FlatStep | undefined {
    return this.#withBudget(group).find((s) => argvMatches(s.step.match.argv, received));
  }

  // --- responses ------------------------------------------------------------------------------

  #respondText(
    step: FlatStep,
    inline: string | undefined,
    file: string | undefined,
    stream: "stdout" | "stderr",
  ): { ok: true; text: string } | { ok: false; failure: ReplayFailure } {
    let text = inline ?? "";
    if (file !== undefined && file !== "") {
      try {
        text = readFileSync(join(this.#options.baseDir, file), "utf8");
      } catch (error) {
        const reason =
          (error as NodeJS.ErrnoException).code === "ENOENT"
            ? "no such file"
            : String((error as Error).message);
        return {
          ok: false,
          failure: replayFailure(
            ReplayErrors.ResponseFileUnreadable,
            { step: step.index, stream, file, reason },
            step.index,
          ),
        };
      }
    }
    const rendered = renderResponse(text, this.#vars, this.#captures);
    if (rendered.ok) return { ok: true, text: rendered.text };
    return {
      ok: false,
      failure: replayFailure(
        ReplayErrors.ResponseTemplateFailed,
        { step: step.index, stream, error: rendered.error },
        step.index,
      ),
    };
  }

  // --- state ----------------------------------------------------------------------------------

  /** Takes a resumed state, or says why it does not fit the scenario. */
  #restore(state: ReplayState): ReplayFailure | undefined {
    const steps = this.#flat.steps;
    const problem = stateProblem(state, steps);
    if (problem !== undefined)
      return replayFailure(ReplayErrors.StateMismatch, { scenario: this.#scenario.meta.name, problem });
    this.#counts = [...state.counts];
    this.#captures = {};
    for (const [key, value] of Object.entries(state.captures))
      Object.defineProperty(this.#captures, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return undefined;
  }
}

function failed<A>(definition: ReplayErrorDefinition<A>, args: A, step?: number): Resolution {
  return { ok: false, failure: replayFailure(definition, args, step) };
}

function stateProblem(state: ReplayState, steps: readonly FlatStep[]): string | undefined {
  if (typeof state !== "object" || state === null) return "it is not an object";
  const { counts, captures } = state as { counts?: unknown; captures?: unknown };
  if (!Array.isArray(counts)) return "counts is not a list";
  if (counts.length !== steps.length)
    return `it counts ${counts.length} steps, the scenario has ${steps.length}`;
  for (const [i, c] of counts.entries()) {
    if (!Number.isInteger(c) || (c as number) < 0) return `counts[${i}] is not a count`;
    if ((c as number) > steps[i]!.max)
      return `step ${i} was called ${c} times, more than its max ${steps[i]!.max}`;
  }
  if (typeof captures !== "object" || captures === null || Array.isArray(captures))
    return "captures is not a mapping";
  for (const [key, value] of Object.entries(captures))
    if (typeof value !== "string") return `capture ${goQuote(key)} is not a string`;
  return undefined;
}

/** At most 1 MiB of UTF-8, as cli-replay reads. */
function capStdin(stdin: string): string {
  const bytes = Buffer.from(stdin, "utf8");
  return bytes.length <= MAX_STDIN_BYTES ? stdin : bytes.subarray(0, MAX_STDIN_BYTES).toString("utf8");
}

/** CRLF → LF, trailing newlines removed. */
function normaliseStdin(text: string): string {
  return text.replaceAll("\r\n", "\n").replace(/\n+$/, "");
}
