#!/usr/bin/env node
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
// `npm run bench`: the foundation's benchmarks, measured in one run so the ratios compare like
// with like on a noisy machine (docs/performance.md records the figures).
//   1. TSG frontend over the whole corpus: MB/s, and its time ÷ bare remark-parse's time.
//   2. CLI cold start: `rllmc --version` ÷ `node -e 0`.
//   3. `rllmc check` on one .rllm file: wall time.
import { fileURLToPath } from "node:url";
import remarkParse from "remark-parse";
import { unified } from "unified";
import { sourceFromText } from "../dist/src/frontend/read-source.js";
import { parseTsg } from "../dist/src/frontend/tsg/parse-tsg.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CORPUS = join(ROOT, "..", "shared", "corpus", "tsg");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 15);

function markdownFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function timeOnce(fn) {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

// 1. Corpus throughput -------------------------------------------------------------------------
const files = markdownFiles(CORPUS)
  .sort()
  .map((path) => ({ path, text: readFileSync(path, "utf8") }));
const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
const remark = unified().use(remarkParse);
const bare = () => {
  for (const f of files) remark.parse(f.text);
};
const frontend = () => {
  for (const f of files) parseTsg(sourceFromText(f.path, f.text));
};
bare();
frontend(); // warm-up: JIT and lazy module state
const bareTimes = [];
const frontendTimes = [];
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved, so that machine noise hits both sides alike.
  bareTimes.push(timeOnce(bare));
  frontendTimes.push(timeOnce(frontend));
}
const bareMs = median(bareTimes);
const frontendMs = median(frontendTimes);

// 2 and 3. CLI wall times -----------------------------------------------------------------------
const node = process.execPath;
const cli = join(ROOT, "dist", "src", "cli", "main.js");
function wall(args) {
  const times = [];
  for (let i = 0; i < SPAWNS; i++) {
    const start = performance.now();
    const result = spawnSync(node, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    times.push(performance.now() - start);
    if (result.status !== 0 && args.includes("--version"))
      throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
  }
  return median(times);
}
const nodeMs = wall(["-e", "0"]);
const versionMs = wall([cli, "--version"]);
const checkMs = wall([cli, "check", "examples/summary.rllm"]);

const rows = [
  ["corpus", `${files.length} files, ${(bytes / 1e6).toFixed(2)} MB`, ""],
  ["bare remark-parse", `${bareMs.toFixed(1)} ms`, `${(bytes / 1e6 / (bareMs / 1000)).toFixed(2)} MB/s`],
  [
    "TSG frontend (parseTsg)",
    `${frontendMs.toFixed(1)} ms`,
    `${(bytes / 1e6 / (frontendMs / 1000)).toFixed(2)} MB/s`,
  ],
  ["TSG frontend ÷ remark-parse", `${(frontendMs / bareMs).toFixed(2)}×`, "goal ≤ 1.5×"],
  ["node -e 0", `${nodeMs.toFixed(1)} ms`, ""],
  ["rllmc --version", `${versionMs.toFixed(1)} ms`, ""],
  ["rllmc --version ÷ node -e 0", `${(versionMs / nodeMs).toFixed(2)}×`, "goal ≤ 1.5×"],
  ["rllmc check examples/summary.rllm", `${checkMs.toFixed(1)} ms`, "goal ≤ 250 ms"],
];
console.log(`rllmc bench — node ${process.version}, medians of ${ROUNDS} rounds / ${SPAWNS} spawns\n`);
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
