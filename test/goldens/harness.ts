/**
 * The golden (baseline) harness. Each case is a folder `goldens/<suite>/<case>/` holding one
 * input (`input.rllm` or `input.md`), optionally `case.json` (`{"kind": "task"}` to force a
 * kind), `SOURCE.md` (attribution of a copied file) and fixtures the input refers to (child
 * apps of `uses`), and the expected outputs:
 *   ir.json      the IR, as `rllmc inspect --ir` prints it (absent when no module is produced)
 *   errors.txt   the diagnostics, as `rllmc check` prints them (absent when there are none)
 *   inspect.txt  for an `.rllm` app without errors, the summary `rllmc inspect` prints
 *   runbook.yaml, mapping.md  for a TSG, what `runbook compile` writes (absent on errors)
 *   compile.txt  for a TSG, the diagnostics of `runbook compile` (absent when there are none)
 *   app.mjs, app.d.mts  for an `.rllm` app without errors, what `rllmc compile` writes beside it
 * A TSG case's `case.json` may ask for the LLM pass with recorded answers:
 * `{"llm": "cached", "frozen": true, "provider": "…", "model": "…"}`, the answers being in the
 * case's `llm-cache/` (made by scripts/make-runbook-answers.mjs from `answer.json`).
 * The `review` suite runs a review session on a copy of a repository (review-run.ts).
 * The `run` suite runs its app instead: `run.json` gives the input and the scripted answers
 * (`{"input": …, "answers": [text | {"fail": {kind, status?, retry_after_ms?}}], "max_retries"?}`)
 * and `result.json` is what `rllmc run` prints — the output or the error payload — with the
 * exit code.
 * A `task` case with a `repo/` folder runs `rllmc task run` on it with a recorded answer
 * instead, and expects `stdout.txt`, `stderr.txt` and `exit.txt` (test/goldens/task-run.ts,
 * which also applies the printed patch with `git apply` and compares it with the answer).
 * A run compares what the frontend produces with these files. A missing expected file is
 * written (outside CI); a difference fails and leaves `<name>.actual` beside the expected file;
 * an expected file that the case no longer produces fails. With GOLDENS_UPDATE=1 (what
 * `npm run goldens -- --update` sets) every difference is accepted.
 */

import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createTwoFilesPatch } from "diff";
import { emitJsModule } from "../../src/backend/js-module.js";
import { compileFile } from "../../src/driver/compile-runbooks.js";
import { formatAppSummary, summariseApp } from "../../src/driver/inspect-rllm.js";
import { loadSource } from "../../src/driver/load-source.js";
import { appProvenance, runbookPlacement } from "../../src/driver/regenerate.js";
import { loadApp } from "../../src/driver/rllm-app.js";
import { createInterpreter } from "../../src/driver/runbook-llm.js";
import { version } from "../../src/driver/version.js";
import { compareDiagnostics, hasErrors } from "../../src/ir/diagnostic.js";
import type { SourceKind } from "../../src/ir/nodes.js";
import { formatDiagnostics, sourceLookup } from "../../src/ir/print-diagnostics.js";
import type { SourceFile } from "../../src/ir/source-file.js";
import { prepareApp } from "../../src/runtime/app/compile-app.js";
import { asRllmError, RunExit } from "../../src/runtime/app/errors.js";
import { execute } from "../../src/runtime/app/execute.js";
import { type FailureKind, ProviderFailure } from "../../src/runtime/app/provider.js";
import { scriptedProvider } from "../support/scripted-provider.js";
import { produceReview } from "./review-run.js";
import { checkTaskRun, isTaskRunCase, runTaskCase, taskRunInput } from "./task-run.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const GOLDENS_ROOT = join(REPO_ROOT, "goldens");

/** The expected outputs a case can have; every other file in a case folder is an input or fixture. */
const OUTPUT_FILES =
  /^(ir\.json|errors\.txt|inspect\.txt|result\.json|runbook\.yaml|mapping\.md|compile\.txt|app\.mjs|app\.d\.mts|stdout\.txt|stderr\.txt|exit\.txt|events\.jsonl|summary\.txt|after-.+)$/;

export interface GoldenCase {
  readonly suite: string;
  readonly name: string;
  readonly dir: string;
  readonly input: string;
}

export interface GoldenOutcome {
  readonly problems: readonly string[];
  readonly written: readonly string[];
}

export function listCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (const suite of readdirSync(GOLDENS_ROOT).sort()) {
    const suiteDir = join(GOLDENS_ROOT, suite);
    if (!statSync(suiteDir).isDirectory()) continue;
    for (const name of readdirSync(suiteDir).sort()) {
      const dir = join(suiteDir, name);
      if (!statSync(dir).isDirectory()) continue;
      if (suite === "task" && isTaskRunCase(dir)) {
        cases.push({ suite, name, dir, input: taskRunInput(dir) });
        continue;
      }
      const input = readdirSync(dir).find((f) => /^input\.[A-Za-z]+$/.test(f));
      if (input === undefined) throw new Error(`golden case ${suite}/${name} has no input.* file`);
      cases.push({ suite, name, dir, input: join(dir, input) });
    }
  }
  return cases;
}

/** What the compiler produces for a case, through the CLI's own code path: output file name → content. */
export async function produce(goldenCase: GoldenCase): Promise<Map<string, string>> {
  const path = relative(REPO_ROOT, goldenCase.input);
  const caseFile = join(goldenCase.dir, "case.json");
  const kind = existsSync(caseFile)
    ? ((JSON.parse(readFileSync(caseFile, "utf8")) as { kind?: SourceKind }).kind ?? undefined)
    : undefined;
  const outputs = new Map<string, string>();
  // Paths relative to the repository root, as a user running `rllmc check goldens/…` sees them.
  if (process.cwd() !== REPO_ROOT.replace(/\/$/, "")) process.chdir(REPO_ROOT);
  if (goldenCase.suite === "run") {
    outputs.set("result.json", await runApp(path, join(goldenCase.dir, "run.json")));
    return outputs;
  }
  if (goldenCase.suite === "review") return produceReview(goldenCase.dir);
  const loaded = await loadSource(path, kind);
  const diagnostics = loaded.diagnostics;
  const lookup = sourceLookup(loaded.source === undefined ? [] : [loaded.source]);
  if (loaded.module !== undefined) outputs.set("ir.json", `${JSON.stringify(loaded.module, null, 2)}\n`);
  if (diagnostics.length > 0) {
    outputs.set("errors.txt", `${formatDiagnostics([...diagnostics].sort(compareDiagnostics), lookup)}`);
  }
  if (loaded.module?.kind === "rllm" && !hasErrors(diagnostics)) {
    outputs.set("inspect.txt", formatAppSummary(summariseApp(loaded.module, path, lookup)));
    // As `rllmc compile input.rllm` writes it beside its source: named from the case's folder.
    const emitted = emitJsModule(loaded.module, {
      ...appProvenance(path, join(goldenCase.dir, "app.mjs"), {
        roots: [path],
        outDir: undefined,
        runtimeImport: undefined,
      }),
      generator: `rllmc ${version()}`,
      // As `rllmc compile` without --out-dir: each child's module beside its source.
      childImports: new Map(
        loaded.module.header.uses.map((use) => [use.name, `./${use.path.replace(/\.rllm$/, ".mjs")}`]),
      ),
      lineCol: (offset) => loaded.source!.lineCol(offset),
    });
    outputs.set("app.mjs", emitted.mjs);
    outputs.set("app.d.mts", emitted.dts);
  }
  if (loaded.module?.kind === "tsg") {
    for (const [name, text] of await compileTsg(path, goldenCase.dir)) outputs.set(name, text);
  }
  return outputs;
}

interface CompileSpec {
  readonly llm?: "cached" | "live";
  readonly frozen?: boolean;
  readonly provider?: string;
  readonly model?: string;
}

/** `runbook compile` of a TSG case, through the CLI's per-file code path (no result cache). */
export async function compileTsg(path: string, dir: string): Promise<Map<string, string>> {
  const caseFile = join(dir, "case.json");
  const spec = existsSync(caseFile) ? (JSON.parse(readFileSync(caseFile, "utf8")) as CompileSpec) : {};
  const interpreter =
    spec.llm === undefined
      ? undefined
      : createInterpreter({
          mode: spec.llm,
          frozen: spec.frozen === true,
          cacheDir: relative(REPO_ROOT, join(dir, "llm-cache")),
          flags: {
            ...(spec.provider === undefined ? {} : { provider: spec.provider }),
            ...(spec.model === undefined ? {} : { model: spec.model }),
          },
          env: {},
        });
  const sources: SourceFile[] = [];
  // As `runbook compile input.md --out runbook.yaml --mapping mapping.md …` run in the case's folder.
  const placement = runbookPlacement(
    path,
    { runbook: join(dir, "runbook.yaml"), mapping: join(dir, "mapping.md") },
    {
      mode: spec.llm ?? "off",
      frozen: spec.frozen === true,
      provider: spec.provider,
      model: spec.model,
      cacheDir: spec.llm === undefined ? undefined : join(dir, "llm-cache"),
    },
  );
  const result = await compileFile(path, spec.llm ?? "off", interpreter, undefined, "", sources, placement);
  const outputs = new Map<string, string>();
  if (result.yaml !== undefined && !hasErrors(result.diagnostics)) {
    outputs.set("runbook.yaml", result.yaml);
    outputs.set("mapping.md", result.mapping!);
  }
  // The frontend's own warnings are in errors.txt already.
  const compileOnly = result.diagnostics.filter((d) => !d.code.startsWith("TSG"));
  if (compileOnly.length > 0)
    outputs.set(
      "compile.txt",
      formatDiagnostics([...compileOnly].sort(compareDiagnostics), sourceLookup(sources)),
    );
  return outputs;
}

export async function runCase(goldenCase: GoldenCase, update: boolean, ci: boolean): Promise<GoldenOutcome> {
  const problems: string[] = [];
  const written: string[] = [];
  const taskRun =
    goldenCase.suite === "task" && isTaskRunCase(goldenCase.dir)
      ? await runTaskCase(goldenCase.dir)
      : undefined;
  if (taskRun !== undefined) problems.push(...checkTaskRun(goldenCase.dir, taskRun));
  const produced = taskRun?.outputs ?? (await produce(goldenCase));
  for (const [name, actual] of produced) {
    const expectedPath = join(goldenCase.dir, name);
    const actualPath = `${expectedPath}.actual`;
    if (!existsSync(expectedPath)) {
      if (ci && !update) {
        problems.push(`${name}: no expected file (run 'npm run goldens -- --update' and commit it)`);
        continue;
      }
      writeAtomically(expectedPath, actual);
      written.push(relative(REPO_ROOT, expectedPath));
      continue;
    }
    const expected = readFileSync(expectedPath, "utf8");
    if (expected === actual) {
      rmSync(actualPath, { force: true });
      continue;
    }
    if (update) {
      writeAtomically(expectedPath, actual);
      rmSync(actualPath, { force: true });
      written.push(relative(REPO_ROOT, expectedPath));
      continue;
    }
    writeAtomically(actualPath, actual);
    const label = relative(REPO_ROOT, expectedPath);
    problems.push(
      createTwoFilesPatch(label, `${label}.actual`, expected, actual, "expected", "actual", { context: 3 }),
    );
  }
  for (const file of readdirSync(goldenCase.dir)) {
    if (!OUTPUT_FILES.test(file) || produced.has(file)) continue;
    if (update) {
      rmSync(join(goldenCase.dir, file));
      written.push(`${relative(REPO_ROOT, join(goldenCase.dir, file))} (removed)`);
    } else {
      problems.push(
        `${file}: expected file that this case no longer produces (remove it, or run with --update)`,
      );
    }
  }
  return { problems, written };
}

interface RunSpec {
  readonly input: unknown;
  readonly answers: readonly (
    | string
    | { fail: { kind: FailureKind; status?: number; retry_after_ms?: number } }
  )[];
  readonly max_retries?: number;
}

/** Runs an app as `rllmc run` does, with the scripted answers, and prints its result. */
async function runApp(path: string, specPath: string): Promise<string> {
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as RunSpec;
  const script = spec.answers.map((a) =>
    typeof a === "string"
      ? a
      : new ProviderFailure(a.fail.kind, `scripted ${a.fail.kind}`, {
          ...(a.fail.status === undefined ? {} : { status: a.fail.status }),
          ...(a.fail.retry_after_ms === undefined ? {} : { retryAfterMs: a.fail.retry_after_ms }),
        }),
  );
  let printed: unknown;
  let exit: number = RunExit.Ok;
  try {
    const { definition } = await loadApp(path);
    const result = await execute(prepareApp(definition), spec.input, {
      provider: scriptedProvider(script),
      ...(spec.max_retries === undefined ? {} : { maxRetries: spec.max_retries }),
      sleep: async () => {},
      // Waits the server asked for, as asked: the jitter is random.
      retryPolicy: { serverWaitJitter: 0 },
    });
    printed = result.output;
  } catch (error) {
    const failure = asRllmError(error);
    printed = failure.payload;
    exit = failure.exitCode;
  }
  return `${JSON.stringify({ exit_code: exit, stdout: printed }, null, 2)}\n`;
}

function writeAtomically(path: string, content: string): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}
