/**
 * Step providers: one per step type, each with `validate(step)` and `execute(step, input)`. A
 * provider gets frozen inputs the engine prepared (the argv already rendered and checked against
 * governance; the evidence already gathered) and returns data; it has no handle on the run's
 * state, its flow or its policy, which stay the engine's. `cli` steps reach a program through a
 * {@link CommandRunner}: a real process, the in-process replay engine, or a cli-replay binary.
 */
import type { CliStep, ManualStep } from "../../lang/runbook/types.js";
import type { RunError } from "./state.js";

export interface ResolvedCall {
  readonly argv: readonly string[];
  readonly stdin?: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** The environment the program gets: the run's, without the names `deny_env_vars` matches. */
  readonly env: Readonly<Record<string, string>>;
  /** Told the pid of the process started (it leads its own process group), for the run's lock. */
  readonly onSpawn?: (pid: number) => void;
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut?: boolean;
  readonly truncated?: readonly ("stdout" | "stderr")[];
  /** The call never reached a program (not found, a replay mismatch). */
  readonly error?: RunError;
}

/** How a `cli` step's argv is answered in the run's mode. */
export interface CommandRunner {
  readonly kind: "real" | "replay" | "cli-replay";
  run(call: ResolvedCall): Promise<CommandResult>;
  /** State to keep in snapshots so a resumed run goes on where it was (replay call counts). */
  state?(): unknown;
  /** Replay: whether every scenario step was called its minimum number of times. */
  finish?(): Promise<ScenarioVerdict>;
  close?(): Promise<void>;
}

export interface ScenarioVerdict {
  readonly passed: boolean;
  readonly consumed_steps: number;
  readonly total_steps: number;
  readonly unmet: readonly string[];
}

export interface StepProvider<S, I, O> {
  readonly type: string;
  /** Problems that make the step impossible to run, in words; empty when it can run. */
  validate(step: S): string[];
  execute(step: S, input: I): Promise<O>;
}

export const cliProvider: StepProvider<
  CliStep,
  { readonly call: ResolvedCall; readonly runner: CommandRunner },
  CommandResult
> = {
  type: "cli",
  validate(step) {
    const problems: string[] = [];
    if (step.with.argv.length === 0) problems.push("argv is empty");
    else if (step.with.argv[0]?.includes("{{")) problems.push("argv[0] must be a literal program name");
    return problems;
  },
  execute(_step, { call, runner }) {
    return runner.run(call);
  },
};

export interface ManualInput {
  /** The evidence given so far, by name. */
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly required: readonly {
    readonly name: string;
    readonly kind: string;
    readonly items?: readonly string[];
  }[];
}

export interface ManualOutcome {
  /** Required evidence not given yet. */
  readonly missing: readonly string[];
  /** Checklist items the person left unticked (`evidence.item`). */
  readonly unchecked: readonly string[];
}

export const manualProvider: StepProvider<ManualStep, ManualInput, ManualOutcome> = {
  type: "manual",
  validate(step) {
    return step.title.trim() === "" ? ["the step has no title"] : [];
  },
  async execute(_step, { evidence, required }) {
    const missing: string[] = [];
    const unchecked: string[] = [];
    for (const item of required) {
      const given = evidence[item.name] as
        | { value?: { kind?: string; items?: { item: string; checked: boolean }[] } }
        | undefined;
      if (given === undefined) missing.push(item.name);
      else if (given.value?.kind === "checklist")
        for (const entry of given.value.items ?? [])
          if (!entry.checked) unchecked.push(`${item.name}: ${entry.item}`);
    }
    return { missing, unchecked };
  },
};
