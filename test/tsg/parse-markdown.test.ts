import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gfmTableFromMarkdown } from "mdast-util-gfm-table";
import { gfmTable } from "micromark-extension-gfm-table";
import remarkFrontmatter from "remark-frontmatter";
import remarkParse from "remark-parse";
import { unified } from "unified";
import { describe, expect, it } from "vitest";
import { CHUNK_THRESHOLD, parseMarkdown, safeCuts } from "../../src/frontend/tsg/parse-markdown.js";

const CORPUS = fileURLToPath(new URL("../../../shared/corpus/tsg", import.meta.url));

/** The reference parse: one pass with both extensions always on. */
const reference = unified()
  .use(remarkParse)
  .use(remarkFrontmatter, ["yaml"])
  .use(function tables() {
    const data = this.data();
    data.micromarkExtensions = [...(data.micromarkExtensions ?? []), gfmTable()];
    data.fromMarkdownExtensions = [...(data.fromMarkdownExtensions ?? []), gfmTableFromMarkdown()];
  })
  .freeze();

describe("parseMarkdown", () => {
  it("should give the same tree as a single parse with every extension when the text is small", () => {
    const files = readdirSync(CORPUS, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".md"))
      .slice(0, 80)
      .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"));
    for (const text of files) expect(parseMarkdown(text)).toEqual(reference.parse(text));
  });

  it("should give the same tree as a single parse when a large document is parsed in chunks", () => {
    const section = (i: number) =>
      [
        `# Section ${i}`,
        "",
        "Some *text* with `kubectl get pods` and a [link](https://x.io).",
        "",
        "```sh",
        "# not a heading inside a fence",
        "$ kubectl get pods \\",
        "  -n x",
        "```",
        "",
        "- item\n\n  ```\n  # indented fence content\n  ```",
        "",
        "| a | b |\n| - | - |\n| 1 | 2 |",
        "",
        "<!-- a comment\n\n# not a heading in a comment\n-->",
        "",
        "> quote\n\n## Sub\r\n\r\nText.\r",
        "",
      ].join("\n");
    let text = "---\ntitle: big\n---\n\n";
    for (let i = 0; text.length <= CHUNK_THRESHOLD + 100_000; i++) text += section(i);
    expect(safeCuts(text).length).toBeGreaterThan(3);
    expect(JSON.stringify(parseMarkdown(text))).toBe(JSON.stringify(reference.parse(text)));
  });
});
