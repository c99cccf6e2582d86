/**
 * Keeps the layering of docs/architecture.md true: imports point backwards only
 * (frontend → ir ← passes → backend; cli → driver → the compiler and the runtime), the runtime
 * stands alone, src/lang (the shared language code) imports nothing of ours but grammar/'s data,
 * every layer may import src/lang, grammar/ holds no code; and no files import each other in a
 * cycle. Inside the runtime, each engine is a layer of its own (`runtime/app`, `runtime/runbook`,
 * `runtime/replay`, with `runtime/shared` for what more than one needs): replay needs nothing of
 * the runtime, the runbook engine only replay and the shared modules, the app runtime only the
 * shared modules; `src/runtime/index.ts` (`rllmc/runtime`) re-exports the app runtime.
 */

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));

/**
 * Which layers each layer may import from (besides itself, node: builtins and packages). A layer
 * named here stands for its sub-layers too: `runtime` is every engine of the runtime.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  // The shared language code reads grammar/'s data (JSON) and nothing else of ours.
  lang: ["grammar"],
  // The runbook plan (`ir/runbook-plan.ts`) holds a runbook/v0 document, typed by src/lang.
  ir: ["lang", "grammar"],
  frontend: ["ir", "lang", "grammar"],
  passes: ["ir", "lang", "grammar"],
  backend: ["ir", "passes", "lang", "grammar"],
  // src/runtime/index.ts, the public `rllmc/runtime` entry.
  runtime: ["runtime/app", "lang", "grammar"],
  "runtime/app": ["runtime/shared", "lang", "grammar"],
  "runtime/runbook": ["runtime/replay", "runtime/shared", "lang", "grammar"],
  "runtime/replay": ["lang", "grammar"],
  "runtime/shared": ["lang", "grammar"],
  driver: ["ir", "frontend", "passes", "backend", "runtime", "lang", "grammar"],
  cli: ["ir", "frontend", "passes", "backend", "runtime", "lang", "grammar", "driver"],
  index: ["ir", "frontend", "passes", "backend", "runtime", "lang", "grammar", "driver", "cli"],
};

function layerOf(path: string): string | undefined {
  const rel = relative(ROOT, path).split("/");
  if (rel[0] === "grammar") return "grammar";
  if (rel[0] !== "src") return undefined;
  if (rel.length === 2) return "index";
  // src/runtime/<engine>/…: each engine of the runtime is a layer; src/runtime/index.ts is `runtime`.
  if (rel[1] === "runtime" && rel.length > 3) return `runtime/${rel[2]}`;
  return rel[1];
}

/** Whether layer `from` may import layer `to`. */
function mayImport(from: string, to: string): boolean {
  return ALLOWED[from]!.some((layer) => layer === to || to.startsWith(`${layer}/`));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The files `file` imports by a relative path (`import type` and `import()` included). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)].flatMap((m) => {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith(".")) return [];
    const target = resolve(dirname(file), spec);
    const ts = target.replace(/\.js$/, ".ts");
    return [existsSync(ts) ? ts : target];
  });
}

/**
 * The import cycles among `files`: each strongly connected component of more than one file, or
 * a file that imports itself (Tarjan's algorithm), its files sorted.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

describe("layering", () => {
  const files = sourceFiles(join(ROOT, "src"));

  it("should find the source files", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it("should only import backwards", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file)!;
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2]!;
        if (!spec.startsWith(".")) continue;
        const to = layerOf(resolve(dirname(file), spec));
        if (to === undefined || to === from) continue;
        if (!mayImport(from, to))
          violations.push(`${relative(ROOT, file)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("should know every layer it meets, the runtime's engines included", () => {
    const unknown = [...new Set(files.map((file) => layerOf(file)!))].filter(
      (layer) => ALLOWED[layer] === undefined,
    );
    expect(unknown).toEqual([]);
  });

  it("should keep code out of grammar/, which holds formal definitions only (schemas, data, EBNF)", () => {
    const code = allFiles(join(ROOT, "grammar")).filter((path) =>
      /\.(?:[cm]?ts|[cm]?js|tsx|jsx)$/.test(path),
    );
    expect(code.map((path) => relative(ROOT, path))).toEqual([]);
  });

  it("should have no import cycle among the files of src", () => {
    const graph = new Map(files.map((file) => [file, relativeImports(file)]));
    const cycles = importCycles(graph).map(
      (files) => `files that import each other: ${files.map((f) => relative(ROOT, f)).join(", ")}`,
    );
    expect(cycles).toEqual([]);
  });

  it("should find a cycle when there is one", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
    ]);
    expect(importCycles(graph)).toEqual([["a", "b", "c"], ["e"]]);
  });
});
