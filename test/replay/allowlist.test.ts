/**
 * The allowlist (docs/replay.md, "Allowlist"): the scenario's list, the caller's, or their
 * intersection; an empty intersection allows nothing (cli-replay would allow everything).
 */
import { describe, expect, it } from "vitest";
import { checkScenarioAllowlist, effectiveAllowlist, ReplaySession } from "../../src/runtime/replay/index.js";
import { readScenario } from "./helpers.js";

const yaml = (allowed?: string): string => `meta:
  name: demo${allowed === undefined ? "" : `\n  security: { allowed_commands: ${allowed} }`}
steps:
  - { match: { argv: [kubectl, get, pods] }, respond: {} }
  - { match: { argv: [az, login] }, respond: {} }
`;

describe("effective allowlist", () => {
  it.each([
    [undefined, undefined, undefined],
    [[], [], undefined],
    [["kubectl"], undefined, ["kubectl"]],
    [undefined, ["az"], ["az"]],
    [["kubectl", "az"], ["az", "helm"], ["az"]],
    [["kubectl"], ["az"], []],
  ])("should combine %j and %j into %j", (yamlList, cliList, expected) => {
    expect(effectiveAllowlist(yamlList, cliList)).toEqual(expected);
  });
});

describe("checkScenarioAllowlist", () => {
  it("should allow everything when neither list is given", () => {
    expect(checkScenarioAllowlist(readScenario(yaml()))).toBeUndefined();
  });

  it("should allow a scenario whose programs are all in the intersection", () => {
    expect(
      checkScenarioAllowlist(readScenario(yaml("[kubectl, az, helm]")), ["az", "kubectl"]),
    ).toBeUndefined();
  });

  it("should name the first step whose program is not allowed", () => {
    expect(checkScenarioAllowlist(readScenario(yaml("[kubectl]")))).toEqual({
      ok: false,
      code: "RPL8105",
      step: 1,
      message: [
        'command "az" is not in the allowed commands list: [kubectl]',
        "  Scenario: demo",
        "  Step 2: [az login]",
      ].join("\n"),
    });
  });

  it("should fail closed when the two lists have no command in common", () => {
    expect(checkScenarioAllowlist(readScenario(yaml("[kubectl, az]")), ["helm"])).toEqual({
      ok: false,
      code: "RPL8105",
      step: 0,
      message: [
        'command "kubectl" is not in the allowed commands list: []',
        "  Scenario: demo",
        "  Step 1: [kubectl get pods]",
        "  Note: security.allowed_commands [kubectl az] and the allowed commands given [helm] have no command in common, so none is allowed",
      ].join("\n"),
    });
  });
});

describe("a session with an allowlist", () => {
  it("should refuse every call when the scenario has a program the allowlist does not allow", () => {
    const session = new ReplaySession(readScenario(yaml()), { baseDir: "/", allowedCommands: ["kubectl"] });
    expect(session.call(["kubectl", "get", "pods"])).toMatchObject({ ok: false, code: "RPL8105", step: 1 });
    expect(session.state.counts).toEqual([0, 0]);
  });

  it("should refuse a received program outside the allowlist before matching", () => {
    const session = new ReplaySession(readScenario(yaml("[kubectl, az]")), { baseDir: "/" });
    expect(session.call(["/bin/rm", "-rf", "/"])).toEqual({
      ok: false,
      code: "RPL8105",
      message: 'command "rm" is not in the allowed commands list: [kubectl az]\n  Scenario: demo',
    });
    expect(session.call(["kubectl", "get", "pods"])).toMatchObject({ ok: true });
  });
});
