import { describe, expect, it } from "vitest";
import { MAX_YAML_DEPTH, parseYaml } from "../../src/frontend/yaml/parse-yaml.js";

const codes = (text: string) => parseYaml("f.yaml", text, 0).diagnostics.map((d) => d.code);

describe("parseYaml", () => {
  it("should map every key and value to its exact span, offset into the file", () => {
    const text = "name: x\nllm:\n  model: m\nlist: [a, b]\n";
    const { document } = parseYaml("f", text, 10);
    expect(document?.value).toEqual({ name: "x", llm: { model: "m" }, list: ["a", "b"] });
    const at = (p: string) => {
      const loc = document!.locations[p]!;
      return [
        text.slice(loc.value.start - 10, loc.value.end - 10),
        loc.key && text.slice(loc.key.start - 10, loc.key.end - 10),
      ];
    };
    expect(at("/name")).toEqual(["x", "name"]);
    expect(at("/llm/model")).toEqual(["m", "model"]);
    expect(at("/list/1")).toEqual(["b", undefined]);
  });

  it("should report a syntax error with its position and no document", () => {
    const result = parseYaml("f", "a: [1, 2\nb: 3\n", 0);
    expect(result.document).toBeUndefined();
    expect(result.diagnostics[0]?.code).toBe("YML1001");
  });

  it("should report a duplicate key by name, spanning the key, with the first one related", () => {
    const [d] = parseYaml("f", "name: 1\nname: 2\n", 0).diagnostics;
    expect(d?.code).toBe("YML1003");
    expect(d?.message).toBe("duplicate key 'name'");
    expect(d?.span).toEqual({ file: "f", start: 8, end: 12 });
    expect(d?.related).toEqual([
      { message: "'name' is first defined here", span: { file: "f", start: 0, end: 4 } },
    ]);
  });

  it("should point an unclosed quote or bracket at where it opens", () => {
    const text = 'a: "open\nb: 2\n';
    const [d] = parseYaml("f", text, 0).diagnostics;
    expect(d?.message).toBe("invalid YAML: the quoted string starting here is never closed");
    expect(text.slice(d!.span.start, d!.span.end)).toBe('"open');
  });

  it("should stop an alias bomb with YML1002 instead of expanding it", () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(",")}]`);
    }
    const started = Date.now();
    expect(codes(lines.join("\n"))).toEqual(["YML1002"]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("should reject nesting deeper than the limit", () => {
    const deep = `${"[".repeat(MAX_YAML_DEPTH + 5)}${"]".repeat(MAX_YAML_DEPTH + 5)}`;
    expect(codes(deep)).toContain("YML1006");
  });

  it("should report an unresolved alias and a second document", () => {
    expect(codes("a: *missing\n")).toEqual(["YML1001"]);
    expect(codes("a: 1\n---\nb: 2\n")).toEqual(["YML1004"]);
  });

  it("should not let a __proto__ key change the prototype of the value", () => {
    const { document } = parseYaml("f", "__proto__: {polluted: true}\n", 0);
    const value = document!.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("should give an empty document a null value", () => {
    expect(parseYaml("f", "", 0).document?.value).toBeNull();
  });
});
