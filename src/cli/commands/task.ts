/**
 * `task run NAME|PATH` and `task list` (docs/task-spec.md): the container-first change proposer.
 * Configured by the environment (TRACKING_BREADCRUMB, REPO_ROOT, CONTEXT_ROOT, LLM_*), with flags
 * for local use. stdout is a public contract: exactly the commit message block and the patch
 * block, or nothing; every log line and diagnostic goes to stderr. Exit codes: docs/task-spec.md.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DEFAULT_CONTEXT_LIMITS } from "../../driver/task/context.js";
import type { TaskOutcome, TaskOutcomeKind } from "../../driver/task/run-task.js";
import { UsageError } from "../../driver/usage-error.js";
import { didYouMean } from "../../ir/did-you-mean.js";
import { sourceLookup } from "../../ir/print-diagnostics.js";
import { Redactor } from "../../runtime/shared/redact.js";
import { oneOf, parseOptions, withUsage } from "../options.js";
import { printDiagnosticsText } from "../report.js";

/** Exit codes of `task run`, one per way it can end (docs/task-spec.md, "Exit codes"). */
export const TaskExit: Readonly<Record<TaskOutcomeKind, number>> = {
  patch: 0,
  "dry-run": 0,
  "task-invalid": 1,
  usage: 2,
  "context-too-large": 4,
  "off-contract": 5,
  provider: 6,
  "outside-outputs": 8,
  guarantee: 9,
  verification: 10,
  "no-change": 11,
};

const DEFAULT_REPO_ROOT = "/workspace/repo";
const DEFAULT_CONTEXT_ROOT = "/workspace/context";
const DEFAULT_CONTEXT_TOKENS = 128_000;

const RUN_OPTIONS = {
  repo: { type: "string" },
  context: { type: "string" },
  var: { type: "string", multiple: true },
  provider: { type: "string" },
  model: { type: "string" },
  "base-url": { type: "string" },
  cassette: { type: "string" },
  record: { type: "string" },
  "cache-dir": { type: "string" },
  frozen: { type: "boolean" },
  "dry-run": { type: "boolean" },
  audit: { type: "string" },
  verbose: { type: "boolean" },
  "max-retries": { type: "string" },
  "max-tokens": { type: "string" },
  "timeout-ms": { type: "string" },
  "max-context-tokens": { type: "string" },
  "max-file-bytes": { type: "string" },
  "max-context-bytes": { type: "string" },
} as const;

const LIST_OPTIONS = { context: { type: "string" }, json: { type: "boolean" } } as const;

export default function task(program: string, args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "list") return withUsage(program, "task list", () => list(rest));
  return withUsage(program, "task", async () => {
    if (sub === undefined) throw new UsageError("expected 'task run NAME|PATH' or 'task list'");
    if (sub !== "run") oneOf("the task command", sub, ["run", "list"]);
    return runCommand(program, rest);
  });
}

async function runCommand(program: string, args: readonly string[]): Promise<number> {
  const env = process.env;
  // The breadcrumb first: without it nothing else is looked at.
  const breadcrumb = env.TRACKING_BREADCRUMB;
  if (breadcrumb === undefined || breadcrumb.trim() === "")
    throw new UsageError(
      "TRACKING_BREADCRUMB is not set: it names who ran the task and why (user, roles, time, correlation_id), and ends the commit message",
    );
  const { values, positionals } = parseOptions(args, RUN_OPTIONS);
  if (positionals.length !== 1)
    throw new UsageError("expected exactly one task: a NAME under $CONTEXT_ROOT/tasks, or a PATH");
  const roots = {
    repo: resolve((values.repo as string | undefined) ?? nonEmpty(env.REPO_ROOT) ?? DEFAULT_REPO_ROOT),
    context: resolve(
      (values.context as string | undefined) ?? nonEmpty(env.CONTEXT_ROOT) ?? DEFAULT_CONTEXT_ROOT,
    ),
  };
  if (!isFolder(roots.repo))
    throw new UsageError(`the repository root '${roots.repo}' is not a folder (REPO_ROOT or --repo)`);
  const taskPath = locateTask(positionals[0] as string, roots.context);
  const cacheDir = (values["cache-dir"] as string | undefined) ?? nonEmpty(env.RLLMC_CACHE_DIR);
  // What is written after the model has answered is checked before it is asked: a typo in a path
  // must not cost a model call and end in an unwritten answer.
  if (cacheDir !== undefined && values.frozen !== true && values["dry-run"] !== true)
    checkWritable(join(cacheDir, "task"), "folder", "the answer cache (RLLMC_CACHE_DIR or --cache-dir)");
  if (values.audit !== undefined) checkWritable(values.audit as string, "file", "--audit");
  const verbose = values.verbose === true;
  const redactor = Redactor.fromEnv(env);
  const err = (text: string) => process.stderr.write(redactor.text(text));
  const { runTask } = await import("../../driver/task/run-task.js");
  const outcome = await runTask({
    taskPath,
    roots,
    breadcrumb: breadcrumb.trim(),
    values: placeholderValues(values.var as string[] | undefined, env),
    flags: {
      ...stringFlag("provider", values.provider),
      ...stringFlag("model", values.model),
      ...stringFlag("baseUrl", values["base-url"]),
      ...stringFlag("cassette", values.cassette),
      ...stringFlag("record", values.record),
    },
    env,
    cacheDir,
    frozen: values.frozen === true,
    dryRun: values["dry-run"] === true,
    maxRetries: count("--max-retries", values["max-retries"], 0, 20),
    maxTokens: count("--max-tokens", values["max-tokens"], 1, 1_000_000),
    timeoutMs: count("--timeout-ms", values["timeout-ms"] ?? nonEmpty(env.LLM_TIMEOUT_MS), 1, 86_400_000),
    limits: {
      fileBytes:
        count("--max-file-bytes", values["max-file-bytes"], 1, 2 ** 40) ?? DEFAULT_CONTEXT_LIMITS.fileBytes,
      totalBytes:
        count("--max-context-bytes", values["max-context-bytes"], 1, 2 ** 40) ??
        DEFAULT_CONTEXT_LIMITS.totalBytes,
      contextTokens:
        count(
          "--max-context-tokens",
          values["max-context-tokens"] ?? nonEmpty(env.LLM_CONTEXT_TOKENS),
          1,
          10_000_000,
        ) ?? DEFAULT_CONTEXT_TOKENS,
    },
    log: (line) => {
      if (verbose) err(`${line}\n`);
    },
  });
  report(program, outcome, err);
  if (verbose) err(`audit ${JSON.stringify(outcome.audit)}\n`);
  if (values.audit !== undefined) {
    const { writeFileAtomic } = await import("../../runtime/shared/write-file.js");
    writeFileAtomic(values.audit as string, `${JSON.stringify(redactor.value(outcome.audit), null, 2)}\n`);
  }
  if (outcome.kind === "patch")
    process.stdout.write(`---COMMIT_MSG---\n${outcome.commitMessage}\n---PATCH---\n${outcome.patch}`);
  return TaskExit[outcome.kind];
}

/** What stderr says about the outcome; stdout carries only the two blocks. */
function report(program: string, outcome: TaskOutcome, err: (text: string) => void): void {
  if (outcome.diagnostics.length > 0)
    printDiagnosticsText(outcome.diagnostics, sourceLookup(outcome.sources));
  const head = `${program} task run`;
  switch (outcome.kind) {
    case "patch":
      err(
        `${head}: ${outcome.audit.files_changed?.length ?? 0} file(s) changed: ${(outcome.audit.files_changed ?? []).join(", ")}\n`,
      );
      if ((outcome.audit.guarantees_unchecked ?? []).length > 0)
        err(`${head}: not checked by a machine: ${outcome.audit.guarantees_unchecked?.join("; ")}\n`);
      return;
    case "no-change":
      err(`${head}: no change needed (nothing printed on stdout)\n`);
      return;
    case "dry-run":
      err(
        `${outcome.prompt ?? ""}\n${head}: dry run: ${outcome.audit.context.length} context file(s)${outcome.audit.context.map((c) => `\n  ${c.file} (${c.bytes} bytes)`).join("")}\n  outputs: ${outcome.audit.outputs.join(", ")}\n  prompt: about ${outcome.audit.prompt_tokens_estimated} tokens; no model was called\n`,
      );
      return;
    default:
      if (outcome.message !== undefined) err(`${head}: error: ${outcome.message}\n`);
      for (const line of outcome.details ?? []) err(`  ${line}\n`);
  }
}

async function list(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, LIST_OPTIONS);
  if (positionals.length > 0) throw new UsageError("task list takes no arguments");
  const context = resolve(
    (values.context as string | undefined) ?? nonEmpty(process.env.CONTEXT_ROOT) ?? DEFAULT_CONTEXT_ROOT,
  );
  const dir = join(context, "tasks");
  if (!isFolder(dir))
    throw new UsageError(`there is no tasks folder at '${dir}' (CONTEXT_ROOT or --context)`);
  const { loadSource } = await import("../../driver/load-source.js");
  const { placeholderNames } = await import("../../passes/task/resolve-task.js");
  const rows: { name: string; file: string; outputs: string[]; placeholders: string[]; errors: number }[] =
    [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .sort()) {
    const loaded = await loadSource(join(dir, file), "task");
    const module = loaded.module?.kind === "task" ? loaded.module : undefined;
    const declared = module?.block.value as Readonly<Record<string, unknown>> | undefined;
    rows.push({
      name: file.replace(/\.md$/, ""),
      file: `tasks/${file}`,
      outputs: module?.outputs.map((o) => o.path) ?? [],
      placeholders: module === undefined ? [] : placeholderNames(module),
      errors: loaded.diagnostics.filter((d) => d.severity === "error").length,
      ...(typeof declared?.name === "string" ? { title: declared.name } : {}),
    });
  }
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) process.stdout.write(`no tasks in ${dir}\n`);
  for (const row of rows)
    process.stdout.write(
      `${row.name}\n  outputs: ${row.outputs.join(", ") || "(none)"}\n  placeholders: ${row.placeholders.map((p) => `{${p}}`).join(", ") || "(none)"}${row.errors > 0 ? `\n  ${row.errors} error(s): rllmc check ${row.file}` : ""}\n`,
    );
  return 0;
}

/** A NAME is `$CONTEXT_ROOT/tasks/NAME.md`; anything with a `/` or ending in `.md` is a path. */
function locateTask(given: string, context: string): string {
  if (given.includes("/") || given.endsWith(".md")) {
    if (!existsSync(given)) throw new UsageError(`task file '${given}' does not exist`);
    return resolve(given);
  }
  const path = join(context, "tasks", `${given}.md`);
  if (existsSync(path)) return path;
  const dir = join(context, "tasks");
  const known = isFolder(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".md"))
        .map((f) => basename(f, ".md"))
        .sort()
    : [];
  const hint = didYouMean(given, known);
  throw new UsageError(
    `no task '${given}' in ${dir}${hint ? `; ${hint}` : known.length > 0 ? `; tasks: ${known.join(", ")}` : ""}`,
  );
}

/** `--var NAME=VALUE`, then `TASK_VAR_NAME` for the names not given. */
function placeholderValues(vars: readonly string[] | undefined, env: NodeJS.ProcessEnv): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(env))
    if (name.startsWith("TASK_VAR_") && name.length > 9 && value !== undefined)
      values.set(name.slice(9), value);
  for (const item of vars ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--var takes NAME=VALUE, not '${item}'`);
    values.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return values;
}

/**
 * Checks that `path` can be written, as a file or as a folder: a file is not a folder, a folder
 * that exists can be written, and where it does not exist yet, the nearest folder on its way
 * that does can be written (the missing ones are made when it is written). A usage error when not.
 */
function checkWritable(path: string, kind: "file" | "folder", what: string): void {
  const absolute = resolve(path);
  if (kind === "file" && isFolder(absolute))
    throw new UsageError(`${what}: '${path}' is a folder; give a file name`);
  let dir = kind === "folder" ? absolute : dirname(absolute);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a folder");
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${what}: cannot write '${path}': '${dir}' is not a folder that can be written`);
  }
}

function count(flag: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not '${text}'`);
  return Number(text);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function stringFlag<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === "string" ? ({ [key]: value } as Record<K, string>) : {};
}
