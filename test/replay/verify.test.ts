/**
 * verify (docs/replay.md, "Verify"): passes when every step met its min; the text, JSON and JUnit
 * reports byte for byte as cli-replay writes them.
 */
import { describe, expect, it } from "vitest";
import {
  formatVerifyJson,
  formatVerifyJunit,
  formatVerifyText,
  type ReplaySession,
  verifyError,
} from "../../src/runtime/replay/index.js";
import { sessionOf } from "./helpers.js";

const yaml = `meta:
  name: deploy
steps:
  - { match: { argv: [kubectl, get, pods, -n, prod] }, respond: {}, calls: { min: 1, max: 3 } }
  - group:
      mode: unordered
      name: checks
      steps:
        - { match: { argv: [az, account, show] }, respond: {} }
        - { match: { argv: [helm, ls] }, respond: {}, calls: { min: 0, max: 1 } }
  - { match: { argv: [kubectl, apply, -f, '{{ .regex "^app.*" }}'] }, respond: {} }
`;

function played(...calls: string[][]): ReplaySession {
  const session = sessionOf(yaml, { session: "abc123" });
  for (const argv of calls) {
    const answer = session.call(argv);
    if (!answer.ok) throw new Error(answer.message);
  }
  return session;
}

describe("verify result", () => {
  it("should fail while a step has not met its min, and pass once every step has", () => {
    expect(played(["kubectl", "get", "pods", "-n", "prod"]).verify().passed).toBe(false);
    const done = played(
      ["kubectl", "get", "pods", "-n", "prod"],
      ["az", "account", "show"],
      ["kubectl", "apply", "-f", "app.yaml"],
    );
    expect(done.verify()).toMatchObject({
      scenario: "deploy",
      session: "abc123",
      passed: true,
      total_steps: 4,
      consumed_steps: 3,
    });
  });

  it("should not check max", () => {
    const session = played(
      ["kubectl", "get", "pods", "-n", "prod"],
      ["kubectl", "get", "pods", "-n", "prod"],
    );
    expect(session.verify().steps[0]).toMatchObject({ call_count: 2, min: 1, max: 3, passed: true });
  });

  it("should report the session as default when none is given", () => {
    expect(sessionOf(yaml).verify().session).toBe("default");
  });
});

describe("reports", () => {
  const incomplete = played(
    ["kubectl", "get", "pods", "-n", "prod"],
    ["kubectl", "get", "pods", "-n", "prod"],
  ).verify();
  const complete = played(
    ["kubectl", "get", "pods", "-n", "prod"],
    ["az", "account", "show"],
    ["kubectl", "apply", "-f", "app.yaml"],
  ).verify();

  it("should write the text report of an incomplete scenario with every step's count", () => {
    expect(formatVerifyText(incomplete)).toBe(
      [
        '✗ Scenario "deploy" incomplete',
        "  consumed: 1/4 steps",
        "  Step 1: kubectl get — 2 calls (min: 1, max: 3) ✓",
        "  Step 2: az account — 0 calls ✗ needs 1 more",
        "  Step 3: helm ls — 0 calls (min: 0, max: 1) ✓",
        "  Step 4: kubectl apply — 0 calls ✗ needs 1 more",
        "",
      ].join("\n"),
    );
  });

  it("should write the text report of a complete scenario, with counts when a step has calls", () => {
    expect(formatVerifyText(complete)).toBe(
      [
        '✓ Scenario "deploy" completed: 3/4 steps consumed',
        "  Step 1: kubectl get — 1 call (min: 1, max: 3) ✓",
        "  Step 2: az account — 1 call ✓",
        "  Step 3: helm ls — 0 calls (min: 0, max: 1) ✓",
        "  Step 4: kubectl apply — 1 call ✓",
        "",
      ].join("\n"),
    );
    const plain = sessionOf("meta: { name: p }\nsteps:\n  - { match: { argv: [a] }, respond: {} }\n");
    plain.call(["a"]);
    expect(formatVerifyText(plain.verify())).toBe('✓ Scenario "p" completed: 1/1 steps consumed\n');
  });

  it("should write the JSON report on one line with cli-replay's keys", () => {
    expect(formatVerifyJson(incomplete)).toBe(
      `${JSON.stringify({
        scenario: "deploy",
        session: "abc123",
        passed: false,
        total_steps: 4,
        consumed_steps: 1,
        steps: [
          { index: 0, label: "kubectl get pods -n prod", call_count: 2, min: 1, max: 3, passed: true },
          {
            index: 1,
            label: "[group:checks] az account show",
            group: "checks",
            call_count: 0,
            min: 1,
            max: 1,
            passed: false,
          },
          {
            index: 2,
            label: "[group:checks] helm ls",
            group: "checks",
            call_count: 0,
            min: 0,
            max: 1,
            passed: true,
          },
          {
            index: 3,
            label: 'kubectl apply -f {{ .regex "^app.*" }}',
            call_count: 0,
            min: 1,
            max: 1,
            passed: false,
          },
        ],
      })}\n`,
    );
  });

  it("should write the JUnit report with a failure per unmet step and a skip per uncalled optional step", () => {
    expect(formatVerifyJunit(incomplete, "deploy.yaml")).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="cli-replay" tests="4" failures="2" errors="0" time="0.000">',
        '  <testsuite name="deploy" tests="4" failures="2" errors="0" skipped="1" time="0.000">',
        '    <testcase name="step[0]: kubectl get pods -n prod" classname="deploy.yaml" time="0.000"></testcase>',
        '    <testcase name="[group:checks] step[1]: az account show" classname="deploy.yaml" time="0.000">',
        '      <failure message="called 0 times, minimum 1 required" type="VerificationFailure">called 0 times, minimum 1 required</failure>',
        "    </testcase>",
        '    <testcase name="[group:checks] step[2]: helm ls" classname="deploy.yaml" time="0.000">',
        '      <skipped message="optional step (min=0), not called"></skipped>',
        "    </testcase>",
        '    <testcase name="step[3]: kubectl apply -f {{ .regex &#34;^app.*&#34; }}" classname="deploy.yaml" time="0.000">',
        '      <failure message="called 0 times, minimum 1 required" type="VerificationFailure">called 0 times, minimum 1 required</failure>',
        "    </testcase>",
        "  </testsuite>",
        "</testsuites>",
        "",
      ].join("\n"),
    );
  });

  it("should write a timestamp into the JUnit report only when given one", () => {
    expect(formatVerifyJunit(complete, "d.yaml", "2026-04-01T10:00:00Z")).toContain(
      '<testsuite name="deploy" tests="4" failures="0" errors="0" skipped="1" time="0.000" timestamp="2026-04-01T10:00:00Z">',
    );
  });

  it("should write an error result in each format", () => {
    const error = verifyError("deploy", "default", "no state found");
    expect(formatVerifyText(error)).toBe('✗ Scenario "deploy": no state found\n');
    expect(formatVerifyJson(error)).toBe(
      '{"scenario":"deploy","session":"default","passed":false,"total_steps":0,"consumed_steps":0,"error":"no state found","steps":[]}\n',
    );
    expect(formatVerifyJunit(error, "d.yaml")).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="cli-replay" tests="0" failures="0" errors="1" time="0.000">',
        '  <testsuite name="deploy" tests="0" failures="0" errors="1" skipped="0" time="0.000">',
        '    <testcase name="state" classname="d.yaml" time="0.000">',
        '      <failure message="no state found" type="StateError">no state file found for scenario</failure>',
        "    </testcase>",
        "  </testsuite>",
        "</testsuites>",
        "",
      ].join("\n"),
    );
  });
});
