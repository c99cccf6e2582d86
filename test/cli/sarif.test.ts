/**
 * `--format sarif` for check and compile, validated against the SARIF 2.1.0 JSON Schema (the
 * copy @microsoft/jest-sarif ships), and `--max-warnings N`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import AjvDraft04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";
import type { Log } from "sarif";
import { describe, expect, it } from "vitest";
import { githubSlug, sarifLog } from "../../src/cli/sarif.js";
import { makeDiagnostic } from "../../src/ir/diagnostic.js";
import { Diagnostics } from "../../src/ir/diagnostic-catalogue.js";
import { sourceLookup } from "../../src/ir/print-diagnostics.js";
import { SourceFile } from "../../src/ir/source-file.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

const schema = createRequire(import.meta.url)("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
// The schema's language pattern is not valid with the `u` flag; formats are checked (uri, …).
// Both are CommonJS modules whose `default` is also the module itself.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
ajvFormats.default(ajv);
const validateSarif = ajv.compile(schema);

function expectValidSarif(text: string): Log {
  const log = JSON.parse(text) as Log;
  const valid = validateSarif(log);
  expect(validateSarif.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
  return log;
}

function cli(args: string[], cwd = ROOT) {
  const { NO_COLOR: _n, FORCE_COLOR: _f, ...env } = process.env;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** An app with two unused inputs: two RLM2106 warnings, no error. */
function appWithWarnings(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "rllmc-sarif-"));
  const text = readFileSync(join(ROOT, "examples/summary.rllm"), "utf8").replace(
    "      description: The text to summarise.\n",
    "      description: The text to summarise.\n    unused_a: { type: string }\n    unused_b: { type: string }\n",
  );
  const path = join(dir, "warned.rllm");
  writeFileSync(path, text);
  return { dir, path };
}

describe("check --format sarif", () => {
  it("should have a validator that rejects what is not SARIF", () => {
    expect(validateSarif({ version: "2.1.0", runs: [{}] })).toBe(false);
    expect(
      validateSarif({ version: "2.1.0", runs: [{ tool: { driver: { name: "x", helpUri: "no uri" } } }] }),
    ).toBe(false);
  });

  it("should print a schema-valid SARIF 2.1.0 log with rules, levels and regions, and keep the exit code", () => {
    const text = cli(["check", "goldens/rllm/bad-types/input.rllm"]);
    const result = cli(["check", "--format", "sarif", "goldens/rllm/bad-types/input.rllm"]);
    expect(result.code).toBe(text.code);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
    const log = expectValidSarif(result.stdout);
    expect(log.version).toBe("2.1.0");
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0]!;
    expect(run.tool.driver).toMatchObject({ name: "rllmc", version: VERSION });
    const rules = run.tool.driver.rules ?? [];
    expect(rules.map((r) => r.id)).toEqual([...new Set(rules.map((r) => r.id))].sort());
    const sch1103 = rules.find((r) => r.id === "SCH1103");
    expect(sch1103).toMatchObject({
      name: "SchemaType",
      shortDescription: { text: "a value of the wrong type, e.g. a string where an integer is expected" },
      help: { text: "write the right type (quotes make a string)" },
      defaultConfiguration: { level: "error" },
    });
    const result1103 = run.results?.find((r) => r.ruleId === "SCH1103");
    expect(result1103).toMatchObject({
      level: "error",
      ruleIndex: rules.indexOf(sch1103!),
      message: { text: "'max_context_window' must be an integer, found the string \"eight thousand\"" },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: "goldens/rllm/bad-types/input.rllm", uriBaseId: "%SRCROOT%" },
            region: { startLine: 6, startColumn: 21, endLine: 6, endColumn: 37 },
          },
        },
      ],
    });
    // Every diagnostic the text form prints is a result.
    expect(run.results).toHaveLength((text.stderr.match(/ - error /g) ?? []).length);
  });

  it("should give warnings level warning, a hint in the message, URIs relative to the working directory", () => {
    const { dir } = appWithWarnings();
    const result = cli(["check", "--format", "sarif", "warned.rllm"], dir);
    expect(result.code).toBe(0);
    const log = expectValidSarif(result.stdout);
    const results = log.runs[0]!.results ?? [];
    expect(results.map((r) => [r.ruleId, r.level])).toEqual([
      ["RLM2106", "warning"],
      ["RLM2106", "warning"],
    ]);
    expect(results[0]!.locations![0]!.physicalLocation!.artifactLocation).toEqual({
      uri: "warned.rllm",
      uriBaseId: "%SRCROOT%",
    });
    // A file outside the working directory gets an absolute file: URI.
    const outside = cli(["check", "--format", "sarif", join(dir, "warned.rllm")]);
    const uri = expectValidSarif(outside.stdout).runs[0]!.results![0]!.locations![0]!.physicalLocation!
      .artifactLocation!.uri;
    expect(uri).toBe(pathToFileURL(join(dir, "warned.rllm")).href);
  });

  it("should print an empty, valid log for clean files, and a location without region for a missing one", () => {
    const clean = cli(["check", "--format", "sarif", "examples/summary.rllm"]);
    expect(clean.code).toBe(0);
    expect(expectValidSarif(clean.stdout).runs[0]!.results).toEqual([]);
    const missing = cli(["check", "--format", "sarif", "no-such.rllm"]);
    expect(missing.code).toBe(1);
    const [only] = expectValidSarif(missing.stdout).runs[0]!.results!;
    expect(only).toMatchObject({
      ruleId: "RLC0001",
      locations: [{ physicalLocation: { artifactLocation: { uri: "no-such.rllm" } } }],
    });
    expect(only!.locations![0]!.physicalLocation!.region).toBeUndefined();
  });

  it("should reject a bad --format and --json with another format", () => {
    expect(cli(["check", "--format", "xml", "examples/summary.rllm"])).toMatchObject({ code: 2 });
    const both = cli(["check", "--json", "--format", "sarif", "examples/summary.rllm"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--json is --format json");
  });
});

describe("compile --format sarif", () => {
  it("should print a valid log for .rllm apps, with and without errors", () => {
    const bad = cli(["compile", "--format", "sarif", "goldens/rllm/bad-types/input.rllm"]);
    expect(bad.code).toBe(1);
    expect(expectValidSarif(bad.stdout).runs[0]!.results!.length).toBeGreaterThan(0);
    const { dir } = appWithWarnings();
    const out = join(dir, "out");
    const good = cli(["compile", "--format", "sarif", "warned.rllm", "--out-dir", out], dir);
    expect(good.code).toBe(0);
    expect(expectValidSarif(good.stdout).runs[0]!.results).toHaveLength(2);
    expect(existsSync(join(out, "warned.mjs"))).toBe(true);
  });

  it("should print a valid log for a TSG, and want --out for the runbook", () => {
    const dir = mkdtempSync(join(tmpdir(), "rllmc-sarif-tsg-"));
    const result = cli([
      "compile",
      "--format",
      "sarif",
      "examples/pod-crashloop.md",
      "--out",
      join(dir, "runbook.yaml"),
    ]);
    expect(result.code).toBe(0);
    expectValidSarif(result.stdout);
    expect(readFileSync(join(dir, "runbook.yaml"), "utf8")).toContain("apiVersion: runbook/v0");
    const noOut = cli(["compile", "--format", "sarif", "examples/pod-crashloop.md"]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain("give --out or --out-dir");
  });
});

describe("--max-warnings", () => {
  it("should fail with exit 1 when there are more warnings than allowed, as eslint does", () => {
    const { dir } = appWithWarnings();
    expect(cli(["check", "warned.rllm"], dir).code).toBe(0);
    expect(cli(["check", "warned.rllm", "--max-warnings", "2"], dir).code).toBe(0);
    const over = cli(["check", "warned.rllm", "--max-warnings", "1"], dir);
    expect(over.code).toBe(1);
    expect(over.stderr).toContain("rllmc check: 2 warnings, more than --max-warnings 1 allows");
    // Hidden warnings still count; every format fails the same way.
    expect(cli(["check", "warned.rllm", "--quiet", "--max-warnings", "0"], dir).code).toBe(1);
    const sarif = cli(["check", "warned.rllm", "--format", "sarif", "--max-warnings", "0"], dir);
    expect(sarif.code).toBe(1);
    expectValidSarif(sarif.stdout);
    expect(cli(["check", "warned.rllm", "--json", "--max-warnings", "0"], dir).code).toBe(1);
  });

  it("should apply to compile, apps and TSGs, and write the outputs all the same", () => {
    const { dir } = appWithWarnings();
    const over = cli(["compile", "warned.rllm", "--out-dir", "out", "--max-warnings", "0"], dir);
    expect(over.code).toBe(1);
    expect(over.stderr).toContain("rllmc compile: 2 warnings, more than --max-warnings 0 allows");
    expect(existsSync(join(dir, "out", "warned.mjs"))).toBe(true);
    mkdirSync(join(dir, "tsg"));
    // A code fence never closed: one TSG3001 warning.
    writeFileSync(join(dir, "tsg", "guide.md"), "# Guide\n\n## Look\n\n```bash\nkubectl get pods\n");
    const tsg = cli(["compile", "tsg/guide.md", "--out", "rb.yaml", "--max-warnings", "0"], dir);
    expect(tsg.stderr).toContain("warning TSG3001");
    expect(tsg.code).toBe(1);
    expect(existsSync(join(dir, "rb.yaml"))).toBe(true);
    expect(cli(["compile", "tsg/guide.md", "--out", "rb.yaml", "--max-warnings", "1"], dir).code).toBe(0);
  });

  it("should reject a value that is not a whole number", () => {
    const result = cli(["check", "examples/summary.rllm", "--max-warnings=-1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--max-warnings must be a whole number, not '-1'");
  });
});

describe("SARIF rules and help links", () => {
  it("should link a rule to its section of docs/diagnostics.md when package.json names a GitHub repository", () => {
    const root = mkdtempSync(join(tmpdir(), "rllmc-sarif-pkg-"));
    mkdirSync(join(root, "docs"));
    writeFileSync(
      join(root, "package.json"),
      JSON.stringify({
        name: "rllmc",
        version: "9.9.9",
        repository: { url: "git+https://github.com/acme/rllmc.git" },
      }),
    );
    writeFileSync(
      join(root, "docs", "diagnostics.md"),
      "# Diagnostics\n\n## SCH — schema validation\n\n| code | severity | meaning | fix |\n| --- | --- | --- | --- |\n| SCH1103 | error | a value of the `wrong` type | write `a \\| b` |\n",
    );
    const file = new SourceFile("a.rllm", "x: 1\n");
    const d = makeDiagnostic(
      Diagnostics.SchemaType,
      { file: "a.rllm", start: 3, end: 4 },
      { pointer: "x", expected: "a string", found: "a number" },
    );
    const log = sarifLog([d], sourceLookup([file]), {
      cwd: process.cwd(),
      packageRoot: pathToFileURL(`${root}/`),
    });
    expect(validateSarif(log)).toBe(true);
    expect(log.runs[0]!.tool.driver).toMatchObject({
      version: "9.9.9",
      informationUri: "https://github.com/acme/rllmc",
      rules: [
        {
          id: "SCH1103",
          shortDescription: { text: "a value of the wrong type" },
          help: { text: "write a | b", markdown: "write `a \\| b`" },
          helpUri: "https://github.com/acme/rllmc/blob/HEAD/docs/diagnostics.md#sch--schema-validation",
        },
      ],
    });
  });

  it("should make GitHub's heading anchors", () => {
    expect(githubSlug("RLM21xx — `.rllm` checks")).toBe("rlm21xx--rllm-checks");
    expect(githubSlug("RBK62xx — the LLM interpretation (`runbook compile --llm cached` or `live`)")).toBe(
      "rbk62xx--the-llm-interpretation-runbook-compile---llm-cached-or-live",
    );
  });
});
