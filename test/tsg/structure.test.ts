import { describe, expect, it } from "vitest";
import { slug } from "../../src/frontend/tsg/slugger.js";
import type { TsgSection } from "../../src/ir/nodes.js";
import { allBlocks, codeBlocks, paragraphs, tsg } from "./helpers.js";

function outline(sections: readonly TsgSection[]): unknown[] {
  return sections.map((s) => [
    s.id,
    s.depth,
    s.title,
    ...(s.children.length > 0 ? [outline(s.children)] : []),
  ]);
}

describe("sections", () => {
  it("should nest headings by depth when levels are skipped", () => {
    const { module } = tsg("# Alert\n\n### Deep\n\n## Meaning\n\n#### Deeper\n\n# Other\n");
    expect(outline(module.sections)).toEqual([
      [
        "alert",
        1,
        "Alert",
        [
          ["deep", 3, "Deep"],
          ["meaning", 2, "Meaning", [["deeper", 4, "Deeper"]]],
        ],
      ],
      ["other", 1, "Other"],
    ]);
  });

  it("should put blocks before the first heading in the preamble", () => {
    const { module } = tsg("Intro text.\n\n---\n\n# Title\n\nBody.\n");
    expect(module.preamble.map((b) => b.kind)).toEqual(["paragraph", "thematic-break"]);
    expect(module.sections[0]!.blocks.map((b) => b.kind)).toEqual(["paragraph"]);
  });

  it("should make GitHub-style slugs unique when titles repeat", () => {
    const { module } = tsg("# Check the pods\n## Check the pods\n## Check the pods\n## Check the pods-1\n");
    const ids: string[] = [];
    const walk = (list: readonly TsgSection[]): void => {
      for (const s of list) {
        ids.push(s.id);
        walk(s.children);
      }
    };
    walk(module.sections);
    expect(ids).toEqual(["check-the-pods", "check-the-pods-1", "check-the-pods-2", "check-the-pods-1-1"]);
  });

  it.each([
    ["Check the Pods!", "check-the-pods"],
    ["What's `etcdctl` doing?", "whats-etcdctl-doing"],
    ["Step 1: drain (optional)", "step-1-drain-optional"],
    ["snake_case & kebab-case", "snake_case--kebab-case"],
    ["Ünïcödé Tïtle", "ünïcödé-tïtle"],
  ])("should slug %j as GitHub does", (title, expected) => {
    expect(slug(title)).toBe(expected);
  });

  it("should span a section from its heading to the end of its last descendant block", () => {
    const text = "# A\n\nOne.\n\n## B\n\nTwo.\n\n# C\n";
    const { module, slice } = tsg(text);
    expect(slice(module.sections[0]!.span)).toBe("# A\n\nOne.\n\n## B\n\nTwo.");
    expect(slice(module.sections[0]!.children[0]!.span)).toBe("## B\n\nTwo.");
    expect(slice(module.sections[1]!.span)).toBe("# C");
    expect(slice(module.sections[0]!.titleSpan)).toBe("A");
  });

  it.each([
    ["the first h1", "---\ntitle: From frontmatter\n---\n## Intro\n# The Title\n", "The Title"],
    [
      "the frontmatter title when there is no h1",
      "---\ntitle: From frontmatter\n---\n## Intro\n",
      "From frontmatter",
    ],
    ["the file name when there is neither", "## Intro\n", "KubePodCrashLooping"],
  ])("should take the title from %s", (_what, text, title) => {
    expect(tsg(text, "runbooks/KubePodCrashLooping.md").module.title).toBe(title);
  });
});

describe("frontmatter", () => {
  it("should parse YAML frontmatter with spans into the source", () => {
    const { module, diagnostics, slice } = tsg(
      "---\ntitle: Kube Pod Crash Looping\nweight: 20\n---\n\n# X\n",
    );
    expect(diagnostics).toEqual([]);
    expect(module.frontmatter?.value).toEqual({ title: "Kube Pod Crash Looping", weight: 20 });
    expect(slice(module.frontmatter!.locations["/weight"]!.value)).toBe("20");
  });

  it("should report YAML errors as they are when the frontmatter is invalid", () => {
    const { module, codes } = tsg("---\ntitle: [oops\n---\n# X\n");
    expect(module.frontmatter).toBeUndefined();
    expect(codes).toContain("YML1001");
  });
});

describe("blocks", () => {
  it("should read a fenced block's language and meta from the info string", () => {
    const { module, slice } = tsg("```Console # Drain, but wait\n$ ls\n```\n");
    const code = codeBlocks(module)[0]!;
    expect([code.lang, code.meta, code.fenced, code.role, code.text]).toEqual([
      "console",
      "# Drain, but wait",
      true,
      "shell",
      "$ ls",
    ]);
    expect(slice(code.textSpan)).toBe("$ ls");
  });

  it("should read an indented code block when it is indented by four spaces", () => {
    const { module, slice } = tsg("Text.\n\n    kubectl get pods\n    kubectl top pods\n");
    const code = codeBlocks(module)[0]!;
    expect([code.lang, code.fenced, code.role]).toEqual(["", false, "shell"]);
    expect(code.lines.map((l) => slice(l.span))).toEqual(["kubectl get pods", "kubectl top pods"]);
  });

  it.each([
    ["yaml", "```yaml\nkubectl: get\n```", "literal"],
    ["promql", "```promql\nrate(x[5m])\n```", "literal"],
    ["sql", "```sql\nselect 1;\n```", "literal"],
    ["bash", "```bash\nanything at all\n```", "shell"],
    ["shell-session", "```shell-session\n$ ls\n```", "shell"],
    ["powershell", "```powershell\nGet-Service\n```", "shell"],
    ["unlabelled with a prompt", "```\nsome text\n$ kubectl get pods\n```", "shell"],
    ["unlabelled starting with a known tool", "```\n# note\nsudo gitlab-ctl restart\n```", "shell"],
    [
      "unlabelled starting with a path to a tool",
      "```\n/opt/gitlab/embedded/bin/redis-cli info\n```",
      "shell",
    ],
    ["unlabelled after assignments", "```\nenv=gprd\ngcloud compute disks list\n```", "shell"],
    ["unlabelled with only assignments", "```\nPOOL=<name of pool>\n```", "shell"],
    ["unlabelled SQL", "```\nSELECT pid FROM pg_stat_activity;\n```", "literal"],
    ["unlabelled log lines", '```\n2021-01-04 level=warn msg="x"\n```', "literal"],
    ["unlabelled psql session", "```\npgbouncer=# show pools;\n database | user\n```", "literal"],
    ["unlabelled chatops", "```\n/chatops run feature set x false\n```", "literal"],
  ])("should give a %s block the right role", (_what, markdown, role) => {
    const code = codeBlocks(tsg(markdown).module)[0]!;
    expect(code.role).toBe(role);
    if (role === "literal") expect(code.lines).toEqual([]);
  });

  it("should report TSG3001 at the opening fence when a fence is never closed", () => {
    const { module, diagnostics, slice } = tsg("# T\n\n```sh\n$ ls\n\n## Not a heading\n");
    expect(diagnostics.map((d) => [d.code, d.severity, slice(d.span)])).toEqual([
      ["TSG3001", "warning", "```sh"],
    ]);
    expect(codeBlocks(module)[0]!.text).toBe("$ ls\n\n## Not a heading");
  });

  it("should not report TSG3001 when fences are closed by a longer fence or inside a list", () => {
    expect(tsg("````sh\nls\n`````\n\n- a\n\n  ```\n  ls\n  ```\n").codes).toEqual([]);
  });

  it("should report TSG3002 when the document is empty", () => {
    expect(tsg("").codes).toEqual(["TSG3002"]);
    expect(tsg("  \n\n").codes).toEqual(["TSG3002"]);
    expect(tsg("---\ntitle: x\n---\n").codes).toEqual(["TSG3002"]);
  });

  it("should read ordered lists, task items and nested blocks", () => {
    const { module } = tsg(
      "1. [ ] Drain\n2. [x] Cordon\n\n   ```sh\n   kubectl cordon n1\n   ```\n   - nested\n",
    );
    const list = module.preamble[0]!;
    if (list.kind !== "list") throw new Error("expected a list");
    expect(list.ordered).toBe(true);
    expect(list.items.map((i) => i.checked)).toEqual([false, true]);
    expect(list.items[0]!.blocks[0]).toMatchObject({ kind: "paragraph", text: "Drain" });
    expect(list.items[1]!.blocks.map((b) => b.kind)).toEqual(["paragraph", "code", "list"]);
  });

  it("should keep checked null when a list item is not a task", () => {
    const list = tsg("- plain\n").module.preamble[0]!;
    expect(list.kind === "list" ? list.items[0]!.checked : "no list").toBeNull();
  });

  it("should read a table's header, rows as plain text, and its links", () => {
    const { module, slice } = tsg(
      "| Metric | Meaning |\n| --- | :-: |\n| `up` | [docs](https://x.io/up) **bold** |\n| b | c |\n",
    );
    const table = module.preamble[0]!;
    if (table.kind !== "table") throw new Error("expected a table");
    expect(table.header).toEqual(["Metric", "Meaning"]);
    expect(table.rows).toEqual([
      ["up", "docs bold"],
      ["b", "c"],
    ]);
    expect(table.links.map((l) => [l.url, l.text, slice(l.span)])).toEqual([
      ["https://x.io/up", "docs", "[docs](https://x.io/up)"],
    ]);
  });

  it("should read links, images and reference links of a paragraph", () => {
    const { module, slice } = tsg(
      'See [Debugging Pods](https://k8s.io/debug) and ![graph](img/g.png "t") and [the runbook][rb].\n\n[rb]: https://runbooks.example/x\n',
    );
    const p = paragraphs(module)[0]!;
    expect(p.links.map((l) => [l.text, l.url, l.image, slice(l.span)])).toEqual([
      ["Debugging Pods", "https://k8s.io/debug", false, "[Debugging Pods](https://k8s.io/debug)"],
      ["graph", "img/g.png", true, '![graph](img/g.png "t")'],
      ["the runbook", "https://runbooks.example/x", false, "[the runbook][rb]"],
    ]);
  });

  it("should read blockquotes, HTML and thematic breaks", () => {
    const { module } = tsg("> Note: run `kubectl get pods -A`\n\n<details>\n<summary>x</summary>\n\n***\n");
    expect(module.preamble.map((b) => b.kind)).toEqual(["blockquote", "html", "thematic-break"]);
    const quote = module.preamble[0]!;
    expect(quote.kind === "blockquote" ? quote.blocks[0] : undefined).toMatchObject({
      kind: "paragraph",
      commands: [{ origin: "inline-code", text: "kubectl get pods -A" }],
    });
    expect(module.preamble[1]).toMatchObject({ kind: "html", value: "<details>\n<summary>x</summary>" });
  });

  it("should read a heading nested in a list as a paragraph when it cannot start a section", () => {
    const { module } = tsg("- ## Inside\n");
    expect(allBlocks(module).map((b) => b.kind)).toEqual(["list", "paragraph"]);
    expect(module.sections).toEqual([]);
  });
});

describe("line endings and byte-order marks", () => {
  const lf =
    "---\ntitle: T\n---\n# Title\n\nRun: `kubectl -n <ns> get pods`\n\n```sh\n$ kubectl get pods \\\n  -n <ns>\nNAME\n```\n";

  it("should keep every span on the source text when lines end with CRLF", () => {
    const crlf = lf.replace(/\n/g, "\r\n");
    const { module, slice, diagnostics } = tsg(crlf);
    expect(diagnostics).toEqual([]);
    expect(module.frontmatter?.value).toEqual({ title: "T" });
    const code = codeBlocks(module)[0]!;
    const [command, output] = code.lines;
    expect(command).toMatchObject({ kind: "command", text: "kubectl get pods -n <ns>" });
    expect(slice(command!.span)).toBe("$ kubectl get pods \\\r\n  -n <ns>");
    expect(command?.kind === "command" ? command.placeholders.map((p) => slice(p.span)) : []).toEqual([
      "<ns>",
    ]);
    expect(output).toMatchObject({ kind: "output", text: "NAME" });
    expect(slice(output!.span)).toBe("NAME");
    const inline = paragraphs(module)[0]!.commands[0]!;
    expect(slice(inline.span)).toBe("kubectl -n <ns> get pods");
    expect(slice(module.sections[0]!.titleSpan)).toBe("Title");
  });

  it("should give the same spans with LF and CRLF when measured in lines", () => {
    const a = tsg(lf);
    const b = tsg(lf.replace(/\n/g, "\r\n"));
    expect(codeBlocks(b.module)[0]!.lines.map((l) => b.slice(l.span).replace(/\r/g, ""))).toEqual(
      codeBlocks(a.module)[0]!.lines.map((l) => a.slice(l.span)),
    );
  });

  it("should keep spans on the text when it has no byte-order mark", () => {
    const { module, slice } = tsg("# Title\n\n```sh\n$ ls <dir>\n```\n");
    const code = codeBlocks(module)[0]!;
    const command = code.lines[0]!;
    expect(slice(command.span)).toBe("$ ls <dir>");
  });

  it("should keep spans on the text when a SourceFile still starts with a byte-order mark", async () => {
    const { parseTsg } = await import("../../src/frontend/tsg/parse-tsg.js");
    const { SourceFile } = await import("../../src/ir/source-file.js");
    const text = "\uFEFF# Title\n\n```sh\n$ ls <dir>\n```\n";
    const { module } = parseTsg(new SourceFile("bom.md", text));
    const command = codeBlocks(module)[0]!.lines[0]!;
    expect(text.slice(command.span.start, command.span.end)).toBe("$ ls <dir>");
    expect(module.title).toBe("Title");
  });
});
