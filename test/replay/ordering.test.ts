/**
 * The replay engine's ordering rules (docs/replay.md, "Ordering"), case by case: strict order,
 * exhaustion, the one-step lookahead, call bounds and their defaults, unordered groups, the end
 * of the scenario, and resuming from a saved state.
 */
import { describe, expect, it } from "vitest";
import { ReplaySession } from "../../src/runtime/replay/index.js";
import { answers, readScenario, sessionOf, yamlOf } from "./helpers.js";

const step = (argv: string, extra = ""): string =>
  `{ match: { argv: [${argv}] }, respond: { stdout: "${argv}" }${extra} }`;

describe("strict order", () => {
  const yaml = yamlOf(step("a"), step("b"), step("c"));

  it("should answer the steps in file order when the calls come in that order", () => {
    expect(answers(sessionOf(yaml), [["a"], ["b"], ["c"]])).toEqual([0, 1, 2]);
  });

  it("should fail with RPL8101 and not advance when a call comes out of order", () => {
    const session = sessionOf(yaml);
    expect(answers(session, [["b"], ["a"], ["c"], ["b"], ["c"]])).toEqual(["RPL8101", 0, "RPL8101", 1, 2]);
  });

  it("should fail with RPL8104 for every call after the last step when the scenario is consumed", () => {
    expect(answers(sessionOf(yaml), [["a"], ["b"], ["c"], ["a"], ["c"]])).toEqual([
      0,
      1,
      2,
      "RPL8104",
      "RPL8104",
    ]);
  });

  it("should return the step's label, exit code and output when a call matches", () => {
    const session = sessionOf(
      yamlOf('{ match: { argv: [kubectl, get, pods] }, respond: { exit: 3, stdout: "o", stderr: "e" } }'),
    );
    expect(session.call(["kubectl", "get", "pods"])).toEqual({
      ok: true,
      step: 0,
      label: "kubectl get pods",
      exit: 3,
      stdout: "o",
      stderr: "e",
    });
  });

  it("should default exit to 0 and the output to empty when respond says nothing", () => {
    const session = sessionOf(yamlOf("{ match: { argv: [a] }, respond: {} }"));
    expect(session.call(["a"])).toMatchObject({ ok: true, exit: 0, stdout: "", stderr: "" });
  });
});

describe("call bounds", () => {
  it("should answer a step exactly once when it has no calls block", () => {
    expect(answers(sessionOf(yamlOf(step("a"), step("b"))), [["a"], ["a"]])).toEqual([0, "RPL8101"]);
  });

  it("should answer a step up to max times and then move on", () => {
    const session = sessionOf(yamlOf(step("poll", ", calls: { min: 1, max: 3 }"), step("done")));
    expect(answers(session, [["poll"], ["poll"], ["poll"], ["poll"]])).toEqual([0, 0, 0, "RPL8101"]);
    expect(answers(session, [["done"]])).toEqual([1]);
  });

  it("should read max as min when max is omitted and min > 0", () => {
    const session = sessionOf(yamlOf(step("a", ", calls: { min: 2 }"), step("b")));
    expect(answers(session, [["a"], ["b"], ["a"], ["a"], ["b"]])).toEqual([0, "RPL8101", 0, "RPL8101", 1]);
  });

  it("should read min as 0 when a calls block gives only max, so the step may be skipped", () => {
    const session = sessionOf(yamlOf(step("a", ", calls: { max: 2 }"), step("b")));
    expect(answers(session, [["b"]])).toEqual([1]);
    expect(session.verify().passed).toBe(true);
  });

  it("should let an optional step (min 0) be skipped and still be called when it comes", () => {
    const yaml = yamlOf(step("a"), step("opt", ", calls: { min: 0, max: 1 }"), step("c"));
    expect(answers(sessionOf(yaml), [["a"], ["c"]])).toEqual([0, 2]);
    expect(answers(sessionOf(yaml), [["a"], ["opt"], ["c"]])).toEqual([0, 1, 2]);
  });

  it("should not skip a step whose min is not met, even when the next step matches", () => {
    const session = sessionOf(yamlOf(step("a", ", calls: { min: 2, max: 5 }"), step("b")));
    expect(answers(session, [["a"], ["b"], ["a"], ["b"]])).toEqual([0, "RPL8101", 0, 1]);
  });
});

describe("lookahead", () => {
  it("should try the next step when the current one has met its min and does not match", () => {
    const session = sessionOf(yamlOf(step("poll", ", calls: { min: 1, max: 5 }"), step("next")));
    expect(answers(session, [["poll"], ["next"]])).toEqual([0, 1]);
  });

  it("should look one step ahead only, never two", () => {
    const yaml = yamlOf(
      step("a", ", calls: { min: 0, max: 1 }"),
      step("b", ", calls: { min: 0, max: 1 }"),
      step("c"),
    );
    expect(answers(sessionOf(yaml), [["c"]])).toEqual(["RPL8101"]);
    expect(answers(sessionOf(yaml), [["b"], ["c"]])).toEqual([1, 2]);
  });

  it("should never go back to a step skipped by the lookahead", () => {
    const yaml = yamlOf(step("a", ", calls: { min: 0, max: 1 }"), step("b"), step("c"));
    expect(answers(sessionOf(yaml), [["b"], ["a"], ["c"]])).toEqual([1, "RPL8101", 2]);
  });

  it("should try every member of the next group when the next step is a group", () => {
    const yaml = yamlOf(
      step("a", ", calls: { min: 0, max: 1 }"),
      `{ group: { mode: unordered, steps: [${step("x")}, ${step("y")}] } }`,
      step("z"),
    );
    expect(answers(sessionOf(yaml), [["y"], ["x"], ["z"]])).toEqual([2, 1, 3]);
  });

  it("should not advance when the lookahead fails too", () => {
    const session = sessionOf(yamlOf(step("a", ", calls: { min: 0, max: 1 }"), step("b")));
    expect(answers(session, [["c"], ["a"], ["b"]])).toEqual(["RPL8101", 0, 1]);
  });
});

describe("unordered groups", () => {
  const group = (...members: string[]): string =>
    `{ group: { mode: unordered, name: pre, steps: [${members.join(", ")}] } }`;

  it("should accept the members in any order", () => {
    const yaml = yamlOf(group(step("x"), step("y"), step("z")), step("after"));
    expect(answers(sessionOf(yaml), [["z"], ["x"], ["y"], ["after"]])).toEqual([2, 0, 1, 3]);
  });

  it("should give a call to the first member in file order that has calls left and matches", () => {
    const yaml = yamlOf(
      group(`{ match: { argv: [get, "{{ .any }}"] }, respond: {} }`, step("get, pods")),
      step("after"),
    );
    expect(
      answers(sessionOf(yaml), [
        ["get", "pods"],
        ["get", "pods"],
      ]),
    ).toEqual([0, 1]);
  });

  it("should fail with RPL8102 and not advance when no member matches and a min is not met", () => {
    const yaml = yamlOf(group(step("x"), step("y")), step("after"));
    expect(answers(sessionOf(yaml), [["x"], ["after"], ["y"], ["after"]])).toEqual([0, "RPL8102", 1, 2]);
  });

  it("should leave the group for the step right after it when every member met its min", () => {
    const yaml = yamlOf(
      group(step("x", ", calls: { min: 1, max: 3 }"), step("y", ", calls: { min: 0, max: 1 }")),
      step("after"),
    );
    expect(answers(sessionOf(yaml), [["x"], ["after"]])).toEqual([0, 2]);
  });

  it("should try only the step right after the group when leaving it", () => {
    const yaml = yamlOf(
      group(step("x", ", calls: { min: 1, max: 2 }")),
      step("opt", ", calls: { min: 0, max: 1 }"),
      step("last"),
    );
    expect(answers(sessionOf(yaml), [["x"], ["last"], ["opt"], ["last"]])).toEqual([0, "RPL8101", 1, 2]);
  });

  it("should not re-enter a group once it was left", () => {
    const yaml = yamlOf(
      group(step("x", ", calls: { min: 1, max: 3 }")),
      step("after", ", calls: { min: 1, max: 2 }"),
    );
    expect(answers(sessionOf(yaml), [["x"], ["after"], ["x"]])).toEqual([0, 1, "RPL8101"]);
  });

  it("should move past a group whose members all reached max", () => {
    const yaml = yamlOf(group(step("x"), step("y")), group(step("p"), step("q")));
    expect(answers(sessionOf(yaml), [["y"], ["x"], ["q"], ["p"], ["p"]])).toEqual([1, 0, 3, 2, "RPL8104"]);
  });

  it("should report the scenario complete when a final group is left with no step after it", () => {
    const yaml = yamlOf(group(step("x"), step("y", ", calls: { min: 0, max: 1 }")));
    expect(answers(sessionOf(yaml), [["x"], ["zzz"]])).toEqual([0, "RPL8104"]);
  });

  it("should name an unnamed group group-N, counting every group from 1", () => {
    const yaml = yamlOf(
      `{ group: { mode: unordered, name: first, steps: [${step("x")}] } }`,
      `{ group: { mode: unordered, steps: [${step("y")}] } }`,
    );
    const labels = sessionOf(yaml)
      .verify()
      .steps.map((s) => s.label);
    expect(labels).toEqual(["[group:first] x", "[group:group-2] y"]);
  });
});

describe("argv[0]", () => {
  it("should compare the received program by its base name, without .exe or .cmd", () => {
    const yaml = yamlOf(step("kubectl, get"), step("az, login"), step("helm, ls"));
    expect(
      answers(sessionOf(yaml), [
        ["/usr/local/bin/kubectl", "get"],
        ["C:\\tools\\az.cmd", "login"],
        ["helm.exe", "ls"],
      ]),
    ).toEqual([0, 1, 2]);
  });

  it("should not reduce the other arguments", () => {
    const session = sessionOf(yamlOf(step("cat, file")));
    expect(session.call(["cat", "/dir/file"])).toMatchObject({ ok: false, code: "RPL8101" });
  });
});

describe("state", () => {
  const yaml = yamlOf(
    step("a", ", calls: { min: 1, max: 2 }"),
    `{ match: { argv: [b] }, respond: { capture: { id: "42" } } }`,
    step("c"),
  );

  it("should start with zero counts and no captures", () => {
    expect(sessionOf(yaml).state).toEqual({ counts: [0, 0, 0], captures: {} });
  });

  it("should count calls and keep captures in a JSON-serialisable state", () => {
    const session = sessionOf(yaml);
    answers(session, [["a"], ["a"], ["b"]]);
    expect(JSON.parse(JSON.stringify(session.state))).toEqual({ counts: [2, 1, 0], captures: { id: "42" } });
  });

  it("should resume where a saved state left off, as if the calls had been made in this session", () => {
    const first = sessionOf(yaml);
    answers(first, [["a"]]);
    const resumed = new ReplaySession(readScenario(yaml), {
      baseDir: "/",
      state: JSON.parse(JSON.stringify(first.state)),
    });
    expect(answers(resumed, [["a"], ["b"], ["a"], ["c"]])).toEqual([0, 1, "RPL8101", 2]);
  });

  it("should resume inside a group at the group, whichever member was called last", () => {
    const grouped = yamlOf(
      `{ group: { mode: unordered, steps: [${step("x")}, ${step("y")}, ${step("z")}] } }`,
      step("after"),
    );
    const first = sessionOf(grouped);
    answers(first, [["z"]]);
    const resumed = new ReplaySession(readScenario(grouped), { baseDir: "/", state: first.state });
    expect(answers(resumed, [["x"], ["y"], ["after"]])).toEqual([0, 1, 3]);
  });

  it("should not change the state when a call fails", () => {
    const session = sessionOf(yaml);
    answers(session, [["a"]]);
    const before = session.state;
    answers(session, [["nope"], ["c"]]);
    expect(session.state).toEqual(before);
  });

  it("should hand out copies, so that changing one does not change the session", () => {
    const session = sessionOf(yaml);
    const state = session.state as unknown as { counts: number[] };
    state.counts[0] = 2;
    expect(session.state.counts).toEqual([0, 0, 0]);
  });

  it.each([
    [{ counts: [0, 0], captures: {} }, "it counts 2 steps, the scenario has 3"],
    [{ counts: [3, 0, 0], captures: {} }, "step 0 was called 3 times, more than its max 2"],
    [{ counts: [0, -1, 0], captures: {} }, "counts[1] is not a count"],
    [{ counts: [0, 0, 0], captures: { id: 1 } }, 'capture "id" is not a string'],
    [{ counts: [0, 0, 0] }, "captures is not a mapping"],
  ])("should fail every call with RPL8108 when the state to resume does not fit (%j)", (state, why) => {
    const session = new ReplaySession(readScenario(yaml), { baseDir: "/", state: state as never });
    expect(session.call(["a"])).toEqual({
      ok: false,
      code: "RPL8108",
      message: `the replay state does not fit scenario "demo": ${why}`,
    });
    expect(session.verify()).toMatchObject({
      passed: false,
      error: `the replay state does not fit scenario "demo": ${why}`,
    });
  });
});
