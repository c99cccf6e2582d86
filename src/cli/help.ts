/** Help texts: the list of commands and each command's usage (kept in step with docs/cli.md). */
export interface CommandDoc {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: readonly (readonly [string, string])[];
}

const KIND_OPTION: readonly [string, string] = [
  "--kind <rllm|tsg|task>",
  "read every file as this kind instead of detecting it from extension and content",
];
const JSON_OPTION: readonly [string, string] = ["--json", "print machine-readable JSON on stdout"];

export const COMMANDS: readonly CommandDoc[] = [
  {
    name: "check",
    summary: "parse and validate sources; print diagnostics",
    usage: "check <file|dir|glob>... [--kind K] [--json] [--quiet]",
    options: [KIND_OPTION, JSON_OPTION, ["--quiet", "print errors only, not warnings"]],
  },
  {
    name: "inspect",
    summary: "print a source's IR as JSON",
    usage: "inspect <file> [--kind K] [--json]",
    options: [KIND_OPTION, ["--json", "print {module, diagnostics} as one JSON object on stdout"]],
  },
];

export function programHelp(program: string): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `${program} — compiler for .rllm apps, troubleshooting guides and code-change tasks`,
    "",
    `Usage: ${program} <command> [options]`,
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  --help, -h     show help (also: <command> --help)",
    "  --version, -v  print the version",
    "",
    "Exit codes: 0 ok, 1 errors in the input, 2 wrong command line, 3 internal error.",
    "",
  ].join("\n");
}

export function commandHelp(program: string, name: string): string {
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return programHelp(program);
  const width = Math.max(...command.options.map(([flag]) => flag.length));
  return [
    `Usage: ${program} ${command.usage}`,
    "",
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    "",
    "Options:",
    ...command.options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    "",
  ].join("\n");
}
