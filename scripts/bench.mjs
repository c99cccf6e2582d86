#!/usr/bin/env node
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
// `npm run bench`: the foundation's benchmarks, measured in one run so the ratios compare like
// with like on a noisy machine (docs/performance.md records the figures).
//   1. TSG frontend over the whole corpus: MB/s, and its time ÷ bare remark-parse's time.
//   2. CLI cold start: `rllmc --version` ÷ `node -e 0`.
//   3. `rllmc check` on one .rllm file: wall time.
//   4. `.rllm` runtime overhead per call, in process, with the replay provider (no model time).
//   5. `rllmc run examples/summary.rllm --provider replay`, warm run cache and cold, ÷ `node -e 0`.
//   6. On the tiny local model: the share of a run's wall time spent outside the model.
//   9. `rllmc compile` of apps: every example and golden app cold in one process (per app); the
//      import time of a generated module; a compiled module's call against execute() (section 4)
//      with the replay provider; the cost of recording a run's stats.
//   7. `runbook compile` over the whole corpus (no LLM): in process ÷ bare remark-parse; a rebuild
//      of the unchanged corpus from the result cache as a share of the cold build, in process
//      and through the CLI.
//  10. Shapes that used to go super-linear (issue 15): a list nested 400 and 800 levels deep
//      (parseTsg), and a TSG of 2,500 and 5,000 sections that repeat one command (runbook compile
//      to yaml + mapping); the ratio of the larger to the smaller is ~2 when the cost is linear.
//  11. The patch backend (scripts/bench-patch.mjs): buildPatch on a 1 MiB file with 1,000 changed
//      lines ÷ `git diff --no-index` on the same two files.
//  12. `rllmc task run` without a model (scripts/bench-task.mjs): a 2,000-file git repository and
//      50 context files, LLM_PROVIDER=null with a recorded answer; spawn time over `--version`.
//  13. `rllmc review` (scripts/bench-review.mjs): 500 drifted runbooks reviewed with --auto in one
//      session ÷ a compile of the 500 edited TSGs; applyBatch alone per file.
//  14. `rllmc run --batch` (scripts/bench-batch.mjs): scheduler overhead per task (2,000 instant
//      calls) and 200 inputs against a llama-orch of capacity 8 ÷ the ideal time.
//  15. `rllmc compile --redis` (scripts/bench-queue.mjs): the corpus through BullMQ on a throwaway
//      redis-server with 1 and 2 worker processes ÷ the local in-process compile; the queue's
//      overhead per job; a rerun taken from completed jobs.
import { fileURLToPath, pathToFileURL } from "node:url";
import remarkParse from "remark-parse";
import { unified } from "unified";
import { emitJsModule } from "../dist/src/backend/js-module.js";
import { printMappingMd } from "../dist/src/backend/mapping-md.js";
import { printRunbookYaml } from "../dist/src/backend/runbook-yaml.js";
import { compileFile } from "../dist/src/driver/compile-runbooks.js";
import { loadSource } from "../dist/src/driver/load-source.js";
import { loadApp } from "../dist/src/driver/rllm-app.js";
import { readSource, sourceFromText } from "../dist/src/frontend/read-source.js";
import { parseTsg } from "../dist/src/frontend/tsg/parse-tsg.js";
import { compileRunbook } from "../dist/src/passes/runbook/compile-runbook.js";
import { runbookWithSources } from "../dist/src/passes/runbook/provenance.js";
import { prepareApp } from "../dist/src/runtime/app/compile-app.js";
import { execute } from "../dist/src/runtime/app/execute.js";
import { createReplayProvider } from "../dist/src/runtime/app/providers/cassette.js";
import { createLocalProvider } from "../dist/src/runtime/app/providers/local.js";
import { recordRun } from "../dist/src/runtime/app/stats/record-run.js";
import { batchBenchRows, benchBatch } from "./bench-batch.mjs";
import { benchPatch, patchBenchRows } from "./bench-patch.mjs";
import { benchQueue, queueBenchRows } from "./bench-queue.mjs";
import { benchReview, reviewBenchRows } from "./bench-review.mjs";
import { benchTaskRun, taskRunBenchRows } from "./bench-task.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// The stats database (RLLMC_HOME) is a folder of the bench's own, for this process and every
// command it spawns: a bench run must not add its runs to the user's stats history.
const BENCH_HOME = mkdtempSync(join(tmpdir(), "rllmc-bench-home-"));
process.env.RLLMC_HOME = BENCH_HOME;
process.on("exit", () => rmSync(BENCH_HOME, { recursive: true, force: true }));
const CORPUS = join(ROOT, "..", "shared", "corpus", "tsg");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 15);
// A cold `rllmc compile` of the corpus takes seconds: fewer spawns of it.
const COMPILE_SPAWNS = Number(process.env.BENCH_COMPILE_SPAWNS ?? 5);

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

async function timeOnceAsync(fn) {
  const start = performance.now();
  await fn();
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
function wall(args, env = {}) {
  const times = [];
  for (let i = 0; i < SPAWNS; i++) {
    const start = performance.now();
    const result = spawnSync(node, args, {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ...env },
    });
    times.push(performance.now() - start);
    if (result.status !== 0 && args.includes("--version"))
      throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
  }
  return median(times);
}
const nodeMs = wall(["-e", "0"]);
const versionMs = wall([cli, "--version"]);
const checkMs = wall([cli, "check", "examples/summary.rllm"]);

// 4. Runtime overhead per call: everything execute() does around a replayed answer ---------------
const CALLS = Number(process.env.BENCH_CALLS ?? 300);
const summary = await loadApp("examples/summary.rllm");
const prepared = prepareApp(summary.definition);
const replay = createReplayProvider(join(ROOT, "examples/summary.cassette.json"));
const summaryInput = JSON.parse(readFileSync(join(ROOT, "examples/summary.input.json"), "utf8"));
for (let i = 0; i < 50; i++) await execute(prepared, summaryInput, { provider: replay }); // warm-up
const callTimes = [];
for (let i = 0; i < CALLS; i++) {
  const start = performance.now();
  await execute(prepared, summaryInput, { provider: replay });
  callTimes.push(performance.now() - start);
}
// The summary example recovers once: two model calls per run.
const perRunMs = median(callTimes);

// 5. `rllmc run` wall time, warm and cold run cache -------------------------------------------------
const runArgs = [
  cli,
  "run",
  "examples/summary.rllm",
  "--provider",
  "replay",
  "--input-file",
  "examples/summary.input.json",
];
const cacheDir = mkdtempSync(join(tmpdir(), "rllmc-bench-cache-"));
spawnSync(node, runArgs, { cwd: ROOT, stdio: "ignore", env: { ...process.env, RLLMC_CACHE_DIR: cacheDir } });
const runWarmMs = wall(runArgs, { RLLMC_CACHE_DIR: cacheDir });
const runColdMs = wall(runArgs, { RLLMC_NO_CACHE: "1" });
rmSync(cacheDir, { recursive: true, force: true });

// 6. The tiny local model: how much of a run is not the model ---------------------------------------
const { tinyModelPath } = await import("../test/support/tiny-gguf.ts");
const modelPath = await tinyModelPath();
const localDir = mkdtempSync(join(tmpdir(), "rllmc-bench-local-"));
const localApp = join(localDir, "classify.rllm");
writeFileSync(
  localApp,
  `---\nname: classify\ndescription: Classify a ticket.\nversion: 1.0.0\nauthor: bench\nmax_context_window: 512\n` +
    `input_schema: {type: object, required: [ticket], properties: {ticket: {type: string, maxLength: 60}}}\n` +
    `output_schema: {type: object, required: [label, tags], additionalProperties: false, properties: {label: {enum: [bug, feature, question]}, tags: {type: array, maxItems: 2, items: {type: string, maxLength: 6}}}}\n` +
    `llm: {provider: local, model: ${JSON.stringify(modelPath)}}\nllm_params: {temperature: 0.8, seed: 1, max_tokens: 120}\n---\nClassify: {{ticket}}\n`,
);
const local = createLocalProvider({ modelPath });
const localPrepared = prepareApp((await loadApp(localApp)).definition);
const ticket = { ticket: "The app crashes on start" };
await execute(localPrepared, ticket, { provider: local }); // loads llama.cpp and the model once
const localTotals = [];
const localModel = [];
for (let i = 0; i < ROUNDS; i++) {
  const result = await execute(localPrepared, ticket, { provider: local });
  localTotals.push(result.durationMs);
  localModel.push(result.attempts.reduce((n, a) => n + a.durationMs, 0));
}
await local.close();
const localWallMs = wall([cli, "run", localApp, "--input", "The app crashes on start"], {
  RLLMC_NO_CACHE: "1",
});
rmSync(localDir, { recursive: true, force: true });
const localTotalMs = median(localTotals);
const localModelMs = median(localModel);

// 7. `runbook compile` over the corpus -------------------------------------------------------------
// a. In process, no LLM, no cache (Stage A + C): readSource → parseTsg → compileRunbook →
//    printRunbookYaml + printMappingMd, ÷ bare remark-parse over the same files. Both sides read
//    every file inside the timed loop, the same way (readSource: stat, read, UTF-8 check, decode),
//    so reading counts alike on both sides (section 1's figures are from memory).
const corpusPaths = files.map((f) => f.path);
const bareRead = () => {
  for (const path of corpusPaths) remark.parse(readSource(path).source.text);
};
const compileCorpus = async () => {
  for (const path of corpusPaths) {
    const { source } = readSource(path);
    const parsed = parseTsg(source);
    const { plan } = await compileRunbook(parsed.module, source);
    if (plan === undefined) throw new Error(`${path}: no plan`);
    printRunbookYaml(runbookWithSources(plan, source), { command: `runbook compile ${path}` });
    printMappingMd(plan, source);
  }
};
bareRead();
await compileCorpus(); // warm-up
const bareReadTimes = [];
const compileTimes = [];
for (let round = 0; round < ROUNDS; round++) {
  bareReadTimes.push(timeOnce(bareRead));
  compileTimes.push(await timeOnceAsync(compileCorpus));
}
const bareReadMs = median(bareReadTimes);
const compileMs = median(compileTimes);

// b. In process, with the content-hash result cache (`compileFile`, as `rllmc compile` calls it,
//    outputs printed but not written): a cold build into a fresh cache, then the rebuild of the
//    unchanged corpus, every file a hit. A fresh cache folder each round.
const optionsKey = JSON.stringify({ mode: "off", provider: "", model: "", frozen: false });
async function compileWithCache(dir) {
  let hits = 0;
  const sources = [];
  for (const path of corpusPaths) {
    const result = await compileFile(path, "off", undefined, dir, optionsKey, sources);
    if (result.yaml === undefined) throw new Error(`${path}: not compiled`);
    if (result.cached) hits += 1;
  }
  return hits;
}
async function cacheRound() {
  const dir = mkdtempSync(join(tmpdir(), "rllmc-bench-runbook-"));
  try {
    let hits = -1;
    const cold = await timeOnceAsync(async () => {
      hits = await compileWithCache(dir);
    });
    if (hits !== 0) throw new Error(`cold build: ${hits} cache hits`);
    const warm = await timeOnceAsync(async () => {
      hits = await compileWithCache(dir);
    });
    if (hits !== corpusPaths.length) throw new Error(`rebuild: ${hits} of ${corpusPaths.length} cache hits`);
    return { cold, warm };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
await cacheRound(); // warm-up
const cacheColdTimes = [];
const cacheWarmTimes = [];
for (let round = 0; round < ROUNDS; round++) {
  const { cold, warm } = await cacheRound();
  cacheColdTimes.push(cold);
  cacheWarmTimes.push(warm);
}
const cacheColdMs = median(cacheColdTimes);
const cacheWarmMs = median(cacheWarmTimes);

// c. The same end to end, as users run it: two `rllmc compile <glob> --out-dir` processes, cold
//    cache and empty out-dir, then the rebuild (cache hits; outputs compared, left alone).
const corpusGlob = `${relative(ROOT, CORPUS)}/**/*.md`;
function compileSpawn(dir) {
  const start = performance.now();
  const result = spawnSync(
    node,
    [cli, "compile", corpusGlob, "--out-dir", join(dir, "out"), "--cache-dir", join(dir, "cache"), "--quiet"],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: process.env },
  );
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`rllmc compile ${corpusGlob} failed: ${result.stderr}`);
  return ms;
}
const cliColdTimes = [];
const cliWarmTimes = [];
for (let round = 0; round < COMPILE_SPAWNS; round++) {
  const dir = mkdtempSync(join(tmpdir(), "rllmc-bench-compile-"));
  try {
    cliColdTimes.push(compileSpawn(dir));
    cliWarmTimes.push(compileSpawn(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const cliColdMs = median(cliColdTimes);
const cliWarmMs = median(cliWarmTimes);

// --- 8. The runbook runtime: runbooks of 100, 1,000 and 5,000 steps in replay mode, in process ---
// Every step renders its argv, passes governance, is answered by the replay engine, checks an
// assertion, and is recorded: two trace lines (fsynced; the second carries the state a snapshot
// would hold), the manifest rewritten in place after each, and every 100th step a snapshot file.
// A snapshot refers to the trace for the history, so a step should cost the same at step 5,000
// as at step 100: the per-step time is the gap between two recorded steps, and the run folder's
// size is compared with its trace's. The replay engine's own time per call is measured alone on the 1,000-step
// scenario, so the difference is the engine's overhead (tracing + snapshotting + templates +
// checks).
const RUNBOOK_SIZES = [100, 1000, 5000];
const { RunbookEngine } = await import("../dist/src/runtime/runbook/engine.js");
const { ReplayRunner } = await import("../dist/src/runtime/runbook/replay-runners.js");
const { ReplaySession } = await import("../dist/src/runtime/replay/index.js");
const benchRunbookOf = (steps) => ({
  apiVersion: "runbook/v0",
  meta: { name: "bench", vars: { ns: "prod" }, governance: { allowed_commands: ["kubectl"] } },
  steps: Array.from({ length: steps }, (_, i) => ({
    id: `s${i}`,
    type: "cli",
    with: { argv: ["kubectl", "get", "pod", `p${i}`, "-n", "{{ .ns }}"] },
    assertions: [{ contains: "Running" }],
  })),
});
const benchScenarioOf = (steps) => ({
  meta: { name: "bench" },
  steps: Array.from({ length: steps }, (_, i) => ({
    match: { argv: ["kubectl", "get", "pod", `p${i}`, "-n", "prod"] },
    respond: { stdout: `p${i}   1/1   Running   0   5m\n` },
  })),
});
const folderBytes = (dir) =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
const runbookRuns = [];
for (const steps of RUNBOOK_SIZES) {
  const benchRunbook = benchRunbookOf(steps);
  const runRoot = mkdtempSync(join(tmpdir(), "rllmc-bench-run-"));
  try {
    const runStart = performance.now();
    const runEngine = RunbookEngine.start({
      runbook: benchRunbook,
      runbookPath: "bench.yaml",
      runbookText: JSON.stringify(benchRunbook),
      mode: "replay",
      runner: new ReplayRunner(benchScenarioOf(steps), { baseDir: runRoot, env: {} }),
      root: runRoot,
      actor: "bench",
      env: {},
      runId: "bench",
    });
    const gaps = [];
    let lastStep = performance.now();
    const outcome = await runEngine.continue(() => {
      const now = performance.now();
      gaps.push(now - lastStep);
      lastStep = now;
    });
    await runEngine.close();
    const totalMs = performance.now() - runStart;
    if (outcome.status !== "passed") throw new Error("the benchmark runbook did not pass");
    const runDir = join(runRoot, ".runbook", "runs", "bench");
    const sorted = [...gaps].sort((a, b) => a - b);
    runbookRuns.push({
      steps,
      totalMs,
      medianMs: median(gaps),
      p90Ms: sorted[Math.floor(sorted.length * 0.9)],
      folderBytes: folderBytes(runDir),
      traceBytes: statSync(join(runDir, "trace.jsonl")).size,
    });
  } finally {
    rmSync(runRoot, { recursive: true, force: true });
  }
}
const REPLAY_CALLS = 1000;
const replayScenario = benchScenarioOf(REPLAY_CALLS);
const session = new ReplaySession(replayScenario, { baseDir: tmpdir(), env: {} });
const replayStart = performance.now();
for (let i = 0; i < REPLAY_CALLS; i += 1) session.call(["kubectl", "get", "pod", `p${i}`, "-n", "prod"]);
const replayPerCallMs = (performance.now() - replayStart) / REPLAY_CALLS;
const firstRun = runbookRuns[0];
const lastRun = runbookRuns.at(-1);

// 9. Compiled modules ----------------------------------------------------------------------------
const appPaths = [
  ...readdirSync(join(ROOT, "examples"))
    .filter((f) => f.endsWith(".rllm"))
    .map((f) => `examples/${f}`),
  ...readdirSync(join(ROOT, "goldens/rllm")).map((d) => `goldens/rllm/${d}/input.rllm`),
];
const emitTimes = [];
let emitted = 0;
const emitStart = performance.now();
for (const path of appPaths) {
  const start = performance.now();
  const loaded = await loadSource(path, "rllm");
  if (loaded.module?.kind !== "rllm" || loaded.diagnostics.some((d) => d.severity === "error")) continue;
  emitJsModule(loaded.module, {
    source: path,
    command: `rllmc compile ${path}`,
    generator: "rllmc bench",
    childImports: new Map(loaded.module.header.uses.map((u) => [u.name, `./${u.name}.mjs`])),
    lineCol: (offset) => loaded.source.lineCol(offset),
  });
  emitTimes.push(performance.now() - start);
  emitted++;
}
const emitTotalMs = performance.now() - emitStart;

const project = mkdtempSync(join(tmpdir(), "rllmc-bench-module-"));
mkdirSync(join(project, "node_modules"));
symlinkSync(ROOT, join(project, "node_modules", "rllmc"), "dir");
spawnSync(node, [cli, "compile", "examples/summary.rllm", "--out-dir", join(project, "gen"), "--quiet"], {
  cwd: ROOT,
});
writeFileSync(join(project, "import.mjs"), 'await import("./gen/summary.mjs");\n');
writeFileSync(join(project, "empty.mjs"), "\n");
const importWall = (file) => {
  const times = [];
  for (let i = 0; i < SPAWNS; i++) {
    const start = performance.now();
    spawnSync(node, [join(project, file)], { cwd: project, stdio: "ignore" });
    times.push(performance.now() - start);
  }
  return median(times);
};
const importMs = importWall("import.mjs") - importWall("empty.mjs");

const compiled = await import(pathToFileURL(join(project, "gen/summary.mjs")).href);
for (let i = 0; i < 50; i++) await compiled.summary(summaryInput, { provider: replay, stats: false });
const compiledTimes = [];
for (let i = 0; i < CALLS; i++) {
  const start = performance.now();
  await compiled.summary(summaryInput, { provider: replay, stats: false });
  compiledTimes.push(performance.now() - start);
}
const compiledPerRunMs = median(compiledTimes);

const statsHome = mkdtempSync(join(tmpdir(), "rllmc-bench-stats-"));
const statsEnv = { RLLMC_HOME: statsHome };
const record = {
  app: "bench",
  appVersion: "1.0.0",
  appSource: "bench.rllm",
  provider: "replay",
  model: "m",
  ok: true,
  errorType: null,
  inputValid: true,
  outputValid: true,
  latencyMs: 12.5,
  modelMs: 10,
  childrenMs: 0,
  promptTokens: 300,
  completionTokens: 90,
  estimatedPromptTokens: 320,
  attempts: 1,
  retriesUsed: 0,
  startedAt: new Date(0).toISOString(),
  parentApp: null,
};
recordRun(record, statsEnv); // opens and creates the file
const statsTimes = [];
for (let i = 0; i < CALLS; i++) statsTimes.push(timeOnce(() => recordRun(record, statsEnv)));
const statsWriteMs = median(statsTimes);
const withStatsTimes = [];
const statsRunEnv = { ...process.env, RLLMC_HOME: statsHome };
for (let i = 0; i < CALLS; i++) {
  const start = performance.now();
  await compiled.summary(summaryInput, { provider: replay, env: statsRunEnv });
  withStatsTimes.push(performance.now() - start);
}
const withStatsPerRunMs = median(withStatsTimes);

// 10. Scaling on shapes that used to go super-linear -------------------------------------------
const deepList = (levels) =>
  Array.from({ length: levels }, (_, i) => `${"  ".repeat(i)}- item ${i}`).join("\n");
const denseTsg = (sections) => {
  let text = "# Dense\n\n";
  for (let i = 0; i < sections; i++)
    text += `## Section ${i}\n\nCheck the pods:\n\n\`\`\`sh\nkubectl get pods -n shop\nkubectl describe pod web-${i} -n shop\n\`\`\`\n\n`;
  return text;
};
const parseDeep = (levels) => {
  const source = sourceFromText("deep.md", deepList(levels));
  return () => parseTsg(source);
};
const compileDense = (sections) => {
  const source = sourceFromText("dense.md", denseTsg(sections));
  return async () => {
    const { plan } = await compileRunbook(parseTsg(source).module, source);
    printRunbookYaml(runbookWithSources(plan, source), { command: "runbook compile dense.md" });
    printMappingMd(plan, source);
  };
};
const scaling = { deep400: [], deep800: [], dense2500: [], dense5000: [] };
for (let round = 0; round < Math.min(ROUNDS, 5); round++) {
  scaling.deep400.push(timeOnce(parseDeep(400)));
  scaling.deep800.push(timeOnce(parseDeep(800)));
  scaling.dense2500.push(await timeOnceAsync(compileDense(2500)));
  scaling.dense5000.push(await timeOnceAsync(compileDense(5000)));
}
const [deep400Ms, deep800Ms, dense2500Ms, dense5000Ms] = [
  scaling.deep400,
  scaling.deep800,
  scaling.dense2500,
  scaling.dense5000,
].map(median);

// 11. The patch backend -------------------------------------------------------------------------
const patchBench = benchPatch({ rounds: ROUNDS });

// 12. `rllmc task run` overhead without a model --------------------------------------------------
const taskRunBench = benchTaskRun({ spawns: SPAWNS });

// 13. `rllmc review` of 500 drifted runbooks ÷ their compile; applyBatch per file ---------------
const reviewBench = await benchReview({ rounds: 3 });

// 14. `rllmc run --batch`: scheduler overhead per task; 200 inputs at capacity 8 ÷ the ideal ------
const batchBench = await benchBatch({ rounds: 3 });
const queueBench = await benchQueue({ rounds: 3 });

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
  [
    "run overhead per call, replay (2 calls a run)",
    `${(perRunMs / 2).toFixed(3)} ms`,
    "goal ≤ 2 ms (median)",
  ],
  ["rllmc run --provider replay, warm cache", `${runWarmMs.toFixed(1)} ms`, ""],
  ["  ÷ node -e 0", `${(runWarmMs / nodeMs).toFixed(2)}×`, "goal ≤ 3×"],
  [
    "rllmc run --provider replay, no cache",
    `${runColdMs.toFixed(1)} ms`,
    `${(runColdMs / nodeMs).toFixed(2)}× node -e 0`,
  ],
  [
    "local tiny model: execute() per run",
    `${localTotalMs.toFixed(1)} ms`,
    `model ${localModelMs.toFixed(1)} ms`,
  ],
  ["  share outside the model (in process)", `${((1 - localModelMs / localTotalMs) * 100).toFixed(1)} %`, ""],
  [
    "rllmc run --provider local (wall)",
    `${localWallMs.toFixed(1)} ms`,
    `model ${((localModelMs / localWallMs) * 100).toFixed(1)} % of it`,
  ],
  [
    "bare remark-parse, reading included",
    `${bareReadMs.toFixed(1)} ms`,
    `${(bytes / 1e6 / (bareReadMs / 1000)).toFixed(2)} MB/s`,
  ],
  [
    "runbook compile, no LLM/cache (read→yaml+mapping)",
    `${compileMs.toFixed(1)} ms`,
    `${(bytes / 1e6 / (compileMs / 1000)).toFixed(2)} MB/s`,
  ],
  ["  ÷ remark-parse (reading included in both)", `${(compileMs / bareReadMs).toFixed(2)}×`, "goal ≤ 2×"],
  ["compileFile over the corpus, cold result cache", `${cacheColdMs.toFixed(1)} ms`, ""],
  ["compileFile, rebuild of the unchanged corpus", `${cacheWarmMs.toFixed(1)} ms`, "every file a cache hit"],
  ["  rebuild ÷ cold (in process)", `${((cacheWarmMs / cacheColdMs) * 100).toFixed(1)} %`, "goal ≤ 10 %"],
  [
    "rllmc compile <corpus> --out-dir, cold cache",
    `${cliColdMs.toFixed(1)} ms`,
    `median of ${COMPILE_SPAWNS} spawns`,
  ],
  ["rllmc compile <corpus> --out-dir, rebuild", `${cliWarmMs.toFixed(1)} ms`, ""],
  ["  rebuild ÷ cold (CLI, two processes)", `${((cliWarmMs / cliColdMs) * 100).toFixed(1)} %`, "goal ≤ 10 %"],
  ...runbookRuns.flatMap((run) => [
    [
      `runbook exec --mode replay, ${run.steps} steps (in process)`,
      `${run.totalMs.toFixed(1)} ms`,
      "trace lines + manifest per step",
    ],
    [
      "  per step, median (p90)",
      `${run.medianMs.toFixed(2)} ms`,
      `p90 ${run.p90Ms.toFixed(2)} ms; goal median ≤ 1 ms`,
    ],
    [
      "  run folder ÷ trace",
      `${(run.folderBytes / run.traceBytes).toFixed(2)}×`,
      `${(run.folderBytes / 1e6).toFixed(1)} MB / ${(run.traceBytes / 1e6).toFixed(1)} MB; goal ≤ 3×`,
    ],
  ]),
  [
    `  median per step, ${lastRun.steps} ÷ ${firstRun.steps} steps`,
    `${(lastRun.medianMs / firstRun.medianMs).toFixed(2)}×`,
    "goal ≤ 1.2×",
  ],
  [
    "  of which the replay engine's answer",
    `${replayPerCallMs.toFixed(3)} ms`,
    `${((replayPerCallMs / lastRun.medianMs) * 100).toFixed(1)} % of a step`,
  ],
  [
    `rllmc compile: ${emitted} example and golden apps, one process`,
    `${emitTotalMs.toFixed(1)} ms`,
    `${(emitTotalMs / emitted).toFixed(1)} ms an app; first ${emitTimes[0].toFixed(1)} ms, then median ${median(emitTimes.slice(1)).toFixed(1)} ms`,
  ],
  [
    "import of a generated module (summary.mjs)",
    `${importMs.toFixed(1)} ms`,
    "spawn with the import − spawn without",
  ],
  [
    "compiled module call, replay (2 calls a run)",
    `${(compiledPerRunMs / 2).toFixed(3)} ms`,
    `execute() ${(perRunMs / 2).toFixed(3)} ms; goal ≤ 0.5 ms (median)`,
  ],
  [
    "  ÷ rllmc run --provider replay, warm cache",
    `${((compiledPerRunMs / runWarmMs) * 100).toFixed(2)} %`,
    "of one `rllmc run`",
  ],
  ["TSG list nested 800 levels deep (parseTsg)", `${deep800Ms.toFixed(1)} ms`, ""],
  ["  ÷ 400 levels", `${(deep800Ms / deep400Ms).toFixed(2)}×`, "~2× when linear (was 7.94×)"],
  ["runbook compile, 5,000 sections of one command", `${dense5000Ms.toFixed(1)} ms`, "10,000 steps"],
  ["  ÷ 2,500 sections", `${(dense5000Ms / dense2500Ms).toFixed(2)}×`, "~2× when linear (was 3.45×)"],
  ["stats: one run recorded (SQLite, WAL)", `${statsWriteMs.toFixed(3)} ms`, "median, store open"],
  [
    "  compiled call with stats on, per run",
    `${withStatsPerRunMs.toFixed(3)} ms`,
    `+${(withStatsPerRunMs - compiledPerRunMs).toFixed(3)} ms over stats off`,
  ],
  ...patchBenchRows(patchBench),
  ...taskRunBenchRows(taskRunBench),
  ...reviewBenchRows(reviewBench),
  ...batchBenchRows(batchBench),
  ...queueBenchRows(queueBench),
];
console.log(`rllmc bench — node ${process.version}, medians of ${ROUNDS} rounds / ${SPAWNS} spawns\n`);
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
