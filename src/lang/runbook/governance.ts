/**
 * Governance defaults and matching rules shared by the compiler (which writes the defaults into
 * every compiled runbook and checks templates against them) and the runbook runtime (which
 * enforces them before anything runs or is written). See docs/runbook-spec.md.
 */
import { baseName } from "./commands.js";
import { isProgramName } from "./program-name.js";
import type { Governance, RedactRule } from "./types.js";
import { type Invocation, invocationsOf } from "./wrappers.js";

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
 * whose program has that base name (`mkfs` also `mkfs.ext4`); a longer entry (`kubectl delete`)
 * also needs its words to appear, in order, among the words that are not options
 * (`kubectl -n x delete pod y` matches), and its options to be there in any spelling (`rm -rf`
 * matches `-fr`, `-r -f`, `-vfr`). Words are normalised first (`normaliseWords`). Every command
 * the argv runs is matched: wrappers are looked through (`wrappers.ts`: `sudo rm -rf /`,
 * `env -u HOME rm`, `bash -c 'rm …'`, `xargs rm`, `find -exec rm`). Deliberately broad: a
 * denylist that misses a spelling is worse than one that blocks a harmless command.
 */
export function matchesDeniedCommand(argv: readonly string[], entry: string): boolean {
  return invocationsOf(argv).invocations.some((invocation) => matchesEntry(invocation.argv, entry));
}

/** Whether one command (wrappers not looked through) matches a `denied_commands` entry. */
function matchesEntry(argv: readonly string[], entry: string): boolean {
  const [program = "", ...entryWords] = entry.trim().split(/\s+/);
  const name = baseName(argv[0] ?? "");
  if (name !== program && programFamily(name) !== program) return false;
  const dashdash = argv.indexOf("--");
  const own = dashdash < 0 ? argv.slice(1) : argv.slice(1, dashdash);
  const letters = new Set(own.filter((w) => /^-[A-Za-z0-9]+$/.test(w)).flatMap((w) => [...w.slice(1)]));
  for (const option of entryWords.filter((w) => w.startsWith("-"))) {
    if (option.startsWith("--")) {
      if (!own.some((w) => w === option || w.startsWith(`${option}=`))) return false;
    } else if (![...option.slice(1)].every((letter) => letters.has(letter))) return false;
  }
  const wanted = normaliseWords(
    program,
    entryWords.filter((w) => !w.startsWith("-")),
  );
  const words = normaliseWords(program, operands(argv.slice(1)));
  let at = 0;
  for (const word of words) if (word === wanted[at]) at += 1;
  return at === wanted.length;
}

/** `mkfs.ext4` → `mkfs`. */
function programFamily(name: string): string {
  return name.split(".")[0] ?? name;
}

/** kubectl's resource types by every name it accepts (short, singular, plural). */
const KUBE_RESOURCES: Readonly<Record<string, string>> = Object.fromEntries(
  (
    [
      ["namespaces", "ns", "namespace"],
      ["projects", "project"],
      ["pods", "po", "pod"],
      ["nodes", "no", "node"],
      ["deployments", "deploy", "deployment"],
      ["services", "svc", "service"],
      ["statefulsets", "sts", "statefulset"],
      ["daemonsets", "ds", "daemonset"],
      ["replicasets", "rs", "replicaset"],
      ["persistentvolumeclaims", "pvc", "persistentvolumeclaim"],
      ["persistentvolumes", "pv", "persistentvolume"],
      ["configmaps", "cm", "configmap"],
      ["secrets", "secret"],
      ["jobs", "job"],
      ["cronjobs", "cj", "cronjob"],
      ["ingresses", "ing", "ingress"],
      ["serviceaccounts", "sa", "serviceaccount"],
      ["customresourcedefinitions", "crd", "crds", "customresourcedefinition"],
      ["clusterroles", "clusterrole"],
      ["clusterrolebindings", "clusterrolebinding"],
      ["roles", "role"],
      ["rolebindings", "rolebinding"],
    ] as const
  ).flatMap(([canonical, ...names]) => [canonical, ...names].map((n) => [n, canonical] as const)),
);

/**
 * Words as governance compares them. Paths lose repeated slashes, `.` segments and the `..`
 * they can resolve (`//`, `/.`, `/tmp/..` → `/`; `./x/` → `x`). For kubectl and oc, a resource
 * is named by its plural (`ns`, `namespace` → `namespaces`), with its API group dropped
 * (`deployments.apps`), `type/name` is two words and `pods,ns` a word per type.
 */
export function normaliseWords(program: string, words: readonly string[]): string[] {
  const kube = program === "kubectl" || program === "oc";
  return words.flatMap((word) => {
    if (!kube) return [word.includes("/") || word.startsWith(".") ? normalisePath(word) : word];
    const slash = word.indexOf("/");
    const types = slash < 0 ? word : word.slice(0, slash);
    const name = slash < 0 ? [] : [word.slice(slash + 1)];
    return [...types.split(",").map(kubeResource), ...name];
  });
}

function kubeResource(word: string): string {
  const lower = word.toLowerCase();
  const dot = lower.indexOf(".");
  const head = dot < 0 ? lower : lower.slice(0, dot);
  return KUBE_RESOURCES[lower] ?? KUBE_RESOURCES[head] ?? word;
}

/** A path without repeated slashes, `.` segments, or `..` that can be resolved lexically. */
export function normalisePath(path: string): string {
  const absolute = path.startsWith("/");
  const home = !absolute && (path === "~" || path.startsWith("~/"));
  const parts: string[] = [];
  for (const part of path.split("/").slice(home ? 1 : 0)) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else if (part === ".." && (absolute || home)) continue;
    else parts.push(part);
  }
  const body = parts.join("/");
  if (absolute) return `/${body}`;
  if (home) return body === "" ? "~" : `~/${body}`;
  return body === "" ? "." : body;
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
  "oc delete namespace",
  "oc delete project",
];

/** Top-level folders whose recursive removal breaks the host. */
const SYSTEM_FOLDERS = new Set(
  [
    "bin",
    "boot",
    "dev",
    "etc",
    "home",
    "lib",
    "lib32",
    "lib64",
    "opt",
    "proc",
    "root",
    "sbin",
    "srv",
    "sys",
    "usr",
    "var",
  ].map((name) => `/${name}`),
);

/** Whether removing `target` recursively destroys the host, a home or the runbook's folder. */
function destructiveTarget(target: string): boolean {
  const path = normalisePath(target);
  const folder = path.endsWith("/*") ? path.slice(0, -2) || "/" : path === "*" ? "." : path;
  return (
    folder === "/" ||
    folder === "~" ||
    folder === "." ||
    /^\.\.(?:\/\.\.)*$/.test(folder) ||
    SYSTEM_FOLDERS.has(folder)
  );
}

/** rm's options that make it recursive: `-r`, `-R` in any cluster, `--recursive` or an abbreviation. */
function removesRecursively(args: readonly string[]): boolean {
  const dashdash = args.indexOf("--");
  const own = dashdash < 0 ? args : args.slice(0, dashdash);
  return own.some(
    (a) => /^-[A-Za-z]*[rR]/.test(a) || (a.length > 2 && a.startsWith("--") && "--recursive".startsWith(a)),
  );
}

/** rm's operands: the words that are not options, and every word after `--`. */
function operands(args: readonly string[]): string[] {
  const dashdash = args.indexOf("--");
  const own = dashdash < 0 ? args : args.slice(0, dashdash);
  return [
    ...own.filter((a) => !a.startsWith("-") || a === "-"),
    ...(dashdash < 0 ? [] : args.slice(dashdash + 1)),
  ];
}

/**
 * Why the runtime refuses `argv` by default (see {@link DEFAULT_DENIED_COMMANDS}), or undefined:
 * the listed programs (`mkfs.ext4` counts as `mkfs`), `kubectl delete` of a namespace in any
 * spelling (`ns`, `namespaces`, `ns/prod`), `rm` removing recursively at `/`, `/*`, `~`, `.`,
 * `..` or a top-level system folder (`/etc`, `/usr`, …; paths normalised: `//`, `/.`), `dd`
 * writing to a device, and any of these run by a wrapper. Under `xargs`, whose input adds the
 * arguments, a recursive `rm`, `dd` or a `kubectl`/`oc delete` is refused too.
 */
export function destructiveCommand(argv: readonly string[]): string | undefined {
  for (const invocation of invocationsOf(argv).invocations) {
    const why = destructiveInvocation(invocation);
    if (why !== undefined)
      return invocation.via.length === 0 ? why : `${why} (run by ${describeVia(invocation)})`;
  }
  return undefined;
}

function destructiveInvocation({ argv, openEnded }: Invocation): string | undefined {
  const program = baseName(argv[0] ?? "");
  const entry = DEFAULT_DENIED_COMMANDS.find((e) => matchesEntry(argv, e));
  if (entry !== undefined) return `'${entry}' is on the runtime's list of destructive commands`;
  const args = argv.slice(1);
  if (program === "rm" && removesRecursively(args)) {
    const target = operands(args).find(destructiveTarget);
    if (target !== undefined) return `'rm' removing everything under '${target}' is destructive`;
    if (openEnded) return "'rm -r' removing what its input names cannot be checked, and may be destructive";
  }
  if (program === "dd") {
    if (args.some((a) => a.startsWith("of=") && /^\/dev\/(?!null$)/.test(normalisePath(a.slice(3)))))
      return "'dd' writing to a device is destructive";
    if (openEnded) return "'dd' taking its arguments from its input may write to a device";
  }
  if ((program === "kubectl" || program === "oc") && openEnded && args.includes("delete"))
    return `'${program} delete' of what its input names cannot be checked, and may delete a namespace`;
  return undefined;
}

/** `env` / `bash -c` / `sudo → bash -c`. */
export function describeVia(invocation: Invocation): string {
  return invocation.via.map((w) => `'${w}'`).join(" → ");
}

/** Why governance refuses a step's argv before it runs; the same rule for compiler and runtime. */
export type Refusal =
  /** A program it runs is not in `allowed_commands`. */
  | { readonly kind: "not-allowed"; readonly program: string; readonly via: string }
  /** A command it runs matches a `denied_commands` entry. */
  | { readonly kind: "denied"; readonly entry: string; readonly program: string; readonly via: string }
  /** A command it runs is on the runtime's destructive list. */
  | { readonly kind: "destructive"; readonly reason: string }
  /** What it runs cannot be known with certainty (a shell string with `$(…)`, an unknown option). */
  | { readonly kind: "uncertain"; readonly reason: string };

/**
 * Why `argv` may not run under `governance`, or undefined. Every command it runs is judged
 * (`wrappers.ts`), outermost first: each program must be in `allowed_commands` (when the list is
 * given; compared as written), match no `denied_commands` entry and no destructive default; and
 * what it runs must be certain. The runtime refuses a step for any of these before it starts;
 * Stage C reports the same at compile time.
 */
export function governanceRefusal(
  argv: readonly string[],
  governance: Governance | undefined,
): Refusal | undefined {
  const { invocations, uncertain } = invocationsOf(argv);
  const allowed = governance?.allowed_commands;
  for (const invocation of invocations) {
    const program = invocation.argv[0] ?? "";
    const via = describeVia(invocation);
    if (allowed !== undefined && !allowed.includes(program)) return { kind: "not-allowed", program, via };
    const entry = (governance?.denied_commands ?? []).find((e) => matchesEntry(invocation.argv, e));
    if (entry !== undefined) return { kind: "denied", entry, program, via };
    const destructive = destructiveInvocation(invocation);
    if (destructive !== undefined)
      return { kind: "destructive", reason: via === "" ? destructive : `${destructive} (run by ${via})` };
  }
  if (uncertain !== undefined) return { kind: "uncertain", reason: uncertain };
  return undefined;
}

/**
 * The programs `allowed_commands` must list for `argv` to run, as written: its own `argv[0]` and
 * the program of every command a wrapper runs (`sudo systemctl …` → `sudo`, `systemctl`),
 * leaving out what is no program name (a template).
 */
export function programsToAllow(argv: readonly string[]): string[] {
  const programs = invocationsOf(argv).invocations.map((invocation) => invocation.argv[0] ?? "");
  return [argv[0] ?? "", ...programs.slice(1).filter(isProgramName)];
}
