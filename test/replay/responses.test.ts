/**
 * What a matched call returns and what it needs besides argv (docs/replay.md): `match.stdin`,
 * response templates over vars (with environment overrides and deny_env_vars) and captures,
 * response files relative to the scenario, and failures that leave the state alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_STDIN_BYTES } from "../../src/runtime/replay/index.js";
import { sessionOf, yamlOf } from "./helpers.js";

describe("stdin", () => {
  const yaml = yamlOf(
    '{ match: { argv: [kubectl, apply, -f, "-"], stdin: "kind: Pod\\nname: x\\n" }, respond: { stdout: applied } }',
    "{ match: { argv: [done] }, respond: {} }",
  );

  it("should match equal stdin", () => {
    expect(sessionOf(yaml).call(["kubectl", "apply", "-f", "-"], "kind: Pod\nname: x\n")).toMatchObject({
      ok: true,
      stdout: "applied",
    });
  });

  it("should read CRLF as LF and ignore trailing newlines on both sides", () => {
    expect(sessionOf(yaml).call(["kubectl", "apply", "-f", "-"], "kind: Pod\r\nname: x")).toMatchObject({
      ok: true,
    });
    expect(sessionOf(yaml).call(["kubectl", "apply", "-f", "-"], "kind: Pod\nname: x\n\n\n")).toMatchObject({
      ok: true,
    });
  });

  it("should fail with RPL8103 and not advance when stdin differs", () => {
    const session = sessionOf(yaml);
    expect(session.call(["kubectl", "apply", "-f", "-"], "kind: Service\n")).toMatchObject({
      ok: false,
      code: "RPL8103",
      step: 0,
    });
    expect(session.call(["kubectl", "apply", "-f", "-"])).toMatchObject({ ok: false, code: "RPL8103" });
    expect(session.state.counts).toEqual([0, 0]);
    expect(session.call(["kubectl", "apply", "-f", "-"], "kind: Pod\nname: x")).toMatchObject({ ok: true });
  });

  it("should ignore stdin when the step expects none", () => {
    expect(sessionOf(yaml).call(["kubectl", "apply", "-f", "-"], "kind: Pod\nname: x")).toMatchObject({
      ok: true,
    });
    const plain = sessionOf(yamlOf("{ match: { argv: [a] }, respond: {} }"));
    expect(plain.call(["a"], "whatever")).toMatchObject({ ok: true });
  });

  it("should compare only the first MiB of stdin", () => {
    const big = "x".repeat(MAX_STDIN_BYTES);
    const session = sessionOf(yamlOf(`{ match: { argv: [cat], stdin: "${big}" }, respond: {} }`));
    expect(session.call(["cat"], `${big}and more`)).toMatchObject({ ok: true });
  });
});

describe("captures", () => {
  const yaml = yamlOf(
    '{ match: { argv: [az, group, create] }, respond: { stdout: "{\\"id\\": \\"rg-1\\"}", capture: { rg_id: rg-1, rg_name: demo } } }',
    '{ match: { argv: [az, vm, create] }, respond: { stdout: "in {{ .capture.rg_name }} ({{ .capture.rg_id }}){{ .capture.later }}", capture: { rg_id: rg-2 } } }',
    '{ match: { argv: [az, vm, show] }, respond: { stderr: "rg={{ .capture.rg_id }}" } }',
  );

  it("should render captures of earlier steps and an unknown capture as empty", () => {
    const session = sessionOf(yaml);
    expect(session.call(["az", "group", "create"])).toMatchObject({ ok: true, stdout: '{"id": "rg-1"}' });
    expect(session.call(["az", "vm", "create"])).toMatchObject({ ok: true, stdout: "in demo (rg-1)" });
  });

  it("should merge a step's captures after its own response, later values replacing earlier ones", () => {
    const session = sessionOf(yaml);
    session.call(["az", "group", "create"]);
    session.call(["az", "vm", "create"]);
    expect(session.call(["az", "vm", "show"])).toMatchObject({ ok: true, stderr: "rg=rg-2" });
    expect(session.state.captures).toEqual({ rg_id: "rg-2", rg_name: "demo" });
  });
});

describe("vars", () => {
  const yaml = `meta:
  name: demo
  vars: { region: eastus, cluster: dev, AWS_PROFILE: default }
  security: { deny_env_vars: ["AWS_*"] }
steps:
  - match: { argv: [az, show] }
    respond: { stdout: "{{ .region }}/{{ .cluster }}/{{ .AWS_PROFILE }}/{{ .unknown }}/{{ .HOME }}" }
`;

  it("should render meta.vars, and a missing var as empty", () => {
    expect(sessionOf(yaml).call(["az", "show"])).toMatchObject({ ok: true, stdout: "eastus/dev/default//" });
  });

  it("should let a non-empty environment variable override a var, but add no new key", () => {
    const env = { region: "westus", cluster: "", HOME: "/root" };
    expect(sessionOf(yaml, { env }).call(["az", "show"])).toMatchObject({ stdout: "westus/dev/default//" });
  });

  it("should keep the meta.vars value of a variable deny_env_vars denies", () => {
    const env = { AWS_PROFILE: "prod-admin", region: "westus" };
    expect(sessionOf(yaml, { env }).call(["az", "show"])).toMatchObject({ stdout: "westus/dev/default//" });
  });

  it("should match deny patterns case-sensitively, as Go's path.Match does", () => {
    const lower = yaml.replace('["AWS_*"]', '["aws_*"]');
    expect(sessionOf(lower, { env: { AWS_PROFILE: "prod" } }).call(["az", "show"])).toMatchObject({
      stdout: "eastus/dev/prod//",
    });
  });

  it("should read nothing from the process environment it is not given", () => {
    process.env.region = "from-process";
    try {
      expect(sessionOf(yaml).call(["az", "show"])).toMatchObject({ stdout: "eastus/dev/default//" });
    } finally {
      delete process.env.region;
    }
  });
});

describe("response files", () => {
  const dir = mkdtempSync(join(tmpdir(), "replay-files-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "pods.txt"), "pod-1 in {{ .ns }}\n");
  writeFileSync(join(dir, "bad.txt"), "{{ .ns");

  const yaml = `meta: { name: demo, vars: { ns: prod } }
steps:
  - { match: { argv: [kubectl, get, pods] }, respond: { stdout_file: pods.txt, stderr: warn } }
  - { match: { argv: [kubectl, get, svc] }, respond: { stderr_file: missing.txt } }
  - { match: { argv: [kubectl, get, ns] }, respond: { stdout_file: bad.txt } }
`;

  it("should read stdout_file relative to the base dir and render it as a template", () => {
    expect(sessionOf(yaml, { baseDir: dir }).call(["kubectl", "get", "pods"])).toMatchObject({
      ok: true,
      stdout: "pod-1 in prod\n",
      stderr: "warn",
    });
  });

  it("should fail with RPL8106 and not advance when a response file cannot be read", () => {
    const session = sessionOf(yaml, { baseDir: dir });
    session.call(["kubectl", "get", "pods"]);
    expect(session.call(["kubectl", "get", "svc"])).toEqual({
      ok: false,
      code: "RPL8106",
      message: 'step 1: failed to read stderr_file "missing.txt": no such file',
      step: 1,
    });
    expect(session.state.counts).toEqual([1, 0, 0]);
  });

  it("should fail with RPL8107 when a response file is not a valid template", () => {
    const session = sessionOf(yaml.replace("stderr_file: missing.txt", "stderr: ok"), { baseDir: dir });
    session.call(["kubectl", "get", "pods"]);
    session.call(["kubectl", "get", "svc"]);
    expect(session.call(["kubectl", "get", "ns"])).toEqual({
      ok: false,
      code: "RPL8107",
      message:
        "step 2: failed to render stdout template: unterminated action: expected '}}' to close '{{', found the end of the text",
      step: 2,
    });
  });
});
