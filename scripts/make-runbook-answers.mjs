#!/usr/bin/env node
// Records the model answers of the runbook golden cases that use the LLM pass (and of the
// runbook demo in examples/runbook-demo, whose TSG is pod-crashloop.md). For each
// goldens/tsg/<case>/ with a case.json asking for `"llm"` and an answer.json (a runbook written
// by hand, standing for what a model answered), this builds the exact request the compiler
// sends for the case's input.md, computes its cache key, and writes the answer into the
// case's llm-cache/llm/<key>.json — so `--llm cached --frozen` finds it. Run after changing
// the prompt (PROMPT_VERSION), the IR, the extraction or an answer.json:
//   npm run build && node scripts/make-runbook-answers.mjs
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
process.chdir(ROOT);
const dist = (path) => new URL(`../dist/src/${path}`, import.meta.url).href;
const { readSource } = await import(dist("frontend/read-source.js"));
const { parseTsg } = await import(dist("frontend/tsg/parse-tsg.js"));
const { extractRunbook } = await import(dist("passes/runbook/extract-runbook.js"));
const { interpretRequest } = await import(dist("passes/runbook/interpret-request.js"));
const { cacheKey, INTERPRET_PARAMS } = await import(dist("driver/runbook-llm.js"));

// The golden cases (input.md) and the runbook demo of examples/ (its TSG).
const suite = join("goldens", "tsg");
const cases = [
  ...readdirSync(suite)
    .sort()
    .map((name) => ({ name, dir: join(suite, name), input: "input.md" })),
  { name: "examples/runbook-demo", dir: join("examples", "runbook-demo"), input: "pod-crashloop.md" },
];
for (const { name, dir, input } of cases) {
  const caseFile = join(dir, "case.json");
  const answerFile = join(dir, "answer.json");
  if (!existsSync(caseFile) || !existsSync(answerFile)) continue;
  const spec = JSON.parse(readFileSync(caseFile, "utf8"));
  if (spec.llm === undefined) continue;
  const path = join(dir, input);
  const { source } = readSource(path);
  const module = parseTsg(source).module;
  // The passes see the TSG by its file name alone (driver/compile-runbooks.ts), wherever it is.
  const request = interpretRequest(extractRunbook(module, source, { file: input }), module, source);
  const key = cacheKey(request, spec.provider ?? "", spec.model ?? "");
  const cache = join(dir, "llm-cache");
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(join(cache, "llm"), { recursive: true });
  const entry = {
    key,
    prompt_version: request.promptVersion,
    provider: spec.provider ?? "",
    model: spec.model ?? "",
    params: INTERPRET_PARAMS,
    answer: `${JSON.stringify(JSON.parse(readFileSync(answerFile, "utf8")), null, 2)}\n`,
  };
  writeFileSync(join(cache, "llm", `${key}.json`), `${JSON.stringify(entry, null, 2)}\n`);
  console.log(`${name}: ${key.slice(0, 16)}…`);
}
