import { describe, expect, it } from "vitest";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseRllm } from "../../src/frontend/rllm/parse-rllm.js";
import type { RllmModule } from "../../src/ir/nodes.js";
import type { LoadedModule } from "../../src/passes/pass.js";
import { runChecks } from "../../src/passes/pipeline.js";

function header(
  extra: { input?: string; llm?: string; params?: string; uses?: string; window?: number } = {},
): string {
  return [
    "name: t",
    "description: d",
    "version: 1.0.0",
    "author: a",
    `max_context_window: ${extra.window ?? 100}`,
    `input_schema: ${extra.input ?? "{ type: object, properties: { text: { type: string } } }"}`,
    "output_schema: { type: object }",
    `llm: ${extra.llm ?? "{ provider: openai, model: m }"}`,
    `llm_params: ${extra.params ?? "{}"}`,
    ...(extra.uses === undefined ? [] : [`uses: ${extra.uses}`]),
  ].join("\n");
}

function check(text: string, files: Record<string, string> = {}) {
  const parsed = parseRllm(sourceFromText("app.rllm", text));
  expect(parsed.diagnostics).toEqual([]);
  const load = (path: string): LoadedModule => {
    const child = files[path];
    if (child === undefined) return { module: undefined, diagnostics: [], failure: "no such file" };
    const result = parseRllm(sourceFromText(path, child));
    return { module: result.module as RllmModule, diagnostics: result.diagnostics };
  };
  const { diagnostics } = runChecks(parsed.module, load);
  return diagnostics.map((d) => [d.code, d.message]);
}

const app = (h: string, body: string) => `---\n${h}\n---\n${body}\n`;

describe("rllm checks", () => {
  it("should accept an app whose variables, parameters and schemas are all right", () => {
    expect(
      check(app(header({ params: "{ temperature: 0.5, max_tokens: 10, stop: [x] }" }), "{{text}}")),
    ).toEqual([]);
  });

  it.each([
    ["a null provider", '{ provider: "null", model: m }'],
    ["a replay provider", "{ provider: replay, model: m }"],
  ])("should not warn about ignored parameters with %s", (_what, llm) => {
    expect(check(app(header({ llm, params: "{ top_k: 5, repeat_penalty: 1.1 }" }), "{{text}}"))).toEqual([]);
  });

  it("should follow local $ref and accept a variable declared in any oneOf branch", () => {
    const input =
      "{ type: object, properties: { who: { $ref: '#/$defs/p' } }, $defs: { p: { oneOf: [ { type: object, properties: { name: { type: string } } }, { type: object, properties: { id: { type: integer } } } ] } } }";
    expect(check(app(header({ input }), "{{who.name}} {{who.id}}"))).toEqual([]);
    expect(check(app(header({ input }), "{{who.email}}"))).toEqual([
      ["RLM2105", "template variable 'who.email' is not declared in input_schema"],
    ]);
  });

  it("should treat a free-form object as declaring anything beneath it", () => {
    const input = "{ type: object, properties: { meta: { type: object } } }";
    expect(check(app(header({ input }), "{{meta.any.depth}}"))).toEqual([]);
  });

  it("should count child input mappings and code-block inputs as uses of an input", () => {
    const input = "{ type: object, properties: { a: { type: string }, b: { type: string } } }";
    const uses = "[{ name: kid, path: kid.rllm, inputs: { text: a } }]";
    const body = "{{json kid}}\n:::pre js inputs=b outputs=b\nb = b;\n:::";
    const kid = app(header(), "{{text}}");
    expect(check(app(header({ input, uses }), body), { "kid.rllm": kid })).toEqual([]);
  });

  it("should report a cycle through two children with its whole path", () => {
    const child = (to: string) => app(header({ uses: `[${to}]` }), "{{text}}");
    const diagnostics = check(app(header({ uses: "[b.rllm]" }), "{{text}}"), {
      "b.rllm": child("c.rllm"),
      "c.rllm": child("b.rllm"),
    });
    expect(diagnostics).toEqual([["RLM2109", "apps use each other in a cycle: b.rllm → c.rllm → b.rllm"]]);
  });

  it("should report an app that uses itself", () => {
    const self = app(header({ uses: "[app.rllm]" }), "{{text}}");
    expect(check(self, { "app.rllm": self })).toEqual([
      ["RLM2109", "apps use each other in a cycle: app.rllm → app.rllm"],
    ]);
  });

  it("should report a child that cannot be read", () => {
    expect(check(app(header({ uses: "[gone.rllm]" }), "{{text}}"))).toEqual([
      ["RLM2108", "cannot use 'gone.rllm': no such file"],
    ]);
  });

  describe("context window", () => {
    const bounded = "{ type: object, properties: { text: { type: string, maxLength: 500 } } }";

    it("should warn when the prompt's own text cannot fit, with the numbers", () => {
      const diagnostics = check(
        app(header({ params: "{ max_tokens: 50 }" }), `${"word ".repeat(40)}{{text}}`),
      );
      expect(diagnostics).toEqual([
        [
          "RLM2111",
          "max_context_window is too small: the prompt's own text needs about 72 tokens plus max_tokens 50, over max_context_window 100",
        ],
      ]);
    });

    it("should warn when the longest input the schema allows would not fit", () => {
      const diagnostics = check(app(header({ input: bounded, window: 400 }), "Summarise: {{text}}"));
      expect(diagnostics).toEqual([
        [
          "RLM2112",
          "the prompt can exceed max_context_window: with the longest inputs input_schema allows the prompt needs up to about 509 tokens, over max_context_window 400 (largest: text ≤ 500)",
        ],
      ]);
      expect(check(app(header({ input: bounded, window: 600 }), "Summarise: {{text}}"))).toEqual([]);
    });

    it("should count an each body once per item the schema allows", () => {
      const list =
        "{ type: object, properties: { items: { type: array, maxItems: 10, items: { type: string, maxLength: 30 } } } }";
      const body = "{{#each items}}- {{this}}\n{{/each}}";
      expect(check(app(header({ input: list, window: 400 }), body))).toEqual([]);
      const tight = check(app(header({ input: list, window: 300 }), body));
      expect(tight.map(([code]) => code)).toEqual(["RLM2112"]);
      expect(tight[0]![1]).toContain(
        "up to about 324 tokens, over max_context_window 300 (largest: items[] ≤ 30)",
      );
    });

    it("should not warn for inputs without a bound: the runtime checks each real prompt", () => {
      expect(check(app(header({ window: 20 }), "{{text}}"))).toEqual([]);
    });
  });
});
