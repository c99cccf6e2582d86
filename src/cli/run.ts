/**
 * Command dispatch: global flags, `--help`, `--version`, then the command's own module, loaded
 * on demand so that start-up stays fast, run in its trace span (observe-command.ts) and, when
 * asked for, with traces exported and metrics served or written (observability.ts).
 */
import { version } from "../driver/version.js";
import { didYouMean } from "../ir/did-you-mean.js";
import { ExitCode } from "./exit-codes.js";
import { COMMANDS, commandHelp, programHelp } from "./help.js";
import { inCommandSpan, takeObservabilityFlags } from "./observe-command.js";

export type CommandRunner = (program: string, args: readonly string[]) => Promise<number>;

const LOADERS: Readonly<Record<string, () => Promise<{ default: CommandRunner }>>> = {
  check: () => import("./commands/check.js"),
  compile: () => import("./commands/compile.js"),
  debug: () => import("./commands/debug.js"),
  exec: () => import("./commands/exec.js"),
  exectime: () => import("./commands/exectime.js"),
  init: () => import("./commands/init.js"),
  inspect: () => import("./commands/inspect.js"),
  orch: () => import("./commands/orch.js"),
  queue: () => import("./commands/queue.js"),
  review: () => import("./commands/review.js"),
  run: () => import("./commands/run.js"),
  runs: () => import("./commands/runs.js"),
  stats: () => import("./commands/stats.js"),
  task: () => import("./commands/task.js"),
  validate: () => import("./commands/validate.js"),
  verify: () => import("./commands/verify.js"),
  worker: () => import("./commands/worker.js"),
};

export async function run(program: string, args: readonly string[]): Promise<number> {
  const taken = takeObservabilityFlags(args, process.env);
  if ("usage" in taken) {
    process.stderr.write(`${program}: ${taken.usage}\nRun '${program} --help' for usage.\n`);
    return ExitCode.Usage;
  }
  const argv = await globalFlags(taken.args);
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic !== undefined) {
      if (COMMANDS.some((c) => c.name === topic)) {
        process.stdout.write(commandHelp(program, topic));
        return ExitCode.Ok;
      }
      const hint = didYouMean(topic, Object.keys(LOADERS));
      process.stderr.write(`${program}: no help for unknown command '${topic}'${hint ? `; ${hint}` : ""}\n`);
      return ExitCode.Usage;
    }
    (first === undefined ? process.stderr : process.stdout).write(programHelp(program));
    return first === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (first === "--version" || first === "-v" || first === "version") {
    process.stdout.write(`${version()}\n`);
    return ExitCode.Ok;
  }
  const loader = LOADERS[first];
  if (loader === undefined) {
    const hint = didYouMean(first, Object.keys(LOADERS));
    process.stderr.write(
      `${program}: unknown command '${first}'${hint ? `; ${hint}` : ""}\nRun '${program} --help' for the list of commands.\n`,
    );
    return ExitCode.Usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(commandHelp(program, first));
    return ExitCode.Ok;
  }
  const command = await loader();
  const runCommand = () => inCommandSpan(program, first, () => command.default(program, rest));
  if (taken.flags === undefined) return runCommand();
  const { withObservability } = await import("./observability.js");
  return withObservability(program, first, taken.flags, runCommand);
}

/**
 * Takes out the flags every command accepts: `--no-color` (before a `--`), which turns colour
 * off (cli/color.ts). Loads the colour module only when the flag is there.
 */
async function globalFlags(args: readonly string[]): Promise<readonly string[]> {
  const end = args.indexOf("--");
  const own = end === -1 ? args : args.slice(0, end);
  if (!own.includes("--no-color")) return args;
  const { setNoColor } = await import("./color.js");
  setNoColor(true);
  return [...own.filter((a) => a !== "--no-color"), ...(end === -1 ? [] : args.slice(end))];
}
