/**
 * The command ontology: what a command does, judged from its argument vector alone. Used by the
 * compiler (which commands become manual steps or need approval) and by the runbook runtime
 * (the default list of destructive commands it refuses). Deliberately conservative: when in
 * doubt a command is treated as changing state. See docs/runbook-spec.md.
 */
import { unwrapArgv } from "./wrappers.js";

/** Why an argv cannot run as an automated step, or needs a person's approval. */
export interface CommandFacts {
  /** It opens an interactive session (a shell, a console, an editor): the reason, in words. */
  readonly session?: string;
  /** It never ends on its own (`-f`, `watch`, `port-forward`). */
  readonly endless?: string;
  /** It changes shell state a later step would not see (`cd`, `export`). */
  readonly shellState?: string;
  /** It runs a shell command on other hosts (`knife ssh`, `ansible -a`, `pdsh`). */
  readonly remote?: string;
  /** It changes the system's state: what it does, in words. */
  readonly mutating?: string;
}

/** Options of wrappers that take a value (`sudo -u git`, `timeout 10`). */
const WRAPPER_VALUE_OPTIONS: Readonly<Record<string, ReadonlySet<string>>> = {
  sudo: new Set([
    "-u",
    "-g",
    "-C",
    "-D",
    "-h",
    "-p",
    "-U",
    "-r",
    "-t",
    "-T",
    "--user",
    "--group",
    "--chdir",
    "--host",
    "--prompt",
    "--other-user",
    "--role",
    "--type",
    "--command-timeout",
  ]),
  doas: new Set(["-u", "-C"]),
  nice: new Set(["-n"]),
  ionice: new Set(["-c", "-n", "-p"]),
  timeout: new Set(["-s", "-k", "--signal", "--kill-after"]),
};

const SHELL_BUILTINS = new Set([
  "cd",
  "pushd",
  "popd",
  "export",
  "unset",
  "source",
  ".",
  "alias",
  "unalias",
  "set",
  "shopt",
  "ulimit",
  "umask",
  "exit",
  "logout",
  "exec",
  "read",
  "eval",
  "trap",
  "declare",
  "local",
  "readonly",
  "history",
]);

/** Programs that are an interactive session whatever their arguments. */
const ALWAYS_SESSION = new Set([
  "ssh",
  "mosh",
  "telnet",
  "sftp",
  "tsh",
  "vim",
  "vi",
  "nvim",
  "nano",
  "emacs",
  "less",
  "more",
  "most",
  "top",
  "htop",
  "atop",
  "iotop",
  "k9s",
  "tmux",
  "screen",
  "su",
  "visudo",
  "vipw",
  "crontab -e",
  "glsh",
  "pgb-console",
  "mc",
  "ncdu",
]);

/** Interpreters and clients that are interactive unless given something to run. */
const CONSOLE_CLIENTS: Readonly<Record<string, readonly string[]>> = {
  psql: ["-c", "--command", "-f", "--file", "-l", "--list", "--version", "-V"],
  "gitlab-psql": ["-c", "--command", "-f", "--file", "-l", "--list"],
  "gitlab-geo-psql": ["-c", "--command", "-f", "--file"],
  mysql: ["-e", "--execute"],
  mongo: ["--eval"],
  mongosh: ["--eval"],
  sqlite3: [],
  cqlsh: ["-e", "--execute", "-f", "--file"],
  bash: ["-c"],
  sh: ["-c"],
  zsh: ["-c"],
  python: ["-c", "-m"],
  python3: ["-c", "-m"],
  irb: [],
  node: ["-e", "--eval", "-p"],
  "gitlab-rails": ["runner"],
  rails: ["runner"],
};

/** Clients whose argument is SQL: read-only unless the SQL changes something. */
const SQL_CLIENTS = new Set(["psql", "gitlab-psql", "gitlab-geo-psql", "mysql", "sqlite3", "cqlsh"]);

/** Clients that are interactive when no command word follows their options. */
const COMMAND_CLIENTS = new Set(["redis-cli", "gitlab-redis-cli", "etcdctl", "consul", "vault"]);

/** Long options of the command clients that take a value. */
const CLIENT_VALUE_OPTIONS = new Set(["-h", "-p", "-a", "-n", "-u", "--user", "--pass", "-s", "--endpoints"]);

/** Words that change state, as a subcommand of any tool (`kubectl delete`, `az vm restart`). */
const MUTATING_WORDS = new Set([
  "delete",
  "del",
  "remove",
  "rm",
  "rmi",
  "destroy",
  "drain",
  "cordon",
  "uncordon",
  "scale",
  "restart",
  "reboot",
  "reload",
  "stop",
  "start",
  "kill",
  "truncate",
  "apply",
  "patch",
  "edit",
  "replace",
  "create",
  "update",
  "upgrade",
  "install",
  "uninstall",
  "rollback",
  "undo",
  "reset",
  "terminate",
  "purge",
  "prune",
  "flush",
  "flushall",
  "flushdb",
  "disable",
  "enable",
  "failover",
  "switchover",
  "promote",
  "reinit",
  "resize",
  "put",
  "set",
  "import",
  "push",
  "taint",
  "label",
  "annotate",
  "evict",
  "migrate",
  "defrag",
  "compact",
  "disarm",
  "reconfigure",
  "mask",
  "unmask",
  "run",
  "exec",
  "cp",
  "mv",
  "move",
  "write",
  "expire",
  "pause",
  "resume",
  "suspend",
  "unseal",
  "seal",
  "revoke",
  "grant",
  "lock",
  "unlock",
  "block",
  "unblock",
  "ban",
  "unban",
  "deploy",
  "release",
  "sync",
  "trigger",
  "retry",
  "cancel",
  "abort",
  "rotate",
  "renew",
  "repair",
  "rebuild",
  "recover",
  "restore",
  "expose",
  "autoscale",
  "attach",
  "detach",
  "mount",
  "unmount",
  "umount",
  "add",
  "join",
  "leave",
  "unregister",
  "register",
]);

/** Prefixes of hyphenated cloud verbs (`aws ec2 terminate-instances`, `gcloud … add-iam-policy-binding`). */
const MUTATING_PREFIXES = [
  "delete-",
  "remove-",
  "terminate-",
  "stop-",
  "start-",
  "reboot-",
  "put-",
  "update-",
  "create-",
  "modify-",
  "attach-",
  "detach-",
  "set-",
  "add-",
  "reset-",
  "restore-",
  "disable-",
  "enable-",
  "invoke-",
  "run-",
  "send-",
  "cancel-",
  "purge-",
];

/** Programs that change state whatever their arguments. */
const ALWAYS_MUTATING = new Set([
  "rm",
  "rmdir",
  "mv",
  "cp",
  "dd",
  "shred",
  "truncate",
  "kill",
  "pkill",
  "killall",
  "reboot",
  "shutdown",
  "halt",
  "poweroff",
  "mkfs",
  "fdisk",
  "parted",
  "wipefs",
  "chmod",
  "chown",
  "chgrp",
  "ln",
  "touch",
  "mkdir",
  "tee",
  "chef-client",
  "gitlab-ctl",
  "gitlab-rake",
  "gitlab-backup",
  "gitlab-pgrepack",
  "patronictl",
  "gitlab-patronictl",
  "pg_ctl",
  "pg_ctlcluster",
  "pg_repack",
  "pg_restore",
  "wal-g",
  "iptables",
  "ip6tables",
  "nft",
  "ufw",
  "useradd",
  "userdel",
  "usermod",
  "passwd",
  "apt",
  "apt-get",
  "yum",
  "dnf",
  "rpm",
  "dpkg",
  "pip",
  "npm",
  "crontab",
  "logrotate",
  "sysctl",
  "swapoff",
  "swapon",
  "fstrim",
  "resize2fs",
  "xfs_growfs",
  "growpart",
  "lvextend",
  "terraform",
  "terragrunt",
  "tofu",
  "ansible-playbook",
  "knife",
]);

/** Read-only subcommands of the always-mutating tools above. */
const READ_ONLY_SUBCOMMANDS: Readonly<Record<string, ReadonlySet<string>>> = {
  "gitlab-ctl": new Set(["status", "tail", "show-config", "service-list", "help", "diff-config"]),
  patronictl: new Set(["list", "show-config", "history", "topology", "version", "dsn"]),
  "gitlab-patronictl": new Set(["list", "show-config", "history", "topology", "version", "dsn"]),
  terraform: new Set([
    "plan",
    "show",
    "output",
    "validate",
    "fmt",
    "version",
    "graph",
    "providers",
    "state list",
    "state show",
  ]),
  terragrunt: new Set(["plan", "show", "output", "validate", "version"]),
  tofu: new Set(["plan", "show", "output", "validate", "version"]),
  knife: new Set([
    "search",
    "status",
    "node show",
    "role show",
    "environment show",
    "data bag show",
    "node list",
    "role list",
  ]),
  crontab: new Set(["-l"]),
  npm: new Set(["ls", "list", "view", "outdated", "--version"]),
  pip: new Set(["list", "show", "freeze", "--version"]),
  dpkg: new Set(["-l", "-s", "-L", "--list", "--status"]),
  rpm: new Set(["-q", "-qa", "-qi", "-ql"]),
  apt: new Set(["list", "show", "search", "policy"]),
  "apt-get": new Set(["--simulate", "-s", "check"]),
  yum: new Set(["list", "info", "search"]),
  dnf: new Set(["list", "info", "search"]),
  sysctl: new Set(["-a"]),
  "wal-g": new Set(["backup-list", "wal-show", "wal-verify"]),
  "gitlab-rake": new Set([
    "gitlab:check",
    "gitlab:env:info",
    "gitlab:doctor:secrets",
    "gitlab:db:validate_config",
  ]),
};

/** SQL that changes data or schema, in a client's `-c`/`-e` argument. */
const MUTATING_SQL =
  /\b(?:drop|alter|delete|truncate|update|insert|create|grant|revoke|vacuum|reindex|cluster|comment\s+on|select\s+pg_terminate_backend|select\s+pg_cancel_backend|set\s+(?:global|persist))\b/i;
/** Redis commands that change data. */
const MUTATING_REDIS =
  /^(?:del|unlink|flushall|flushdb|set|setex|mset|hset|hdel|lpush|rpush|lpop|rpop|sadd|srem|zadd|zrem|expire|persist|rename|config|shutdown|debug|client|script|eval|evalsha|migrate|move|restore|slaveof|replicaof|failover|cluster)$/i;
/** HTTP methods that change state. */
const MUTATING_METHODS = /^(?:POST|PUT|PATCH|DELETE)$/i;

/**
 * The program and its arguments once wrappers (`sudo -u git`, `env -u HOME`, `time`,
 * `bundle exec`) are removed, each read by its own option grammar (`wrappers.ts`).
 */
export function unwrap(argv: readonly string[]): readonly string[] {
  return unwrapArgv(argv);
}

/** `/usr/bin/kubectl` → `kubectl`. */
export function baseName(program: string): string {
  const slash = program.lastIndexOf("/");
  return slash === -1 ? program : program.slice(slash + 1);
}

/** A wrapper's own options (`sudo -u git -i` → `-u`, `-i`), up to the command it runs. */
function wrapperOptions(argv: readonly string[]): string[] {
  const program = baseName(argv[0] ?? "");
  const valued = WRAPPER_VALUE_OPTIONS[program];
  const own: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith("-")) break;
    own.push(word);
    if (valued?.has(word)) i += 1;
  }
  return own;
}

/** The words after the program that are not options, up to `limit` of them. */
export function subcommandWords(argv: readonly string[], limit = 3): string[] {
  const words: string[] = [];
  for (let i = 1; i < argv.length && words.length < limit; i++) {
    const word = argv[i]!;
    if (word === "--") break;
    if (word.startsWith("-")) continue;
    words.push(word);
  }
  return words;
}

/** What `argv` does. `argv` is the command as written (wrappers are looked through). */
export function commandFacts(argv: readonly string[]): CommandFacts {
  if (argv.length === 0) return {};
  const facts: {
    session?: string;
    endless?: string;
    shellState?: string;
    remote?: string;
    mutating?: string;
  } = {};
  const first = baseName(argv[0]!);
  if (first === "sudo" || first === "doas") {
    // Only sudo's own options, before the command it runs: `sudo sed -i` is no shell.
    const own = wrapperOptions(argv);
    const shell = own.find((w) => /^-[a-zA-Z]*[is][a-zA-Z]*$/.test(w) || w === "--login" || w === "--shell");
    if (shell !== undefined) facts.session = `'${first} ${shell}' opens a root shell`;
  }
  if (first === "sudo" && subcommandWords(argv, 1)[0] === "su")
    facts.session = "'sudo su' opens a root shell";
  const command = unwrap(argv);
  const program = baseName(command[0] ?? "");
  const words = subcommandWords(command);
  const joined = words.join(" ");
  // Five words for the state-changing verb: option values count as words
  // (`kubectl --kubeconfig kc -n ns rollout restart`), and missing an approval is worse.
  const verbWords = subcommandWords(command, 5);
  const lowerWords = verbWords.map((w) => w.toLowerCase());
  // Options of this command only: what follows `--` belongs to the command it runs.
  const dashdash = command.indexOf("--");
  const own = dashdash < 0 ? command : command.slice(0, dashdash);
  const has = (...options: string[]) =>
    own.some((w) => options.includes(w) || options.some((o) => w.startsWith(`${o}=`)));

  if (SHELL_BUILTINS.has(program))
    facts.shellState = `'${program}' changes the shell session, which a later step would not see`;
  else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(command[0] ?? "")) facts.shellState = "it sets a shell variable";

  facts.session ??= sessionOf(program, command, words);
  facts.endless = endlessOf(program, command, words, has);
  facts.remote = remoteOf(program, command, words);
  facts.mutating = mutatingOf(program, command, words, lowerWords, joined, has);
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as CommandFacts;
}

function sessionOf(
  program: string,
  command: readonly string[],
  words: readonly string[],
): string | undefined {
  if (ALWAYS_SESSION.has(program)) return `'${program}' is interactive`;
  if (program === "crontab" && command.includes("-e")) return "'crontab -e' opens an editor";
  const allowed = CONSOLE_CLIENTS[program];
  if (allowed !== undefined) {
    const runsSomething = command.some(
      (w, i) =>
        i > 0 &&
        allowed.some(
          (o) =>
            w === o || w.startsWith(`${o}=`) || (o.length === 2 && w.startsWith(o) && !w.startsWith("--")),
        ),
    );
    const scriptArgument =
      (program === "python" ||
        program === "python3" ||
        program === "node" ||
        program === "bash" ||
        program === "sh" ||
        program === "zsh") &&
      words.length > 0;
    if (program === "gitlab-rails" || program === "rails") {
      if (words[0] === "console" || words[0] === "c" || words[0] === "dbconsole" || words[0] === "db")
        return `'${program} ${words[0]}' opens a console`;
      return undefined;
    }
    if (program === "sqlite3")
      return command.length > 2 ? undefined : "'sqlite3' without a statement opens a console";
    if (!runsSomething && !scriptArgument) return `'${program}' without a command to run opens a console`;
    return undefined;
  }
  if (COMMAND_CLIENTS.has(program)) {
    let i = 1;
    while (i < command.length && command[i]!.startsWith("-"))
      i += CLIENT_VALUE_OPTIONS.has(command[i]!) ? 2 : 1;
    if (i >= command.length && program.endsWith("redis-cli"))
      return `'${program}' without a command opens a console`;
    return undefined;
  }
  if (program === "kubectl" || program === "oc") {
    const verb = words[0];
    if (verb === "rsh" || verb === "attach" || verb === "debug")
      return `'${program} ${verb}' opens a shell in a container`;
    if (verb === "exec" && hasTty(command))
      return `'${program} exec' with a terminal opens a shell in a container`;
    if (verb === "exec" && !command.includes("--"))
      return `'${program} exec' with no command after '--' opens a shell in a container`;
    if (verb === "run" && hasTty(command)) return `'${program} run' with a terminal is interactive`;
  }
  if (
    (program === "docker" || program === "podman" || program === "crictl") &&
    (words[0] === "exec" || words[0] === "run") &&
    hasTty(command)
  )
    return `'${program} ${words[0]}' with a terminal is interactive`;
  if (program === "docker" && words[0] === "attach") return "'docker attach' is interactive";
  if (program === "gcloud" && words.includes("ssh")) return "'gcloud … ssh' opens a remote shell";
  if (program === "az" && words[0] === "ssh") return "'az ssh' opens a remote shell";
  if (program === "aws" && words[0] === "ssm" && words[1] === "start-session")
    return "'aws ssm start-session' opens a remote shell";
  if (program === "toolbox" && words.length === 0) return "'toolbox' opens a shell";
  if (program === "chroot" || program === "nsenter") return `'${program}' opens a shell`;
  return undefined;
}

/** The git subcommand, after git's own options and their values. */
function gitVerb(command: readonly string[]): string | undefined {
  for (let i = 1; i < command.length; i++) {
    const word = command[i]!;
    if (
      word === "-C" ||
      word === "-c" ||
      word === "--git-dir" ||
      word === "--work-tree" ||
      word === "--namespace"
    )
      i += 1;
    else if (!word.startsWith("-")) return word.toLowerCase();
  }
  return undefined;
}

/** `-it`, `-ti`, `-i -t`, `--stdin --tty`, `-t`. */
function hasTty(command: readonly string[]): boolean {
  return command.some((w) => w === "--tty" || (/^-[a-zA-Z]{1,3}$/.test(w) && w.includes("t")));
}

function remoteOf(program: string, command: readonly string[], words: readonly string[]): string | undefined {
  if (program === "knife" && words[0] === "ssh") return "'knife ssh' runs a shell command on other hosts";
  if (
    (program === "ansible" || program === "salt") &&
    command.some((w) => w === "-a" || w === "--args" || w === "cmd.run")
  )
    return `'${program}' runs a shell command on other hosts`;
  if (program === "pdsh" || program === "pssh" || program === "parallel-ssh" || program === "clush")
    return `'${program}' runs a shell command on other hosts`;
  return undefined;
}

function endlessOf(
  program: string,
  command: readonly string[],
  words: readonly string[],
  has: (...options: string[]) => boolean,
): string | undefined {
  if (program === "watch") return "'watch' repeats forever";
  if (program === "tail" && has("-f", "-F", "--follow")) return "'tail -f' follows the file forever";
  if (program === "journalctl" && has("-f", "--follow")) return "'journalctl -f' follows the journal forever";
  if ((program === "kubectl" || program === "oc") && words[0] === "logs" && has("-f", "--follow"))
    return `'${program} logs -f' follows the log forever`;
  if ((program === "kubectl" || program === "oc") && (words[0] === "port-forward" || words[0] === "proxy"))
    return `'${program} ${words[0]}' runs until stopped`;
  if ((program === "kubectl" || program === "oc") && has("-w", "--watch"))
    return `'${program} … --watch' runs until stopped`;
  if ((program === "docker" || program === "podman") && words[0] === "logs" && has("-f", "--follow"))
    return `'${program} logs -f' follows the log forever`;
  if (program === "gitlab-ctl" && words[0] === "tail") return "'gitlab-ctl tail' follows the logs forever";
  if (program === "stern") return "'stern' follows logs forever";
  if (program === "ping" && !has("-c")) return "'ping' without -c runs forever";
  if (
    (program === "tcpdump" ||
      program === "strace" ||
      program === "perf" ||
      program === "iostat" ||
      program === "vmstat" ||
      program === "sar" ||
      program === "mpstat" ||
      program === "pidstat" ||
      program === "dstat") &&
    words.length === 0 &&
    !has("-c", "-n")
  )
    return `'${program}' runs until stopped`;
  if (program === "tcpdump" && !has("-c")) return "'tcpdump' without -c runs until stopped";
  if (program === "strace" || program === "ltrace") return `'${program}' attaches to a process until stopped`;
  void command;
  return undefined;
}

function mutatingOf(
  program: string,
  command: readonly string[],
  words: readonly string[],
  lowerWords: readonly string[],
  joined: string,
  has: (...options: string[]) => boolean,
): string | undefined {
  if (ALWAYS_MUTATING.has(program)) {
    const readOnly = READ_ONLY_SUBCOMMANDS[program];
    const firstOption = command.find((w, i) => i > 0 && w.startsWith("-"));
    if (
      readOnly !== undefined &&
      (readOnly.has(words[0] ?? "") ||
        readOnly.has(words.slice(0, 2).join(" ")) ||
        (words.length === 0 && readOnly.has(firstOption ?? "")))
    )
      return undefined;
    return `'${program}' changes the system`;
  }
  if (program === "curl" || program === "wget" || program === "http" || program === "httpie") {
    const methodIndex = command.findIndex((w) => w === "-X" || w === "--request");
    const method =
      methodIndex >= 0 ? command[methodIndex + 1] : command.find((w) => /^-X[A-Z]+$/.test(w))?.slice(2);
    if (method !== undefined && MUTATING_METHODS.test(method))
      return `'${program} -X ${method.toUpperCase()}' sends a request that changes state`;
    if (
      has(
        "-d",
        "--data",
        "--data-raw",
        "--data-binary",
        "--data-urlencode",
        "-F",
        "--form",
        "-T",
        "--upload-file",
        "--post-data",
      )
    )
      return `'${program}' sends data`;
    if (program === "http" && /^(?:POST|PUT|PATCH|DELETE)$/i.test(words[0] ?? ""))
      return `'http ${words[0]}' changes state`;
    return undefined;
  }
  if (SQL_CLIENTS.has(program)) {
    const sql = command.slice(1).join(" ");
    if (MUTATING_SQL.test(sql)) return `'${program}' runs SQL that changes data or schema`;
    return undefined;
  }
  if (program in CONSOLE_CLIENTS) return `'${program}' runs a script, which may change anything`;
  if (program === "find" && has("-delete", "-exec", "-execdir", "-ok"))
    return "'find' with -delete or -exec changes files";
  if (
    (program === "sed" || program === "perl") &&
    command.some((w) => /^-[a-zA-Z]*i/.test(w) || w.startsWith("--in-place"))
  )
    return `'${program} -i' edits files in place`;
  if (program.endsWith("redis-cli")) {
    let i = 1;
    while (i < command.length && command[i]!.startsWith("-"))
      i += CLIENT_VALUE_OPTIONS.has(command[i]!) ? 2 : 1;
    const redis = command[i];
    if (redis !== undefined && MUTATING_REDIS.test(redis)) return `'${program} ${redis}' changes data`;
    return undefined;
  }
  if (program === "systemctl" || program === "service" || program === "sv" || program === "supervisorctl") {
    const verb = lowerWords.find(
      (w) =>
        MUTATING_WORDS.has(w) ||
        w === "try-restart" ||
        w === "force-reload" ||
        w === "daemon-reload" ||
        w === "isolate" ||
        w === "once" ||
        w === "down" ||
        w === "up",
    );
    return verb === undefined ? undefined : `'${program} … ${verb}' changes a service`;
  }
  if (program === "git") {
    // `git -C <path>`, `-c <name=value>`, `--git-dir <path>` take a value before the verb.
    const verb = gitVerb(command);
    const changes = new Set([
      "push",
      "reset",
      "checkout",
      "commit",
      "merge",
      "rebase",
      "clean",
      "rm",
      "mv",
      "tag",
      "branch",
      "stash",
      "pull",
      "gc",
      "prune",
      "apply",
      "cherry-pick",
      "revert",
      "restore",
      "switch",
      "am",
      "fetch",
      "clone",
      "init",
      "config",
      "remote",
      "update-ref",
      "fsck",
    ]);
    if (
      verb !== undefined &&
      changes.has(verb) &&
      !(verb === "branch" && words.length === 1) &&
      !(verb === "config" && has("--get", "--list", "-l")) &&
      !(verb === "remote" && words.length === 1) &&
      !(verb === "fsck")
    )
      return `'git ${verb}' changes the repository`;
    return undefined;
  }
  if (program === "etcdctl" || program === "etcdutl") {
    if (
      lowerWords.some((w) =>
        [
          "del",
          "put",
          "defrag",
          "compact",
          "compaction",
          "disarm",
          "restore",
          "remove",
          "add",
          "update",
          "promote",
          "move-leader",
          "txn",
          "lease",
          "snapshot",
        ].includes(w),
      ) &&
      !(lowerWords[0] === "snapshot" && lowerWords[1] === "status") &&
      !(lowerWords[0] === "alarm" && lowerWords[1] === "list") &&
      !(lowerWords[0] === "member" && lowerWords[1] === "list")
    )
      return `'${program} ${joined}' changes the cluster`;
    return undefined;
  }
  for (const [i, word] of lowerWords.entries()) {
    // Name the subcommand as typed up to the word that changes state: `kubectl rollout undo`.
    if (MUTATING_WORDS.has(word) || MUTATING_PREFIXES.some((p) => word.startsWith(p)))
      return `'${[program, ...lowerWords.slice(0, i + 1)].join(" ")}' changes state`;
  }
  return undefined;
}
