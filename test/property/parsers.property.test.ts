/**
 * Property tests for every parser: arbitrary and mutated input never throws out of the public
 * API and always yields a module or diagnostics (fast-check). Each run is bounded in count and
 * time; a hang fails the test through vitest's timeout.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSource } from "../../src/frontend/parse-source.js";
import { decodeSource, sourceFromText } from "../../src/frontend/read-source.js";
import type { SourceKind } from "../../src/ir/nodes.js";
import { formatDiagnostics, sourceLookup } from "../../src/ir/print-diagnostics.js";
import { mutatedText } from "../support/mutate-text.js";

const EXAMPLES = new URL("../../examples/", import.meta.url);
const SEEDS: Record<SourceKind, string> = {
  rllm: readFileSync(new URL("summary.rllm", EXAMPLES), "utf8"),
  tsg: readFileSync(new URL("pod-crashloop.md", EXAMPLES), "utf8"),
  task: readFileSync(new URL("generate-openapi.task.md", EXAMPLES), "utf8"),
};
const PATHS: Record<SourceKind, string> = { rllm: "p.rllm", tsg: "p.md", task: "p.md" };

/** Parses and prints; the property is that neither throws and the result is well-formed. */
function parseAndPrint(kind: SourceKind, text: string): void {
  const source = sourceFromText(PATHS[kind], text);
  const result = parseSource(source, kind);
  expect(result.module !== undefined || result.diagnostics.length > 0).toBe(true);
  for (const d of result.diagnostics) {
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeLessThanOrEqual(source.text.length);
    expect(d.span.start).toBeLessThanOrEqual(d.span.end);
  }
  formatDiagnostics(result.diagnostics, sourceLookup([source]));
  JSON.stringify(result.module);
}

/** Text built from the fragments that make parsers branch. */
const tokens = fc.constantFrom(
  "---",
  "\n",
  "\r\n",
  "\r",
  ":::",
  ":::recovery",
  ":::pre js name=a inputs=x outputs=y",
  "{{",
  "}}",
  "{{#each x}}",
  "{{/each}}",
  "{{else}}",
  "{{> p}}",
  "```",
  "```yaml",
  "~~~",
  "# ",
  "## ",
  "$ ",
  "\\",
  "<<EOF",
  "EOF",
  "<pod>",
  "$VAR",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell placeholder, not a JS template
  "${X}",
  "{X}",
  "prompt: ",
  "outputs: [a]",
  "- ",
  "  ",
  "\t",
  "&a ",
  "*a",
  "[",
  "]",
  "{",
  "}",
  '"',
  "'",
  "|",
  "> ",
  "kubectl get pods",
  "name: x",
  "\uFEFF",
  "é",
  "😀",
);
const structured = fc
  .array(fc.oneof(tokens, fc.string({ maxLength: 8 })), { maxLength: 60 })
  .map((parts) => parts.join(""));

const RUNS = { numRuns: 150, interruptAfterTimeLimit: 8_000 };

describe.each(["rllm", "tsg", "task"] as const)("%s parser properties", (kind) => {
  it("should never throw on arbitrary unicode text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => parseAndPrint(kind, text)),
      RUNS,
    );
  });

  it("should never throw on text made of syntax fragments", () => {
    fc.assert(
      fc.property(structured, (text) => parseAndPrint(kind, text)),
      RUNS,
    );
  });

  it("should never throw on a mutated example", () => {
    fc.assert(
      fc.property(mutatedText(SEEDS[kind], tokens, 4), (text) => parseAndPrint(kind, text)),
      RUNS,
    );
  });

  it("should never throw on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const read = decodeSource(PATHS[kind], bytes);
        if (read.source === undefined) expect(read.diagnostics.length).toBe(1);
        else parseAndPrint(kind, read.source.text);
      }),
      RUNS,
    );
  });
});
