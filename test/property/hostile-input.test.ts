/** Hostile and unusual inputs: each gets a clear result quickly, never an exception or a hang. */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseSource } from "../../src/frontend/parse-source.js";
import { decodeSource, sourceFromText } from "../../src/frontend/read-source.js";
import { SIZE_LIMITS } from "../../src/frontend/size-limits.js";
import type { SourceKind } from "../../src/ir/nodes.js";
import { wrapValidator } from "../../src/runtime/app/app.js";
import { MAX_VALUE_DEPTH, nestedDeeperThan } from "../../src/runtime/app/value-depth.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

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

describe("hostile input: deep values and deep lists", () => {
  /** `[[[…]]]`, `depth` levels. */
  const deepList = (depth: number) => {
    const root: unknown[] = [];
    let inner = root;
    for (let i = 1; i < depth; i++) {
      const next: unknown[] = [];
      inner.push(next);
      inner = next;
    }
    return root;
  };

  it("should refuse a value nested deeper than the limit before anything recurses into it", () => {
    expect(nestedDeeperThan(deepList(MAX_VALUE_DEPTH))).toBe(false);
    expect(nestedDeeperThan(deepList(MAX_VALUE_DEPTH + 1))).toBe(true);
    const validate = wrapValidator(() => true);
    const checked = validate({ text: deepList(10_000) });
    expect(checked.errors).toEqual([
      expect.objectContaining({
        pointer: "",
        keyword: "maxDepth",
        message: expect.stringContaining("256 levels"),
      }),
    ]);
    expect(validate({ text: "fine" }).errors).toEqual([]);
  });

  it("should parse lists nested 1,500 levels deep by indentation in linear time", () => {
    for (const separator of ["\n", "\n\n"]) {
      const body = Array.from({ length: 1500 }, (_, i) => `${"  ".repeat(i)}- item ${i}`).join(separator);
      const result = parse("tsg", `# Deep\n\n${body}\n`);
      expect(result.codes).toEqual(["TSG3005"]);
      // remark-parse needed over 60 s for the tight list before limitNesting followed indentation.
      expect(result.ms).toBeLessThan(10_000);
    }
  });
});

/** The bin, in `cwd`; fails the test on a stack trace or an internal error. */
function rllmc(args: string[], cwd: string, timeout = 20_000) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LLM_|OLLAMA_HOST)/.test(k)));
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env, timeout });
  expect(result.error).toBeUndefined();
  expect(result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  expect(result.stderr + result.stdout).not.toMatch(/RLC0999|RUN9999/);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "rllmc-hostile-"));
}

describe("hostile input through the CLI", () => {
  it.each([
    ["...md", "compile", "...md", "..", "pod-crashloop.md"],
    ["...rllm", "compile", "...rllm", "..", "summary.rllm"],
    [".rllm", "compile", ".rllm", "", "summary.rllm"],
  ])(
    "should refuse a source named '%s' (its outputs would leave --out-dir) with RLC0010",
    (name, command, arg, stem, from) => {
      const dir = tempDir();
      cpSync(join(ROOT, "examples", from), join(dir, name));
      const run = rllmc([command, arg, "--out-dir", "out"], dir);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `error RLC0010: cannot name the outputs of '${name}': its name without the extension is '${stem}'`,
      );
      // Nothing was written, inside the output folder or beside it.
      expect(readdirSync(dir)).toEqual([name]);
    },
  );

  it("should refuse a 50 MB TSG, and a TSG over its kind's limit, at once (RLC0005)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "huge.md"), "# Huge\n");
    truncateSync(join(dir, "huge.md"), 50 * 1024 * 1024);
    const huge = rllmc(["compile", "huge.md", "--out-dir", "out"], dir, 10_000);
    expect(huge.code).toBe(1);
    expect(huge.stderr).toContain(
      `error RLC0005: file is 52428800 bytes, over the ${SIZE_LIMITS.tsg}-byte limit for a TSG`,
    );
    writeFileSync(join(dir, "big.md"), `# Big\n\n${"Some prose about the service.\n".repeat(40_000)}`);
    const big = rllmc(["check", "big.md"], dir);
    expect(big.code).toBe(1);
    expect(big.stderr).toContain("error RLC0005");
    expect(readdirSync(dir).sort()).toEqual(["big.md", "huge.md"]);
  });

  it.runIf(process.platform !== "win32")("should not block on a FIFO named as an app, for run", () => {
    const dir = tempDir();
    spawnSync("mkfifo", [join(dir, "fifo.rllm")]);
    const run = rllmc(["run", "fifo.rllm", "--input", "x"], dir, 10_000);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error_code: "RUN1006",
      message: "cannot read 'fifo.rllm': it is not a regular file",
    });
  });

  it("should report an input nested 10,000 levels deep as an input error (exit 4)", () => {
    const dir = tempDir();
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    writeFileSync(join(dir, "deep.json"), `{"text": ${deep}}`);
    writeFileSync(join(dir, "deep.yaml"), `text: ${deep}`);
    const app = join(ROOT, "examples/summary.rllm");
    for (const file of ["deep.json", "deep.yaml"]) {
      const run = rllmc(["run", app, "--provider", "replay", "--input-file", file], dir);
      expect(run.code).toBe(4);
      expect(JSON.parse(run.stdout)).toMatchObject({ error_code: "RUN2001", error_type: "InputSchemaError" });
    }
    const inline = rllmc(["validate", app, "--input", deep], dir);
    expect(inline.code).toBe(4);
  });

  it("should stop quietly when the reader of stdout goes away (… | head)", async () => {
    const child = spawn(process.execPath, [BIN, "check", join(ROOT, "examples/pod-crashloop.md"), "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).not.toContain("EPIPE");
    expect(stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
    expect(code).toBe(0);
  });
});
