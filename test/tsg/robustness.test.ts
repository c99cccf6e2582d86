// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell text, where ${VAR} is what is being tested
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import remarkParse from "remark-parse";
import { unified } from "unified";
import { describe, expect, it } from "vitest";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { MAX_NESTING } from "../../src/frontend/tsg/nesting.js";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";
import type { Span } from "../../src/ir/span.js";
import { deepest } from "./helpers.js";

const CORPUS = fileURLToPath(new URL("../../../shared/corpus/tsg", import.meta.url));

/** Pieces that exercise every construct of the TSG frontend, for generated documents. */
const PIECES = [
  "# Title\n",
  "## Section\n",
  "### Deep\n",
  "---\n",
  "title: x\n",
  "```sh\n",
  "```\n",
  "~~~\n",
  "    ",
  "$ ",
  "# ",
  "> ",
  "user@host:~$ ",
  "db=# ",
  "kubectl get pods",
  " -n <ns>",
  " $VAR",
  " ${VAR:-x}",
  " {name}",
  " \\\n",
  " <<EOF\n",
  "EOF\n",
  " <<'E'\n",
  "E\n",
  "'",
  '"',
  "$(",
  ")",
  "{{ .x }}",
  "{{",
  "}}",
  " | ",
  " && ",
  "for i in a; do\n",
  "done\n",
  "Run: `kubectl logs x`\n",
  "`helm ls`",
  "- ",
  "1. ",
  "- [x] ",
  "| a | b |\n",
  "| --- | --- |\n",
  "[link](http://x)",
  "![img](y.png)",
  "[ref]\n",
  "[ref]: http://r\n",
  "<details>\n",
  "\r\n",
  "\n",
  "\t",
  " ",
  "…",
  "\u00a0",
  "é",
  "😀",
  // Deep enough that a few of them together pass the nesting limit.
  "> ".repeat(40),
  "- ".repeat(40),
  "  ".repeat(30),
];

function assertSpans(text: string, spans: readonly Span[]): void {
  for (const s of spans) {
    expect(s.start).toBeGreaterThanOrEqual(0);
    expect(s.end).toBeGreaterThanOrEqual(s.start);
    expect(s.end).toBeLessThanOrEqual(text.length);
  }
}

/** Every span in a parse result (found by walking the JSON). */
function spansOf(value: unknown, out: Span[] = []): Span[] {
  if (Array.isArray(value)) for (const v of value) spansOf(v, out);
  else if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.start === "number" && typeof o.end === "number" && typeof o.file === "string")
      out.push(o as unknown as Span);
    for (const v of Object.values(o)) spansOf(v, out);
  }
  return out;
}

/**
 * Parses `text` and checks what holds for any input. parseTsg catches nothing, so a bug makes
 * the property fail with its exception; TSG3005 is only for nesting past the limit, which then
 * leaves the guide exactly `MAX_NESTING` levels deep.
 */
function parse(text: string) {
  return check(parseTsg(sourceFromText("fuzz.md", text)));
}

function check(result: ReturnType<typeof parseTsg>) {
  const depth = deepest(result.module).depth;
  expect(depth).toBeLessThanOrEqual(MAX_NESTING);
  for (const d of result.diagnostics.filter((d) => d.code === "TSG3005")) {
    expect(d.message).toMatch(/^the guide nests block quotes and lists more than 100 levels deep;/);
    expect(depth).toBe(MAX_NESTING);
  }
  return result;
}

describe("TSG frontend robustness", () => {
  it("should keep every span inside the text when given arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const result = parse(text);
        expect(result.module.kind).toBe("tsg");
        assertSpans(text, spansOf(result));
      }),
      { numRuns: 400 },
    );
  });

  it("should keep every span inside the text and nest at most 100 levels when given Markdown-like documents", () => {
    const doc = fc.array(fc.constantFrom(...PIECES), { maxLength: 120 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(doc, (text) => {
        const result = parse(text);
        expect(result.diagnostics.every((d) => d.severity !== "error" || d.code.startsWith("YML"))).toBe(
          true,
        );
        assertSpans(text, spansOf(result));
        for (const p of spansOf(result.module)) expect(p.file).toBe("fuzz.md");
      }),
      { numRuns: 500 },
    );
  });

  it("should keep every span inside the text when a corpus guide is cut or mutated", () => {
    const files = readdirSync(CORPUS, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".md"))
      .slice(0, 60)
      .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"));
    const mutated = fc
      .tuple(fc.constantFrom(...files), fc.nat(), fc.nat(), fc.constantFrom(...PIECES))
      .map(([text, a, b, piece]) => {
        const i = a % (text.length + 1);
        const j = Math.min(text.length, i + (b % 200));
        return text.slice(0, i) + piece + text.slice(j);
      });
    fc.assert(
      fc.property(mutated, (text) => {
        const result = parse(text);
        assertSpans(text, spansOf(result));
      }),
      { numRuns: 200 },
    );
  });
});

describe("TSG frontend on large inputs", () => {
  const MB = 1024 * 1024;
  const repeat = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length));
  const bare = unified().use(remarkParse).freeze();
  const time = (fn: () => unknown) => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  };

  it("should parse 5 MB of real guides in a few seconds when they are concatenated", () => {
    const files = readdirSync(CORPUS, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".md"))
      .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"));
    const text = repeat(files.join("\n\n"), 5 * MB);
    let result: ReturnType<typeof parse> | undefined;
    const elapsed = time(() => (result = parse(text)));
    expect(result!.module.sections.length).toBeGreaterThan(500);
    // A bound against pathological (quadratic) behaviour, not a benchmark: npm run bench measures speed.
    expect(elapsed).toBeLessThan(20_000);
  }, 60_000);

  // Adversarial shapes: parseTsg may cost only a bounded amount on top of remark-parse itself.
  it.each([
    [
      "a shell block of prompted commands",
      `\`\`\`sh\n${repeat("$ kubectl -n <ns> get pods \\\n  -o wide\nNAME READY\n", MB / 2)}\`\`\`\n`,
    ],
    [
      "a shell block of lines with a lone quote",
      `\`\`\`sh\n${repeat("echo don't do ${x\n", MB / 2)}\`\`\`\n`,
    ],
    [
      "a shell block of unclosed loops with heredocs",
      `\`\`\`sh\n${repeat("for i in a b; do\n  echo $i <<EOF\nbody\nEOF\n", MB / 2)}\`\`\`\n`,
    ],
    ["an unterminated heredoc", `\`\`\`sh\ncat <<EOF\n${repeat("line {x} <y> $z\n", MB / 2)}\`\`\`\n`],
    ["one line of placeholder openers", `\`\`\`sh\necho ${repeat("{a ${b <c '<<'{{ ", MB / 2)}\n\`\`\`\n`],
    ["one paragraph of inline commands", repeat("Run: `kubectl get pods <x>` and `helm ls` ", MB / 2)],
    ["many equal headings", repeat("# Same\n\ntext\n\n", MB / 4)],
    ["one unclosed fence", `\`\`\`\n${repeat("$ ls\n", MB / 2)}`],
  ])(
    "should cost little more than remark-parse itself on half a megabyte of %s",
    (_what, text) => {
      const baseline = time(() => bare.parse(text));
      let result: ReturnType<typeof parse> | undefined;
      const elapsed = time(() => (result = parseTsg(sourceFromText("big.md", text))));
      check(result!);
      expect(elapsed).toBeLessThan(2 * baseline + 1500);
    },
    60_000,
  );
});
