import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AnswerCheck,
  answerPaths,
  checkTaskAnswer,
  isAllowedOutput,
  normalisePath,
  type OutputRule,
  toOutputRule,
} from "../../src/passes/task/check-answer.js";

const OUTPUTS: readonly OutputRule[] = [
  { kind: "file", path: "docs/openapi.yaml" },
  { kind: "file", path: "docs/index.html" },
  { kind: "folder", path: "src/gen" },
];

const CURRENT = new Map<string, string | undefined>([
  ["docs/index.html", "<!DOCTYPE html>\n<title>old</title>\n<p>one</p>\n<p>two</p>\n"],
  ["src/gen/a.ts", "export const a = 1;\nexport const b = 1;\n"],
  ["src/gen/gone.ts", "x\n"],
]);

function check(files: unknown[], current: ReadonlyMap<string, string | undefined> = CURRENT): AnswerCheck {
  return checkTaskAnswer({ commit_message: "feat: x", files }, { outputs: OUTPUTS, current });
}

function problemsOf(result: AnswerCheck) {
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result)}`);
  return result.problems;
}

function codes(result: AnswerCheck): string[] {
  return problemsOf(result).map((p) => `${p.kind} ${p.code}`);
}

describe("checkTaskAnswer: resolving changes", () => {
  it("should accept whole-file contents with only commit_message and files", () => {
    const result = check([{ path: "docs/openapi.yaml", content: "openapi: 3.1.0\n" }]);
    expect(result).toEqual({
      ok: true,
      commitMessage: "feat: x",
      changes: [{ path: "docs/openapi.yaml", before: undefined, after: "openapi: 3.1.0\n" }],
    });
  });

  it("should replace an existing file's content and keep its before", () => {
    const result = check([{ path: "docs/index.html", content: "new\n" }]);
    expect(result.ok && result.changes).toEqual([
      { path: "docs/index.html", before: CURRENT.get("docs/index.html"), after: "new\n" },
    ]);
  });

  it("should mean no change when files is empty", () => {
    expect(check([])).toEqual({ ok: true, commitMessage: "feat: x", changes: [] });
  });

  it("should drop a change that leaves the file as it is", () => {
    const same = CURRENT.get("src/gen/a.ts");
    expect(check([{ path: "src/gen/a.ts", content: same }])).toEqual({
      ok: true,
      commitMessage: "feat: x",
      changes: [],
    });
  });

  it("should resolve a delete to an undefined after", () => {
    const result = check([{ path: "src/gen/gone.ts", delete: true }]);
    expect(result.ok && result.changes).toEqual([
      { path: "src/gen/gone.ts", before: "x\n", after: undefined },
    ]);
  });

  it("should apply edits in order, each to the result of the one before", () => {
    const result = check([
      {
        path: "docs/index.html",
        edits: [
          { search: "<title>old</title>", replace: "<title>new</title>" },
          { search: "<title>new</title>\n<p>one", replace: "<title>new</title>\n<p>ONE" },
          { search: "<p>two</p>\n", replace: "" },
        ],
      },
    ]);
    expect(result.ok && result.changes[0]?.after).toBe("<!DOCTYPE html>\n<title>new</title>\n<p>ONE</p>\n");
  });

  it("should keep the answer's order and normalise ./ and // in paths", () => {
    const result = check([
      { path: "./src//gen/./b.ts", content: "b\n" },
      { path: "docs/openapi.yaml", content: "o\n" },
    ]);
    expect(result.ok && result.changes.map((c) => c.path)).toEqual(["src/gen/b.ts", "docs/openapi.yaml"]);
  });

  it("should keep huge contents whole", () => {
    const huge = "x".repeat(5_000_000);
    const result = check([{ path: "src/gen/huge.txt", content: huge }]);
    expect(result.ok && result.changes[0]?.after?.length).toBe(5_000_000);
  });

  it("should treat a replacement that contains the search text as one edit", () => {
    const result = check([
      { path: "src/gen/a.ts", edits: [{ search: "const a", replace: "const a = 2; const a" }] },
    ]);
    expect(result.ok && result.changes[0]?.after).toBe(
      "export const a = 2; const a = 1;\nexport const b = 1;\n",
    );
  });
});

describe("checkTaskAnswer: off-contract answers", () => {
  it.each<[string, unknown, string[]]>([
    ["not an object", "feat: x", ["/"]],
    ["null", null, ["/"]],
    ["an array", [], ["/"]],
    ["missing files", { commit_message: "x" }, ["/"]],
    ["missing commit_message", { files: [] }, ["/"]],
    ["an empty commit_message", { commit_message: "", files: [] }, ["/commit_message"]],
    ["a number commit_message", { commit_message: 1, files: [] }, ["/commit_message"]],
    ["an extra field", { commit_message: "x", files: [], patch: "diff --git" }, ["/"]],
    ["files not an array", { commit_message: "x", files: {} }, ["/files"]],
    ["a file that is a string", { commit_message: "x", files: ["docs/a"] }, ["/files/0"]],
    [
      "a content that is not a string",
      { commit_message: "x", files: [{ path: "a", content: 1 }] },
      ["/files/0/content"],
    ],
    [
      "a path that is not a string",
      { commit_message: "x", files: [{ path: 7, content: "" }] },
      ["/files/0/path"],
    ],
    ["delete: false", { commit_message: "x", files: [{ path: "a", delete: false }] }, ["/files/0/delete"]],
    [
      "a file with content and edits",
      { commit_message: "x", files: [{ path: "a", content: "", edits: [] }] },
      ["/files/0"],
    ],
    ["a file with only a path", { commit_message: "x", files: [{ path: "a" }] }, ["/files/0"]],
    [
      "an extra field in a file",
      { commit_message: "x", files: [{ path: "a", content: "", mode: "755" }] },
      ["/files/0"],
    ],
    ["no edits", { commit_message: "x", files: [{ path: "a", edits: [] }] }, ["/files/0/edits"]],
    [
      "an empty search",
      { commit_message: "x", files: [{ path: "a", edits: [{ search: "", replace: "" }] }] },
      ["/files/0/edits/0/search"],
    ],
    [
      "an edit without replace",
      { commit_message: "x", files: [{ path: "a", edits: [{ search: "a" }] }] },
      ["/files/0/edits/0"],
    ],
  ])(
    "should report the schema's error with its pointer when the answer has %s",
    (_what, answer, pointers) => {
      const result = checkTaskAnswer(answer, { outputs: OUTPUTS, current: CURRENT });
      const problems = problemsOf(result);
      expect(problems.map((p) => `${p.kind} ${p.code}`)).toEqual(pointers.map(() => "off-contract TSK4101"));
      expect(problems.map((p) => p.pointer || "/")).toEqual(pointers);
      for (const p of problems) expect(p.message).toContain(`at ${p.pointer || "/"}:`);
    },
  );

  it("should name the unknown field and the missing one", () => {
    const extra = problemsOf(
      checkTaskAnswer({ commit_message: "x", files: [], diff: "" }, { outputs: [], current: CURRENT }),
    );
    expect(extra[0]?.message).toContain("unknown field 'diff'");
    const missing = problemsOf(checkTaskAnswer({ files: [] }, { outputs: [], current: CURRENT }));
    expect(missing[0]?.message).toContain("missing field 'commit_message'");
  });

  it("should report only the errors of the branch a file's key picks", () => {
    const result = check([{ path: "docs/index.html", edits: [{ search: 1, replace: "" }] }]);
    expect(problemsOf(result).map((p) => p.pointer)).toEqual(["/files/0/edits/0/search"]);
  });

  it.each([
    ["/etc/passwd", "is absolute"],
    ["/workspace/repo/docs/openapi.yaml", "is absolute"],
    ["../outside", "'..'"],
    ["docs/../../etc/passwd", "'..'"],
    ["a/../b", "'..'"],
    ["docs/..", "'..'"],
    ["docs\\openapi.yaml", "backslash"],
    ["..\\x", "backslash"],
    ["C:/x", "Windows drive"],
    ["docs/open\u0000api.yaml", "control character"],
    ["docs/openapi.yaml\n", "control character"],
    [".", "names no file"],
    ["./", "folder"],
    ["src/gen/", "folder"],
    ["", "empty"],
  ])("should refuse the path %j as off-contract (%s)", (path, reason) => {
    const problems = problemsOf(check([{ path, content: "x" }]));
    // An empty path is a schema error (minLength); the others are unsafe paths.
    const expected = path === "" ? "TSK4101" : "TSK4102";
    expect(problems.map((p) => `${p.kind} ${p.code}`)).toEqual([`off-contract ${expected}`]);
    if (path !== "") expect(problems[0]?.message).toContain(reason);
  });

  it("should refuse the same path twice, also when spelt differently", () => {
    const result = check([
      { path: "docs/openapi.yaml", content: "a" },
      { path: "./docs//openapi.yaml", content: "b" },
    ]);
    const problems = problemsOf(result);
    expect(codes(result)).toEqual(["off-contract TSK4103"]);
    expect(problems[0]).toMatchObject({ path: "docs/openapi.yaml", pointer: "/files/1/path" });
  });

  it("should refuse a search text that occurs twice, naming the count", () => {
    const result = check([{ path: "src/gen/a.ts", edits: [{ search: "export const", replace: "const" }] }]);
    expect(codes(result)).toEqual(["off-contract TSK4105"]);
    expect(problemsOf(result)[0]).toMatchObject({ pointer: "/files/0/edits/0/search", path: "src/gen/a.ts" });
    expect(problemsOf(result)[0]?.message).toContain("occurs 2 times");
  });

  it("should count overlapping occurrences", () => {
    const current = new Map([["src/gen/x", "aaa"]]);
    expect(codes(check([{ path: "src/gen/x", edits: [{ search: "aa", replace: "b" }] }], current))).toEqual([
      "off-contract TSK4105",
    ]);
  });

  it("should refuse a search text that is missing, also after the edits before it", () => {
    const result = check([
      {
        path: "src/gen/a.ts",
        edits: [
          { search: "const a = 1", replace: "const a = 2" },
          { search: "const a = 1", replace: "const a = 3" },
        ],
      },
    ]);
    expect(codes(result)).toEqual(["off-contract TSK4104"]);
    expect(problemsOf(result)[0]?.pointer).toBe("/files/0/edits/1/search");
    expect(problemsOf(result)[0]?.message).toContain("edit 2 of 'src/gen/a.ts'");
  });

  it("should match and keep CRLF line ends when an edit of a CRLF file is written with LF", () => {
    const current = new Map([
      ["src/gen/w.ts", "a\r\nb\r\n"],
      ["src/gen/m.ts", "a\r\nb\n"],
    ]);
    const crlf = check([{ path: "src/gen/w.ts", edits: [{ search: "b\n", replace: "c\nd\n" }] }], current);
    expect(crlf.ok && crlf.changes[0]?.after).toBe("a\r\nc\r\nd\r\n");
    // Mixed line ends are taken as they are.
    expect(
      codes(check([{ path: "src/gen/m.ts", edits: [{ search: "a\nb", replace: "x" }] }], current)),
    ).toEqual(["off-contract TSK4104"]);
  });

  it("should refuse a delete of a file that does not exist", () => {
    expect(codes(check([{ path: "src/gen/none.ts", delete: true }]))).toEqual(["off-contract TSK4106"]);
  });

  it("should refuse edits to a file that does not exist", () => {
    expect(codes(check([{ path: "docs/openapi.yaml", edits: [{ search: "a", replace: "b" }] }]))).toEqual([
      "off-contract TSK4107",
    ]);
  });

  it("should treat a path mapped to undefined as missing", () => {
    const current = new Map([["src/gen/a.ts", undefined]]);
    expect(codes(check([{ path: "src/gen/a.ts", delete: true }], current))).toEqual(["off-contract TSK4106"]);
  });

  it("should report every off-contract problem of the answer at once", () => {
    const result = check([
      { path: "../x", content: "" },
      { path: "src/gen/none.ts", delete: true },
      { path: "src/gen/a.ts", edits: [{ search: "nope", replace: "" }] },
    ]);
    expect(codes(result)).toEqual(["off-contract TSK4102", "off-contract TSK4106", "off-contract TSK4104"]);
  });
});

describe("checkTaskAnswer: outside outputs", () => {
  it.each([
    ["README.md"],
    ["docs/openapi.yml"],
    ["Docs/openapi.yaml"],
    ["docs/OpenAPI.yaml"],
    ["src/gen"],
    ["src/generated/a.ts"],
    ["docs/openapi.yaml.bak"],
    // look-alikes: a Cyrillic 'а', a fullwidth solidus, one-dot leaders for '..', a division slash
    ["docs/openаpi.yaml"],
    ["docs\uff0fopenapi.yaml"],
    ["\u2024\u2024/docs/openapi.yaml"],
    ["src/gen\u2215a.ts"],
  ])("should fail %j as outside outputs, naming it", (path) => {
    const result = check([{ path, content: "x" }]);
    expect(codes(result)).toEqual(["outside-outputs TSK4110"]);
    expect(problemsOf(result)[0]).toMatchObject({ path, pointer: "/files/0/path" });
    expect(problemsOf(result)[0]?.message).toContain(`'${path}'`);
  });

  it("should allow any depth under an output folder", () => {
    expect(check([{ path: "src/gen/deep/er/x.ts", content: "x" }]).ok).toBe(true);
  });

  it("should report off-contract problems before outside-outputs ones, since those are re-asked", () => {
    const result = check([
      { path: "README.md", content: "x" },
      { path: "src/gen/none.ts", delete: true },
    ]);
    expect(codes(result)).toEqual(["off-contract TSK4106"]);
  });

  it("should name every path outside the outputs", () => {
    const result = check([
      { path: "README.md", content: "x" },
      { path: "docs/openapi.yaml", content: "x" },
      { path: ".github/workflows/ci.yml", delete: true },
    ]);
    expect(problemsOf(result).map((p) => p.path)).toEqual(["README.md", ".github/workflows/ci.yml"]);
  });
});

describe("the outputs rule", () => {
  it.each<[string, OutputRule | string]>([
    ["docs/openapi.yaml", { kind: "file", path: "docs/openapi.yaml" }],
    ["./docs//openapi.yaml", { kind: "file", path: "docs/openapi.yaml" }],
    ["docs/", { kind: "folder", path: "docs" }],
    ["docs//gen/", { kind: "folder", path: "docs/gen" }],
    ["docs/*.md", "glob"],
    ["docs/**", "glob"],
    ["docs/{a,b}.md", "glob"],
    ["docs/?.md", "glob"],
    ["/workspace/repo/docs", "absolute"],
    ["../docs/", "'..'"],
  ])("should read the output %j", (entry, expected) => {
    const result = toOutputRule(entry);
    if (typeof expected === "string") {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toContain(expected);
    } else {
      expect(result).toEqual({ ok: true, rule: expected });
    }
  });

  it("should compare normalised paths case-sensitively", () => {
    const rules: OutputRule[] = [
      { kind: "file", path: "./Docs//a.md" },
      { kind: "folder", path: "gen/" },
    ];
    expect(isAllowedOutput("Docs/a.md", rules)).toBe(true);
    expect(isAllowedOutput("docs/a.md", rules)).toBe(false);
    expect(isAllowedOutput("gen/x", rules)).toBe(true);
    expect(isAllowedOutput("gen", rules)).toBe(false);
    expect(isAllowedOutput("genx/y", rules)).toBe(false);
  });

  it("should normalise ./ segments and repeated slashes only", () => {
    expect(normalisePath("./a//b/./c")).toEqual({ ok: true, path: "a/b/c" });
    expect(normalisePath("a/ b")).toEqual({ ok: true, path: "a/ b" });
    expect(normalisePath("a/../b").ok).toBe(false);
  });
});

describe("answerPaths", () => {
  it("should list the normalised paths an answer names, once, skipping what is not a safe string", () => {
    const answer = {
      files: [
        { path: "./a//b" },
        { path: "a/b" },
        { path: 3 },
        { path: "../x" },
        null,
        { path: "c", delete: true },
      ],
    };
    expect(answerPaths(answer)).toEqual(["a/b", "c"]);
    expect(answerPaths("nonsense")).toEqual([]);
    expect(answerPaths(null)).toEqual([]);
  });
});

describe("grammar/schemas/task-answer.schema.json", () => {
  const schema = JSON.parse(
    readFileSync(new URL("../../grammar/schemas/task-answer.schema.json", import.meta.url), "utf8"),
  ) as Record<string, unknown>;

  // What node-llama-cpp's JSON-schema grammar (the local provider) reads, plus annotations.
  const GRAMMAR_KEYWORDS = new Set([
    "$schema",
    "$id",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "minLength",
    "oneOf",
    "const",
  ]);

  function walk(node: unknown, at: string, visit: (node: Record<string, unknown>, at: string) => void): void {
    if (typeof node !== "object" || node === null) return;
    const record = node as Record<string, unknown>;
    visit(record, at);
    for (const [key, value] of Object.entries(record.properties ?? {}))
      walk(value, `${at}/properties/${key}`, visit);
    if (record.items !== undefined) walk(record.items, `${at}/items`, visit);
    for (const [i, branch] of ((record.oneOf as unknown[] | undefined) ?? []).entries()) {
      walk(branch, `${at}/oneOf/${i}`, visit);
    }
  }

  it("should use only keywords the local provider's grammar supports", () => {
    const unsupported: string[] = [];
    walk(schema, "#", (node, at) => {
      for (const key of Object.keys(node)) if (!GRAMMAR_KEYWORDS.has(key)) unsupported.push(`${at}/${key}`);
    });
    expect(unsupported).toEqual([]);
  });

  it("should describe every field, since it goes into the prompt", () => {
    const undescribed: string[] = [];
    walk(schema, "#", (node, at) => {
      if (typeof node.description !== "string" || node.description.length === 0) undescribed.push(at);
    });
    expect(undescribed).toEqual([]);
  });
});

describe("checkTaskAnswer on arbitrary input", () => {
  it("should never throw, and give either changes or coded problems", () => {
    const file = fc.oneof(
      fc.record({ path: fc.string(), content: fc.string() }),
      fc.record({
        path: fc.constantFrom("src/gen/a.ts", "src/gen/gone.ts", "docs/index.html"),
        delete: fc.boolean(),
      }),
      fc.record({
        path: fc.constantFrom("src/gen/a.ts", "docs/index.html", "README.md"),
        edits: fc.array(
          fc.record({ search: fc.constantFrom("export", "const a", "<p>", "", "x"), replace: fc.string() }),
        ),
      }),
      fc.anything(),
    );
    const answer = fc.oneof(
      fc.record({ commit_message: fc.string(), files: fc.array(file, { maxLength: 5 }) }),
      fc.anything(),
    );
    fc.assert(
      fc.property(answer, (value) => {
        const result = checkTaskAnswer(value, { outputs: OUTPUTS, current: CURRENT });
        if (result.ok) {
          for (const change of result.changes) expect(isAllowedOutput(change.path, OUTPUTS)).toBe(true);
        } else {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const p of result.problems) expect(p.code).toMatch(/^TSK41\d\d$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
