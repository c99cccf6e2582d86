/**
 * Properties of the scenario reader and the replay engine (fast-check): arbitrary and mutated
 * scenarios never make the reader throw and always yield a scenario or diagnostics with spans in
 * the file; a session answers arbitrary calls without throwing, and a refused call leaves the
 * state as it was.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseScenario } from "../../src/frontend/replay/parse-scenario.js";
import { SourceFile } from "../../src/ir/source-file.js";
import { compileRe2 } from "../../src/lang/replay/re2.js";
import { ReplaySession } from "../../src/runtime/replay/index.js";

const SEED = `meta:
  name: demo
  vars: { region: eu }
  security: { allowed_commands: [kubectl, az], deny_env_vars: ["AWS_*"] }
  session: { ttl: 5m }
steps:
  - match: { argv: [kubectl, get, pods, "{{ .any }}", '{{ .regex "^prod-[0-9]+$" }}'], stdin: "a\\n" }
    respond: { exit: 1, stdout: "{{ .region }} {{ .capture.id }}", capture: { id: "7" } }
    calls: { min: 0, max: 2 }
  - group:
      mode: unordered
      name: g
      steps:
        - { match: { argv: [az, login] }, respond: { delay: 1s } }
        - { match: { argv: [kubectl, logs] }, respond: {}, calls: { min: 1, max: 3 } }
  - { match: { argv: [kubectl, apply] }, respond: { stderr: "{{ .capture.id }}" } }
`;

const RUNS = { numRuns: 200, interruptAfterTimeLimit: 8_000 };

function read(text: string) {
  const source = new SourceFile("s.yaml", text);
  const parsed = parseScenario(source);
  expect(parsed.scenario !== undefined || parsed.diagnostics.length > 0).toBe(true);
  for (const d of parsed.diagnostics) {
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.start).toBeLessThanOrEqual(d.span.end);
    expect(d.span.end).toBeLessThanOrEqual(text.length);
  }
  return parsed.scenario;
}

const mutated = fc
  .array(
    fc.tuple(
      fc.nat(),
      fc.nat({ max: 8 }),
      fc.constantFrom(
        "",
        " ",
        "\n",
        "-",
        ":",
        "{",
        "}",
        "[",
        "]",
        "'",
        '"',
        "{{",
        "}}",
        "0",
        "group",
        "calls",
        "min: 3",
      ),
    ),
    {
      maxLength: 6,
    },
  )
  .map((edits) => {
    let text = SEED;
    for (const [at, remove, insert] of edits) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + insert + text.slice(i + remove);
    }
    return text;
  });

const argv = fc.array(
  fc.constantFrom(
    "kubectl",
    "/usr/bin/kubectl",
    "az",
    "get",
    "pods",
    "login",
    "logs",
    "apply",
    "prod-1",
    "x",
    "",
  ),
  {
    maxLength: 6,
  },
);

describe("scenario reader", () => {
  it("should never throw on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => void read(text)),
      RUNS,
    );
  });

  it("should never throw on a mutated scenario", () => {
    fc.assert(
      fc.property(mutated, (text) => void read(text)),
      RUNS,
    );
  });
});

describe("replay session", () => {
  it("should answer arbitrary calls on arbitrary scenarios without throwing, changing nothing on a refusal", () => {
    fc.assert(
      fc.property(
        mutated,
        fc.array(fc.tuple(argv, fc.option(fc.constantFrom("a", "a\r\n", "b")))),
        (text, calls) => {
          const scenario = read(text);
          if (scenario === undefined) return;
          const session = new ReplaySession(scenario, {
            baseDir: "/nonexistent",
            env: { region: "us", AWS_X: "1" },
          });
          for (const [args, stdin] of calls) {
            const before = session.state;
            const answer = session.call(args, stdin ?? undefined);
            if (!answer.ok) expect(session.state).toEqual(before);
            else expect(session.state.counts[answer.step]).toBe((before.counts[answer.step] ?? 0) + 1);
          }
          session.verify();
        },
      ),
      RUNS,
    );
  });

  it("should never throw while translating an arbitrary RE2 pattern", () => {
    const pieces = fc.constantFrom(
      "a",
      "\\",
      "(",
      ")",
      "[",
      "]",
      "{",
      "}",
      "?",
      "*",
      "+",
      "^",
      "$",
      ".",
      "|",
      ":",
      "-",
      "P",
      "<",
      ">",
      "Q",
      "E",
      "p",
      "x",
      "1",
      "z",
      "A",
      "i",
      "s",
      "U",
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const result = compileRe2(parts.join(""));
        if (result.ok) result.regex.test("a(b)[c]{1}");
      }),
      RUNS,
    );
  });
});
