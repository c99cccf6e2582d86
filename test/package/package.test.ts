/**
 * The published package, as a user's project gets it: the files `npm pack` would ship (listed
 * with `npm pack --dry-run --ignore-scripts`, so no build runs), copied into a scratch project's
 * `node_modules/rllmc` beside links to rllmc's runtime dependencies, plus modules made by
 * `rllmc compile`. The project is type-checked by this repository's TypeScript with default
 * settings — no `types` (so no Node types), `skipLibCheck: false` — and the modules are imported
 * by Node. A second project lints the generated modules with this repository's Biome.
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const BIOME = join(ROOT, "node_modules/.bin/biome");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

let scratch: string;
let shipped: string[];

function run(command: string, args: readonly string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, error: result.error };
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "rllmc-package-"));
  // --ignore-scripts: packing must not run `prepare` (a build that deletes dist/).
  const pack = run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], ROOT);
  expect(pack.error).toBeUndefined();
  expect(pack.status, pack.stderr).toBe(0);
  const [report] = JSON.parse(pack.stdout) as { files: { path: string }[] }[];
  shipped = report!.files.map((f) => f.path).sort();
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the package's files", () => {
  it("should ship files that exist, with a LICENSE and every entry point", () => {
    for (const file of shipped) expect(existsSync(join(ROOT, file)), file).toBe(true);
    expect(shipped).toContain("LICENSE");
    expect(shipped).toContain("package.json");
    const targets = [
      ...Object.values(PKG.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t))),
      ...Object.values(PKG.bin),
    ];
    for (const target of targets) {
      const path = target.replace(/^\.\//, "");
      if (path.includes("*")) {
        const prefix = path.slice(0, path.indexOf("*"));
        expect(
          shipped.some((f) => f.startsWith(prefix)),
          target,
        ).toBe(true);
      } else expect(shipped, target).toContain(path);
    }
  });

  it("should ship no source map that points at a source it does not ship", () => {
    const set = new Set(shipped);
    const broken: string[] = [];
    for (const file of shipped.filter((f) => f.endsWith(".map"))) {
      const map = JSON.parse(readFileSync(join(ROOT, file), "utf8")) as { sources: string[] };
      for (const source of map.sources) {
        const path = resolve("/", dirname(file), source).slice(1);
        if (!set.has(path)) broken.push(`${file} → ${source}`);
      }
    }
    for (const file of shipped.filter((f) => f.endsWith(".js"))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(ROOT, file), "utf8"))?.[1];
      if (url !== undefined && !set.has(resolve("/", dirname(file), url).slice(1)))
        broken.push(`${file} → ${url}`);
    }
    expect(broken).toEqual([]);
  });

  it("should export the JSON Schemas as rllmc/schemas/*", () => {
    expect(PKG.exports["./schemas/*"]).toBe("./grammar/schemas/*");
    for (const name of [
      "runbook-v0.schema.json",
      "rllm-frontmatter.schema.json",
      "task-block.schema.json",
      "task-answer.schema.json",
      "cli-replay-scenario.schema.json",
      "change-set.schema.json",
    ])
      expect(shipped).toContain(`grammar/schemas/${name}`);
  });
});

describe("a project that installs the package", () => {
  let project: string;

  beforeAll(() => {
    project = join(scratch, "consumer");
    const installed = join(project, "node_modules", "rllmc");
    for (const file of shipped) {
      mkdirSync(dirname(join(installed, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(installed, file));
    }
    // rllmc's runtime dependencies, hoisted as npm installs them (not its devDependencies).
    for (const name of Object.keys(PKG.dependencies)) {
      mkdirSync(dirname(join(project, "node_modules", name)), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", name), join(project, "node_modules", name), "dir");
    }
    writeFileSync(
      join(project, "package.json"),
      '{ "name": "consumer", "private": true, "type": "module" }\n',
    );
    // TypeScript 6's defaults, spelled out where the brief names them: no "types", libs checked.
    writeFileSync(
      join(project, "tsconfig.json"),
      `${JSON.stringify({ compilerOptions: { module: "nodenext", strict: true, skipLibCheck: false, noEmit: true }, include: ["*.ts"] }, null, 2)}\n`,
    );
    const compiled = run(
      process.execPath,
      [
        BIN,
        "compile",
        join(ROOT, "examples/compose_summary_keywords.rllm"),
        "--out-dir",
        join(project, "apps"),
        "--quiet",
      ],
      project,
    );
    expect(compiled.status, compiled.stderr).toBe(0);
    writeFileSync(
      join(project, "main.ts"),
      [
        'import { composeSummaryKeywords } from "./apps/compose_summary_keywords.mjs";',
        'import summary, { type SummaryInput } from "./apps/summary.mjs";',
        'import { parseSource, sourceFromText } from "rllmc";',
        'import { RllmError, type RunAppOptions } from "rllmc/runtime";',
        "",
        'const input: SummaryInput = { text: "Cats purr.", max_sentences: 2 };',
        'const options: RunAppOptions = { stats: false, env: { LLM_PROVIDER: "null" } };',
        "export async function main(): Promise<string[]> {",
        "  const { title } = await summary(input, options);",
        '  const merged = await composeSummaryKeywords({ text: "Cats purr." }, options);',
        "  return [title, ...merged.keywords];",
        "}",
        "export const isError = (e: unknown): boolean => e instanceof RllmError;",
        'export const parsed = parseSource(sourceFromText("a.rllm", ""));',
        "",
      ].join("\n"),
    );
  });

  it("should type-check with TypeScript's default settings and skipLibCheck false", () => {
    const result = run(process.execPath, [TSC, "-p", project], project);
    expect(`${result.stdout}${result.stderr}`).toBe("");
    expect(result.status).toBe(0);
  });

  it("should import the modules, the runtime and a schema from what the package ships", () => {
    writeFileSync(
      join(project, "check.mjs"),
      [
        'import schema from "rllmc/schemas/runbook-v0.schema.json" with { type: "json" };',
        'import { app, summary } from "./apps/summary.mjs";',
        'import { RllmError } from "rllmc/runtime";',
        "console.log(JSON.stringify([schema.title ?? schema.$id, typeof summary, app.metadata.name, typeof RllmError]));",
        "",
      ].join("\n"),
    );
    const result = run(process.execPath, ["check.mjs"], project);
    expect(result.stderr).toBe("");
    const [title, fn, name, error] = JSON.parse(result.stdout) as string[];
    expect(title).toBeTruthy();
    expect([fn, name, error]).toEqual(["function", "summary", "function"]);
  });
});

describe("generated modules", () => {
  it("should pass biome check with the recommended rules", () => {
    const dir = join(scratch, "lint");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "biome.json"),
      `${JSON.stringify({ linter: { enabled: true, rules: { preset: "recommended" } } }, null, 2)}\n`,
    );
    const apps = [
      "examples/compose_summary_keywords.rllm",
      "goldens/rllm/js-module-types/input.rllm",
      "goldens/rllm/code-blocks/input.rllm",
      "goldens/rllm/template-scopes/input.rllm",
    ];
    const compiled = run(
      process.execPath,
      [BIN, "compile", ...apps, "--out-dir", join(dir, "apps"), "--quiet"],
      ROOT,
    );
    expect(compiled.status, compiled.stderr).toBe(0);
    const checked = run(BIOME, ["check", "--error-on-warnings", "--max-diagnostics=none", "apps"], dir);
    expect(`${checked.stdout}${checked.stderr}`).not.toMatch(/lint\/|assist\/|format|Found \d+/);
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout + checked.stderr).toContain("Checked 12 files");
  });

  it("should leave build/ (where the README puts compiled apps) out of the repository and its lint", () => {
    const ignored = run("git", ["check-ignore", "-q", "build/apps/summary.mjs"], ROOT);
    expect(ignored.status).toBe(0);
  });
});
