import { describe, expect, it } from "vitest";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseRllm } from "../../src/frontend/rllm/parse-rllm.js";
import { app, HEADER } from "./helpers.js";

describe(".rllm frontmatter", () => {
  it("should read every header field when the frontmatter is valid", () => {
    const { module, diagnostics } = app("Say {{text}}\n");
    expect(diagnostics).toEqual([]);
    expect(module.header).toMatchObject({
      name: "t",
      maxContextWindow: 1000,
      llm: { provider: "ollama", model: "m" },
      llmParams: { temperature: 0 },
      uses: [],
    });
  });

  it.each([
    [
      "a missing field",
      HEADER.replace("author: a\n", ""),
      "SCH1101",
      "missing required field 'author' in the frontmatter",
      "---\n",
    ],
    [
      "an unknown field",
      `${HEADER}max_retries: 3\n`,
      "SCH1102",
      "unknown field 'max_retries' in the frontmatter",
      "max_retries",
    ],
    [
      "a wrong type",
      HEADER.replace("1000", '"lots"'),
      "SCH1103",
      `'max_context_window' must be an integer, found the string "lots"`,
      '"lots"',
    ],
    [
      "an unknown provider",
      HEADER.replace("ollama", "olama"),
      "SCH1104",
      `'llm.provider' must be one of "openai", "anthropic", "openai-compatible", "ollama", "local", "null", "replay"`,
      "olama",
    ],
    ["a bad version", HEADER.replace("1.0.0", "one"), "SCH1105", `'version' must match the pattern`, "one"],
  ])("should report %s at the exact key or value", (_what, header, code, message, squiggled) => {
    const { diagnostics, slice } = app("Say {{text}}\n", header);
    expect(diagnostics.map((d) => d.code)).toEqual([code]);
    expect(diagnostics[0]!.message).toContain(message);
    if (squiggled === "---\n") expect(diagnostics[0]!.span).toEqual({ file: "t.rllm", start: 0, end: 3 });
    else expect(slice(diagnostics[0]!.span)).toBe(squiggled);
  });

  it("should suggest the closest field name for a misspelt one", () => {
    const { diagnostics } = app("x {{text}}\n", HEADER.replace("max_context_window", "max_context_windw"));
    const unknown = diagnostics.find((d) => d.code === "SCH1102");
    expect(unknown?.hint).toBe("did you mean 'max_context_window'?");
  });

  it("should report only the branch that fits when a uses entry is malformed", () => {
    const { diagnostics } = app(
      "x {{text}}\n",
      `${HEADER}uses:\n  - name: child\n    path: child.txt\n  - 42\n`,
    );
    expect(diagnostics.map((d) => d.message)).toEqual([
      "'uses[0].path' must match the pattern /\\.rllm$/",
      "'uses[1]' must be a string or a mapping, found the integer 42",
    ]);
  });

  it("should read uses entries in both forms", () => {
    const { module } = app(
      "x {{text}}\n",
      `${HEADER}uses:\n  - lib/kw.rllm\n  - name: s\n    path: s.rllm\n    inputs: { text: text }\n`,
    );
    expect(module.header.uses.map((u) => [u.name, u.path, u.inputs])).toEqual([
      ["kw", "lib/kw.rllm", {}],
      ["s", "s.rllm", { text: "text" }],
    ]);
  });

  it.each([
    ["no frontmatter", "Just a prompt\n", ["RLM2001"]],
    ["an unclosed frontmatter", "---\nname: x\n", ["RLM2002"]],
    ["frontmatter that is a list", "---\n- a\n---\nprompt\n", ["YML1005"]],
    ["invalid YAML", "---\nname: [x\n---\nprompt\n", ["YML1001"]],
  ])("should report %s", (_what, text, codes) => {
    const { diagnostics } = parseRllm(sourceFromText("t.rllm", text));
    expect(diagnostics.map((d) => d.code)).toEqual(codes);
  });

  it("should accept CRLF line endings and a BOM with the same spans", () => {
    const lf = `---\n${HEADER}---\nSay {{text}}\n`;
    const crlf = `\uFEFF${lf.replaceAll("\n", "\r\n")}`;
    const a = parseRllm(sourceFromText("t.rllm", lf));
    const source = sourceFromText("t.rllm", crlf);
    const b = parseRllm(source);
    expect(b.diagnostics).toEqual([]);
    expect(b.module.header).toEqual(a.module.header);
    const v = b.module.prompt.variables[0]!;
    expect(source.text.slice(v.span.start, v.span.end)).toBe("text");
  });
});

describe(".rllm body", () => {
  it("should split the prompt, the recovery prompt and named code blocks", () => {
    const { module, diagnostics, slice } = app(
      [
        "Summarise {{text}}.",
        "",
        ":::recovery",
        "Fix {{#each @errors}}{{this.pointer}}{{/each}} in {{json @response}}",
        ":::",
        "",
        ":::pre js name=clean inputs=text outputs=text,length",
        "text = text.trim(); length = text.length;",
        ":::",
        ":::post python inputs=answer outputs=answer",
        "answer = answer",
        ":::",
        "",
      ].join("\n"),
    );
    expect(diagnostics).toEqual([]);
    expect(module.prompt.source).toBe("Summarise {{text}}.\n\n");
    expect(module.recovery?.source).toBe(
      "Fix {{#each @errors}}{{this.pointer}}{{/each}} in {{json @response}}\n",
    );
    expect(module.recovery?.variables).toEqual([]);
    expect(
      module.codeBlocks.map((b) => [
        b.phase,
        b.language,
        b.name,
        b.inputs.map((i) => i.name),
        b.outputs.map((o) => o.name),
      ]),
    ).toEqual([
      ["pre", "js", "clean", ["text"], ["text", "length"]],
      ["post", "python", "post", ["answer"], ["answer"]],
    ]);
    expect(slice(module.codeBlocks[0]!.codeSpan)).toBe("text = text.trim(); length = text.length;\n");
    expect(slice(module.codeBlocks[0]!.outputs[1]!.span)).toBe("length");
  });

  it.each([
    ["an unknown section", "p\n:::recovry\nx\n:::\n", "RLM2005", "recovry", "did you mean 'recovery'?"],
    ["an unclosed section", "p\n:::recovery\nx\n", "RLM2006", ":::recovery", undefined],
    [
      "two recovery sections",
      "p\n:::recovery\na\n:::\n:::recovery\nb\n:::\n",
      "RLM2007",
      ":::recovery",
      undefined,
    ],
    ["text between sections", "p\n:::recovery\na\n:::\nstray text\n", "RLM2008", "stray text", undefined],
    ["a code block without language", "p\n:::pre name=x\ncode\n:::\n", "RLM2010", "name=x", undefined],
    ["an unsupported language", "p\n:::pre ruby\ncode\n:::\n", "RLM2010", "ruby", undefined],
    [
      "a misspelt attribute",
      "p\n:::pre js ouputs=a\ncode\n:::\n",
      "RLM2009",
      "ouputs",
      "did you mean 'outputs'?",
    ],
    ["a bad variable name", "p\n:::pre js inputs=a,1b\ncode\n:::\n", "RLM2009", "1b", undefined],
    ["a stray closing line", "p\n:::\n", "RLM2015", ":::", undefined],
    ["an empty variable list", "p\n:::pre js inputs=\ncode\n:::\n", "RLM2009", "=", undefined],
    ["an empty name in a list", "p\n:::pre js inputs=a,,b\ncode\n:::\n", "RLM2009", ",", undefined],
    ["a repeated attribute", "p\n:::pre js name=a name=b\ncode\n:::\n", "RLM2009", "name", undefined],
    ["a variable listed twice", "p\n:::pre js outputs=a,a\ncode\n:::\n", "RLM2009", "a", undefined],
    ["an empty prompt", "\n\n:::recovery\nx\n:::\n", "RLM2003", "\n", undefined],
  ])("should report %s", (_what, body, code, squiggled, hint) => {
    const { diagnostics, slice } = app(body);
    const d = diagnostics.find((x) => x.code === code);
    expect(d, JSON.stringify(diagnostics)).toBeDefined();
    expect(slice(d!.span)).toBe(squiggled);
    if (hint !== undefined) expect(d!.hint).toBe(hint);
  });

  it("should report a duplicate block name with the first use as related information", () => {
    const { diagnostics } = app("p\n:::pre js name=a\nx\n:::\n:::post js name=a\ny\n:::\n");
    expect(diagnostics.map((d) => d.code)).toEqual(["RLM2011"]);
    expect(diagnostics[0]!.related[0]!.message).toBe("'a' is first used here");
  });

  it("should warn about an empty code block", () => {
    expect(app("p\n:::pre js\n:::\n").codes).toEqual(["RLM2014"]);
  });
});

describe(".rllm templates", () => {
  it.each([
    ["a plain variable", "{{text}}", [["text"]]],
    ["a nested path", "{{user.name.first}}", [["user", "name", "first"]]],
    [
      "each over a list",
      "{{#each items}}{{title}} {{this.id}} {{@index}}{{/each}}",
      [["items"], ["items", "[]", "title"], ["items", "[]", "id"]],
    ],
    [
      "each with block params",
      "{{#each items as |it i|}}{{it.title}}{{i}}{{/each}}",
      [["items"], ["items", "[]", "title"]],
    ],
    ["a parent path", "{{#each items}}{{../text}}{{/each}}", [["items"], ["text"]]],
    ["with", "{{#with user}}{{name}}{{/with}}", [["user"], ["user", "name"]]],
    ["if/else", "{{#if a}}{{b}}{{else}}{{c}}{{/if}}", [["a"], ["b"], ["c"]]],
    ["the json helper", "{{json doc.body}}", [["doc", "body"]]],
    ["@root", "{{#each xs}}{{@root.text}}{{/each}}", [["xs"], ["text"]]],
  ])("should resolve %s", (_what, body, paths) => {
    const { module, diagnostics } = app(`${body}\n`);
    expect(diagnostics).toEqual([]);
    expect(module.prompt.variables.map((v) => v.path)).toEqual(paths);
  });

  it("should give every variable the span of its text", () => {
    const { module, slice } = app("A {{ user.name }} and {{#each xs}}{{title}}{{/each}}\n");
    expect(module.prompt.variables.map((v) => slice(v.span))).toEqual(["user.name", "xs", "title"]);
  });

  it.each([
    [
      "an unclosed block",
      "{{#if a}}x",
      "RLM2004",
      "this block is never closed; expected '{{/…}}' before the end",
    ],
    [
      "a mismatched close",
      "{{#if a}}x{{/each}}",
      "RLM2004",
      "'{{/each}}' closes a block opened as '{{#if}}'",
    ],
    ["an unclosed mustache", "{{text", "RLM2004", "invalid Handlebars template"],
    ["a partial", "{{> header}}", "RLM2012", "partials ({{> name}}) are not supported"],
    ["an unknown helper", "{{upper text}}", "RLM2013", "unknown template helper 'upper'"],
    ["a mustache-style section", "{{#items}}x{{/items}}", "RLM2013", "unknown template helper 'items'"],
    ["a recovery-only variable in the prompt", "{{@errors}}", "RLM2016", "unknown data variable '@errors'"],
    ["#if without an argument", "{{#if}}x{{/if}}", "RLM2017", "'if' takes exactly one argument, found 0"],
    [
      "#each with two arguments",
      "{{#each a b}}x{{/each}}",
      "RLM2017",
      "'each' takes exactly one argument, found 2",
    ],
    ["json without an argument", "{{json}}", "RLM2017", "'json' takes exactly one argument, found 0"],
    ["json with a hash argument", "{{json text indent=2}}", "RLM2017", "'json' takes no key=value arguments"],
  ])("should report %s", (_what, body, code, message) => {
    const { diagnostics } = app(`${body}\n`);
    expect(diagnostics.map((d) => d.code)).toEqual([code]);
    expect(diagnostics[0]!.message).toContain(message);
  });

  it("should point a template syntax error at the line where the parser stopped", () => {
    const { diagnostics, text } = app("line one\n{{#each xs}}\n{{name}\n{{/each}}\n");
    const d = diagnostics[0]!;
    expect(d.code).toBe("RLM2004");
    expect(text.slice(0, d.span.start).split("\n").length).toBe(HEADER.split("\n").length + 4);
  });
});

describe(".rllm template error positions", () => {
  it("should point a mismatched close at the closing tag and relate it to the opener", () => {
    const { diagnostics, slice } = app("Say {{#if text}}\nyes\n{{/each}}\n");
    const d = diagnostics[0]!;
    expect(slice(d.span)).toBe("{{/each}}");
    expect(d.related.map((r) => [r.message, slice(r.span)])).toEqual([
      ["the block '{{#if}}' opens here", "if"],
    ]);
  });

  it("should point an unclosed block at its opener", () => {
    const { diagnostics, slice } = app("{{#each xs}}\n{{#if a}}x{{/if}}\nmore\n");
    expect(slice(diagnostics[0]!.span)).toBe("{{#each xs}}");
    expect(diagnostics[0]!.message).toContain("this block is never closed");
  });

  it("should point an unclosed mustache at its '{{'", () => {
    const { diagnostics, slice } = app("Say {{ text\n\n");
    expect(slice(diagnostics[0]!.span)).toBe("{{");
    expect(diagnostics[0]!.message).toContain("this '{{' is never closed with '}}'");
  });
});
