import { describe, expect, it } from "vitest";
import { errorTypeOf } from "../../src/driver/rllm-app.js";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseRllm } from "../../src/frontend/rllm/parse-rllm.js";
import type { Diagnostic } from "../../src/ir/diagnostic.js";
import type { RllmModule } from "../../src/ir/nodes.js";
import type { LoadedModule } from "../../src/passes/pass.js";
import { runChecks } from "../../src/passes/pipeline.js";
import { incompatibility, typesOf } from "../../src/passes/schema-compat.js";

function rllm(
  fields: { name?: string; input: string; output?: string; uses?: string },
  body: string,
): string {
  return [
    "---",
    `name: ${fields.name ?? "parent"}`,
    "description: d",
    "version: 1.0.0",
    "author: a",
    "max_context_window: 4096",
    `input_schema: ${fields.input}`,
    `output_schema: ${fields.output ?? "{ type: object }"}`,
    "llm: { provider: ollama, model: m }",
    "llm_params: {}",
    ...(fields.uses === undefined ? [] : [`uses: ${fields.uses}`]),
    "---",
    body,
    "",
  ].join("\n");
}

const CHILD = rllm(
  {
    name: "kid",
    input:
      "{ type: object, required: [text, count], additionalProperties: false, properties: { text: { type: string }, count: { type: integer }, tags: { type: array, items: { type: string } }, style: { type: string, default: plain } } }",
    output:
      "{ type: object, required: [keywords], properties: { keywords: { type: array, items: { type: string } }, score: { type: number } } }",
  },
  "{{text}} {{count}} {{tags}} {{style}}",
);

function check(parent: string, files: Record<string, string> = { "kid.rllm": CHILD }) {
  const source = sourceFromText("app.rllm", parent);
  const parsed = parseRllm(source);
  expect(parsed.diagnostics).toEqual([]);
  const load = (path: string): LoadedModule => {
    const child = files[path];
    if (child === undefined) return { module: undefined, diagnostics: [], failure: "no such file" };
    const result = parseRllm(sourceFromText(path, child));
    return { module: result.module as RllmModule, diagnostics: result.diagnostics };
  };
  const { diagnostics } = runChecks(parsed.module, load);
  const at = (d: { span: { file: string; start: number; end: number } }) => {
    const text = d.span.file === "app.rllm" ? parent : files[d.span.file]!;
    return `${d.span.file}:${text.slice(d.span.start, d.span.end)}`;
  };
  return diagnostics.map((d: Diagnostic) => ({
    code: d.code,
    message: d.message,
    at: at(d),
    related: d.related.map(at),
    ...(d.hint ? { hint: d.hint } : {}),
  }));
}

const PARENT_INPUT =
  "{ type: object, required: [doc, n], properties: { doc: { type: object, required: [body], properties: { body: { type: string }, size: { type: string } } }, n: { type: integer }, maybe: { type: string }, words: { type: array, items: { type: string } }, nums: { type: array, items: { type: number } } } }";

describe("uses contracts", () => {
  it("should accept a well-typed mapping and reads of the child's declared output", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: doc.body, count: n, tags: words } }]";
    const body = "{{doc.body}} {{n}} {{words}} {{maybe}} {{nums}} {{json kw.keywords}} {{kw.score}}";
    expect(check(rllm({ input: PARENT_INPUT, uses }, body))).toEqual([]);
  });

  it("should report a missing required input with the child's required entry", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: doc.body } }]";
    const [d, ...rest] = check(rllm({ input: PARENT_INPUT, uses }, "{{n}} {{words}} {{maybe}} {{nums}}"));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      code: "RLM2113",
      message: "child 'kw' requires input 'count', which this app does not give it",
      at: "app.rllm:{ text: doc.body }",
      related: ["kid.rllm:count"],
    });
  });

  it("should not require an input that has a default", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: doc.body, count: n } }]";
    expect(check(rllm({ input: PARENT_INPUT, uses }, "{{words}} {{maybe}} {{nums}}"))).toEqual([]);
  });

  it("should report a wrong type with both spans", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: doc.body, count: doc.size } }]";
    const diagnostics = check(rllm({ input: PARENT_INPUT, uses }, "{{n}} {{words}} {{maybe}} {{nums}}"));
    expect(diagnostics).toEqual([
      {
        code: "RLM2114",
        message: "child 'kw' input 'count' expects integer, but gets string (from 'doc.size')",
        at: "app.rllm:doc.size",
        related: ["kid.rllm:count"],
        hint: "map a variable of the type the child declares, or change one of the two schemas",
      },
    ]);
  });

  it("should compare array items", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: doc.body, count: n, tags: nums } }]";
    const [d] = check(rllm({ input: PARENT_INPUT, uses }, "{{words}} {{maybe}}"));
    expect(d).toMatchObject({
      code: "RLM2114",
      message: "child 'kw' input 'tags' at '[]' expects string, but gets number (from 'nums')",
    });
  });

  it("should report an unknown child input with a did-you-mean", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: doc.body, count: n, tag: words } }]";
    const [d] = check(rllm({ input: PARENT_INPUT, uses }, "{{maybe}} {{nums}}"));
    expect(d).toMatchObject({ code: "RLM2115", at: "app.rllm:tag", hint: "did you mean 'tags'?" });
  });

  it("should report an expression that reads nothing the parent has", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: doc.bdy, count: m } }]";
    const diagnostics = check(rllm({ input: PARENT_INPUT, uses }, "{{n}} {{words}} {{maybe}} {{nums}}"));
    expect(diagnostics.map((d) => [d.code, d.at, d.hint])).toEqual([
      ["RLM2116", "app.rllm:doc.bdy", "did you mean 'body'?"],
      ["RLM2116", "app.rllm:m", "did you mean 'n'?"],
    ]);
  });

  it("should reject an expression that is not a path", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: 'doc[0]', count: n } }]";
    const [d] = check(rllm({ input: PARENT_INPUT, uses }, "{{words}} {{maybe}} {{nums}}"));
    expect(d).toMatchObject({ code: "RLM2120", message: "'doc[0]' is not a variable path" });
  });

  it("should warn when an optional value feeds a required input", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: maybe, count: n } }]";
    const diagnostics = check(rllm({ input: PARENT_INPUT, uses }, "{{doc}} {{words}} {{nums}}"));
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["RLM2117", "child 'kw' requires input 'text', but 'maybe' may be absent"],
    ]);
  });

  it("should map same-named variables when there is no mapping", () => {
    const input =
      "{ type: object, required: [text, count], properties: { text: { type: string }, count: { type: string } } }";
    const diagnostics = check(rllm({ input, uses: "[kid.rllm]" }, "{{json kid.keywords}}"));
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["RLM2114", "child 'kid' input 'count' expects integer, but gets string (from 'count')"],
    ]);
  });

  it("should let a later child read an earlier child's output", () => {
    const second = rllm(
      {
        name: "second",
        input:
          "{ type: object, required: [words], properties: { words: { type: array, items: { type: string } } } }",
      },
      "{{words}}",
    );
    const uses =
      "[{ name: kw, path: kid.rllm, inputs: { text: doc.body, count: n } }, { name: two, path: second.rllm, inputs: { words: kw.keywords } }]";
    expect(
      check(rllm({ input: PARENT_INPUT, uses }, "{{words}} {{maybe}} {{nums}} {{two}}"), {
        "kid.rllm": CHILD,
        "second.rllm": second,
      }),
    ).toEqual([]);
    const wrong = uses.replace("kw.keywords", "kw.score");
    const [d] = check(rllm({ input: PARENT_INPUT, uses: wrong }, "{{words}} {{maybe}} {{nums}} {{two}}"), {
      "kid.rllm": CHILD,
      "second.rllm": second,
    });
    expect(d).toMatchObject({
      code: "RLM2114",
      message: "child 'two' input 'words' expects array, but gets number (from 'kw.score')",
    });
  });

  it("should report a template read of an undeclared child output", () => {
    const uses = "[{ name: kw, path: kid.rllm, inputs: { text: doc.body, count: n } }]";
    const [d] = check(rllm({ input: PARENT_INPUT, uses }, "{{words}} {{maybe}} {{nums}} {{kw.keyword}}"));
    expect(d).toMatchObject({
      code: "RLM2118",
      message: "template variable 'kw.keyword' is not declared in the output_schema of child 'kw'",
      hint: "did you mean 'keywords'?",
    });
  });

  it("should report a child named like an input", () => {
    const uses = "[{ name: maybe, path: kid.rllm, inputs: { text: doc.body, count: n } }]";
    const codes = check(rllm({ input: PARENT_INPUT, uses }, "{{words}} {{maybe}} {{nums}}")).map(
      (d) => d.code,
    );
    expect(codes).toEqual(["RLM2119"]);
  });
});

describe("schema compatibility", () => {
  const s = (v: unknown) => v as Record<string, never>;
  it("should read types from type, enum, const and unions", () => {
    expect([...typesOf(s({}), s({ type: ["string", "null"] }))!].sort()).toEqual(["null", "string"]);
    expect([...typesOf(s({}), s({ enum: [1, 2.5] }))!].sort()).toEqual(["integer", "number"]);
    expect([...typesOf(s({}), s({ oneOf: [{ type: "string" }, { type: "integer" }] }))!].sort()).toEqual([
      "integer",
      "string",
    ]);
    expect(typesOf(s({}), s({ description: "anything" }))).toBeUndefined();
  });

  it("should accept integer for number, and refuse nullable for non-null", () => {
    expect(incompatibility(s({}), s({ type: "integer" }), s({}), s({ type: "number" }))).toBeUndefined();
    expect(incompatibility(s({}), s({ type: "number" }), s({}), s({ type: "integer" }))?.detail).toBe(
      "expects integer, but gets number",
    );
    expect(
      incompatibility(s({}), s({ type: ["string", "null"] }), s({}), s({ type: "string" }))?.detail,
    ).toBe("expects string, but gets null | string");
  });

  it("should check required properties of objects and follow $ref", () => {
    const target = s({
      type: "object",
      required: ["a"],
      properties: { a: { $ref: "#/$defs/n" } },
      $defs: { n: { type: "number" } },
    });
    expect(
      incompatibility(s({}), s({ type: "object", properties: { a: { type: "number" } } }), target, target)
        ?.detail,
    ).toBe("is required, but the value may lack it");
    const good = s({ type: "object", required: ["a"], properties: { a: { type: "integer" } } });
    expect(incompatibility(good, good, target, target)).toBeUndefined();
    const bad = s({ type: "object", required: ["a"], properties: { a: { type: "string" } } });
    expect(incompatibility(bad, bad, target, target)).toEqual({
      at: "a",
      detail: "expects number, but gets string",
    });
  });
});

describe("run errors of broken uses contracts", () => {
  it.each([
    ["RLM2108", "DependencyResolutionError"],
    ["RLM2113", "DependencyResolutionError"],
    ["RLM2114", "DependencyResolutionError"],
    ["RLM2120", "DependencyResolutionError"],
    ["RLM2111", "ParseError"],
    ["RLM2105", "MetadataValidationError"],
  ])("should report %s as %s", (code, type) => {
    const diagnostic = {
      code,
      severity: "error",
      message: "",
      span: { file: "a", start: 0, end: 0 },
      related: [],
    } as const;
    expect(errorTypeOf(diagnostic)).toBe(type);
  });
});
