#!/usr/bin/env node
// Section 13 of `npm run bench` (scripts/bench.mjs), also runnable alone after a build
// (`node scripts/bench-review.mjs`): `rllmc review` of 500 drifted runbooks in one session.
// In a temp folder, a git repository holds 500 TSGs (the corpus's TSGs, taken in turn until
// there are 500) compiled beside them as users keep them (`rllmc compile tsgs --out-dir .`:
// <name>/runbook.yaml and mapping.md), committed; then every TSG gets a new section with a
// command, so every runbook and mapping drifts. Measured, medians of interleaved rounds:
//   (a) `rllmc compile tsgs --out-dir . --llm off` of the 500 edited TSGs in a scratch copy, with
//       an empty result cache (RLLMC_RUNBOOK_CACHE, RLLMC_CACHE_DIR: a fresh temp folder);
//   (b) `rllmc review --auto --no-llm --format json` on a fresh copy of the drifted repository:
//       the whole session (recovery, drift, gates, validate, one atomic batch);
//   (c) applyBatch (dist/src/driver/review/batch.js) alone, in process, of the 500 recompiled
//       runbooks on a fresh copy, per file.
// Goal (issue 19): (b) ≤ 1.5 × (a).
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CORPUS = "/work/shared/corpus/tsg";
const TSGS = 500;
const GOAL_RATIO = 1.5;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function corpusTsgs(dir) {
  const out = [];
  const visit = (folder) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) visit(path);
      else if (name.endsWith(".md") && name !== "README.md") out.push(path);
    }
  };
  visit(dir);
  return out;
}

const gitEnv = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "bench",
  GIT_AUTHOR_EMAIL: "bench@example.com",
  GIT_COMMITTER_NAME: "bench",
  GIT_COMMITTER_EMAIL: "bench@example.com",
};

/** The environment of every spawn: no inherited cache folders or model settings. */
function cleanEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(LLM_|RLLMC_|NO_COLOR$|FORCE_COLOR$)/.test(name)),
  );
}

function rllmc(args, cwd, env) {
  const start = performance.now();
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ms = performance.now() - start;
  if (result.status !== 0)
    throw new Error(`rllmc ${args.join(" ")}: exit ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

/** The drifted repository in a temp folder; returns its paths. */
export function reviewBenchFixture() {
  const corpus = corpusTsgs(CORPUS);
  if (corpus.length === 0) throw new Error(`bench: no TSGs under ${CORPUS}`);
  const dir = mkdtempSync(join(tmpdir(), "rllmc-bench-review-"));
  const repo = join(dir, "repo");
  mkdirSync(join(repo, "tsgs"), { recursive: true });
  writeFileSync(join(repo, ".gitignore"), ".rllmc/\n");
  const names = [];
  for (let i = 0; i < TSGS; i++) {
    const name = `tsg-${String(i).padStart(3, "0")}`;
    names.push(name);
    writeFileSync(join(repo, "tsgs", `${name}.md`), readFileSync(corpus[i % corpus.length]));
  }
  const env = {
    ...cleanEnv(),
    RLLMC_RUNBOOK_CACHE: join(dir, "cache-init"),
    RLLMC_CACHE_DIR: join(dir, "cache-init"),
  };
  rllmc(["compile", "tsgs", "--out-dir", ".", "--llm", "off", "--quiet"], repo, env);
  const git = (...args) => {
    const result = spawnSync("git", args, {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, ...gitEnv },
    });
    if (result.status !== 0) throw new Error(`git ${args[0]} failed: ${result.error ?? result.stderr}`);
  };
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "bench: 500 TSGs and their runbooks");
  // The edit: a new section with a command, different in every TSG (left uncommitted, as before a commit).
  for (const [i, name] of names.entries())
    appendFileSync(
      join(repo, "tsgs", `${name}.md`),
      `\n\n## Check the events (${i})\n\n\`\`\`bash\nkubectl get events -n bench-${i} --sort-by=.lastTimestamp\n\`\`\`\n`,
    );
  return { dir, repo, names };
}

export async function benchReview({ rounds = 3 } = {}) {
  const fixture = reviewBenchFixture();
  const { applyBatch } = await import(
    pathToFileURL(join(ROOT, "dist", "src", "driver", "review", "batch.js")).href
  );
  let copies = 0;
  const copy = () => {
    const to = join(fixture.dir, `copy-${copies++}`);
    cpSync(fixture.repo, to, { recursive: true });
    return to;
  };
  const emptyCache = () => mkdtempSync(join(fixture.dir, "cache-"));
  const base = cleanEnv();
  try {
    const compileTimes = [];
    const reviewTimes = [];
    const applyTimes = [];
    let recompiled;
    let outputs = 0;
    let appliedFiles = 0;
    // One warm-up round (the file system cache, V8's compile cache), then the measured ones.
    for (let round = 0; round <= rounds; round++) {
      // (a) the compile of the edited TSGs.
      const scratch = copy();
      const cache = emptyCache();
      const compiled = rllmc(["compile", "tsgs", "--out-dir", ".", "--llm", "off", "--quiet"], scratch, {
        ...base,
        RLLMC_RUNBOOK_CACHE: cache,
        RLLMC_CACHE_DIR: cache,
      });
      if (recompiled === undefined)
        recompiled = new Map(
          fixture.names.map((name) => [
            `${name}/runbook.yaml`,
            readFileSync(join(scratch, name, "runbook.yaml"), "utf8"),
          ]),
        );
      // (b) the review session.
      const reviewed = copy();
      const reviewCache = emptyCache();
      const review = rllmc(["review", "--auto", "--no-llm", "--format", "json"], reviewed, {
        ...base,
        RLLMC_RUNBOOK_CACHE: reviewCache,
        RLLMC_CACHE_DIR: reviewCache,
      });
      const events = review.stdout
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line));
      const applied = events.filter((e) => e.event === "applied");
      const suggestions = events.filter((e) => e.event === "suggestion");
      if (applied.length !== suggestions.length || applied.length < TSGS)
        throw new Error(
          `bench: review applied ${applied.length} of ${suggestions.length} changes (want every one, ≥ ${TSGS})`,
        );
      outputs = suggestions.length;
      appliedFiles = applied.reduce((n, e) => n + e.files.length, 0) || applied.length;
      // What review wrote is what compile writes.
      for (const [path, content] of recompiled)
        if (readFileSync(join(reviewed, path), "utf8") !== content)
          throw new Error(`bench: review wrote ${path} unlike compile`);
      // (c) applyBatch alone, the 500 recompiled runbooks.
      const target = copy();
      const files = [...recompiled].map(([path, after]) => ({
        path,
        before: readFileSync(join(target, path), "utf8"),
        after,
      }));
      const start = performance.now();
      const result = await applyBatch(target, files);
      const applyMs = performance.now() - start;
      if (!result.applied) throw new Error(`bench: applyBatch refused: ${result.reason}`);
      if (round > 0) {
        compileTimes.push(compiled.ms);
        reviewTimes.push(review.ms);
        applyTimes.push(applyMs);
      }
      for (const folder of [scratch, reviewed, target, cache, reviewCache])
        rmSync(folder, { recursive: true, force: true });
    }
    const compileMs = median(compileTimes);
    const reviewMs = median(reviewTimes);
    const applyMs = median(applyTimes);
    return {
      compileMs,
      reviewMs,
      ratio: reviewMs / compileMs,
      applyMs,
      applyPerFileMs: applyMs / TSGS,
      outputs,
      appliedFiles,
      rounds,
    };
  } finally {
    rmSync(fixture.dir, { recursive: true, force: true });
  }
}

/** The bench's table rows for these results. */
export function reviewBenchRows(result) {
  return [
    [
      `rllmc compile of ${TSGS} edited TSGs (--llm off, empty cache)`,
      `${result.compileMs.toFixed(0)} ms`,
      "one spawn: runbook.yaml + mapping.md each",
    ],
    [
      `rllmc review --auto --no-llm, ${TSGS} drifted runbooks`,
      `${result.reviewMs.toFixed(0)} ms`,
      `one session: ${result.outputs} outputs recompiled, gated, applied as one batch`,
    ],
    ["  ÷ the compile", `${result.ratio.toFixed(2)}×`, `goal ≤ ${GOAL_RATIO}×`],
    [
      `  applyBatch alone, ${TSGS} runbooks, per file`,
      `${result.applyPerFileMs.toFixed(3)} ms`,
      `${result.applyMs.toFixed(0)} ms the batch, in process`,
    ],
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = reviewBenchRows(await benchReview({ rounds: Number(process.env.BENCH_ROUNDS ?? 3) }));
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}
