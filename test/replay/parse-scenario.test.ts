/**
 * The scenario reader (src/frontend/replay/parse-scenario.ts): strict schema errors in cli-replay's
 * words, the rules the schema cannot say, cli-replay's lenient scalars, each diagnostic at its node.
 */
import { describe, expect, it } from "vitest";
import { parseScenario } from "../../src/frontend/replay/parse-scenario.js";
import { SourceFile } from "../../src/ir/source-file.js";
import { diagnosticsOf, readScenario } from "./helpers.js";

const step = "  - { match: { argv: [a] }, respond: {} }\n";

describe("a valid scenario", () => {
  it("should read every field of the format", () => {
    const yaml = `meta:
  name: full
  description: every field
  vars: { region: eu }
  security: { allowed_commands: [kubectl], deny_env_vars: ["AWS_*"] }
  session: { ttl: 5m }
steps:
  - match: { argv: [kubectl, get, pods], stdin: "x" }
    respond: { exit: 2, stdout: "{{ .region }}", stderr: e, delay: 10ms, capture: { id: "1" } }
    calls: { min: 1, max: 2 }
    when: "never evaluated"
  - group:
      mode: unordered
      name: g
      steps:
        - match: { argv: [kubectl, logs] }
          respond: { stdout_file: out.txt, stderr_file: err.txt }
`;
    const parsed = parseScenario(new SourceFile("s.yaml", yaml));
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.scenario).toEqual({
      meta: {
        name: "full",
        description: "every field",
        vars: { region: "eu" },
        security: { allowed_commands: ["kubectl"], deny_env_vars: ["AWS_*"] },
        session: { ttl: "5m" },
      },
      steps: [
        {
          match: { argv: ["kubectl", "get", "pods"], stdin: "x" },
          respond: { exit: 2, stdout: "{{ .region }}", stderr: "e", delay: "10ms", capture: { id: "1" } },
          calls: { min: 1, max: 2 },
          when: "never evaluated",
        },
        {
          group: {
            mode: "unordered",
            name: "g",
            steps: [
              {
                match: { argv: ["kubectl", "logs"] },
                respond: { stdout_file: "out.txt", stderr_file: "err.txt" },
              },
            ],
          },
        },
      ],
    });
  });

  it("should read numbers, booleans and empty values as cli-replay's YAML decoder does", () => {
    const yaml = `meta:
  name: 12
  vars: { replicas: 3, debug: true, ratio: 1.50, empty: }
steps:
  - match: { argv: [sleep, 5, 0x1F, true] }
    respond:
    calls:
  - match: { argv: [b] }
    respond: { stdout: 42, capture: { n: 7 } }
`;
    expect(readScenario(yaml)).toEqual({
      meta: { name: "12", vars: { replicas: "3", debug: "true", ratio: "1.50", empty: "" } },
      steps: [
        { match: { argv: ["sleep", "5", "0x1F", "true"] }, respond: {} },
        { match: { argv: ["b"] }, respond: { stdout: "42", capture: { n: "7" } } },
      ],
    });
  });

  it("should not normalise calls: the engine applies the defaults", () => {
    const scenario = readScenario(
      `meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: {}, calls: { min: 2 } }\n`,
    );
    expect(scenario.steps[0]).toMatchObject({ calls: { min: 2 } });
  });
});

describe("file-level errors", () => {
  it.each(["", "# only a comment\n", "---\n"])("should report an empty file (%j)", (yaml) => {
    expect(diagnosticsOf(yaml)).toEqual(["RPL8001 1:1 empty scenario file"]);
  });

  it("should report a file that is not a mapping", () => {
    expect(diagnosticsOf("- a\n- b\n")).toEqual([
      "YML1005 1:1 a scenario must be a YAML mapping, found a list",
    ]);
  });

  it("should report invalid YAML", () => {
    expect(diagnosticsOf("meta: [\n")[0]).toMatch(/^YML1001 1:7 /);
  });
});

describe("schema errors", () => {
  it.each([
    [`meta: { name: x, nam: y }\nsteps:\n${step}`, "SCH1102 1:18 unknown field 'nam' in 'meta'"],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: { exitt: 1 } }\n",
      "SCH1102 3:40 unknown field 'exitt' in 'steps[0].respond'",
    ],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: [a] } }\n",
      "SCH1101 3:5 missing required field 'respond' in 'steps[0]'",
    ],
    [`meta: { description: x }\nsteps:\n${step}`, "SCH1101 1:1 missing required field 'name' in 'meta'"],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: a }, respond: {} }\n",
      "SCH1103 3:22 'steps[0].match.argv' must be a list, found the string \"a\"",
    ],
    [
      'meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: { exit: "1" } }\n',
      "SCH1103 3:46 'steps[0].respond.exit' must be an integer, found the string \"1\"",
    ],
    [`meta: { name: '  ' }\nsteps:\n${step}`, "RPL8002 1:15 meta: name must be non-empty"],
    ["meta: { name: x }\nsteps: []\n", "RPL8002 2:8 steps must contain at least one step"],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: [] }, respond: {} }\n",
      "RPL8002 3:22 step 0: match: argv must be non-empty",
    ],
    [
      `meta: { name: x }\nsteps:\n${step}  - { match: { argv: [a] }, respond: { exit: 256 } }\n`,
      "RPL8002 4:46 step 1: respond: exit must be in range 0-255",
    ],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: { exit: -1 } }\n",
      "RPL8002 3:46 step 0: respond: exit must be in range 0-255",
    ],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: { stdout: a, stdout_file: b } }\n",
      "RPL8002 3:51 step 0: respond: stdout and stdout_file are mutually exclusive",
    ],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: { stderr: a, stderr_file: b } }\n",
      "RPL8002 3:51 step 0: respond: stderr and stderr_file are mutually exclusive",
    ],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: { capture: { my-id: v } } }\n",
      'RPL8002 3:51 step 0: respond: capture identifier "my-id" must match ^[a-zA-Z_][a-zA-Z0-9_]*$',
    ],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: {}, calls: { min: -1, max: 1 } }\n",
      "RPL8002 3:56 step 0: calls: min must be >= 0, got -1",
    ],
    [
      "meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respond: {}, calls: { max: 0 } }\n",
      "RPL8002 3:56 step 0: calls: max must be >= 1, got 0",
    ],
    [
      `meta: { name: x, security: { deny_env_vars: [A, ''] } }\nsteps:\n${step}`,
      "RPL8002 1:49 meta: security: deny_env_vars[1]: must be non-empty",
    ],
    [
      "meta: { name: x }\nsteps:\n  - group: { mode: ordered, steps: [{ match: { argv: [a] }, respond: {} }] }\n",
      'RPL8002 3:20 step 0: unsupported group mode "ordered": only "unordered" is supported',
    ],
    [
      "meta: { name: x }\nsteps:\n  - group: { mode: unordered, steps: [] }\n",
      "RPL8002 3:38 step 0: group must contain at least one step",
    ],
    [
      "meta: { name: x }\nsteps:\n" +
        step +
        "  - group:\n      mode: unordered\n      steps:\n        - group: { mode: unordered, steps: [] }\n",
      "RPL8002 7:11 step 1: step 0: nested groups are not allowed",
    ],
    [
      "meta: { name: x }\nsteps:\n  - group:\n      mode: unordered\n      steps:\n        - { match: { argv: [a] }, respond: { exit: 300 } }\n",
      "RPL8002 6:52 step 0: step 0: respond: exit must be in range 0-255",
    ],
  ])("should report %j", (yaml, expected) => {
    expect(diagnosticsOf(yaml)).toEqual([expected]);
  });

  it("should suggest the field meant when one is misspelt", () => {
    const parsed = parseScenario(
      new SourceFile("s.yaml", "meta: { name: x }\nsteps:\n  - { match: { argv: [a] }, respnd: {} }\n"),
    );
    expect(parsed.diagnostics.map((d) => [d.code, d.message, d.hint])).toContainEqual([
      "SCH1102",
      "unknown field 'respnd' in 'steps[0]'",
      "did you mean 'respond'?",
    ]);
  });
});

describe("rules beyond the schema", () => {
  const meta = "meta: { name: x }\nsteps:\n";

  it.each([
    [
      `${meta}  - { match: { argv: [a] }, respond: {}, calls: { min: 0 } }\n`,
      "RPL8003 3:49 step 0: calls: max must be >= 1, got 0",
    ],
    [
      `${meta}  - { match: { argv: [a] }, respond: {}, calls: {} }\n`,
      "RPL8003 3:49 step 0: calls: max must be >= 1, got 0",
    ],
    [
      `${meta}  - { match: { argv: [a] }, respond: {}, calls: { min: 5, max: 3 } }\n`,
      "RPL8003 3:49 step 0: calls: min (5) must be <= max (3)",
    ],
    [
      "meta: { name: x, vars: { region: eu } }\nsteps:\n  - { match: { argv: [a] }, respond: { capture: { region: us } } }\n",
      'RPL8004 3:51 step 0: respond: capture identifier "region" conflicts with meta.vars key',
    ],
    [
      meta +
        "  - { match: { argv: [a] }, respond: { stdout: 'id={{ .capture.vm_id }}' } }\n  - { match: { argv: [b] }, respond: { capture: { vm_id: v1 } } }\n",
      'RPL8005 3:48 step 0 references capture "vm_id" first defined at step 1 (forward reference)',
    ],
    [
      meta +
        "  - group: { mode: unordered, steps: [{ match: { argv: [a] }, respond: { stderr: '{{ .capture.x }}' } }, { match: { argv: [b] }, respond: { capture: { x: '1' } } }] }\n",
      'RPL8005 3:82 step 0 references capture "x" first defined at step 1 (forward reference)',
    ],
    [
      `${meta}  - { match: { argv: [a] }, respond: { stdout: '{{ .a' } }\n`,
      "TPL5002 3:48 step 0: respond: stdout: unterminated action: expected '}}' to close '{{', found the end of the text",
    ],
    [
      `${meta}  - { match: { argv: [a] }, respond: { stdout: '{{ printf "%s" .a }}' } }\n`,
      "TPL5007 3:48 step 0: respond: stdout: unknown function 'printf': replay responses have no template functions",
    ],
    [
      `${meta}  - { match: { argv: [a] }, respond: { delay: 5x } }\n`,
      'RPL8006 3:47 step 0: respond: invalid delay "5x": time: unknown unit "x" in duration "5x"',
    ],
    [
      `meta: { name: x, session: { ttl: never } }\nsteps:\n${step}`,
      'RPL8006 1:34 meta: session: invalid ttl "never": time: invalid duration "never"',
    ],
    [
      `meta: { name: x, session: { ttl: 0s } }\nsteps:\n${step}`,
      "RPL8006 1:34 meta: session: ttl must be positive, got 0s",
    ],
    [
      `meta: { name: x, session: { ttl: -5m } }\nsteps:\n${step}`,
      "RPL8006 1:34 meta: session: ttl must be positive, got -5m",
    ],
    [
      `meta: { name: x, security: { deny_env_vars: ['[a'] } }\nsteps:\n${step}`,
      'RPL8009 1:46 meta: security: deny_env_vars[0]: "[a" is not a valid pattern (Go path.Match syntax)',
    ],
  ])("should report %j", (yaml, expected) => {
    expect(diagnosticsOf(yaml)).toEqual([expected]);
  });

  it("should allow a capture used by its own step or by a later one, and one never defined", () => {
    const yaml = `${meta}  - { match: { argv: [a] }, respond: { stdout: '{{ .capture.id }}', capture: { id: '1' } } }
  - { match: { argv: [b] }, respond: { stdout: '{{ .capture.id }} {{ .capture.nowhere }}' } }
`;
    expect(diagnosticsOf(yaml)).toEqual([]);
  });

  it("should point a forward reference at where the capture is first defined", () => {
    const yaml = `${meta}  - { match: { argv: [a] }, respond: { stdout: '{{ .capture.id }}' } }\n  - { match: { argv: [b] }, respond: { capture: { id: '1' } } }\n`;
    const [diagnostic] = parseScenario(new SourceFile("s.yaml", yaml)).diagnostics;
    const related = diagnostic!.related[0]!;
    expect(related.message).toBe("'id' is first captured here, by step 1");
    expect(yaml.slice(related.span.start, related.span.end)).toBe("id");
  });

  it("should warn, not fail, about argv elements that can never match", () => {
    const yaml = `${meta}  - { match: { argv: [/usr/bin/kubectl, '{{ .ns }}', '{{ .regex "(" }}', '{{ .regex "^\\d+$" }}'] }, respond: {} }\n`;
    const parsed = parseScenario(new SourceFile("s.yaml", yaml));
    expect(parsed.scenario).toBeDefined();
    expect(diagnosticsOf(yaml)).toEqual([
      'RPL8008 3:23 step 0: match: argv[0]: "/usr/bin/kubectl" is not a base name: the program called is compared by its base name (no directory, .exe or .cmd), so this step never matches',
      'RPL8008 3:41 step 0: match: argv[1]: "{{ .ns }}" is neither {{ .any }} nor {{ .regex "…" }}, so it matches only this exact text: variables are not rendered into argv',
      'RPL8007 3:54 step 0: match: argv[2]: invalid regex "(": Unterminated group; this argument matches nothing',
    ]);
    expect(parsed.diagnostics[0]!.hint).toBe('write "kubectl"');
  });

  it("should number steps inside a group by their place in the group, as cli-replay does", () => {
    const yaml = `${meta}${step}  - group:\n      mode: unordered\n      steps:\n${step.replace("  -", "        -")}        - { match: { argv: [a] }, respond: { delay: soon } }\n`;
    expect(diagnosticsOf(yaml)).toEqual([
      'RPL8006 8:53 step 1: step 1: respond: invalid delay "soon": time: invalid duration "soon"',
    ]);
  });
});
