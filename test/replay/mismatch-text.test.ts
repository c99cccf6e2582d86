/**
 * The text users see when a call is refused, exactly (docs/replay.md, "Diagnostics"): cli-replay's
 * layout, steps numbered from 1, no trailing newline.
 */
import { describe, expect, it } from "vitest";
import type { ReplayFailure } from "../../src/runtime/replay/index.js";
import { sessionOf } from "./helpers.js";

const scenario = (...steps: string[]): string =>
  `meta:\n  name: name\nsteps:\n${steps.map((s) => `  - ${s}`).join("\n")}\n`;

function failure(yaml: string, calls: readonly (readonly string[])[], stdin?: string): ReplayFailure {
  const session = sessionOf(yaml);
  for (const argv of calls.slice(0, -1)) {
    const answer = session.call(argv);
    if (!answer.ok) throw new Error(answer.message);
  }
  const last = session.call(calls.at(-1)!, stdin);
  if (last.ok) throw new Error("the last call was answered");
  return last;
}

describe("argv mismatch (RPL8101)", () => {
  it("should show the first difference of a regex element as pattern and value", () => {
    const yaml = scenario(
      "{ match: { argv: [kubectl, version] }, respond: {} }",
      `{ match: { argv: [kubectl, get, pods, -n, '{{ .regex "^prod-.*" }}'] }, respond: {} }`,
    );
    expect(
      failure(yaml, [
        ["kubectl", "version"],
        ["kubectl", "get", "pods", "-n", "staging-app"],
      ]),
    ).toEqual({
      ok: false,
      code: "RPL8101",
      step: 1,
      message: [
        'Mismatch at step 2 of "name":',
        "",
        '  Expected: [kubectl get pods -n {{ .regex "^prod-.*" }}]',
        "  Received: [kubectl get pods -n staging-app]",
        "",
        "  First difference at position 4:",
        "    expected pattern: ^prod-.*",
        "    received value:   staging-app",
      ].join("\n"),
    });
  });

  it("should show a literal difference as expected and received", () => {
    const yaml = scenario("{ match: { argv: [kubectl, get, pods] }, respond: {} }");
    expect(failure(yaml, [["/usr/bin/kubectl", "get", "svc"]]).message).toBe(
      [
        'Mismatch at step 1 of "name":',
        "",
        "  Expected: [kubectl get pods]",
        "  Received: [kubectl get svc]",
        "",
        "  First difference at position 2:",
        "    expected: pods",
        "    received: svc",
      ].join("\n"),
    );
  });

  it("should list the extra arguments, at most 5, when the call is longer", () => {
    const yaml = scenario("{ match: { argv: [ls] }, respond: {} }");
    expect(failure(yaml, [["ls", "-l", "-a", "b c", "d", "e", "f", "g"]]).message).toBe(
      [
        'Mismatch at step 1 of "name":',
        "",
        "  Expected: [ls]  (1 args)",
        "  Received: [ls -l -a b c d e f g]  (8 args)",
        "",
        "  Extra arguments starting at position 1:",
        '    [1]: "-l"',
        '    [2]: "-a"',
        '    [3]: "b c"',
        '    [4]: "d"',
        '    [5]: "e"',
        "    ...+2 more",
      ].join("\n"),
    );
  });

  it("should list the missing arguments when the call is shorter", () => {
    const yaml = scenario('{ match: { argv: [git, commit, -m, "{{ .any }}"] }, respond: {} }');
    expect(failure(yaml, [["git", "commit"]]).message).toBe(
      [
        'Mismatch at step 1 of "name":',
        "",
        "  Expected: [git commit -m {{ .any }}]  (4 args)",
        "  Received: [git commit]  (2 args)",
        "",
        "  Missing arguments starting at position 2:",
        '    [2]: "-m"',
        '    [3]: "{{ .any }}"',
      ].join("\n"),
    );
  });

  it("should show an element difference before a length difference", () => {
    const yaml = scenario("{ match: { argv: [a, b, c] }, respond: {} }");
    expect(failure(yaml, [["a", "x"]]).message).toBe(
      [
        'Mismatch at step 1 of "name":',
        "",
        "  Expected: [a b c]  (3 args)",
        "  Received: [a x]  (2 args)",
        "",
        "  First difference at position 1:",
        "    expected: b",
        "    received: x",
      ].join("\n"),
    );
  });

  it("should cut an argv longer than 12 elements", () => {
    const many = Array.from({ length: 14 }, (_, i) => `a${i}`);
    const yaml = scenario(`{ match: { argv: [${many.join(", ")}] }, respond: {} }`);
    const message = failure(yaml, [[...many.slice(0, 13), "z"]]).message;
    expect(message.split("\n").slice(2, 4)).toEqual([
      "  Expected: [a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11]  ...+2 more",
      "  Received: [a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11]  ...+2 more",
    ]);
  });

  it("should add a note naming the next step when the lookahead failed too", () => {
    const yaml = scenario(
      "{ match: { argv: [kubectl, get, pods] }, respond: {}, calls: { min: 1, max: 3 } }",
      "{ match: { argv: [kubectl, apply, -f, app.yaml] }, respond: {} }",
    );
    expect(
      failure(yaml, [
        ["kubectl", "get", "pods"],
        ["kubectl", "delete", "pod"],
      ]).message,
    ).toBe(
      [
        'Mismatch at step 1 of "name":',
        "",
        "  Expected: [kubectl get pods]",
        "  Received: [kubectl delete pod]",
        "",
        "  First difference at position 1:",
        "    expected: get",
        "    received: delete",
        "",
        "  Note: step 1 min count was satisfied, tried advancing to step 2:",
        "    Next expected: [kubectl apply -f app.yaml]",
        "    Neither step matched the received command.",
      ].join("\n"),
    );
  });

  it("should list the next group's candidates when the lookahead tried a group", () => {
    const yaml = scenario(
      "{ match: { argv: [login] }, respond: {}, calls: { min: 0, max: 1 } }",
      "{ group: { mode: unordered, name: checks, steps: [{ match: { argv: [az, account, show] }, respond: {} }, { match: { argv: [kubectl, get, nodes] }, respond: {} }] } }",
    );
    expect(failure(yaml, [["kubectl", "get", "pods"]]).message).toBe(
      [
        'Mismatch at step 1 of "name":',
        "",
        "  Expected: [login]  (1 args)",
        "  Received: [kubectl get pods]  (3 args)",
        "",
        "  First difference at position 0:",
        "    expected: login",
        "    received: kubectl",
        "",
        '  Note: step 1 min count was satisfied, tried advancing to group "checks":',
        "    step 2: [az account show]",
        "    step 3: [kubectl get nodes]",
        "    No step of the group matched the received command.",
      ].join("\n"),
    );
  });

  it("should say so when the step after a group was tried because the group could be left", () => {
    const yaml = scenario(
      "{ group: { mode: unordered, name: checks, steps: [{ match: { argv: [a] }, respond: {}, calls: { min: 1, max: 2 } }] } }",
      "{ match: { argv: [b] }, respond: {} }",
    );
    expect(failure(yaml, [["a"], ["c"]])).toEqual({
      ok: false,
      code: "RPL8101",
      step: 1,
      message: [
        'Mismatch at step 2 of "name":',
        "",
        "  Expected: [b]",
        "  Received: [c]",
        "",
        "  First difference at position 0:",
        "    expected: b",
        "    received: c",
        "",
        '  Note: no step of group "checks" matched and every step of the group had met its min count,',
        "    so the step after the group was tried.",
      ].join("\n"),
    });
  });
});

describe("other failures", () => {
  it("should list the group's candidates with calls left (RPL8102)", () => {
    const yaml = scenario(
      "{ match: { argv: [start] }, respond: {} }",
      "{ group: { mode: unordered, name: pre-flight, steps: [{ match: { argv: [az, account, show] }, respond: {} }, { match: { argv: [kubectl, get, nodes] }, respond: {} }, { match: { argv: [helm, ls] }, respond: {} }] } }",
    );
    expect(failure(yaml, [["start"], ["helm", "ls"], ["kubectl", "get", "svc"]])).toEqual({
      ok: false,
      code: "RPL8102",
      step: 1,
      message: [
        'No match in group "pre-flight" of "name":',
        "",
        "  Received: [kubectl get svc]",
        "",
        "  Candidates (steps of the group with calls left):",
        "    step 2: [az account show]",
        "    step 3: [kubectl get nodes]",
      ].join("\n"),
    });
  });

  it("should show both inputs when stdin differs (RPL8103)", () => {
    const yaml = scenario(
      '{ match: { argv: [kubectl, apply, -f, "-"], stdin: "kind: Pod\\nname: a" }, respond: {} }',
    );
    expect(failure(yaml, [["kubectl", "apply", "-f", "-"]], "kind: Pod\nname: b\n")).toEqual({
      ok: false,
      code: "RPL8103",
      step: 0,
      message: [
        'Mismatch at step 1 of "name":',
        "",
        "  argv matched, stdin mismatch:",
        "    expected (first 200 chars):",
        "      kind: Pod",
        "      name: a",
        "    received (first 200 chars):",
        "      kind: Pod",
        "      name: b",
        "      ",
      ].join("\n"),
    });
  });

  it("should say the scenario is complete after the last step (RPL8104)", () => {
    const yaml = scenario("{ match: { argv: [a] }, respond: {} }", "{ match: { argv: [b] }, respond: {} }");
    expect(failure(yaml, [["a"], ["b"], ["a"]])).toEqual({
      ok: false,
      code: "RPL8104",
      message: 'scenario "name" already complete (all 2 steps consumed)',
    });
  });
});
