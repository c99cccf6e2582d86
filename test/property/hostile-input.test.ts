/** Hostile and unusual inputs: each gets a clear result quickly, never an exception or a hang. */
import { describe, expect, it } from "vitest";
import { parseSource } from "../../src/frontend/parse-source.js";
import { decodeSource, sourceFromText } from "../../src/frontend/read-source.js";
import type { SourceKind } from "../../src/ir/nodes.js";

const HEADER = `name: t
description: d
version: 1.0.0
author: a
max_context_window: 100
input_schema: { type: object, properties: { text: { type: string } } }
output_schema: { type: object }
llm: { provider: ollama, model: m }
llm_params: {}
`;

function parse(kind: SourceKind, text: string) {
  const started = performance.now();
  const result = parseSource(sourceFromText(kind === "rllm" ? "h.rllm" : "h.md", text), kind);
  return { ...result, ms: performance.now() - started, codes: result.diagnostics.map((d) => d.code) };
}

describe("hostile input", () => {
  it("should parse a 5 MB TSG in reasonable time", () => {
    const section =
      "## Check\n\nRun `kubectl get pods -n <ns>`.\n\n```bash\n$ kubectl logs <pod> \\\n  --tail=10\nsample output\n```\n\n";
    const text = `# Big\n\n${section.repeat(Math.ceil((5 * 1024 * 1024) / section.length))}`;
    const result = parse("tsg", text);
    expect(result.codes.filter((c) => !c.startsWith("TSG"))).toEqual([]);
    expect(result.ms).toBeLessThan(20_000);
  });

  it("should parse a 5 MB .rllm prompt", () => {
    const text = `---\n${HEADER}---\n${"Summarise {{text}} carefully.\n".repeat(180_000)}`;
    const result = parse("rllm", text);
    expect(result.codes).toEqual([]);
    expect(result.ms).toBeLessThan(20_000);
  });

  it("should report deeply nested YAML in frontmatter and task blocks", () => {
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    expect(parse("rllm", `---\n${HEADER}metadata: { x: ${deep} }\n---\np\n`).codes).toContain("YML1006");
    expect(parse("task", `---\nprompt: p\noutputs: [a]\nx: ${deep}\n---\n`).codes).toContain("YML1006");
  });

  it("should survive deeply nested Markdown and templates", () => {
    expect(parse("tsg", `${"> ".repeat(3000)}deep\n`).codes).toEqual(["TSG3005"]);
    expect(parse("tsg", `${"- ".repeat(3000)}deep\n`).codes).toEqual(["TSG3005"]);
    const nested = `${"{{#if a}}".repeat(2000)}x${"{{/if}}".repeat(2000)}`;
    expect(() => parse("rllm", `---\n${HEADER}---\n${nested}\n`)).not.toThrow();
  });

  it("should report invalid UTF-8 with the offset of the first bad byte", () => {
    const result = decodeSource("bad.rllm", Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0xc3, 0x28]));
    expect(result.source).toBeUndefined();
    expect(result.diagnostics[0]?.message).toBe("file is not valid UTF-8 (first invalid byte at offset 4)");
  });

  it("should reject a file with NUL bytes as binary", () => {
    expect(decodeSource("x.md", Buffer.from("ab\0cd")).diagnostics[0]?.code).toBe("RLC0007");
  });

  it("should treat CRLF and a BOM like LF for every kind", () => {
    const inputs: Record<SourceKind, string> = {
      rllm: `---\n${HEADER}---\nSay {{text}}\n`,
      tsg: "# T\n\n## A\n\n```bash\n$ kubectl get pods\nNAME\n```\n",
      task: "```yaml\nprompt: Do {X}\noutputs: [a]\n```\n",
    };
    for (const kind of ["rllm", "tsg", "task"] as const) {
      const lf = parse(kind, inputs[kind]);
      const crlf = parse(kind, `\uFEFF${inputs[kind].replaceAll("\n", "\r\n")}`);
      expect(crlf.codes, kind).toEqual(lf.codes);
      expect(crlf.module?.kind).toBe(kind);
    }
  });

  it("should not pollute Object.prototype through __proto__ keys", () => {
    parse("task", "```yaml\nprompt: p\noutputs: [a]\n__proto__: { polluted: yes }\n```\n");
    parse("rllm", `---\n${HEADER}metadata: { __proto__: { polluted: yes } }\n---\np\n`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
