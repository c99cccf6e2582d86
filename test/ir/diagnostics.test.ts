import { describe, expect, it } from "vitest";
import { makeDiagnostic } from "../../src/ir/diagnostic.js";
import { Diagnostics } from "../../src/ir/diagnostic-catalogue.js";
import { closestName } from "../../src/ir/did-you-mean.js";
import {
  codeFrame,
  formatDiagnostic,
  sourceLookup,
  toJsonDiagnostic,
} from "../../src/ir/print-diagnostics.js";
import { SourceFile } from "../../src/ir/source-file.js";

describe("diagnostic catalogue", () => {
  it("should give every entry a distinct, well-formed code", () => {
    const codes = Object.values(Diagnostics).map((d) => d.code);
    const duplicates = codes.filter((c, i) => codes.indexOf(c) !== i);
    expect(duplicates).toEqual([]);
    for (const code of codes) expect(code).toMatch(/^(RLC|YML|SCH|RLM|TSG|TSK|TPL|RBK|RPL)\d{4}$/);
  });

  it("should keep TSG diagnostics at warning severity or below", () => {
    for (const d of Object.values(Diagnostics))
      if (d.code.startsWith("TSG")) expect(d.severity).not.toBe("error");
  });
});

describe("printer", () => {
  const file = new SourceFile("app.rllm", '---\nname: x\nmax_context_window: "lots"\n---\n');
  const lookup = sourceLookup([file]);
  const start = file.text.indexOf('"lots"');

  it("should print file:line:col, severity, code, message, a code frame and the hint", () => {
    const d = makeDiagnostic(
      Diagnostics.SchemaType,
      { file: "app.rllm", start, end: start + 6 },
      { pointer: "max_context_window", expected: "an integer", found: 'the string "lots"' },
      { hint: "write a number such as 8192" },
    );
    expect(formatDiagnostic(d, lookup)).toBe(
      [
        `app.rllm:3:21 - error SCH1103: 'max_context_window' must be an integer, found the string "lots"`,
        "",
        '3 max_context_window: "lots"',
        "                      ^~~~~~",
        "  hint: write a number such as 8192",
      ].join("\n"),
    );
  });

  it("should print related information with its own location", () => {
    const d = makeDiagnostic(
      Diagnostics.RllmDuplicateBlockName,
      { file: "app.rllm", start: 4, end: 8 },
      { name: "n" },
      { related: [{ message: "first used here", span: { file: "app.rllm", start: 4, end: 8 } }] },
    );
    expect(formatDiagnostic(d, lookup)).toContain(
      "  app.rllm:2:1 - first used here\n    2 name: x\n      ^~~~",
    );
  });

  it("should underline each line of a multi-line span, the caret on its first, and elide long ones", () => {
    const big = new SourceFile("f", "a1\nb2\nc3\nd4\ne5\nf6\n");
    const frame = codeFrame({ file: "f", start: 0, end: 17 }, sourceLookup([big]));
    expect(frame.split("\n")).toEqual(["1 a1", "  ^~", "2 b2", "  ~~", "3 c3", "  ~~", "…", "6 f6", "  ~~"]);
  });

  it("should put the caret where a span starts inside a line", () => {
    const file = new SourceFile("f", "key: value\n");
    expect(codeFrame({ file: "f", start: 5, end: 10 }, sourceLookup([file]))).toBe(
      "1 key: value\n       ^~~~~",
    );
  });

  it("should show a lone caret for an empty span and no frame for an unknown file", () => {
    expect(codeFrame({ file: "app.rllm", start: 4, end: 4 }, lookup)).toBe("2 name: x\n  ^");
    const d = makeDiagnostic(
      Diagnostics.FileNotFound,
      { file: "nope.rllm", start: 0, end: 0 },
      { path: "nope.rllm" },
    );
    expect(formatDiagnostic(d, lookup)).toBe(
      "nope.rllm - error RLC0001: cannot read 'nope.rllm': no such file",
    );
  });

  it("should keep tabs in the squiggle line so it aligns under tab-indented text", () => {
    const tabbed = new SourceFile("t", "\tkey: 1\n");
    expect(codeFrame({ file: "t", start: 1, end: 4 }, sourceLookup([tabbed]))).toBe("1 \tkey: 1\n  \t^~~");
  });

  it("should add 1-based line/column ranges in the JSON form and keep every other field", () => {
    const d = makeDiagnostic(Diagnostics.RllmEmptyPrompt, { file: "app.rllm", start, end: start + 6 }, {});
    const json = toJsonDiagnostic(d, lookup);
    expect(json).toMatchObject({ ...d, range: { line: 3, column: 21, endLine: 3, endColumn: 27 } });
  });
});

describe("source file positions", () => {
  it.each([
    ["\n", "a\nb"],
    ["\r\n", "a\r\nb"],
    ["\r", "a\rb"],
  ])("should count lines ended by %j", (_eol, text) => {
    const f = new SourceFile("f", text);
    expect(f.lineCol(text.length - 1)).toEqual({ line: 2, column: 1 });
    expect(f.lineText(1)).toBe("a");
  });
});

describe("did you mean", () => {
  it.each([
    ["temprature", ["temperature", "top_p"], "temperature"],
    ["max_token", ["max_tokens", "seed"], "max_tokens"],
    ["modle", ["model", "provider"], "model"],
    ["xyz", ["temperature"], undefined],
  ])("should suggest %s → %s", (name, candidates, expected) => {
    expect(closestName(name, candidates)).toBe(expected);
  });
});

describe("template-expression codes", () => {
  it("should have a catalogue entry for every code src/lang/template reports", async () => {
    const { TEMPLATE_ERROR_CODES } = await import("../../src/lang/template/index.js");
    const catalogue = Object.values(Diagnostics)
      .map((d) => d.code)
      .filter((c) => c.startsWith("TPL"));
    expect(catalogue.sort()).toEqual(Object.keys(TEMPLATE_ERROR_CODES).sort());
  });
});

describe("docs/diagnostics.md", () => {
  it("should document every code of the catalogue", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync(new URL("../../docs/diagnostics.md", import.meta.url), "utf8");
    const missing = Object.values(Diagnostics)
      .map((d) => d.code)
      .filter((code) => !doc.includes(`| ${code} |`));
    expect(missing).toEqual([]);
  });
});

describe("printer on long lines", () => {
  it("should cut a very long line around the span and keep the squiggle under it", () => {
    const line = `${"a".repeat(5000)}BAD${"b".repeat(5000)}`;
    const file = new SourceFile("long.txt", line);
    const frame = codeFrame({ file: "long.txt", start: 5000, end: 5003 }, sourceLookup([file]));
    const [text, squiggle] = frame.split("\n");
    expect(text!.length).toBeLessThan(200);
    expect(text).toMatch(/^1 …a+BADb+…$/);
    expect(text!.indexOf("BAD")).toBe(squiggle!.indexOf("^"));
    expect(squiggle).toMatch(/\^~~$/);
  });
});
