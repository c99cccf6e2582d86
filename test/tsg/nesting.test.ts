import fc from "fast-check";
import type { Blockquote, Emphasis, Paragraph, Root, RootContent } from "mdast";
import { describe, expect, it } from "vitest";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { buildBlock, buildBlocks } from "../../src/frontend/tsg/build-blocks.js";
import { MarkdownContext } from "../../src/frontend/tsg/markdown-context.js";
import { limitNesting, MAX_NESTING, restoreOffsets } from "../../src/frontend/tsg/nesting.js";
import { deepest, tsg } from "./helpers.js";

const TOO_DEEP =
  "the guide nests block quotes and lists more than 100 levels deep; what lies deeper is kept as plain text and not analysed";

/** Parses `text` and times it. */
function timed(text: string) {
  const started = performance.now();
  const result = tsg(text);
  return { ...result, ms: performance.now() - started };
}

function expectTooDeep(result: ReturnType<typeof timed>, covers?: string) {
  expect(result.codes).toEqual(["TSG3005"]);
  const d = result.diagnostics[0]!;
  expect(d.severity).toBe("warning");
  expect(d.message).toBe(TOO_DEEP);
  if (covers !== undefined) expect(result.slice(d.span)).toBe(covers);
  expect(deepest(result.module).depth).toBe(MAX_NESTING);
  expect(result.ms).toBeLessThan(5000);
}

describe("deep nesting", () => {
  it("should allow 100 levels and report TSG3005 from the 101st", () => {
    const at100 = timed(`${"> ".repeat(100)}deep\n`);
    expect(at100.codes).toEqual([]);
    expect(deepest(at100.module)).toMatchObject({ depth: 100, block: { kind: "paragraph", text: "deep" } });

    const at101 = timed(`${"> ".repeat(101)}deep\n`);
    expectTooDeep(at101, "> deep");
    expect(deepest(at101.module).block).toMatchObject({ kind: "paragraph", text: "> deep" });
  });

  it.each([
    ["block quotes", "> ", "deep", `${"> ".repeat(2900)}deep`],
    ["block quotes without blanks", ">", "deep", `${">".repeat(2899)}deep`],
    ["list markers", "- ", "deep", `-${"- ".repeat(2899)}deep`],
    ["star list markers", "* ", "deep", `*${"* ".repeat(2899)}deep`],
    ["ordered list markers", "1. ", "deep", `1.${"1. ".repeat(2899)}deep`],
    ["block quotes and list markers", "> - ", "deep", `>- ${"> - ".repeat(1449)}deep`],
  ])(
    "should keep 100 levels of 3000 nested %s on one line, quickly, with the rest as the deepest paragraph's text",
    (_what, marker, content, kept) => {
      const perLine = marker === "> - " ? 1500 : 3000;
      const text = `# Deep\n\n${marker.repeat(perLine)}${content}\n\nafter\n`;
      const result = timed(text);
      const firstEscaped = 8 + (marker === "> - " ? 2 * 100 : marker.length * 100);
      expectTooDeep(result, text.slice(firstEscaped, text.indexOf("\n", firstEscaped)));
      expect(deepest(result.module).block).toMatchObject({ kind: "paragraph", text: kept });
      // The guide is still a guide: the section and the paragraph after the deep one are there.
      expect(result.module.sections.map((s) => s.title)).toEqual(["Deep"]);
      expect(result.module.sections[0]!.blocks.at(-1)).toMatchObject({ kind: "paragraph", text: "after" });
    },
  );

  it("should report the first too-deep place once when many lines nest too deeply", () => {
    const line = `${"> ".repeat(300)}x\n\n`;
    const result = timed(`intro\n\n${line.repeat(50)}`);
    expectTooDeep(result, `${"> ".repeat(200)}x`);
    expect(result.diagnostics[0]!.span.start).toBe(7 + 200);
  });

  it.each([
    [
      "a list nested by indentation",
      Array.from({ length: 150 }, (_, i) => `${"  ".repeat(i)}- x${i}`).join("\n"),
      // Item x99 is level 100; the lines below continue its paragraph, their markers plain text.
      ["x99", ...Array.from({ length: 50 }, (_, i) => `- x${i + 100}`)].join("\n"),
    ],
    [
      // Line k+1 continues item k by indentation, opens a quote in it and a list in the quote.
      "lists in block quotes in list items nested by indentation",
      Array.from({ length: 75 }, (_, i) => `${"  > ".repeat(i)}- x${i}`).join("\n"),
      undefined,
    ],
    [
      "block quotes that grow line by line",
      Array.from({ length: 150 }, (_, i) => `${"> ".repeat(i + 1)}x${i}`).join("\n"),
      undefined,
    ],
  ])("should keep 100 levels of %s, quickly, and the rest as plain text", (_what, body, kept) => {
    const result = timed(`${body}\n`);
    expectTooDeep(result);
    if (kept !== undefined)
      expect(deepest(result.module).block).toMatchObject({ kind: "paragraph", text: kept });
    expect(deepest(result.module).block?.span.end).toBeLessThanOrEqual(result.text.length);
  });

  it("should read 2000 columns of indentation before a list marker as indented code", () => {
    const result = timed(`${"  ".repeat(1000)}- x\n`);
    expect(result.codes).toEqual([]);
    expect(result.module.preamble).toMatchObject([{ kind: "code", text: `${"  ".repeat(998)}- x` }]);
    expect(result.ms).toBeLessThan(5000);
  });

  it("should leave a deeply nested line alone when it is inside a fence", () => {
    const deep = `${"> ".repeat(200)}x`;
    const result = timed(`\`\`\`\n${deep}\n\`\`\`\n`);
    expect(result.codes).toEqual([]);
    expect(result.module.preamble).toMatchObject([{ kind: "code", text: deep }]);
  });

  it("should leave a deeply nested line alone when it is in YAML frontmatter", () => {
    const deep = `${"> ".repeat(200)}x`;
    const result = timed(`---\nnote: |\n  ${deep}\n---\n# T\n`);
    expect(result.codes).toEqual([]);
    expect(result.module.frontmatter?.value).toEqual({ note: `${deep}\n` });
  });

  it("should read a line of 150 list markers and nothing else as a thematic break", () => {
    const result = timed(`${"- ".repeat(150)}-\n`);
    expect(result.codes).toEqual([]);
    expect(result.module.preamble).toMatchObject([{ kind: "thematic-break" }]);
  });

  it("should keep the nesting of random markers on one line up to 100 levels, reporting TSG3005 past it", () => {
    const markers = fc.array(fc.constantFrom("> ", ">", "- ", "* ", "+ ", "1. ", "2) "), { maxLength: 260 });
    fc.assert(
      fc.property(markers, fc.integer({ min: 1, max: 3 }), (prefix, lines) => {
        const line = `${prefix.join("")}text`;
        const result = timed(`${line}\n`.repeat(lines));
        const levels = Math.min(prefix.length, MAX_NESTING);
        expect(deepest(result.module).depth).toBe(levels);
        expect(result.codes).toEqual(prefix.length > MAX_NESTING ? ["TSG3005"] : []);
        const block = deepest(result.module).block!;
        expect(block.kind).toBe("paragraph");
        if (block.kind === "paragraph") expect(block.text.endsWith("text")).toBe(true);
        for (const d of result.diagnostics) expect(d.span.end).toBeLessThanOrEqual(result.text.length);
      }),
      { numRuns: 150 },
    );
  });
});

describe("nesting that builds up over many lines", () => {
  /** A list indented two columns more per line: `levels` items, each inside the one before. */
  const steps = (levels: number, separator = "\n") =>
    `# Deep\n\n${Array.from({ length: levels }, (_, i) => `${"  ".repeat(i)}- item ${i}`).join(separator)}\n`;

  it("should read a list 800 levels deep in linear time, keeping 100 levels and the rest as the deepest paragraph", () => {
    // remark-parse alone needed 15 s for this before limitNesting followed indentation.
    const text = steps(800);
    const result = timed(text);
    expectTooDeep(result, "- item 100");
    expect(result.ms).toBeLessThan(3000);
    const { block } = deepest(result.module);
    const rest = Array.from({ length: 700 }, (_, i) => `- item ${i + 100}`);
    expect(block).toMatchObject({ kind: "paragraph", text: ["item 99", ...rest].join("\n") });
    // Offsets are the input's again, though remark-parse read the deep lines without their indentation.
    expect(result.slice(block!.span)).toBe(text.slice(text.indexOf("item 99\n"), text.lastIndexOf("\n")));
    expect(result.module.sections.map((s) => s.title)).toEqual(["Deep"]);
  });

  it("should read a loose list (blank lines between items) 800 levels deep in linear time", () => {
    const result = timed(steps(800, "\n\n"));
    expectTooDeep(result, "- item 100");
    expect(result.ms).toBeLessThan(6000);
  });

  it.each([
    ["ordered items", (i: number) => `${"   ".repeat(i)}1. x${i}`],
    ["tab-indented items", (i: number) => `${"\t".repeat(Math.floor(i / 2))}${i % 2 ? "  " : ""}- x${i}`],
    ["items with a second line", (i: number) => `${"  ".repeat(i)}- x${i}\n${"  ".repeat(i + 1)}more ${i}`],
    ["a list in 50 block quotes", (i: number) => `${"> ".repeat(50)}${"  ".repeat(i)}- x${i}`],
  ])(
    "should keep every span inside the text and nest 100 levels when given %s 600 levels deep",
    (_what, line) => {
      const text = `${Array.from({ length: 600 }, (_, i) => line(i)).join("\n")}\nafter\n`;
      const result = timed(text);
      expectTooDeep(result);
      for (const d of result.diagnostics) expect(d.span.end).toBeLessThanOrEqual(text.length);
      const block = deepest(result.module).block!;
      expect(block.span.end).toBeLessThanOrEqual(text.length);
      expect(result.slice(block.span).length).toBeGreaterThan(0);
    },
  );

  it("should leave a guide alone that nests 100 levels by indentation", () => {
    const text = Array.from({ length: 100 }, (_, i) => `${"  ".repeat(i)}- x${i}`).join("\n");
    expect(limitNesting(text)).toEqual({ text, tooDeep: undefined });
    const result = timed(text);
    expect(result.codes).toEqual([]);
    expect(deepest(result.module)).toMatchObject({ depth: 100, block: { kind: "paragraph", text: "x99" } });
  });
});

describe("limitNesting", () => {
  it("should leave out the prefix of a continuation line past the limit, and say where", () => {
    const text = Array.from({ length: 103 }, (_, i) => `${"  ".repeat(i)}- x${i}`).join("\n");
    const limited = limitNesting(text);
    const lines = limited.text.split("\n");
    // Line 101 opens level 101: its marker gets the prefix's last blank as its backslash.
    expect(lines.slice(100)).toEqual(["\\- x100", "\\- x101", "\\- x102"]);
    expect(limited.tooDeep).toEqual({ start: text.indexOf("- x100"), end: text.indexOf("- x100") + 6 });
    const removed = limited.removed!;
    expect(removed.total.at(-1)).toBe(text.length - limited.text.length);
    const at = (offset: number) => ({ line: 1, column: 1, offset });
    const tree: Root = {
      type: "root",
      children: [
        {
          type: "paragraph",
          children: [],
          position: { start: at(5), end: at(limited.text.indexOf("x101")) },
        },
      ],
      position: { start: at(0), end: at(limited.text.length) },
    };
    restoreOffsets(tree, limited);
    expect(tree.position).toEqual({ start: at(0), end: at(text.length) });
    expect(tree.children[0]!.position).toEqual({ start: at(5), end: at(text.indexOf("x101")) });
  });

  it("should return the text itself when no line nests too deeply", () => {
    const text = `${"> ".repeat(100)}x\n- - x\n`;
    const limited = limitNesting(text);
    expect(limited.text).toBe(text);
    expect(limited.tooDeep).toBeUndefined();
  });

  it.each([
    ["> ", `${"> ".repeat(99)}>\\> > x`],
    ["- ", `${"- ".repeat(100)}\\-- x`],
    ["* ", `${"* ".repeat(100)}\\** x`],
    ["1. ", `${"1. ".repeat(100)}1\\.1. x`],
    ["2) ", `${"2) ".repeat(100)}2\\)2) x`],
    [">", `${">".repeat(100)}\\>x`],
  ])("should escape the 101st of 102 '%s' markers in place", (marker, expected) => {
    const text = `${marker.repeat(102)}x\n`;
    const limited = limitNesting(text);
    expect(limited.text).toBe(`${expected}\n`);
    expect(limited.tooDeep).toEqual({ start: 100 * marker.length, end: text.length - 1 });
  });

  it("should leave the line to the block walk when the 101st marker is a > right before a letter", () => {
    const text = `${">".repeat(101)}x\n`;
    expect(limitNesting(text)).toEqual({ text, tooDeep: undefined });
    const result = timed(text);
    expectTooDeep(result, ">x");
    expect(deepest(result.module).block).toMatchObject({ kind: "paragraph", text: "x" });
  });
});

describe("walks over deep trees", () => {
  const source = sourceFromText("deep.md", "");
  const context = () => new MarkdownContext("deep.md", "", source.lineStarts, 0);

  it("should not recurse past the limit when a tree of 100,000 block quotes comes from the parser", () => {
    let node: RootContent = { type: "paragraph", children: [{ type: "text", value: "bottom" }] };
    for (let i = 0; i < 100_000; i++) node = { type: "blockquote", children: [node] } satisfies Blockquote;
    const ctx = context();
    const blocks = buildBlocks([node], ctx);
    expect(ctx.tooDeep).toBeDefined();
    let block = blocks[0]!;
    let depth = 0;
    while (block.kind === "blockquote") {
      block = block.blocks[0]!;
      depth++;
    }
    expect(depth).toBe(MAX_NESTING);
    expect(block).toMatchObject({ kind: "paragraph", text: "bottom" });
  });

  it("should read 100,000 nested emphases without recursion when a paragraph holds them", () => {
    let inline: Emphasis["children"][number] = {
      type: "link",
      url: "https://x.io",
      children: [{ type: "inlineCode", value: "kubectl get pods" }],
    };
    for (let i = 0; i < 100_000; i++)
      inline = { type: "emphasis", children: [{ type: "text", value: "a" }, inline] };
    const paragraph: Paragraph = { type: "paragraph", children: [inline] };
    const block = buildBlock(paragraph, context());
    expect(block).toMatchObject({
      kind: "paragraph",
      links: [{ url: "https://x.io", text: "kubectl get pods" }],
    });
    if (block?.kind === "paragraph") expect(block.text).toBe(`${"a".repeat(100_000)}kubectl get pods`);
  });
});

describe("lines that only look nested", () => {
  it("should not report TSG3005 when the markers continue a paragraph", () => {
    // An ordered list that does not start at 1 cannot interrupt a paragraph: the line is text.
    const result = timed(`para\n${"2. ".repeat(150)}x\n`);
    expect(result.codes).toEqual([]);
    expect(deepest(result.module).depth).toBe(0);
  });
});
