import { describe, expect, it } from "vitest";
import { detectKind } from "../../src/frontend/parse-source.js";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseTask } from "../../src/frontend/task/parse-task.js";

function task(text: string) {
  const result = parseTask(sourceFromText("t.md", text));
  const slice = (s: { start: number; end: number }) => text.slice(s.start, s.end);
  return { ...result, slice, codes: result.diagnostics.map((d) => d.code) };
}

const FENCED = [
  "# Generate the API explorer",
  "",
  "Some prose.",
  "",
  "```yaml",
  "prompt: |",
  "  Generate an explorer for the {SERVICE} domain",
  "  in {LANG}.",
  "context:",
  "  - /workspace/context/README.md for system context",
  "  - docs/{SERVICE}.yaml",
  "outputs:",
  "  - docs/index.html",
  "guarantees:",
  "  - OpenAPI 3.1",
  "```",
  "",
].join("\n");

describe("task frontend", () => {
  it("should read a fenced yaml task block with spans for every part", () => {
    const { module, diagnostics, slice } = task(FENCED);
    expect(diagnostics).toEqual([]);
    expect(module?.blockOrigin).toBe("fenced-yaml");
    expect(module?.title).toBe("Generate the API explorer");
    expect(module?.prompt?.text).toBe("Generate an explorer for the {SERVICE} domain\nin {LANG}.\n");
    expect(module?.prompt?.placeholders.map((p) => [p.name, slice(p.span)])).toEqual([
      ["SERVICE", "{SERVICE}"],
      ["LANG", "{LANG}"],
    ]);
    expect(module?.context.map((c) => [c.path, c.description, slice(c.pathSpan)])).toEqual([
      ["/workspace/context/README.md", "for system context", "/workspace/context/README.md"],
      ["docs/{SERVICE}.yaml", undefined, "docs/{SERVICE}.yaml"],
    ]);
    expect(module?.context[1]?.placeholders.map((p) => p.name)).toEqual(["SERVICE"]);
    expect(module?.outputs.map((o) => o.path)).toEqual(["docs/index.html"]);
    expect(module?.guarantees.map((g) => slice(g.span))).toEqual(["OpenAPI 3.1"]);
  });

  it("should read a task block in frontmatter", () => {
    const { module, diagnostics } = task("---\nprompt: Do {X}\noutputs: [a.txt]\n---\n# Title\n");
    expect(diagnostics).toEqual([]);
    expect(module?.blockOrigin).toBe("frontmatter");
    expect(module?.prompt?.placeholders.map((p) => p.name)).toEqual(["X"]);
    expect(module?.title).toBe("Title");
  });

  it("should find quoted paths' spans inside the quotes", () => {
    const { module, slice } = task('```yaml\nprompt: p\noutputs:\n  - "docs/a b.md"\n```\n');
    expect(slice(module!.outputs[0]!.pathSpan)).toBe("docs/a");
  });

  it.each([
    ["a path that leaves the root", "prompt: p\noutputs: [../etc/passwd]\n", ["TSK4003"]],
    ["a duplicate output", "prompt: p\noutputs: [a, a]\n", ["TSK4005"]],
    ["missing outputs", "prompt: p\n", ["SCH1101"]],
    ["an unknown key", "prompt: p\noutputs: [a]\ncontxt: [b]\n", ["SCH1102"]],
    ["an empty prompt", "prompt: ''\noutputs: [a]\n", ["SCH1105"]],
    ["an unclosed placeholder", "prompt: Do {SERVICE now\noutputs: [a]\n", ["TSK4004"]],
    ["a list instead of a mapping", "- prompt: p\n", ["YML1005"]],
    [
      "an absolute output path",
      "prompt: p\noutputs: [/etc/app.yaml]\ncontext: [/workspace/context/a.md]\n",
      ["TSK4003"],
    ],
    ["an output beside a repository mount", "prompt: p\noutputs: [/mounts/repository/a]\n", ["TSK4003"]],
  ])("should report %s", (_what, yaml, codes) => {
    expect(task(`\`\`\`yaml\n${yaml}\`\`\`\n`).codes.sort()).toEqual(codes);
  });

  it("should read the seed's example as written: a fence without a language holding prompt and outputs", () => {
    const seed = [
      "## Task Model",
      "```",
      "prompt: generate an OpenAPI based API explorer for the {SERVICE} domain",
      "context:",
      "- /mounts/specifications/README.md for system context",
      "outputs:",
      "- /mounts/repo/docs/index.html ",
      "- /mounts/repo/docs/openapi.yaml",
      "```",
      "",
    ].join("\n");
    const { module, codes } = task(seed);
    expect(codes).toEqual([]);
    expect(module?.outputs.map((o) => o.path)).toEqual([
      "/mounts/repo/docs/index.html",
      "/mounts/repo/docs/openapi.yaml",
    ]);
    expect(detectKind("seed.md", seed)).toBe("task");
    // A fence without a language that only mentions a prompt is not a task block: a TSG stays a TSG.
    expect(detectKind("tsg.md", "# Login\n\n```\nprompt: enter your password\n```\n")).toBe("tsg");
  });

  it("should accept outputs under a repository mount, as the seed's example writes them", () => {
    const { codes } = task(
      "```yaml\nprompt: p\noutputs:\n  - /mounts/repo/docs/index.html \n  - /workspace/repo/docs/openapi.yaml\n```\n",
    );
    expect(codes).toEqual([]);
  });

  it("should suggest the field name for a misspelt key", () => {
    const { diagnostics } = task("```yaml\nprompt: p\noutputs: [a]\ncontxt: [b]\n```\n");
    expect(diagnostics[0]?.hint).toBe("did you mean 'context'?");
  });

  it("should report a second task block and use the first", () => {
    const { module, codes } = task(
      "```yaml\nprompt: one\noutputs: [a]\n```\n\n```yaml\nprompt: two\noutputs: [b]\n```\n",
    );
    expect(codes).toEqual(["TSK4002"]);
    expect(module?.prompt?.text).toBe("one");
  });

  it("should report a file with no task block when read as a task", () => {
    expect(task("# Just prose\n").codes).toEqual(["TSK4001"]);
  });

  it("should ignore a yaml block inside another fence", () => {
    const text = "````md\n```yaml\nprompt: p\noutputs: [a]\n```\n````\n";
    expect(task(text).codes).toEqual(["TSK4001"]);
  });
});

describe("kind detection", () => {
  it.each([
    ["app.rllm", "anything", "rllm"],
    ["guide.md", "# Title\n\n```bash\nkubectl get pods\n```\n", "tsg"],
    ["task.md", "```yaml\nprompt: p\noutputs: [a]\n```\n", "task"],
    ["task.markdown", "---\nprompt: p\n---\n", "task"],
    ["guide.md", "```yaml\nkind: Pod\n```\n", "tsg"],
    ["notes.txt", "prompt: p", undefined],
    ["commented.md", "# Guide\n\n<!--\n```yaml\nprompt: p\noutputs: [a]\n```\n-->\n", "tsg"],
    ["cr.md", "---\rprompt: p\routputs: [a]\r---\r# T\r", "task"],
  ])("should read %s as %s", (path, text, kind) => {
    expect(detectKind(path, text)).toBe(kind);
  });
});
