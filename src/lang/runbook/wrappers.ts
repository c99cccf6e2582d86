/**
 * Programs that run another command, and how to find it: the part of the command ontology that
 * governance relies on to judge what a step really runs. `env -u HOME rm -rf x` runs `rm`;
 * `bash -c 'rm -rf x'`, `xargs rm`, `find . -exec rm {} ;` and `ssh host rm -rf x` too.
 *
 * Each wrapper's own options are read with its real option grammar (the `WRAPPERS` table: which
 * options take a value, attached or as the next word; clusters of short options; GNU long
 * options and their unique abbreviations). A word the grammar does not know, a command string
 * that cannot be split with certainty (`shell-words.ts`), or a template where an option or a
 * program belongs makes the result uncertain, and governance refuses what is uncertain.
 * See docs/runbook-spec.md, section 7.3.
 */
import { programNameProblem } from "./program-name.js";
import { splitShellCommands } from "./shell-words.js";

/** One command a step runs: the step's own argv, or one a wrapper runs. */
export interface Invocation {
  /** The program and its arguments. */
  readonly argv: readonly string[];
  /** The wrappers it runs under, outermost first (`env`, `bash -c`). */
  readonly via: readonly string[];
  /** More arguments are added when it runs, unknown now (`xargs` appends its input). */
  readonly openEnded: boolean;
}

export interface Invocations {
  /** Every command, the step's own first; wrappers before what they run. */
  readonly invocations: readonly Invocation[];
  /** Why what runs cannot be known with certainty, when it cannot. */
  readonly uncertain?: string;
}

/** What follows a wrapper's options. */
type Rest =
  /** The command's argv (`sudo`, `env`, `timeout`). */
  | "argv"
  /** Words joined with spaces and run by a shell (`ssh host …`, `watch …`). */
  | "shell-line"
  /** A shell: `-c` takes a command line, else a script file, else commands from the input. */
  | "shell"
  /** `su`: `-c`/`--command` take a command line; operands are a user. */
  | "su"
  /** `xargs`: an argv to which it appends its input. */
  | "xargs"
  /** `busybox`: an applet and its arguments. */
  | "applet"
  /** Nothing but what `lineOption` gives (`script` without `-c` is a session). */
  | "none";

interface WrapperGrammar {
  /**
   * Its options: `-u|--unset=` takes a value (attached, `-uHOME`/`--unset=HOME`, or the next
   * word), `--preserve-env=?` takes an optional attached one, others none. Names in one entry
   * are the same option.
   */
  readonly options: string;
  /** Operands before the command: timeout's DURATION, chroot's NEWROOT, ssh's HOST. */
  readonly operands?: number;
  /** Leading `NAME=value` words are environment assignments (env, sudo). */
  readonly assignments?: boolean;
  /** Options may also follow the operands (ssh after the host; su anywhere). */
  readonly permute?: boolean;
  /** `-NUM` is an option (nice's old `-10`). */
  readonly numberOption?: boolean;
  /** The option whose value is a command line it runs (`flock -c`, `script -c`), by first name. */
  readonly lineOption?: string;
  readonly rest: Rest;
}

const SHELL_OPTIONS =
  "-a -b -e -f -h -i -k -m -n -p -r -t -u -v -x -B -C -E -H -P -T -l -s -c -o= -O= " +
  "--login --norc --noprofile --rcfile= --init-file= --posix --restricted --verbose --noediting " +
  "--debugger --dump-strings --dump-po-strings --protected --command=";

/**
 * Each wrapper's option grammar, from its manual (GNU coreutils, util-linux, sudo, OpenSSH,
 * procps, findutils, bash). One table, so that what is looked through is written down once.
 */
export const WRAPPERS: Readonly<Record<string, WrapperGrammar>> = {
  sudo: {
    options:
      "-A|--askpass -b|--background -B|--bell -E|--preserve-env=? -e|--edit -H|--set-home -i|--login " +
      "-K|--remove-timestamp -k|--reset-timestamp -l|--list -n|--non-interactive -N|--no-update " +
      "-P|--preserve-groups -S|--stdin -s|--shell -V|--version -v|--validate -C|--close-from= " +
      "-D|--chdir= -g|--group= -h|--host= -p|--prompt= -R|--chroot= -r|--role= -T|--command-timeout= " +
      "-t|--type= -U|--other-user= -u|--user=",
    assignments: true,
    rest: "argv",
  },
  doas: { options: "-L -n -s -a= -C= -u=", rest: "argv" },
  env: {
    options:
      "-i|--ignore-environment -0|--null -v|--debug -u|--unset= -C|--chdir= -S|--split-string= " +
      "--block-signal=? --default-signal=? --ignore-signal=? --list-signal-handling",
    assignments: true,
    rest: "argv",
  },
  time: {
    options: "-p|--portability -v|--verbose -a|--append -q|--quiet -f|--format= -o|--output=",
    rest: "argv",
  },
  nice: { options: "-n|--adjustment=", numberOption: true, rest: "argv" },
  nohup: { options: "", rest: "argv" },
  timeout: {
    options: "--foreground --preserve-status -v|--verbose -s|--signal= -k|--kill-after=",
    operands: 1,
    rest: "argv",
  },
  chronic: { options: "-e -v", rest: "argv" },
  ionice: { options: "-t|--ignore -c|--class= -n|--classdata= -p|--pid= -P|--pgid= -u|--uid=", rest: "argv" },
  setsid: { options: "-c|--ctty -f|--fork -w|--wait", rest: "argv" },
  stdbuf: { options: "-i|--input= -o|--output= -e|--error=", rest: "argv" },
  chroot: { options: "--skip-chdir --userspec= --groups=", operands: 1, rest: "argv" },
  // Shell keywords and builtins that run the command after them.
  exec: { options: "-c -l -a=", rest: "argv" },
  command: { options: "-p -v -V", rest: "argv" },
  builtin: { options: "", rest: "argv" },
  busybox: { options: "", rest: "applet" },
  eval: { options: "", rest: "shell-line" },
  xargs: {
    options:
      "-0|--null -o|--open-tty -p|--interactive -r|--no-run-if-empty -t|--verbose -x|--exit " +
      "-a|--arg-file= -d|--delimiter= -E= -I= -L= -n|--max-args= -P|--max-procs= -s|--max-chars= " +
      "--max-lines=? -l=? -e|--eof=? -i|--replace=? --process-slot-var= --show-limits",
    rest: "xargs",
  },
  watch: {
    options:
      "-b|--beep -c|--color -C|--no-color -d|--differences=? -e|--errexit -f|--follow -g|--chgexit " +
      "-p|--precise -r|--no-rerun -t|--no-title -w|--no-wrap -x|--exec -n|--interval= -q|--equexit=",
    rest: "shell-line",
  },
  ssh: {
    options:
      "-4 -6 -A -a -C -f -G -g -K -k -M -N -n -q -s -T -t -V -v -X -x -Y -y -B= -b= -c= -D= -E= " +
      "-e= -F= -I= -i= -J= -L= -l= -m= -O= -o= -P= -p= -Q= -R= -S= -W= -w=",
    operands: 1,
    permute: true,
    rest: "shell-line",
  },
  su: {
    options:
      "-c|--command= --session-command= -f|--fast -g|--group= -G|--supp-group= -l|--login " +
      "-m|-p|--preserve-environment -P|--pty -s|--shell= -w|--whitelist-environment=",
    permute: true,
    rest: "su",
  },
  runuser: {
    options:
      "-c|--command= --session-command= -f|--fast -g|--group= -G|--supp-group= -l|--login " +
      "-m|-p|--preserve-environment -P|--pty -s|--shell= -w|--whitelist-environment= -u|--user=",
    permute: true,
    rest: "su",
  },
  taskset: { options: "-a|--all-tasks -p|--pid -c|--cpu-list", operands: 1, rest: "argv" },
  flock: {
    options:
      "-s|--shared -x|-e|--exclusive -u|--unlock -n|--nb|--nonblock -o|--close -F|--no-fork --verbose " +
      "-w|--wait|--timeout= -E|--conflict-exit-code= -c|--command=",
    operands: 1,
    lineOption: "-c",
    rest: "argv",
  },
  unshare: {
    options:
      "-m|--mount=? -u|--uts=? -i|--ipc=? -n|--net=? -p|--pid=? -U|--user=? -C|--cgroup=? -T|--time=? " +
      "-f|--fork --kill-child=? --mount-proc=? -r|--map-root-user -c|--map-current-user --map-user= " +
      "--map-group= --map-users= --map-groups= --map-auto --propagation= --setgroups= -R|--root= " +
      "-w|--wd= -S|--setuid= -G|--setgid= --monotonic= --boottime= -l|--load-interp=? --keep-caps",
    rest: "argv",
  },
  nsenter: {
    options:
      "-t|--target= -a|--all -m|--mount=? -u|--uts=? -i|--ipc=? -n|--net=? -N|--net-socket= -p|--pid=? " +
      "-C|--cgroup=? -U|--user=? -T|--time=? --user-parent -G|--setgid= -S|--setuid= --keep-caps " +
      "--preserve-credentials -r|--root=? -w|--wd=? -W|--wdns= -e|--env -F|--no-fork -Z|--follow-context " +
      "-c|--join-cgroup",
    rest: "argv",
  },
  script: {
    options:
      "-a|--append -e|--return -f|--flush --force -q|--quiet -E|--echo= -I|--log-in= -O|--log-out= " +
      "-B|--log-io= -T|--log-timing= -m|--logging-format= -o|--output-limit= -t|--timing=? -c|--command=",
    permute: true,
    lineOption: "-c",
    rest: "none",
  },
  sh: { options: SHELL_OPTIONS, rest: "shell" },
  bash: { options: SHELL_OPTIONS, rest: "shell" },
  dash: { options: SHELL_OPTIONS, rest: "shell" },
  zsh: { options: SHELL_OPTIONS, rest: "shell" },
  ksh: { options: SHELL_OPTIONS, rest: "shell" },
  mksh: { options: SHELL_OPTIONS, rest: "shell" },
  ash: { options: SHELL_OPTIONS, rest: "shell" },
  yash: { options: SHELL_OPTIONS, rest: "shell" },
  fish: { options: SHELL_OPTIONS, rest: "shell" },
  csh: { options: SHELL_OPTIONS, rest: "shell" },
  tcsh: { options: SHELL_OPTIONS, rest: "shell" },
};

/** `find`'s actions that run a command, ended by `;` or `+`. */
const FIND_EXEC = new Set(["-exec", "-execdir", "-ok", "-okdir"]);

/** Words a shell command line may start with that run what follows (fish `and`, `!`). */
const PREFIX_WORDS = new Set(["!", "and", "or", "not"]);

/** How deep wrappers may nest before the step is refused. */
const MAX_DEPTH = 16;
/** How many commands one step may run (`find` runs its command once per root) before it is refused. */
const MAX_INVOCATIONS = 256;

interface OptionSpec {
  readonly id: string;
  readonly arity: "none" | "value" | "optional";
}

interface OptionTable {
  readonly short: ReadonlyMap<string, OptionSpec>;
  readonly long: ReadonlyMap<string, OptionSpec>;
}

const tables = new Map<string, OptionTable>();

function optionTable(program: string, grammar: WrapperGrammar): OptionTable {
  let table = tables.get(program);
  if (table !== undefined) return table;
  const short = new Map<string, OptionSpec>();
  const long = new Map<string, OptionSpec>();
  for (const entry of grammar.options.split(/\s+/).filter((e) => e !== "")) {
    const arity = entry.endsWith("=?") ? "optional" : entry.endsWith("=") ? "value" : "none";
    const names = entry.replace(/=\??$/, "").split("|");
    const spec = { id: names[0]!, arity } as const;
    for (const name of names) {
      if (name.startsWith("--")) long.set(name.slice(2), spec);
      else short.set(name.slice(1), spec);
    }
  }
  table = { short, long };
  tables.set(program, table);
  return table;
}

/** `/usr/bin/kubectl` → `kubectl`. */
function baseName(program: string): string {
  const slash = program.lastIndexOf("/");
  return slash === -1 ? program : program.slice(slash + 1);
}

/** Whether `program` (a name or a path) is a wrapper this module looks through. */
export function isWrapper(program: string): boolean {
  const name = baseName(program);
  return Object.hasOwn(WRAPPERS, name) || name === "find";
}

interface ParsedOption {
  readonly id: string;
  readonly value?: string;
  /** The argv index of its word, and how many words it took (2 for `-u NAME`). */
  readonly at: number;
  readonly width: number;
  /** The short options before it in its cluster (`-i` of `-iS…`). */
  readonly before?: string;
}

interface ParsedOptions {
  /** Each option by its first name (`-u`), with its value and the argv words it was read from. */
  readonly options: readonly ParsedOption[];
  /** The operands, in order. */
  readonly operands: readonly string[];
  /** Where the command starts (after the options and the operands the grammar expects). */
  readonly next: number;
  readonly problem?: string;
}

/**
 * Reads a wrapper's options and leading operands from `argv` (argv[0] is the wrapper). Options
 * end at `--` or at the first word that is not one (or, with `permute`, after the operands).
 */
function readOptions(program: string, grammar: WrapperGrammar, argv: readonly string[]): ParsedOptions {
  const table = optionTable(program, grammar);
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  const wanted = grammar.operands ?? 0;
  let i = 1;
  let ended = false;
  const fail = (problem: string): ParsedOptions => ({ options, operands, next: i, problem });
  while (i < argv.length) {
    const word = argv[i]!;
    if (!ended && word === "--") {
      ended = true;
      i += 1;
      continue;
    }
    const optionsAllowed = !ended && (operands.length === 0 || grammar.permute === true);
    if (optionsAllowed && word === "-" && (program === "env" || program === "su" || program === "runuser")) {
      options.push({ id: program === "env" ? "-i" : "-l", at: i, width: 1 });
      i += 1;
      continue;
    }
    if (optionsAllowed && grammar.numberOption === true && /^-\d+$/.test(word)) {
      options.push({ id: "-n", value: word.slice(1), at: i, width: 1 });
      i += 1;
      continue;
    }
    if (optionsAllowed && word.startsWith("--") && word.length > 2) {
      const eq = word.indexOf("=");
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const spec = longOption(table, name);
      if (typeof spec === "string") return fail(`'${program}' has ${spec} '--${name}'`);
      if (spec.arity === "none") {
        if (eq >= 0) return fail(`'${program}' option '--${name}' takes no value`);
        options.push({ id: spec.id, at: i, width: 1 });
        i += 1;
      } else if (eq >= 0) {
        options.push({ id: spec.id, value: word.slice(eq + 1), at: i, width: 1 });
        i += 1;
      } else if (spec.arity === "optional") {
        options.push({ id: spec.id, at: i, width: 1 });
        i += 1;
      } else {
        if (i + 1 >= argv.length) return fail(`'${program}' option '${word}' has no value`);
        options.push({ id: spec.id, value: argv[i + 1]!, at: i, width: 2 });
        i += 2;
      }
      continue;
    }
    if (
      optionsAllowed &&
      (word.startsWith("-") || (grammar.rest === "shell" && word.startsWith("+"))) &&
      word.length > 1
    ) {
      let j = 1;
      let consumedNext = false;
      while (j < word.length) {
        const letter = word[j]!;
        const spec = table.short.get(letter);
        if (spec === undefined) return fail(`'${program}' has no option '-${letter}' (in '${word}')`);
        if (spec.arity === "none") {
          options.push({ id: spec.id, at: i, width: 1 });
          j += 1;
          continue;
        }
        const attached = word.slice(j + 1);
        const before = j > 1 ? `-${word.slice(1, j)}` : undefined;
        const at = { at: i, ...(before === undefined ? {} : { before }) };
        if (attached !== "" || spec.arity === "optional")
          options.push({ id: spec.id, value: attached, width: 1, ...at });
        else {
          if (i + 1 >= argv.length) return fail(`'${program}' option '-${letter}' has no value`);
          options.push({ id: spec.id, value: argv[i + 1]!, width: 2, ...at });
          consumedNext = true;
        }
        break;
      }
      i += consumedNext ? 2 : 1;
      continue;
    }
    if (
      !ended &&
      grammar.assignments === true &&
      operands.length === 0 &&
      /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)
    ) {
      i += 1;
      continue;
    }
    if (operands.length < wanted || (grammar.rest === "su" && operands.length === 0)) {
      operands.push(word);
      i += 1;
      continue;
    }
    if (grammar.permute === true && grammar.rest === "su") {
      operands.push(word);
      i += 1;
      continue;
    }
    break;
  }
  return { options, operands, next: i };
}

/** A long option by its name or a unique abbreviation (GNU getopt_long), or what is wrong. */
function longOption(table: OptionTable, name: string): OptionSpec | string {
  const exact = table.long.get(name);
  if (exact !== undefined) return exact;
  const matches = [...table.long.entries()].filter(([long]) => long.startsWith(name));
  const distinct = new Set(matches.map(([, spec]) => spec.id));
  if (distinct.size === 1) return matches[0]![1];
  return distinct.size === 0 ? "no option" : "an ambiguous abbreviation";
}

/**
 * Every command `argv` runs: itself, and through each wrapper the command it runs, recursively.
 * What cannot be read with certainty is said in `uncertain`.
 */
export function invocationsOf(argv: readonly string[]): Invocations {
  const out: Invocation[] = [];
  let uncertain: string | undefined;
  const visit = (words: readonly string[], via: readonly string[], openEnded: boolean, depth: number) => {
    if (uncertain !== undefined || words.length === 0) return;
    if (via.length > 0) {
      const program = words[0]!;
      const problem = program.includes("{{") ? "is a template" : programNameProblem(program);
      if (problem !== undefined) {
        uncertain = `'${via[via.length - 1]}' runs '${program}', which ${problem}`;
        return;
      }
    }
    if (out.length >= MAX_INVOCATIONS) {
      uncertain = `it runs more than ${MAX_INVOCATIONS} commands`;
      return;
    }
    out.push({ argv: words, via, openEnded });
    if (depth >= MAX_DEPTH) {
      uncertain = `wrappers nest more than ${MAX_DEPTH} deep`;
      return;
    }
    const problem = expand(words, (inner, how, open) =>
      visit(inner, [...via, how], openEnded || open, depth + 1),
    );
    if (problem !== undefined) uncertain ??= problem;
  };
  visit(argv, [], false, 0);
  return uncertain === undefined ? { invocations: out } : { invocations: out, uncertain };
}

type Emit = (argv: readonly string[], how: string, openEnded: boolean) => void;

/** Finds what `argv` runs and emits it; returns why it cannot be known, when it cannot. */
function expand(words: readonly string[], emit: Emit): string | undefined {
  let argv = words;
  const program = baseName(argv[0] ?? "");
  if (program === "find") return expandFind(argv, emit);
  if (program === "bundle" && argv[1] === "exec") {
    emit(argv.slice(2), "bundle exec", false);
    return undefined;
  }
  if (!Object.hasOwn(WRAPPERS, program)) return undefined;
  const grammar = WRAPPERS[program]!;
  let parsed = readOptions(program, grammar, argv);
  if (parsed.problem !== undefined) return parsed.problem;
  // `env -S 'string'` splits the string into words that take its place, options included.
  for (let guard = 0; program === "env" && guard < MAX_DEPTH; guard++) {
    const split = parsed.options.find((o) => o.id === "-S");
    if (split === undefined) break;
    const text = split.value ?? "";
    if (/[$\\]/.test(text)) return "'env -S' string uses '$' or '\\', which env expands";
    const words = splitShellCommands(text);
    if (words.uncertain !== undefined) return `'env -S': ${words.uncertain}`;
    if (words.commands.length > 1) return "'env -S' string holds several commands";
    argv = [
      ...argv.slice(0, split.at),
      ...(split.before === undefined ? [] : [split.before]),
      ...(words.commands[0] ?? []),
      ...argv.slice(split.at + split.width),
    ];
    parsed = readOptions(program, grammar, argv);
    if (parsed.problem !== undefined) return parsed.problem;
  }
  const rest = argv.slice(parsed.next);
  const has = (id: string) => parsed.options.some((o) => o.id === id);
  // `flock FILE -c 'command'`: the command line comes after the file.
  if (program === "flock" && (rest[0] === "-c" || rest[0] === "--command")) {
    if (rest.length < 2) return "'flock -c' has no command line";
    return emitShellLine(rest[1]!, "flock -c", emit);
  }
  if (grammar.lineOption !== undefined) {
    const line = parsed.options.find((o) => o.id === grammar.lineOption);
    if (line !== undefined) return emitShellLine(line.value ?? "", `${program} ${grammar.lineOption}`, emit);
  }
  switch (grammar.rest) {
    case "argv":
      if (program === "sudo" && (has("-e") || has("-l") || has("-K") || has("-k") || has("-v") || has("-V")))
        return undefined;
      if (program === "ionice" && (has("-p") || has("-P") || has("-u"))) return undefined;
      if (program === "command" && (has("-v") || has("-V"))) return undefined;
      if (program === "taskset" && has("-p")) return undefined;
      if (rest.length > 0) emit(rest, program, false);
      return undefined;
    case "applet":
      if (rest[0]?.startsWith("-")) return undefined;
      if (rest.length > 0) emit(rest, program, false);
      return undefined;
    case "none":
      return undefined;
    case "xargs":
      emit(rest.length > 0 ? rest : ["echo"], program, true);
      return undefined;
    case "shell-line": {
      if (rest.length === 0) return undefined;
      if (program === "watch" && has("-x")) {
        emit(rest, "watch -x", false);
        return undefined;
      }
      return emitShellLine(rest.join(" "), program, emit);
    }
    case "su": {
      const line = parsed.options.find((o) => o.id === "-c" || o.id === "--session-command");
      if (line === undefined) {
        if (parsed.operands.length > 1) return `'${program}' passes arguments to a shell without '-c'`;
        return undefined;
      }
      return emitShellLine(line.value ?? "", `${program} -c`, emit);
    }
    case "shell": {
      const commandOption = parsed.options.find((o) => o.id === "--command");
      if (commandOption !== undefined) return emitShellLine(commandOption.value ?? "", `${program} -c`, emit);
      if (has("-c")) {
        if (rest.length === 0) return `'${program} -c' has no command line`;
        return emitShellLine(rest[0]!, `${program} -c`, emit);
      }
      if (has("-s") || rest.length === 0)
        return `'${program}' reads the commands it runs from its input, which cannot be checked`;
      // A script file: the program the runbook chose, as any other.
      return undefined;
    }
    default: {
      const never: never = grammar.rest;
      return never;
    }
  }
}

/**
 * The command `argv` runs once the wrappers that take an argv (`sudo -u git`, `env -u HOME`,
 * `timeout 10`, `bundle exec`, …) are removed; `argv` itself when none is, or when a wrapper's
 * words cannot be read.
 */
export function unwrapArgv(argv: readonly string[]): readonly string[] {
  let current = argv;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const program = baseName(current[0] ?? "");
    const grammar = Object.hasOwn(WRAPPERS, program) ? WRAPPERS[program] : undefined;
    const isArgvWrapper = grammar?.rest === "argv" || grammar?.rest === "applet" || program === "bundle";
    if (!isArgvWrapper) return current;
    let inner: readonly string[] | undefined;
    expand(current, (words, _how, _open) => {
      inner ??= words;
    });
    if (inner === undefined || inner.length === 0) return current;
    current = inner;
  }
  return current;
}

/** Splits a command line a shell will run and emits each command. */
function emitShellLine(line: string, how: string, emit: Emit): string | undefined {
  if (line.includes("{{")) return `a template ('${line}') is the command line '${how}' runs`;
  const split = splitShellCommands(line);
  if (split.uncertain !== undefined) return `'${how}': ${split.uncertain}`;
  for (const command of split.commands) {
    let start = 0;
    while (
      start < command.length &&
      (PREFIX_WORDS.has(command[start]!) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(command[start]!))
    )
      start += 1;
    if (start < command.length) emit(command.slice(start), how, false);
  }
  return undefined;
}

/** The paths `find` starts from (`.` when none is given). */
export function findRoots(argv: readonly string[]): readonly string[] {
  let i = 1;
  while (i < argv.length && /^-[HLP]+$|^-O\d*$|^-D$/.test(argv[i]!)) i += argv[i] === "-D" ? 2 : 1;
  const roots: string[] = [];
  while (i < argv.length && !/^[-(!),]/.test(argv[i]!)) roots.push(argv[i++]!);
  return roots.length === 0 ? ["."] : roots;
}

/**
 * `find … -exec cmd {} ;` (and `-execdir`, `-ok`, `-okdir`, ended by `;` or `{} +`): each
 * command, once for every root with `{}` standing for the root (the root is what `find` may
 * hand it first).
 */
function expandFind(argv: readonly string[], emit: Emit): string | undefined {
  const roots = findRoots(argv);
  for (let i = 1; i < argv.length; i++) {
    if (!FIND_EXEC.has(argv[i]!)) continue;
    const action = argv[i]!;
    let end = i + 1;
    while (end < argv.length && argv[end] !== ";" && !(argv[end] === "+" && argv[end - 1] === "{}")) end += 1;
    if (end >= argv.length) return `'find ${action}' has no ';' or '+' to end its command`;
    const command = argv.slice(i + 1, end);
    if (command.length === 0) return `'find ${action}' has no command`;
    if (command[0]!.includes("{}")) return `'find ${action}' runs a found file as the program`;
    for (const root of roots)
      emit(
        command.map((w) => w.replaceAll("{}", root)),
        `find ${action}`,
        false,
      );
    i = end;
  }
  return undefined;
}
