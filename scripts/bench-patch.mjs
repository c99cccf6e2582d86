#!/usr/bin/env node
// Section 11 of `npm run bench` (scripts/bench.mjs), also runnable alone after a build
// (`node scripts/bench-patch.mjs`): the patch backend on a 1 MiB file with 1,000 changed lines
// (replaced, inserted and deleted lines spread over the file), `buildPatch` in process against
// spawning `git diff --no-index` on the same two files written to a temp folder. Goal (issue 18):
// buildPatch ≤ 2× git. Both numbers are medians of interleaved rounds after one warm-up each;
// the first, cold call of buildPatch (what one `rllmc task run` pays) is reported beside them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { applyPatchInMemory, buildPatch } from "../dist/src/backend/patch.js";

const SIZE = 1024 * 1024;
const CHANGED = 1000;

/** The same two texts on every run: a seeded generator, code-like lines of varied length. */
export function patchBenchFiles() {
  let seed = 20261206;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const lines = [];
  for (let size = 0; size < SIZE; ) {
    const indent = "  ".repeat(Math.floor(random() * 4));
    const line = `${indent}const value${lines.length} = compute(${Math.floor(random() * 1e6)}, "${"x".repeat(Math.floor(random() * 40))}");\n`;
    lines.push(line);
    size += line.length;
  }
  const before = lines.join("");
  const positions = new Set();
  while (positions.size < CHANGED) positions.add(Math.floor(random() * lines.length));
  const after = [];
  for (const [i, line] of lines.entries()) {
    if (!positions.has(i)) after.push(line);
    else if (i % 3 === 0) after.push(`// replaced line ${i}\n`);
    else if (i % 3 === 1) after.push(line, `// inserted after line ${i}\n`);
    // else: deleted
  }
  return { before, after: after.join(""), lines: lines.length };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function benchPatch({ rounds = 7 } = {}) {
  const { before, after, lines } = patchBenchFiles();
  const dir = mkdtempSync(join(tmpdir(), "rllmc-bench-patch-"));
  try {
    writeFileSync(join(dir, "before.txt"), before);
    writeFileSync(join(dir, "after.txt"), after);
    const changes = [{ path: "big.txt", before, after }];
    // git without the user's configuration (a diff.algorithm, a colour setting), output to a pipe.
    const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
    const gitDiff = () => {
      const result = spawnSync(
        "git",
        ["diff", "--no-index", "--no-color", "--no-ext-diff", "before.txt", "after.txt"],
        {
          cwd: dir,
          env,
          stdio: ["ignore", "pipe", "pipe"],
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      if (result.status !== 1)
        throw new Error(`git diff --no-index failed: ${result.error ?? result.stderr}`);
      return result.stdout.length;
    };

    let start = performance.now();
    const patch = buildPatch(changes);
    const firstMs = performance.now() - start;
    const applied = applyPatchInMemory(patch, new Map([["big.txt", before]]));
    if (!applied.ok || applied.files.get("big.txt") !== after)
      throw new Error("bench: the patch does not apply");
    const gitBytes = gitDiff();

    const buildTimes = [];
    const gitTimes = [];
    for (let round = 0; round < rounds; round++) {
      // Interleaved, so that machine noise hits both sides alike.
      start = performance.now();
      buildPatch(changes);
      buildTimes.push(performance.now() - start);
      start = performance.now();
      gitDiff();
      gitTimes.push(performance.now() - start);
    }
    return {
      bytes: Buffer.byteLength(before),
      lines,
      firstMs,
      buildMs: median(buildTimes),
      gitMs: median(gitTimes),
      patchBytes: Buffer.byteLength(patch),
      gitBytes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench's table rows for these results. */
export function patchBenchRows(result) {
  return [
    [
      `buildPatch, 1 MiB file (${result.lines.toLocaleString("en")} lines), ${CHANGED.toLocaleString("en")} changed`,
      `${result.buildMs.toFixed(1)} ms`,
      `first call ${result.firstMs.toFixed(1)} ms; patch ${(result.patchBytes / 1e3).toFixed(0)} kB`,
    ],
    [
      "  git diff --no-index, same files (spawned)",
      `${result.gitMs.toFixed(1)} ms`,
      `${(result.gitBytes / 1e3).toFixed(0)} kB`,
    ],
    ["  buildPatch ÷ git diff --no-index", `${(result.buildMs / result.gitMs).toFixed(2)}×`, "goal ≤ 2×"],
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = patchBenchRows(benchPatch({ rounds: Number(process.env.BENCH_ROUNDS ?? 7) }));
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}
