import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkProposedFiles, openApiVersion } from "../../src/passes/task/check-guarantees.js";

const NO_SCHEMAS = new Map<string, unknown>();

const OPENAPI_31 = [
  "openapi: 3.1.0",
  "info:",
  "  title: Orders",
  "  version: 1.0.0",
  "paths:",
  "  /orders:",
  "    get:",
  "      responses:",
  "        '200':",
  "          description: the orders",
  "",
].join("\n");

const OPENAPI_30 = OPENAPI_31.replace("openapi: 3.1.0", "openapi: 3.0.3");

async function one(path: string, content: string, guarantees: string[] = []) {
  return checkProposedFiles([{ path, content }], guarantees, NO_SCHEMAS);
}

describe("checkProposedFiles: each file parses as its extension says", () => {
  it.each([
    ["a.yaml", "a: 1\nb:\n  - x\n"],
    ["a.yml", "--- \na: 1\n---\nb: 2\n"],
    ["a.YAML", "a: 1\n"],
    ["a.json", '{ "a": [1, 2] }\n'],
    ["bom.json", '\uFEFF{ "a": 1 }\n'],
    ["bom.yaml", "\uFEFFa: 1\n"],
    ["a.html", "<!DOCTYPE html>\n<html><head><title>x</title></head><body><p>é ✓</p></body></html>\n"],
    ["a.htm", "<!doctype html><p>unclosed paragraphs are fine in HTML"],
    ["a.md", "# Title\n\n* [ ] anything goes in Markdown ](\n"],
    ["a.txt", "\u0000 other extensions are not checked"],
    ["Makefile", "all:\n\t@true\n"],
  ])("should accept %s", async (path, content) => {
    expect(await one(path, content)).toEqual({ failures: [], checked: [], unchecked: [] });
  });

  it("should report broken YAML with its line and column", async () => {
    const result = await one("docs/openapi.yaml", "openapi: 3.1.0\ninfo:\n  title: x\n   version: 1\n");
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({ path: "docs/openapi.yaml", code: "TSK4120" });
    // The yaml package places the error where the mapping of line 3 runs into line 4.
    expect(result.failures[0]?.message).toBe(
      "'docs/openapi.yaml' is not valid YAML: 3:10: Nested mappings are not allowed in compact mappings; 3:10: Implicit keys need to be on a single line",
    );
  });

  it("should report a duplicate YAML key at its line", async () => {
    const result = await one("a.yml", "a: 1\nb: 2\na: 3\n");
    expect(result.failures.map((f) => f.message)).toEqual([
      "'a.yml' is not valid YAML: 3:1: Map keys must be unique",
    ]);
  });

  it("should report broken JSON with where it broke", async () => {
    const result = await one("a.json", '{\n  "a": 1,\n}\n');
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]?.code).toBe("TSK4120");
    expect(result.failures[0]?.message).toContain("'a.json' is not valid JSON: ");
    expect(result.failures[0]?.message).toMatch(/line 3 column 1/);
  });

  it("should report parse5's parse errors with line and column", async () => {
    const result = await one(
      "docs/index.html",
      '<!DOCTYPE html>\n<html><body>\n<div class="a>x</div>\n</body></html>\n',
    );
    expect(result.failures).toEqual([
      {
        path: "docs/index.html",
        code: "TSK4120",
        message: "'docs/index.html' is not valid HTML: 5:1: eof-in-tag",
      },
    ]);
  });

  it("should report a duplicate attribute and a missing doctype", async () => {
    const duplicate = await one("a.html", '<!DOCTYPE html><div id="a" id="b"></div>');
    expect(duplicate.failures[0]?.message).toBe("'a.html' is not valid HTML: 1:30: duplicate-attribute");
    const doctype = await one("a.html", "<p>x</p>");
    expect(doctype.failures[0]?.message).toBe("'a.html' is not valid HTML: 1:1: missing-doctype");
  });

  it("should accept an unclosed element, which parse5 does not report", async () => {
    // The HTML parser closes a <div> left open at the end of the document; parse5 reports no
    // error for it (its errors are the tokenizer's and a few of tree construction's).
    const result = await one("a.html", "<!DOCTYPE html><html><body><div><span>x</body></html>");
    expect(result.failures).toEqual([]);
  });

  it("should refuse Markdown with a NUL or a lone surrogate", async () => {
    const nul = await one("README.md", "# a\nb\u0000c\n");
    expect(nul.failures[0]?.message).toBe(
      "'README.md' is not valid Markdown text: 2:2: a NUL character; Markdown is text",
    );
    const surrogate = await one("README.md", "a \ud800 b");
    expect(surrogate.failures[0]?.message).toContain("lone UTF-16 surrogate");
  });

  it("should refuse a YAML alias bomb rather than expand it", async () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${"b".repeat(i)}: &${"b".repeat(i)} [${Array(10)
          .fill(i === 1 ? "*a" : `*${"b".repeat(i - 1)}`)
          .join(", ")}]`,
      );
    const result = await one("bomb.yaml", `${lines.join("\n")}\n`);
    expect(result.failures.map((f) => f.code)).toEqual(["TSK4120"]);
    expect(result.failures[0]?.message).toContain("alias");
  });

  it("should check a huge YAML file in linear time", async () => {
    const content = Array.from({ length: 50_000 }, (_, i) => `key${i}: value ${i}`).join("\n");
    expect((await one("big.yaml", content)).failures).toEqual([]);
  });
});

describe("checkProposedFiles: OpenAPI guarantees", () => {
  it.each([
    ["OpenAPI 3.1", "3.1"],
    ["openapi 3.0", "3.0"],
    ["OPENAPI 3.x", "3"],
    ["The spec is OpenAPI 3.1 compliant", "3.1"],
    ["OpenAPI v3.1", "3.1"],
    ["OpenAPI 3", "3"],
    ["Open API 3.0", "3.0"],
  ])("should read the guarantee %j as OpenAPI %s", (text, version) => {
    expect(openApiVersion(text)).toBe(version);
  });

  it.each([
    ["OpenAPI 2.0"],
    ["No undocumented endpoints"],
    ["Follows the OpenAPI style guide"],
    ["OpenAPI 31"],
  ])("should not read %j as an OpenAPI 3 guarantee", (text) => {
    expect(openApiVersion(text)).toBeUndefined();
  });

  it("should accept a valid OpenAPI 3.1 document and list the guarantee as checked", async () => {
    const result = await one("docs/openapi.yaml", OPENAPI_31, ["OpenAPI 3.1", "No undocumented endpoints"]);
    expect(result).toEqual({
      failures: [],
      checked: ["OpenAPI 3.1"],
      unchecked: ["No undocumented endpoints"],
    });
  });

  it("should accept a JSON OpenAPI document for 'openapi 3.x'", async () => {
    const document = { openapi: "3.0.3", info: { title: "x", version: "1" }, paths: {} };
    const result = await one("api.json", JSON.stringify(document), ["openapi 3.x"]);
    expect(result).toEqual({ failures: [], checked: ["openapi 3.x"], unchecked: [] });
  });

  it("should refuse an OpenAPI 3.1 document without info", async () => {
    const content = OPENAPI_31.replace("info:\n  title: Orders\n  version: 1.0.0\n", "");
    const result = await one("docs/openapi.yaml", content, ["OpenAPI 3.1"]);
    expect(result.failures).toEqual([
      {
        path: "docs/openapi.yaml",
        code: "TSK4121",
        message:
          "'docs/openapi.yaml' is not a valid OpenAPI 3.1.0 document: / must have required property 'info'",
      },
    ]);
    expect(result.checked).toEqual(["OpenAPI 3.1"]);
  });

  it("should refuse a 3.0 document under a 3.1 guarantee", async () => {
    const result = await one("docs/openapi.yaml", OPENAPI_30, ["OpenAPI 3.1"]);
    expect(result.failures).toEqual([
      {
        path: "docs/openapi.yaml",
        code: "TSK4122",
        message: "'docs/openapi.yaml' declares openapi: 3.0.3, but the task guarantees 'OpenAPI 3.1'",
      },
    ]);
  });

  it("should refuse an openapi version written as a YAML number", async () => {
    const result = await one("docs/openapi.yaml", OPENAPI_31.replace("3.1.0", "3.1"), ["OpenAPI 3.1"]);
    expect(result.failures.map((f) => f.message)).toEqual([
      "'docs/openapi.yaml' is not a valid OpenAPI 3.1 document: Cannot find supported swagger/openapi version in specification, version must be a string.",
    ]);
  });

  it("should refuse a 3.1 document under a 3.0 guarantee", async () => {
    const result = await one("docs/openapi.yaml", OPENAPI_31, ["OpenAPI 3.0"]);
    expect(result.failures.map((f) => f.code)).toEqual(["TSK4122"]);
  });

  it("should refuse a 3.0 document with a 3.1-only construct", async () => {
    // `type: [string, "null"]` is JSON Schema 2020-12, allowed in 3.1, not in 3.0.
    const content = `${OPENAPI_30}components:\n  schemas:\n    Name:\n      type: [string, "null"]\n`;
    const result = await one("docs/openapi.yaml", content, ["OpenAPI 3.0"]);
    expect(result.failures.map((f) => f.code)).toEqual(["TSK4121"]);
    expect(result.failures[0]?.message).toContain("/components/schemas/Name");
  });

  it("should leave the guarantee unchecked when no proposed file is an OpenAPI document", async () => {
    const result = await checkProposedFiles(
      [
        { path: "docs/index.html", content: "<!DOCTYPE html><p>x</p>" },
        { path: "config.yaml", content: "info: {}\n" },
      ],
      ["OpenAPI 3.1"],
      NO_SCHEMAS,
    );
    expect(result).toEqual({ failures: [], checked: [], unchecked: ["OpenAPI 3.1"] });
  });

  it("should not validate an OpenAPI document when no guarantee names OpenAPI", async () => {
    const result = await one("docs/openapi.yaml", "openapi: 3.1.0\n", ["No undocumented endpoints"]);
    expect(result).toEqual({ failures: [], checked: [], unchecked: ["No undocumented endpoints"] });
  });

  it("should never read a file named by a string document", async () => {
    // The validator reads a file when given a string; rllmc hands it the parsed object.
    const result = await one("docs/openapi.json", JSON.stringify("/etc/passwd"), ["OpenAPI 3.1"]);
    expect(result).toEqual({ failures: [], checked: [], unchecked: ["OpenAPI 3.1"] });
  });
});

describe("checkProposedFiles: JSON Schemas named by the task", () => {
  const CONFIG_SCHEMA = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    required: ["port"],
    properties: { port: { type: "integer", minimum: 1 }, name: { type: "string" } },
    additionalProperties: false,
  };

  it("should accept a file that follows its schema", async () => {
    const result = await checkProposedFiles(
      [{ path: "config/app.yaml", content: "port: 8080\nname: api\n" }],
      [],
      new Map([["config/app.yaml", CONFIG_SCHEMA]]),
    );
    expect(result.failures).toEqual([]);
  });

  it("should report each violation with its pointer", async () => {
    const result = await checkProposedFiles(
      [{ path: "config/app.yaml", content: "port: 0\ncolour: red\n" }],
      [],
      new Map([["./config//app.yaml", CONFIG_SCHEMA]]),
    );
    expect(result.failures.map((f) => f.message)).toEqual([
      "'config/app.yaml' does not follow the JSON Schema the task names for it, at /: unknown field 'colour'",
      "'config/app.yaml' does not follow the JSON Schema the task names for it, at /port: must be >= 1",
    ]);
    expect(result.failures.map((f) => f.code)).toEqual(["TSK4123", "TSK4123"]);
  });

  it("should validate draft-07 schemas by their $schema", async () => {
    const draft07 = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: { list: { type: "array", items: [{ type: "string" }], additionalItems: false } },
    };
    const result = await checkProposedFiles(
      [{ path: "a.json", content: '{ "list": ["a", "b"] }' }],
      [],
      new Map([["a.json", draft07]]),
    );
    expect(result.failures.map((f) => `${f.code} ${f.message}`)).toEqual([
      "TSK4123 'a.json' does not follow the JSON Schema the task names for it, at /list: must NOT have more than 1 items",
    ]);
  });

  it("should say when a schema cannot be used", async () => {
    const cases: [unknown, string][] = [
      [{ type: "nonsense" }, "TSK4124"],
      [{ $schema: "http://json-schema.org/draft-04/schema#", type: "object" }, "TSK4124"],
      ["not a schema", "TSK4124"],
    ];
    for (const [schema, code] of cases) {
      const result = await checkProposedFiles(
        [{ path: "a.json", content: "{}" }],
        [],
        new Map([["a.json", schema]]),
      );
      expect(result.failures.map((f) => f.code)).toEqual([code]);
    }
  });

  it("should say a schema cannot apply to a file that is not JSON or YAML", async () => {
    const result = await checkProposedFiles(
      [{ path: "docs/index.html", content: "<!DOCTYPE html>" }],
      [],
      new Map([["docs/index.html", { type: "object" }]]),
    );
    expect(result.failures.map((f) => f.code)).toEqual(["TSK4124"]);
  });

  it("should report an unparsable file once, not again against its schema", async () => {
    const result = await checkProposedFiles(
      [{ path: "a.json", content: "{" }],
      [],
      new Map([["a.json", { type: "object" }]]),
    );
    expect(result.failures.map((f) => f.code)).toEqual(["TSK4120"]);
  });
});

describe("checkProposedFiles on arbitrary input", () => {
  it("should never throw on any content of any checked kind", async () => {
    const extension = fc.constantFrom("yaml", "json", "html", "md", "txt");
    const content = fc.oneof(
      fc.string({ unit: "grapheme" }),
      fc.string({
        unit: fc.constantFrom("{", "}", "[", "]", ":", "-", " ", "\n", "<", ">", "/", '"', "&", "*", "a"),
      }),
      fc.constant("openapi: 3.1.0\ninfo: [\n"),
    );
    await fc.assert(
      fc.asyncProperty(extension, content, async (ext, text) => {
        const result = await checkProposedFiles(
          [{ path: `f.${ext}`, content: text }],
          ["OpenAPI 3.x"],
          NO_SCHEMAS,
        );
        for (const f of result.failures) expect(f.code).toMatch(/^TSK412\d$/);
        expect([...result.checked, ...result.unchecked]).toEqual(["OpenAPI 3.x"]);
      }),
      { numRuns: 300 },
    );
  });
});
