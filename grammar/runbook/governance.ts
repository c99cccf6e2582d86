/**
 * Governance defaults and matching rules shared by the compiler (which writes the defaults into
 * every compiled runbook and checks templates against them) and the runbook runtime (which
 * enforces them before anything runs or is written). See docs/runbook-spec.md.
 */
import { baseName, unwrap } from "./commands.js";
import type { RedactRule } from "./types.js";

/**
 * Environment variables a runbook may not read: names that end in TOKEN or SECRET or hold
 * _TOKEN_/_SECRET_ (`GITLAB_TOKEN`, `AWS_SECRET_ACCESS_KEY`), and passwords, credentials and
 * keys. Not `SECRET_NAME` or `TOKEN_FILE`: the name of a secret is no secret.
 */
export const DEFAULT_DENY_ENV_VARS: readonly string[] = [
  "*TOKEN",
  "*_TOKEN_*",
  "*SECRET",
  "*_SECRET_*",
  "*PASSWORD*",
  "*PASSWD*",
  "*CREDENTIAL*",
  "*API_KEY*",
  "*APIKEY*",
  "*ACCESS_KEY*",
  "*PRIVATE_KEY*",
];

/** Redaction applied to every output before it is stored or printed. */
export const DEFAULT_REDACT: readonly RedactRule[] = [
  { pattern: "(?i)(password|passwd|secret|token|api[_-]?key)(\\s*[:=]\\s*)\\S+", replace: "$1$2<redacted>" },
  { pattern: "(?i)(authorization:\\s*(?:bearer|basic)\\s+)\\S+", replace: "$1<redacted>" },
  { pattern: "(?i)(https?://[^/\\s:@]+:)[^@\\s/]+@", replace: "$1<redacted>@" },
];

/** Whether `name` matches one of the `deny_env_vars` patterns (`*` = any run; case-insensitive). */
export function isDeniedEnvVar(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(name));
}

const cache = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re === undefined) {
    const body = pattern
      .split("*")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`, "i");
    cache.set(pattern, re);
  }
  return re;
}

/**
 * Whether an argv matches a `denied_commands` entry: a program name (`rm`) matches any argv
 * whose program has that base name; a longer entry (`kubectl delete`) also needs its words to
 * appear, in order, among the words that are not options (`kubectl -n x delete pod y` matches).
 * Wrappers are looked through (`sudo rm -rf /` matches `rm`). Deliberately broad: a denylist
 * that misses a spelling is worse than one that blocks a harmless command.
 */
export function matchesDeniedCommand(argv: readonly string[], entry: string): boolean {
  const [program, ...words] = entry.trim().split(/\s+/);
  return [argv, unwrap(argv)].some((candidate) => {
    if (baseName(candidate[0] ?? "") !== program) return false;
    const rest = candidate.slice(1).filter((w) => !w.startsWith("-"));
    let at = 0;
    for (const word of rest) if (word === words[at]) at += 1;
    return at === words.length;
  });
}

/**
 * A runbook's regular expression (redact patterns, captures, `matches`) as the compiler checks it
 * and the runtime runs it: JavaScript syntax in unicode mode; a leading `(?i)` is the
 * case-insensitive flag.
 */
export function compileRunbookRegex(pattern: string): RegExp {
  const insensitive = pattern.startsWith("(?i)");
  return new RegExp(insensitive ? pattern.slice(4) : pattern, insensitive ? "iu" : "u");
}

/**
 * Commands the runtime refuses whatever the runbook says: they destroy data or stop the host, and
 * a person runs them by hand if ever. A runbook can deny more (`denied_commands`), not less.
 */
export const DEFAULT_DENIED_COMMANDS: readonly string[] = [
  "mkfs",
  "mke2fs",
  "wipefs",
  "shred",
  "fdisk",
  "sfdisk",
  "gdisk",
  "parted",
  "shutdown",
  "reboot",
  "halt",
  "poweroff",
  "kubectl delete namespace",
  "kubectl delete ns",
];

/**
 * Why the runtime refuses `argv` by default (see {@link DEFAULT_DENIED_COMMANDS}), or undefined:
 * the listed programs (`mkfs.ext4` counts as `mkfs`), `rm` removing recursively at `/`, `/*`,
 * `~` or `.`, and `dd` writing to a device.
 */
export function destructiveCommand(argv: readonly string[]): string | undefined {
  for (const candidate of [argv, unwrap(argv)]) {
    const program = baseName(candidate[0] ?? "");
    const family = program.split(".")[0] ?? program;
    const renamed = family === program ? candidate : [family, ...candidate.slice(1)];
    const entry = DEFAULT_DENIED_COMMANDS.find((e) => matchesDeniedCommand(renamed, e));
    if (entry !== undefined) return `'${entry}' is on the runtime's list of destructive commands`;
    const args = candidate.slice(1);
    if (program === "rm" && args.some((a) => /^-[a-zA-Z]*[rR]/.test(a) || a === "--recursive")) {
      const target = args.find((a) => /^(\/|\/\*|~|~\/|\.|\.\/|\*)$/.test(a));
      if (target !== undefined) return `'rm' removing everything under '${target}' is destructive`;
    }
    if (program === "dd" && args.some((a) => /^of=\/dev\/(?!null$)/.test(a)))
      return "'dd' writing to a device is destructive";
  }
  return undefined;
}
