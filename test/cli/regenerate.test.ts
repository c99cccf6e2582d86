/**
 * Generated files name their source, and the command that regenerates them, from their own
 * folder (driver/regenerate.ts): the same project compiled in two checkouts — one with relative
 * paths from its root, one with absolute paths from elsewhere — gives the same bytes, and the
 * command a file prints, run from its folder, writes those bytes again.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "shell-quote";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appProvenance, pathFrom, runbookPlacement } from "../../src/driver/regenerate.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

describe("pathFrom", () => {
  it.each([
    ["/w/build/apps", "/w/examples/summary.rllm", "../../examples/summary.rllm"],
    ["/w/examples", "/w/examples/summary.rllm", "summary.rllm"],
    ["/w/build", "/w/build", "."],
    ["/w/build", "/w/build/sub/x.md", "sub/x.md"],
  ])("should name %s → %s as %s", (folder, target, expected) => {
    expect(pathFrom(folder, target)).toBe(expected);
  });
});

describe("appProvenance", () => {
  it("should give the source and every root from the module's folder, and the runtime import as given", () => {
    expect(
      appProvenance("/w/examples/summary.rllm", "/w/build/apps/summary.mjs", {
        roots: ["/w/examples/compose.rllm", "/w/-odd.rllm"],
        outDir: "/w/build/apps",
        runtimeImport: "../runtime.js",
      }),
    ).toEqual({
      source: "../../examples/summary.rllm",
      command:
        "rllmc compile ../../examples/compose.rllm ../../-odd.rllm --out-dir . --runtime-import ../runtime.js",
    });
  });

  it("should quote a path the shell would split or expand", () => {
    const { command } = appProvenance("/w/it's here.rllm", "/w/it's here.mjs", {
      roots: ["/w/it's here.rllm", "/w/$HOME/~x.rllm"],
      outDir: undefined,
      runtimeImport: undefined,
    });
    expect(command).toBe("rllmc compile 'it'\\''s here.rllm' '$HOME/~x.rllm'");
    expect(parse(command)).toEqual(["rllmc", "compile", "it's here.rllm", "$HOME/~x.rllm"]);
  });
});

describe("runbookPlacement", () => {
  const llm = {
    mode: "cached",
    frozen: true,
    provider: "ollama",
    model: "qwen2.5:7b",
    cacheDir: "/w/.rllmc/cache",
  } as const;

  it("should give the single-file command with every option that decides the output, from the runbook's folder", () => {
    expect(
      runbookPlacement(
        "/w/tsg/crash loop.md",
        { runbook: "/w/out/crash/runbook.yaml", mapping: "/w/out/crash/mapping.md" },
        llm,
        "/elsewhere",
      ),
    ).toEqual({
      file: "../../tsg/crash loop.md",
      mappingFile: "../../tsg/crash loop.md",
      command:
        "runbook compile '../../tsg/crash loop.md' --out runbook.yaml --mapping mapping.md --llm cached --frozen --provider ollama --model qwen2.5:7b --cache-dir ../../.rllmc/cache",
    });
  });

  it("should name the TSG from the mapping's own folder, and from the cwd for a runbook on stdout", () => {
    expect(
      runbookPlacement("/w/tsg/a.md", { mapping: "/w/docs/review/mapping.md" }, { mode: "off" }, "/w"),
    ).toEqual({
      file: "tsg/a.md",
      mappingFile: "../../tsg/a.md",
      command: "runbook compile tsg/a.md --mapping docs/review/mapping.md",
    });
  });
});

describe("outputs", () => {
  const scratch = mkdtempSync(join(tmpdir(), "rllmc-regenerate-"));
  // The result cache (which decides nothing) goes to the scratch folder, not the cwd.
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LLM_|OLLAMA_HOST$)/.test(k))),
    RLLMC_RUNBOOK_CACHE: join(scratch, "result-cache"),
  };
  const cli = (args: readonly string[], cwd: string) => {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: "utf8" });
    expect(result.status, `${args.join(" ")}\n${result.stderr}`).toBe(0);
    return result;
  };

  /** A small project: a composition of apps, a folder of TSGs, and a TSG with a recorded answer. */
  const checkout = (at: string) => {
    mkdirSync(join(at, "apps"), { recursive: true });
    for (const app of ["compose_summary_keywords", "summary", "extract_keywords"])
      cpSync(join(ROOT, "examples", `${app}.rllm`), join(at, "apps", `${app}.rllm`));
    mkdirSync(join(at, "tsg", "k8s"), { recursive: true });
    cpSync(join(ROOT, "examples/pod-crashloop.md"), join(at, "tsg", "k8s", "crashloop.md"));
    cpSync(join(ROOT, "goldens/tsg/rb-prose-only/input.md"), join(at, "tsg", "payments.md"));
    cpSync(join(ROOT, "goldens/tsg/rb-llm-refined/input.md"), join(at, "refined", "input.md"));
    cpSync(join(ROOT, "goldens/tsg/rb-llm-refined/llm-cache"), join(at, "refined", "llm-cache"), {
      recursive: true,
    });
  };

  /** Compiles the project into `<project>/build`, naming every path from `cwd`. */
  const build = (project: string, cwd: string, path: (p: string) => string) => {
    cli(["compile", path("apps/compose_summary_keywords.rllm"), "--out-dir", path("build/apps")], cwd);
    cli(["compile", path("tsg"), "--out-dir", path("build/runbooks"), "--no-cache"], cwd);
    cli(
      [
        "compile",
        path("refined/input.md"),
        "--llm",
        "cached",
        "--frozen",
        "--provider",
        "openai-compatible",
        "--model",
        "recorded-model",
        "--cache-dir",
        path("refined/llm-cache"),
        "--out",
        path("build/refined/runbook.yaml"),
        "--mapping",
        path("build/refined/mapping.md"),
      ],
      cwd,
    );
    return files(join(project, "build"));
  };

  const files = (dir: string): Map<string, string> => {
    const found = new Map<string, string>();
    const walk = (folder: string) => {
      for (const name of readdirSync(folder).sort()) {
        const path = join(folder, name);
        if (statSync(path).isDirectory()) walk(path);
        else found.set(relative(dir, path), readFileSync(path, "utf8"));
      }
    };
    walk(dir);
    return found;
  };

  let a: string;
  let first: Map<string, string>;
  let second: Map<string, string>;

  beforeAll(() => {
    a = join(scratch, "a", "project");
    const b = join(scratch, "b", "deeper", "checkout");
    checkout(a);
    checkout(b);
    // Relative paths from the project's root, and absolute paths from an unrelated folder.
    first = build(a, a, (p) => p);
    second = build(b, join(scratch, "a"), (p) => join(b, p));
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("should be byte-identical whatever the checkout's folder, the cwd and the paths' spelling", () => {
    expect([...first.keys()]).toEqual([
      "apps/compose_summary_keywords.d.mts",
      "apps/compose_summary_keywords.mjs",
      "apps/extract_keywords.d.mts",
      "apps/extract_keywords.mjs",
      "apps/summary.d.mts",
      "apps/summary.mjs",
      "refined/mapping.md",
      "refined/runbook.yaml",
      "runbooks/k8s/crashloop/mapping.md",
      "runbooks/k8s/crashloop/runbook.yaml",
      "runbooks/payments/mapping.md",
      "runbooks/payments/runbook.yaml",
    ]);
    for (const [name, text] of first) {
      expect(second.get(name), name).toBe(text);
      expect(text, name).not.toContain(scratch);
      expect(text, name).not.toContain(ROOT);
    }
    expect(first.get("apps/summary.mjs")).toContain(
      "// Generated by rllmc 0.1.0 from ../../apps/summary.rllm. Do not edit: changes are lost.\n" +
        "// Regenerate with: rllmc compile ../../apps/compose_summary_keywords.rllm --out-dir .\n",
    );
    expect(first.get("apps/summary.mjs")).toContain('"source": "../../apps/summary.rllm"');
    expect(first.get("runbooks/k8s/crashloop/runbook.yaml")).toContain(
      "# Generated by rllmc from ../../../../tsg/k8s/crashloop.md. Do not edit: change the TSG and recompile.\n" +
        "# Regenerate with: runbook compile ../../../../tsg/k8s/crashloop.md --out runbook.yaml --mapping mapping.md\n",
    );
    expect(first.get("refined/runbook.yaml")).toContain(
      "# Regenerate with: runbook compile ../../refined/input.md --out runbook.yaml --mapping mapping.md --llm cached --frozen --provider openai-compatible --model recorded-model --cache-dir ../../refined/llm-cache\n",
    );
    expect(first.get("refined/mapping.md")).toContain("Source: `../../refined/input.md`");
  });

  it("should write the same bytes again when the printed command runs from the output's folder", () => {
    const commands = new Map<string, string>();
    for (const [name, text] of first) {
      const command = /^(?:\/\/|#) Regenerate with: (.*)$/m.exec(text)?.[1];
      if (command !== undefined) commands.set(`${dirname(name)}\0${command}`, command);
    }
    expect(commands.size).toBe(4);
    rmSync(join(a, "build"), { recursive: true });
    for (const [key, command] of commands) {
      const words = parse(command);
      expect(words.every((w) => typeof w === "string")).toBe(true);
      expect(["rllmc", "runbook"]).toContain(words[0]);
      const folder = join(a, "build", key.split("\0")[0]!);
      mkdirSync(folder, { recursive: true });
      cli(words.slice(1) as string[], folder);
    }
    expect(files(join(a, "build"))).toEqual(first);
  });

  it("should keep the runbook valid: the schema line is a comment", () => {
    const yaml = first.get("runbooks/payments/runbook.yaml")!;
    expect(yaml.split("\n")[0]).toMatch(
      /^# yaml-language-server: \$schema=https:\/\/unpkg\.com\/rllmc@\d+\.\d+\.\d+[^/]*\/grammar\/schemas\/runbook-v0\.schema\.json$/,
    );
    cli(["validate", join(a, "build", "runbooks", "payments", "runbook.yaml")], a);
  });
});
