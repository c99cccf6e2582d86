/**
 * Governance that cannot be walked around (issue 16, section 0): the wrapper grammar of
 * src/lang/runbook/wrappers.ts (a test per option form of every wrapper), the shell-string
 * splitter, normalisation, and the walk-around table (`walk-arounds.ts`) judged by
 * `governanceRefusal` and by Stage C, which must report every row at compile time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Span } from "../../src/ir/span.js";
import { unwrap } from "../../src/lang/runbook/commands.js";
import {
  governanceRefusal,
  matchesDeniedCommand,
  normalisePath,
  normaliseWords,
  programsToAllow,
} from "../../src/lang/runbook/governance.js";
import { splitShellCommands } from "../../src/lang/runbook/shell-words.js";
import type { Governance, Runbook } from "../../src/lang/runbook/types.js";
import { invocationsOf, WRAPPERS } from "../../src/lang/runbook/wrappers.js";
import { checkRunbook } from "../../src/passes/runbook/check-runbook.js";
import { argvFor, type RefusalKind, WALK_AROUNDS } from "./walk-arounds.js";

const SPAN: Span = { file: "runbook.yaml", start: 0, end: 0 };
const TARGET = ["rm", "-rf", "x"];

/** Whether `argv` is found to run `rm -rf x`. */
function runsTarget(argv: readonly string[]): boolean {
  return invocationsOf(argv).invocations.some((i) => i.argv.join(" ") === TARGET.join(" "));
}

/** What follows a wrapper's options so that it runs `rm -rf x`. */
function tailFor(program: string): string[] {
  const rest = WRAPPERS[program]!.rest;
  if (rest === "shell") return ["-c", TARGET.join(" ")];
  if (rest === "su") return ["-c", TARGET.join(" ")];
  if (rest === "shell-line") return [...(program === "ssh" ? ["host"] : []), TARGET.join(" ")];
  if (program === "timeout") return ["10", ...TARGET];
  if (program === "taskset") return ["0x1", ...TARGET];
  if (program === "flock") return ["/tmp/lock", ...TARGET];
  if (program === "script") return ["-c", TARGET.join(" ")];
  if (program === "chroot") return ["/", ...TARGET];
  return [...TARGET];
}

/** Options that mean the wrapper runs no command, or that the tail already holds. */
const NO_COMMAND: Readonly<Record<string, readonly string[]>> = {
  sudo: ["-e", "-l", "-K", "-k", "-v", "-V"],
  ionice: ["-p", "-P", "-u"],
  command: ["-v", "-V"],
  su: ["-c", "--session-command"],
  runuser: ["-c", "--session-command"],
  taskset: ["-p"],
  flock: ["-c"],
  script: ["-c"],
};

/** Every spelling of every option of every wrapper, with a value where it takes one. */
function optionForms(): [string, string, string[]][] {
  const forms: [string, string, string[]][] = [];
  for (const [program, grammar] of Object.entries(WRAPPERS)) {
    const shell = grammar.rest === "shell";
    for (const entry of grammar.options.split(/\s+/).filter((e) => e !== "")) {
      const arity = entry.endsWith("=?") ? "optional" : entry.endsWith("=") ? "value" : "none";
      const names = entry.replace(/=\??$/, "").split("|");
      if (names.some((n) => NO_COMMAND[program]?.includes(n))) continue;
      if (shell && (names.includes("-c") || names.includes("-s") || names.includes("--command"))) continue;
      if (program === "watch" && names.includes("-x")) continue;
      // env -S splits its value into words that take its place: give it an option.
      const v = program === "env" && names.includes("-S") ? "-i" : "v";
      for (const name of names) {
        const long = name.startsWith("--");
        const spellings: string[][] =
          arity === "none"
            ? [[name]]
            : arity === "optional"
              ? [[name], [long ? `${name}=${v}` : `${name}${v}`]]
              : long
                ? [[`${name}=${v}`], [name, v]]
                : [[name, v], [`${name}${v}`]];
        for (const spelling of spellings)
          forms.push([
            `${program} ${spelling.join(" ")}`,
            program,
            [program, ...spelling, ...tailFor(program)],
          ]);
      }
    }
  }
  return forms;
}

describe("the wrapper grammar", () => {
  const forms = optionForms();

  it("should cover every option of every wrapper", () => {
    expect(forms.length).toBeGreaterThan(250);
  });

  it.each(forms)("should find the wrapped command when the option is %s", (_what, _program, argv) => {
    expect(invocationsOf(argv).uncertain).toBeUndefined();
    expect(runsTarget(argv)).toBe(true);
  });

  it.each<[string, string[], string[]]>([
    ["env -u HOME", ["env", "-u", "HOME", "rm", "x"], ["rm", "x"]],
    ["sudo -iu git (a cluster ending in a valued option)", ["sudo", "-iu", "git", "id"], ["id"]],
    ["nice -10 (the old form)", ["nice", "-10", "id"], ["id"]],
    ["timeout -k 1 10s", ["timeout", "-k", "1", "10s", "id"], ["id"]],
    ["chroot /srv", ["chroot", "/srv", "id"], ["id"]],
    ["a path to the wrapper", ["/usr/bin/sudo", "-u", "git", "id"], ["id"]],
    ["bundle exec", ["bundle", "exec", "rake", "x"], ["rake", "x"]],
  ])("should unwrap %s", (_what, argv, expected) => {
    expect(unwrap(argv)).toEqual(expected);
  });

  it("should read options after the host for ssh, and the rest as one remote command line", () => {
    const { invocations } = invocationsOf(["ssh", "host", "-t", "-p", "22", "ls", "-l;", "id"]);
    expect(invocations.map((i) => i.argv)).toEqual([
      ["ssh", "host", "-t", "-p", "22", "ls", "-l;", "id"],
      ["ls", "-l"],
      ["id"],
    ]);
  });

  it("should run nothing when ssh has no command, su no -c, or a shell a script file", () => {
    for (const argv of [
      ["ssh", "host"],
      ["su", "-", "postgres"],
      ["bash", "./fix.sh", "a"],
    ])
      expect(invocationsOf(argv)).toEqual({ invocations: [{ argv, via: [], openEnded: false }] });
  });

  it("should mark what xargs runs as taking more arguments from its input", () => {
    expect(invocationsOf(["xargs", "-n1", "kubectl", "get"]).invocations[1]).toEqual({
      argv: ["kubectl", "get"],
      via: ["xargs"],
      openEnded: true,
    });
  });

  it("should run find's command once per root with {} standing for the root", () => {
    const { invocations } = invocationsOf(["find", "a", "b", "-name", "x", "-exec", "rm", "{}", ";"]);
    expect(invocations.slice(1).map((i) => i.argv)).toEqual([
      ["rm", "a"],
      ["rm", "b"],
    ]);
  });

  it("should be uncertain when a template stands for the program a wrapper runs", () => {
    expect(invocationsOf(["sudo", "-u", "{{ .user }}", "{{ .program }}"]).uncertain).toContain("template");
    expect(
      invocationsOf(["sudo", "-u", "{{ .user }}", "systemctl", "restart", "{{ .unit }}"]).uncertain,
    ).toBe(undefined);
  });

  it("should be uncertain when find's roots multiply into too many commands", () => {
    const roots = Array.from({ length: 20 }, (_, i) => `r${i}`);
    const inner = `find ${roots.join(" ")} -exec id {} \\;`;
    const argv = ["find", ...roots, "-exec", "sh", "-c", inner, ";"];
    expect(invocationsOf(argv).uncertain).toContain("more than 256 commands");
  });

  it("should be uncertain when wrappers nest too deep", () => {
    const argv = [...Array.from({ length: 40 }, () => "nohup"), "id"];
    expect(invocationsOf(argv).uncertain).toContain("nest");
  });
});

describe("splitShellCommands", () => {
  it.each<[string, string[][]]>([
    ["ls -l /tmp", [["ls", "-l", "/tmp"]]],
    ["a && b || c; d | e & f", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]],
    ["echo 'a b' \"c d\"", [["echo", "a b", "c d"]]],
    ["cmd > out 2>&1", [["cmd", "2"]]],
    ["find . -exec rm {} \\;", [["find", ".", "-exec", "rm", "{}", ";"]]],
  ])("should split %j", (text, expected) => {
    expect(splitShellCommands(text)).toEqual({ commands: expected });
  });

  it.each([
    ["a variable", "echo $HOME"],
    ["a command substitution", "echo $(id)"],
    ["backquotes", "echo `id`"],
    ["a line break", "ls\nid"],
    ["a comment", "ls # x"],
    ["a glob", "rm *.log"],
    ["a subshell", "(id)"],
    ["braces", "{ id; }"],
    ["a reserved word", "while true; do id; done"],
    ["a redirection without a file", "id >"],
    ["a backslash", "echo a\\ b"],
  ])("should be uncertain about %s", (_what, text) => {
    expect(splitShellCommands(text).uncertain).toBeDefined();
  });
});

describe("normalisation", () => {
  it.each([
    ["//", "/"],
    ["/.", "/"],
    ["/tmp/..", "/"],
    ["/tmp/../..", "/"],
    ["//etc//", "/etc"],
    ["./", "."],
    ["./a/../", "."],
    ["./a/./b/", "a/b"],
    ["../x/..", ".."],
    ["~/", "~"],
    ["~/./a", "~/a"],
  ])("should normalise the path %s to %s", (path, expected) => {
    expect(normalisePath(path)).toBe(expected);
  });

  it.each<[string[], string[]]>([
    [
      ["delete", "ns/prod"],
      ["delete", "namespaces", "prod"],
    ],
    [
      ["delete", "Namespace", "prod"],
      ["delete", "namespaces", "prod"],
    ],
    [
      ["delete", "po,svc", "x"],
      ["delete", "pods", "services", "x"],
    ],
    [
      ["delete", "deployments.apps/web"],
      ["delete", "deployments", "web"],
    ],
  ])("should normalise kubectl's words %j", (words, expected) => {
    expect(normaliseWords("kubectl", words)).toEqual(expected);
  });

  it.each<[string[], string]>([
    [["rm", "-fr", "x"], "rm -rf"],
    [["rm", "-r", "-f", "x"], "rm -rf"],
    [["rm", "-vfR", "x"], "rm -Rf"],
    [["kubectl", "delete", "po/web"], "kubectl delete pod"],
    [["kubectl", "--context", "prod", "delete", "pods", "web"], "kubectl delete po"],
    [["mkfs.xfs", "/dev/sdb"], "mkfs"],
  ])("should match %j against the entry '%s'", (argv, entry) => {
    expect(matchesDeniedCommand(argv, entry)).toBe(true);
  });

  it("should not match an entry's options the argv does not have", () => {
    expect(matchesDeniedCommand(["rm", "-f", "x"], "rm -rf")).toBe(false);
  });
});

describe("programsToAllow", () => {
  it("should list the step's program and every program a wrapper runs", () => {
    expect(programsToAllow(["sudo", "-u", "git", "env", "-i", "gitlab-rake", "x"])).toEqual([
      "sudo",
      "env",
      "gitlab-rake",
    ]);
    expect(programsToAllow(["sudo", "{{ .program }}"])).toEqual(["sudo"]);
  });
});

const STAGE_C: Readonly<Record<RefusalKind, string>> = {
  "not-allowed": "RBK6003",
  denied: "RBK6004",
  destructive: "RBK6016",
  uncertain: "RBK6017",
};

function runbookFor(argv: readonly string[], governance: Governance): Runbook {
  return {
    apiVersion: "runbook/v0",
    meta: { name: "t", governance },
    steps: [{ id: "step", type: "cli", with: { argv: [...argv] }, approvals: { min: 1 } }],
  };
}

describe("the walk-around table", () => {
  it("should hold at least 60 attempts", () => {
    expect(WALK_AROUNDS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(WALK_AROUNDS.map((w) => [w.name, w] as const))("should refuse %s", (_name, walkAround) => {
    const refusal = governanceRefusal(argvFor(walkAround, "/tmp/victim"), walkAround.governance);
    expect(refusal?.kind).toBe(walkAround.refused);
  });

  it.each(WALK_AROUNDS.map((w) => [w.name, w] as const))(
    "should report %s at compile time (Stage C)",
    (_name, walkAround) => {
      const diagnostics = checkRunbook(
        runbookFor(argvFor(walkAround, "/tmp/victim"), walkAround.governance),
        () => SPAN,
      );
      expect(diagnostics.map((d) => d.code)).toContain(STAGE_C[walkAround.refused]);
    },
  );

  it("should let the same commands run when nothing refuses them", () => {
    for (const argv of [
      ["env", "-u", "HOME", "kubectl", "get", "pods"],
      ["bash", "-c", "kubectl get pods -o wide && echo done"],
      ["xargs", "-n1", "echo"],
      ["find", ".", "-name", "x", "-exec", "grep", "-l", "y", "{}", "+"],
      ["rm", "-rf", "/tmp/x"],
      ["kubectl", "delete", "pod", "web-1"],
      ["ssh", "host", "uptime"],
    ])
      expect(governanceRefusal(argv, { denied_commands: ["rm -rf /tmp/y"] })).toBeUndefined();
  });
});

describe("Stage C on variables and deny_env_vars", () => {
  it("should flag a declared variable whose name is denied", () => {
    const rb: Runbook = {
      apiVersion: "runbook/v0",
      meta: {
        name: "t",
        vars: { GITLAB_TOKEN: "x", namespace: "default" },
        governance: { deny_env_vars: ["*TOKEN"] },
      },
      steps: [],
    };
    const pointers: string[] = [];
    const diagnostics = checkRunbook(rb, (pointer) => {
      pointers.push(pointer);
      return SPAN;
    });
    expect(diagnostics.map((d) => [d.code, d.severity, d.message])).toEqual([
      [
        "RBK6018",
        "error",
        "meta.vars declares 'GITLAB_TOKEN', a denied environment variable (matches '*TOKEN')",
      ],
    ]);
    expect(pointers).toContain("/meta/vars/GITLAB_TOKEN");
  });

  it("should warn that an empty deny_env_vars switches off the defaults", () => {
    const rb: Runbook = {
      apiVersion: "runbook/v0",
      meta: { name: "t", governance: { deny_env_vars: [] } },
      steps: [],
    };
    const diagnostics = checkRunbook(rb, () => SPAN);
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([["RBK6019", "warning"]]);
  });
});

describe("the wrapper and shell-string readers on arbitrary input", () => {
  const words = fc.array(
    fc.oneof(
      fc.constantFrom(
        ...Object.keys(WRAPPERS),
        "find",
        "rm",
        "-rf",
        "/",
        "-c",
        "-S",
        "-u",
        "--",
        ";",
        "{}",
        "+",
        "-exec",
        "x",
      ),
      fc.string({ maxLength: 12 }),
    ),
    { maxLength: 24 },
  );

  it("should never throw, and always give a verdict, whatever the argv", () => {
    fc.assert(
      fc.property(words, (argv) => {
        const { invocations } = invocationsOf(argv);
        expect(invocations.length).toBeLessThanOrEqual(256);
        governanceRefusal(argv, {
          allowed_commands: ["env"],
          denied_commands: ["rm -rf", "kubectl delete ns"],
        });
      }),
      { numRuns: 2000 },
    );
  });

  it("should never throw on arbitrary shell strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const split = splitShellCommands(text);
        expect(split.commands !== undefined || split.uncertain !== undefined).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
