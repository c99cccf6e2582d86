/**
 * Tests of checkRunbook (src/passes/runbook/check-runbook.ts), the checks of a runbook after its
 * schema, and of schemaProblems (src/passes/runbook/validate-runbook.ts), the schema itself.
 */
import { describe, expect, it } from "vitest";
import type { Span } from "../../src/ir/span.js";
import { DEFAULT_DENY_ENV_VARS, DEFAULT_REDACT } from "../../src/lang/runbook/governance.js";
import type {
  CliStep,
  Governance,
  GroupStep,
  ManualStep,
  Meta,
  Runbook,
  Step,
} from "../../src/lang/runbook/types.js";
import { checkRunbook } from "../../src/passes/runbook/check-runbook.js";
import { schemaProblems } from "../../src/passes/runbook/validate-runbook.js";

const SPAN: Span = { file: "runbook.yaml", start: 0, end: 0 };

function cli(id: string, argv: string[], extra: Partial<Omit<CliStep, "id" | "type">> = {}): CliStep {
  return { id, type: "cli", with: { argv }, ...extra };
}

function manual(id: string, extra: Partial<Omit<ManualStep, "id" | "type">> = {}): ManualStep {
  return { id, type: "manual", title: `Do ${id}`, instructions: "Do it by hand.", ...extra };
}

function group(id: string, steps: Step[]): GroupStep {
  return { id, type: "group", steps };
}

/** `depth` groups, each inside the one before, around one read-only step. */
function nested(depth: number): Step {
  let step: Step = cli("leaf", ["kubectl", "get", "pods"]);
  for (let i = depth; i >= 1; i--) step = group(`g${i}`, [step]);
  return step;
}

function runbook(steps: Step[], governance: Governance = {}, vars: Meta["vars"] = { namespace: "default" }) {
  return { apiVersion: "runbook/v0", meta: { name: "t", vars, governance }, steps } satisfies Runbook;
}

/** Checks `rb`, recording each pointer `locate` is asked for. */
function check(rb: Runbook) {
  const pointers: string[] = [];
  const diagnostics = checkRunbook(rb, (pointer) => {
    pointers.push(pointer);
    return SPAN;
  });
  return { diagnostics, pointers, codes: diagnostics.map((d) => d.code) };
}

const valid: Runbook = runbook(
  [
    cli("list_pods", ["kubectl", "-n", "{{ .namespace }}", "get", "pods", "-o", "name"], {
      capture: { first_pod: { from: "stdout", regex: "(?i)^pod/(\\S+)", group: 1 }, listing: "stdout" },
      assertions: [{ matches: "(?i)^pod/" }, { exit_code: 0 }],
    }),
    group("inspect", [
      cli("describe_pod", [], {
        with: {
          argv: ["kubectl", "-n", "{{ .namespace }}", "describe", "pod", "{{ .first_pod }}"],
          timeout_seconds: 30,
        },
      }),
      cli("logs", ["kubectl", "-n", "{{ .namespace }}", "logs", "{{ .first_pod }}", "--tail=100"]),
    ]),
    manual("check_dashboard", {
      command: "open https://grafana.example.com/d/{{ .namespace }}",
      required_evidence: [{ kind: "text", name: "screenshot_link" }],
    }),
    cli("restart_pod", ["kubectl", "-n", "{{ .namespace }}", "delete", "pod", "{{ .first_pod }}"], {
      approvals: { min: 1, roles: ["sre"] },
    }),
    cli("cleanup", ["find", "/tmp/dumps", "-name", "core", "-exec", "gzip", "{}", ";"], {
      approvals: { min: 1 },
    }),
  ],
  {
    // What find -exec runs is judged too: gzip must be allowed, and rm would be denied.
    allowed_commands: ["kubectl", "find", "gzip"],
    denied_commands: ["rm"],
    deny_env_vars: [...DEFAULT_DENY_ENV_VARS],
    redact: [...DEFAULT_REDACT],
    evidence: { require_for_manual: true },
  },
  { namespace: "default", cluster: { description: "the cluster", value: "prod" } },
);

describe("checkRunbook", () => {
  it("should report nothing when the runbook is valid", () => {
    expect(check(valid).diagnostics).toEqual([]);
  });

  it.each<[string, Runbook, string[], string]>([
    [
      "two steps share an id",
      runbook([cli("same", ["kubectl", "get", "pods"]), cli("same", ["kubectl", "get", "nodes"])]),
      ["RBK6001"],
      "/steps/1/id",
    ],
    [
      "a step in a group shares an id with one outside",
      runbook([
        cli("same", ["kubectl", "get", "pods"]),
        group("g", [cli("same", ["kubectl", "get", "nodes"])]),
      ]),
      ["RBK6001"],
      "/steps/1/steps/0/id",
    ],
    ["groups are nested 9 deep", runbook([nested(9)]), ["RBK6002"], `/steps/0${"/steps/0".repeat(8)}/id`],
    [
      "a program is not in allowed_commands",
      runbook([cli("a", ["curl", "-s", "https://example.com"])], { allowed_commands: ["kubectl"] }),
      ["RBK6003"],
      "/steps/0/with/argv/0",
    ],
    [
      "an argv matches a denied_commands entry",
      runbook([cli("a", ["kubectl", "delete", "pod", "y"], { approvals: { min: 1 } })], {
        denied_commands: ["kubectl delete"],
      }),
      ["RBK6004"],
      "/steps/0/with/argv",
    ],
    [
      "a template names an undeclared variable",
      runbook([cli("a", ["kubectl", "-n", "{{ .nope }}", "get", "pods"])]),
      ["RBK6005"],
      "/steps/0/with/argv/2",
    ],
    [
      "a template uses a capture of a later step",
      runbook([
        cli("a", ["kubectl", "logs", "{{ .pod }}"]),
        cli("b", ["kubectl", "get", "pods", "-o", "name"], { capture: { pod: "stdout" } }),
      ]),
      ["RBK6005"],
      "/steps/0/with/argv/2",
    ],
    [
      "a template uses a capture of its own step",
      runbook([cli("a", ["kubectl", "logs", "{{ .pod }}"], { capture: { pod: "stdout" } })]),
      ["RBK6005"],
      "/steps/0/with/argv/2",
    ],
    [
      "stdin names an undeclared variable",
      runbook([cli("a", [], { with: { argv: ["kubectl", "get", "-f", "-"], stdin: "{{ .manifest }}" } })]),
      ["RBK6005"],
      "/steps/0/with/stdin",
    ],
    [
      "a template names a denied variable",
      runbook(
        [cli("a", ["curl", "-H", "PRIVATE-TOKEN: {{ .GITLAB_TOKEN }}", "https://gitlab.example.com"])],
        {
          deny_env_vars: ["*TOKEN*"],
        },
      ),
      ["RBK6006"],
      "/steps/0/with/argv/2",
    ],
    [
      "argv[0] is a template",
      runbook(
        [cli("a", ["{{ .tool }}", "get", "pods"])],
        { allowed_commands: ["kubectl"] },
        { tool: "kubectl" },
      ),
      ["RBK6007"],
      "/steps/0/with/argv/0",
    ],
    [
      "an argv element is '|'",
      runbook([cli("a", ["kubectl", "get", "pods", "|", "grep", "web"])]),
      ["RBK6008"],
      "/steps/0/with/argv/3",
    ],
    [
      "an argv element is ';' without find -exec",
      runbook([cli("a", ["kubectl", "get", "pods", ";", "kubectl", "get", "nodes"])]),
      ["RBK6008"],
      "/steps/0/with/argv/3",
    ],
    [
      "a template uses the replay matcher .any",
      runbook([cli("a", ["kubectl", "logs", "{{ .any }}"])]),
      ["RBK6009"],
      "/steps/0/with/argv/2",
    ],
    [
      "kubectl delete asks for no approval",
      runbook([cli("a", ["kubectl", "delete", "pod", "web-1"])]),
      ["RBK6010"],
      "/steps/0/with/argv",
    ],
    [
      "a redact pattern is a bad regex",
      runbook([cli("a", ["kubectl", "get", "pods"])], { redact: [{ pattern: "(unclosed" }] }),
      ["RBK6011"],
      "/meta/governance/redact/0/pattern",
    ],
    [
      "a capture regex is a bad regex",
      runbook([cli("a", ["kubectl", "get", "pods"], { capture: { pod: { from: "stdout", regex: "[a-" } } })]),
      ["RBK6011"],
      "/steps/0/capture/pod/regex",
    ],
    [
      "a matches assertion is a bad regex after (?i)",
      runbook([cli("a", ["kubectl", "get", "pods"], { assertions: [{ matches: "(?i)(ready" }] })]),
      ["RBK6011"],
      "/steps/0/assertions/0/matches",
    ],
    [
      "a manual step has no evidence when evidence is required",
      runbook([manual("m")], { evidence: { require_for_manual: true } }),
      ["RBK6012"],
      "/steps/0/id",
    ],
    [
      "a template has a syntax error",
      runbook([cli("a", ["kubectl", "get", "pod", "{{ .namespace | }}"])]),
      ["TPL5001"],
      "/steps/0/with/argv/3",
    ],
  ])("should report when %s", (_what, rb, codes, pointer) => {
    const result = check(rb);
    expect(result.codes).toEqual(codes);
    expect(result.pointers[0]).toBe(pointer);
  });

  it.each<[string, Runbook]>([
    ["groups are nested 8 deep", runbook([nested(8)])],
    [
      "a template uses a capture of an earlier step",
      runbook([
        cli("a", ["kubectl", "get", "pods", "-o", "name"], { capture: { pod: "stdout" } }),
        group("g", [cli("b", ["kubectl", "logs", "{{ .pod }}"])]),
      ]),
    ],
    [
      "a program is in allowed_commands",
      runbook([cli("a", ["kubectl", "get", "pods"])], { allowed_commands: ["kubectl"] }),
    ],
    [
      "a denied_commands entry names another subcommand",
      runbook([cli("a", ["kubectl", "get", "pods"])], { denied_commands: ["kubectl delete"] }),
    ],
    [
      "';' ends find -exec",
      runbook([cli("a", ["find", ".", "-exec", "ls", "{}", ";"], { approvals: { min: 1 } })]),
    ],
    [
      "kubectl delete asks for approval",
      runbook([cli("a", ["kubectl", "delete", "pod", "x"], { approvals: { min: 1 } })]),
    ],
    [
      "regular expressions are valid and one starts with (?i)",
      runbook([cli("a", ["kubectl", "get", "pods"], { assertions: [{ matches: "(?i)^running$" }] })], {
        redact: [{ pattern: "(?i)token=\\S+" }],
      }),
    ],
    ["a manual step has no evidence when none is required", runbook([manual("m")], { evidence: {} })],
    [
      "a manual step has evidence when evidence is required",
      runbook(
        [manual("m", { required_evidence: [{ kind: "checklist", name: "done", items: ["it is done"] }] })],
        {
          evidence: { require_for_manual: true },
        },
      ),
    ],
  ])("should report nothing when %s", (_what, rb) => {
    expect(check(rb).diagnostics).toEqual([]);
  });

  it("should point a duplicate id at the first use too", () => {
    const { diagnostics } = check(
      runbook([cli("same", ["kubectl", "get", "pods"]), cli("same", ["kubectl", "get", "nodes"])]),
    );
    expect(diagnostics.map((d) => [d.code, d.severity, d.message])).toEqual([
      ["RBK6001", "error", "step id 'same' is used more than once"],
    ]);
    expect(diagnostics[0]!.related).toEqual([{ message: "first used here", span: SPAN }]);
  });

  it("should locate the first use of a duplicate id when it reports it", () => {
    const { pointers } = check(
      runbook([
        group("g", [cli("same", ["kubectl", "get", "pods"])]),
        cli("same", ["kubectl", "get", "nodes"]),
      ]),
    );
    expect(pointers).toEqual(["/steps/1/id", "/steps/0/steps/0/id"]);
  });

  it("should report each group deeper than 8 levels, with its depth", () => {
    const { diagnostics } = check(runbook([nested(10)]));
    expect(diagnostics.map((d) => d.message)).toEqual([
      "group 'g9' is nested 9 levels deep, more than 8",
      "group 'g10' is nested 10 levels deep, more than 8",
    ]);
  });

  it("should report a denied variable even when meta.vars declares it", () => {
    const rb = runbook(
      [cli("a", ["curl", "-H", "PRIVATE-TOKEN: {{ .GITLAB_TOKEN }}", "https://gitlab.example.com"])],
      { deny_env_vars: ["*TOKEN*"] },
      { GITLAB_TOKEN: "x" },
    );
    expect(check(rb).diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["RBK6018", "meta.vars declares 'GITLAB_TOKEN', a denied environment variable (matches '*TOKEN*')"],
      [
        "RBK6006",
        "'{{ .GITLAB_TOKEN }}' in step 'a' argv[2] names a denied environment variable (matches '*TOKEN*')",
      ],
    ]);
  });

  it("should suggest a declared name when an undeclared variable is close to one", () => {
    const { diagnostics } = check(runbook([cli("a", ["kubectl", "-n", "{{ .namespac }}", "get", "pods"])]));
    expect(diagnostics.map((d) => [d.code, d.message, d.hint])).toEqual([
      [
        "RBK6005",
        "'{{ .namespac }}' in step 'a' argv[2] is not a variable of meta.vars or a capture of an earlier step",
        "did you mean 'namespace'?",
      ],
    ]);
  });

  it("should warn, not fail, when kubectl delete asks for no approval", () => {
    const { diagnostics } = check(runbook([cli("a", ["kubectl", "delete", "pod", "web-1"])]));
    expect(diagnostics.map((d) => [d.code, d.severity, d.message])).toEqual([
      [
        "RBK6010",
        "warning",
        "step 'a' changes state ('kubectl delete' changes state) but asks for no approval",
      ],
    ]);
  });

  it("should warn, not fail, when a manual step has no evidence but evidence is required", () => {
    const { diagnostics } = check(runbook([manual("m")], { evidence: { require_for_manual: true } }));
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([["RBK6012", "warning"]]);
  });

  it("should say where a bad regex is and why", () => {
    const { diagnostics } = check(
      runbook([cli("a", ["kubectl", "get", "pods"], { capture: { pod: { from: "stdout", regex: "(x" } } })]),
    );
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toMatch(/^capture 'pod' of step 'a' is not a valid regular expression: /);
  });

  it("should give the template error's message with where it is when a template does not parse", () => {
    const { diagnostics } = check(runbook([cli("a", ["kubectl", "get", "pod", "{{ .namespace | }}"])]));
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["TPL5001", "step 'a' argv[3]: expected a field, function or literal after '|', found '}}'"],
    ]);
  });

  // Bug: matchesDeniedCommand compares the entry's words with the argv's first non-option
  // words, and an option's value (`-n x`) counts as one, so `kubectl -n x delete …` escapes
  // a 'kubectl delete' entry.
  it("should report a denied command when an option with a value comes before the subcommand", () => {
    const rb = runbook([cli("a", ["kubectl", "-n", "x", "delete", "pod", "y"], { approvals: { min: 1 } })], {
      denied_commands: ["kubectl delete"],
    });
    expect(check(rb).codes).toEqual(["RBK6004"]);
  });

  // Bug: denied_commands is matched against argv[0] as written, so a wrapper (`sudo`,
  // `timeout`) hides the denied program, although commandFacts looks through wrappers.
  it("should report a denied command when a wrapper runs it", () => {
    const rb = runbook([cli("a", ["sudo", "rm", "-rf", "/var/cache/x"], { approvals: { min: 1 } })], {
      denied_commands: ["rm"],
    });
    expect(check(rb).codes).toEqual(["RBK6004"]);
  });
});

describe("schemaProblems", () => {
  it("should report no problems when the runbook is valid", () => {
    expect(schemaProblems(valid)).toEqual([]);
  });

  it.each<[string, unknown, string, string]>([
    ["the root", { ...runbook([cli("a", ["ls"])]), extra: 1 }, "/", "extra"],
    ["a step", runbook([{ ...cli("a", ["ls"]), bogus: true } as Step]), "/steps/0", "bogus"],
    [
      "a step's with",
      runbook([cli("a", ["ls"], { with: { argv: ["ls"], shell: true } as CliStep["with"] })]),
      "/steps/0/with",
      "shell",
    ],
  ])("should name an unknown field and point at it when it is in %s", (_what, value, pointer, field) => {
    const problems = schemaProblems(value);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.pointer).toBe(pointer);
    expect(problems[0]!.detail).toContain(`'${field}'`);
  });
});
