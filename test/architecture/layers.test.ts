/**
 * Keeps the layering of docs/architecture.md true: imports point backwards only
 * (frontend → ir ← passes → backend), the runtime stands alone, grammar/ imports no compiler code.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));

/** Which layers each layer may import from (besides itself, node: builtins and packages). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  ir: [],
  frontend: ["ir", "grammar"],
  passes: ["ir", "grammar"],
  backend: ["ir", "passes", "grammar"],
  runtime: ["grammar"],
  grammar: [],
  cli: ["ir", "frontend", "passes", "backend", "runtime", "grammar"],
  index: ["ir", "frontend", "passes", "backend", "runtime", "grammar", "cli"],
};

function layerOf(path: string): string | undefined {
  const rel = relative(ROOT, path).split("/");
  if (rel[0] === "grammar") return "grammar";
  if (rel[0] !== "src") return undefined;
  if (rel.length === 2) return "index";
  return rel[1];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

describe("layering", () => {
  const files = [...sourceFiles(join(ROOT, "src")), ...sourceFiles(join(ROOT, "grammar"))];

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
        if (!ALLOWED[from]!.includes(to))
          violations.push(`${relative(ROOT, file)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });
});
