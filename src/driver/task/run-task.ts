/**
 * `rllmc task run`: one task, one run, one patch, one commit message (docs/task-spec.md).
 *
 *   read the task file → fill placeholders → map paths onto the roots → read the context and
 *   the outputs' current content → assemble the prompt and refuse one too large → ask the model
 *   through the app runtime (the answer schema as the output schema, so an off-contract answer
 *   goes through the recovery loop) → check the answer (its paths against `outputs`, its edits
 *   against the files) → check the proposed files (parsing, OpenAPI, JSON Schemas; one re-ask)
 *   → build the patch → verify it (applied in memory to the current contents, and `git apply
 *   --check` where git is on PATH) → the commit message with its tracking line.
 *
 * It returns what happened and prints nothing: the CLI owns stdout and stderr. Nothing is ever
 * written under the repository or the context root; the only files written are the answer cache
 * (when a cache folder is given) and the audit record (when asked for).
 */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import TASK_ANSWER_SCHEMA from "../../../grammar/schemas/task-answer.schema.json" with { type: "json" };
import { applyPatchInMemory, buildPatch } from "../../backend/patch.js";
import { type Diagnostic, hasErrors, makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { TaskModule } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";
import { estimateMessageTokens } from "../../lang/llm/estimate-tokens.js";
import { validateTaskAnswer } from "../../lang/schemas/validators.generated.js";
import { REPO_MOUNTS, underMount } from "../../lang/task/mounts.js";
import { buildTaskPrompt, TASK_PROMPT_VERSION } from "../../passes/task/build-prompt.js";
import {
  type AnswerProblem,
  checkTaskAnswer,
  type FileChange,
  type OutputRule,
} from "../../passes/task/check-answer.js";
import { checkProposedFiles, type GuaranteeCheck } from "../../passes/task/check-guarantees.js";
import { type ResolvedTask, resolveTask } from "../../passes/task/resolve-task.js";
import {
  type AppDefinition,
  type PreparedApp,
  type SchemaViolation,
  wrapValidator,
} from "../../runtime/app/app.js";
import { createProvider, type ProviderFlags, resolveConfig } from "../../runtime/app/config.js";
import { RllmError } from "../../runtime/app/errors.js";
import { execute } from "../../runtime/app/execute.js";
import { type Provider, ProviderFailure, type SamplingParams } from "../../runtime/app/provider.js";
import { correlationId } from "../../runtime/shared/correlation-id.js";
import { Redactor } from "../../runtime/shared/redact.js";
import { loadSource } from "../load-source.js";
import { cachedProvider } from "./answer-cache.js";
import { type ContextLimits, largestFiles, type OutputState, readContext, readOutputs } from "./context.js";
import type { TaskRoots } from "./paths.js";

/** How a task run ended; the CLI gives each its exit code (docs/task-spec.md, "Exit codes"). */
export type TaskOutcomeKind =
  /** Both blocks are ready to print. */
  | "patch"
  /** The model says no change is needed, or its change leaves every file as it is. */
  | "no-change"
  /** `--dry-run`: the prompt was assembled; no model was called. */
  | "dry-run"
  /** The command line or the configuration is wrong (a placeholder without a value, no provider). */
  | "usage"
  /** The task file has errors, or a path in it cannot be used. */
  | "task-invalid"
  /** The context does not fit: a file, the total or the model's context window. */
  | "context-too-large"
  /** The provider failed (or `--frozen` and the answer is not cached). */
  | "provider"
  /** Every answer was off the answer contract. */
  | "off-contract"
  /** The answer changes a file that is not among `outputs`. */
  | "outside-outputs"
  /** A proposed file failed a check of its kind or of a guarantee, twice. */
  | "guarantee"
  /** The patch did not apply to the current files (a bug, never printed). */
  | "verification";

export interface TaskRunRequest {
  readonly taskPath: string;
  readonly roots: TaskRoots;
  readonly breadcrumb: string;
  readonly values: ReadonlyMap<string, string>;
  readonly flags: ProviderFlags;
  readonly env: NodeJS.ProcessEnv;
  /** The answer cache's folder; undefined: no cache. */
  readonly cacheDir: string | undefined;
  readonly frozen: boolean;
  readonly dryRun: boolean;
  readonly maxRetries: number | undefined;
  readonly maxTokens: number | undefined;
  /** How long one try of the model call may take (LLM_TIMEOUT_MS); the runtime's default when absent. */
  readonly timeoutMs?: number;
  readonly limits: ContextLimits & {
    /** The model's context window, in (estimated) tokens. */
    readonly contextTokens: number;
  };
  /** A line for stderr (progress, notes); the driver prints nothing itself. */
  readonly log: (line: string) => void;
}

export interface TaskOutcome {
  readonly kind: TaskOutcomeKind;
  /** Coded diagnostics about the task file, for the printer. */
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: readonly SourceFile[];
  /** What went wrong, for a failure that is not a diagnostic of the task file. */
  readonly message?: string;
  readonly details?: readonly string[];
  readonly commitMessage?: string;
  readonly patch?: string;
  /** `--dry-run`: the prompt, for stderr. */
  readonly prompt?: string;
  readonly audit: AuditRecord;
}

/** One JSON record of a run (`--audit FILE`; stderr with `--verbose`). Hashes only, no content. */
export interface AuditRecord {
  format: "rllmc-task-audit/v1";
  task: { path: string; name?: string; sha256?: string };
  breadcrumb: string;
  correlation_id: string;
  context: { file: string; sha256: string; bytes: number }[];
  outputs: string[];
  provider?: string;
  model?: string;
  params?: SamplingParams;
  prompt_version: string;
  prompt_sha256?: string;
  prompt_tokens_estimated?: number;
  attempts: { answer_sha256?: string; errors: number }[];
  cache: { key: string; hit: boolean }[];
  answer_sha256?: string;
  patch_sha256?: string;
  files_changed?: string[];
  guarantees_checked?: string[];
  guarantees_unchecked?: string[];
  git_apply_check?: "passed" | "failed" | "git not found";
  outcome?: TaskOutcomeKind;
}

/** Sampling for tasks: as deterministic as the provider allows; whole files need room. */
const TASK_PARAMS: SamplingParams = { temperature: 0, seed: 0, max_tokens: 16384 };

const sha = (text: string): string => createHash("sha256").update(text).digest("hex");

/** `X-Correlation-Id`: the breadcrumb's `correlation_id=…` when it has one, else a hash of it. */
export { correlationId };

export async function runTask(request: TaskRunRequest): Promise<TaskOutcome> {
  const audit: AuditRecord = {
    format: "rllmc-task-audit/v1",
    task: { path: basename(request.taskPath) },
    breadcrumb: request.breadcrumb,
    correlation_id: correlationId(request.breadcrumb),
    context: [],
    outputs: [],
    prompt_version: TASK_PROMPT_VERSION,
    attempts: [],
    cache: [],
  };
  const done = (
    kind: TaskOutcomeKind,
    rest: Omit<TaskOutcome, "kind" | "audit" | "diagnostics" | "sources"> & {
      diagnostics?: readonly Diagnostic[];
      sources?: readonly SourceFile[];
    },
  ): TaskOutcome => {
    audit.outcome = kind;
    return { kind, diagnostics: rest.diagnostics ?? [], sources: rest.sources ?? [], ...rest, audit };
  };

  // 1. The task file.
  const loaded = await loadSource(request.taskPath, "task");
  const sources = loaded.sources;
  if (loaded.source !== undefined) audit.task.sha256 = sha(loaded.source.text);
  if (loaded.module?.kind !== "task" || hasErrors(loaded.diagnostics))
    return done("task-invalid", { diagnostics: loaded.diagnostics, sources });
  const module: TaskModule = loaded.module;

  // 2. Placeholders.
  const resolved = resolveTask(module, request.values, basename(request.taskPath).replace(/\.md$/i, ""));
  const warnings = loaded.diagnostics;
  if (resolved.task === undefined)
    return done("usage", { diagnostics: [...warnings, ...resolved.diagnostics], sources });
  const task: ResolvedTask = resolved.task;
  audit.task.name = task.name;

  // 3. Paths, context and outputs.
  const outputs = readOutputs(task.outputs, request.roots);
  const context = readContext(task.context, request.roots, request.limits);
  const found = [...warnings, ...outputs.diagnostics, ...context.diagnostics];
  if (
    hasErrors(outputs.diagnostics) ||
    context.diagnostics.some((d) => d.severity === "error" && d.code !== "TSK4202")
  )
    return done("task-invalid", { diagnostics: found, sources });
  if (hasErrors(context.diagnostics)) return done("context-too-large", { diagnostics: found, sources });
  audit.context = context.files.map((f) => ({ file: f.label, sha256: f.sha256, bytes: f.bytes }));
  audit.outputs = outputs.outputs.map((o) => o.path);

  // 4. The prompt, and whether it fits.
  const prompt = buildTaskPrompt({
    name: task.name,
    prompt: task.prompt,
    guarantees: task.guarantees,
    outputs: outputs.outputs.map((o) => ({
      path: o.path,
      current: o.current,
      ...(o.existing === undefined ? {} : { existing: o.existing }),
    })),
    context: context.files.map((f) => ({
      label: f.label,
      content: f.content,
      ...(f.description === undefined ? {} : { description: f.description }),
    })),
    notes: context.notes,
    answerSchema: TASK_ANSWER_SCHEMA,
  });
  const tokens = estimateMessageTokens([{ content: prompt }]);
  audit.prompt_sha256 = sha(prompt);
  audit.prompt_tokens_estimated = tokens;
  // Room for the answer: whole files come back.
  const answerRoom = request.maxTokens ?? TASK_PARAMS.max_tokens ?? 0;
  if (tokens + answerRoom > request.limits.contextTokens) {
    const sizes = [
      ...context.files.map((f) => ({ label: f.label, bytes: f.bytes })),
      ...outputs.outputs.flatMap((o) =>
        o.current === undefined ? [] : [{ label: `repo:${o.path}`, bytes: Buffer.byteLength(o.current) }],
      ),
    ].sort((a, b) => b.bytes - a.bytes || (a.label < b.label ? -1 : 1));
    const span = module.context[0]?.pathSpan ?? module.span;
    return done("context-too-large", {
      diagnostics: [
        ...found,
        makeDiagnostic(Diagnostics.TaskContextTooLarge, span, {
          detail: `the prompt is about ${tokens} tokens and the answer needs room for ${answerRoom}, over the model's context of ${request.limits.contextTokens} tokens`,
          largest: largestFiles(sizes),
        }),
      ],
      sources,
    });
  }
  if (request.dryRun) return done("dry-run", { diagnostics: found, sources, prompt });

  // 5. The model.
  const providerName = request.flags.provider ?? nonEmpty(request.env.LLM_PROVIDER);
  if (providerName === undefined)
    return done("usage", {
      diagnostics: found,
      sources,
      message:
        "no provider: set LLM_PROVIDER (or --provider): openai, anthropic, openai-compatible, ollama, local, llama-orch, replay, or null for no model",
    });
  let provider: Provider | undefined;
  const params: SamplingParams = {
    ...TASK_PARAMS,
    ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
  };
  try {
    const config = resolveConfig({ llm: { provider: providerName, model: "" } }, request.flags, request.env);
    if (config.model === "" && config.provider !== "null" && config.provider !== "replay")
      return done("usage", {
        diagnostics: found,
        sources,
        message: `provider '${config.provider}' needs a model: set LLM_MODEL (or --model)`,
      });
    audit.provider = config.provider;
    audit.model = config.model;
    audit.params = params;
    const redactor = Redactor.fromEnv(request.env);
    const base =
      config.provider === "null" && nonEmpty(request.env.LLM_NULL_ANSWER) !== undefined
        ? await recorded(
            await nullAnswerProvider(request.env.LLM_NULL_ANSWER as string),
            config.record,
            redactor,
          )
        : await createProvider(config, redactor);
    provider = cachedProvider(withHeaders(base, { "X-Correlation-Id": audit.correlation_id }), {
      dir: request.cacheDir,
      frozen: request.frozen,
      promptVersion: TASK_PROMPT_VERSION,
      onLookup: (lookup) => audit.cache.push(lookup),
    });
    const definition: AppDefinition = {
      name: task.name,
      source: request.taskPath,
      prompt: "{{{task_prompt}}}",
      inputSchema: {
        type: "object",
        required: ["task_prompt"],
        properties: { task_prompt: { type: "string" } },
      },
      outputSchema: TASK_ANSWER_SCHEMA as Record<string, unknown>,
      llm: { provider: config.provider, model: config.model },
      llmParams: params,
      maxContextWindow: request.limits.contextTokens,
    };
    const rules = outputRules(outputs.outputs);
    // The files under a folder output exist too: an answer may replace, edit or delete them.
    const underFolders = readOutputs(
      outputs.outputs.flatMap((o) =>
        (o.existing ?? []).map((path) => ({ path, description: undefined, span: module.span })),
      ),
      request.roots,
    ).outputs;
    const outputFiles = [...outputs.outputs.filter((o) => !o.path.endsWith("/")), ...underFolders];
    const current = new Map<string, string | undefined>(outputFiles.map((o) => [o.path, o.current]));
    const answerContext = { outputs: rules, current };
    const outputSchemas = schemasForOutputs(context.files);
    if (outputSchemas instanceof Error)
      return done("task-invalid", { diagnostics: found, sources, message: outputSchemas.message });
    const prepared = withAnswerCheck(preparedTask(definition), answerContext);
    const ask = async (text: string) => {
      const result = await execute(
        prepared,
        { task_prompt: text },
        {
          provider: provider as Provider,
          model: config.model,
          ...(request.maxRetries === undefined ? {} : { maxRetries: request.maxRetries }),
          ...(request.timeoutMs === undefined ? {} : { retryPolicy: { timeoutMs: request.timeoutMs } }),
          redact: (t) => redactor.text(t),
          hooks: {
            onAttempt: (attempt) => {
              audit.attempts.push({
                ...(attempt.text === undefined ? {} : { answer_sha256: sha(attempt.text) }),
                errors: attempt.errors.length,
              });
              request.log(
                `attempt ${attempt.number} (${attempt.kind}): ${attempt.errors.length === 0 ? "answer accepted" : `${attempt.errors.length} problem${attempt.errors.length === 1 ? "" : "s"}: ${attempt.errors[0]?.message ?? ""}`}`,
              );
            },
          },
        },
      );
      audit.answer_sha256 = sha(JSON.stringify(result.output));
      return result.output;
    };

    // 6. The answer, its paths, and the files it proposes.
    let answer = await ask(prompt);
    let check = checkTaskAnswer(answer, answerContext);
    let guarantees: GuaranteeCheck | undefined;
    for (let round = 0; ; round += 1) {
      if (!check.ok) {
        const outside = check.problems.filter((p) => p.kind === "outside-outputs");
        if (outside.length > 0)
          return done("outside-outputs", {
            diagnostics: found,
            sources,
            message: `the answer changes ${outside.map((p) => `'${p.path ?? p.pointer}'`).join(", ")}, which ${outside.length === 1 ? "is" : "are"} not among the task's outputs (${audit.outputs.join(", ")})`,
          });
        return done("off-contract", {
          diagnostics: found,
          sources,
          message: "the model's answer does not follow the task answer contract",
          details: check.problems.map(describeProblem),
        });
      }
      const broken = outputProblems(check.commitMessage, check.changes);
      if (broken.length > 0)
        return done("off-contract", {
          diagnostics: found,
          sources,
          message: "the model's answer would break the output contract",
          details: broken.map((p) => `${p.pointer}: ${p.message}`),
        });
      if (check.changes.length === 0) return done("no-change", { diagnostics: found, sources });
      guarantees = await checkProposedFiles(
        check.changes.flatMap((c) => (c.after === undefined ? [] : [{ path: c.path, content: c.after }])),
        task.guarantees,
        outputSchemas,
      );
      if (guarantees.failures.length === 0) break;
      const failures = guarantees.failures.map((f) => `${f.path}: ${f.message}`);
      if (round > 0)
        return done("guarantee", {
          diagnostics: found,
          sources,
          message: "the proposed files failed their checks, also after one more try",
          details: failures,
        });
      request.log(
        `the proposed files failed ${failures.length} check${failures.length === 1 ? "" : "s"}; asking once more`,
      );
      answer = await ask(
        `${prompt}\n# Your previous answer failed these checks\n\n${failures.map((f) => `- ${f}`).join("\n")}\n\nAnswer again with the whole JSON object, with every file fixed.\n`,
      );
      check = checkTaskAnswer(answer, answerContext);
    }
    audit.guarantees_checked = guarantees?.checked ?? [];
    audit.guarantees_unchecked = guarantees?.unchecked ?? [];
    if (audit.guarantees_unchecked.length > 0)
      request.log(`guarantees not checked by a machine: ${audit.guarantees_unchecked.join("; ")}`);

    // 7. The patch, verified before it is printed.
    const modes = new Map(outputFiles.map((o) => [o.path, o.mode]));
    const changes = check.changes.map((c: FileChange) => {
      const mode = modes.get(c.path);
      return mode === undefined ? c : { ...c, mode };
    });
    const patch = buildPatch(changes);
    if (patch === "") return done("no-change", { diagnostics: found, sources });
    const problem = verifyPatch(patch, changes, request.roots.repo, audit);
    if (problem !== undefined) return done("verification", { diagnostics: found, sources, message: problem });
    audit.patch_sha256 = sha(patch);
    audit.files_changed = changes.map((c) => c.path);
    return done("patch", {
      diagnostics: found,
      sources,
      commitMessage: commitMessage(check.commitMessage, request.breadcrumb),
      patch,
    });
  } catch (error) {
    if (error instanceof ProviderFailure)
      return done("provider", { diagnostics: found, sources, message: error.message });
    if (error instanceof RllmError) {
      const exit = error.exitCode;
      const kind: TaskOutcomeKind =
        exit === 5 ? "off-contract" : exit === 4 ? "context-too-large" : "provider";
      return done(kind, {
        diagnostics: found,
        sources,
        message: `${error.payload.error_code} ${error.message}`,
        // A task has no llm_params: its timeout is --timeout-ms (LLM_TIMEOUT_MS).
        details: [
          error.payload.recovery_hint.replace("llm_params.timeout_ms", "--timeout-ms (LLM_TIMEOUT_MS)"),
        ],
      });
    }
    throw error;
  } finally {
    await provider?.close?.();
  }
}

/**
 * The commit message as printed: the model's, with LF line ends, and the tracking line (the
 * breadcrumb on one line: its control characters, line ends too, made spaces).
 */
export function commitMessage(message: string, breadcrumb: string): string {
  const lines = message
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => !/^Tracking:/i.test(l));
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  while (lines.length > 0 && lines[0] === "") lines.shift();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const tracking = breadcrumb.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return `${lines.join("\n")}\n\nTracking: ${tracking}`;
}

/**
 * The JSON Schemas a task names for its outputs: a context file whose description is
 * `schema for <output path>` (docs/task-spec.md, "Guarantees"). The path may be written as an
 * output is (relative, or under a repository mount).
 */
export function schemasForOutputs(
  files: readonly {
    readonly label: string;
    readonly description: string | undefined;
    readonly content: string;
  }[],
): Map<string, unknown> | Error {
  const schemas = new Map<string, unknown>();
  for (const file of files) {
    const named = /^schema for\s+(\S+)\s*$/i.exec(file.description ?? "");
    if (named?.[1] === undefined) continue;
    const target = underMount(named[1], REPO_MOUNTS) ?? named[1].replace(/^\.\//, "");
    try {
      schemas.set(target, JSON.parse(file.content));
    } catch (error) {
      return new Error(
        `${file.label} is named as the schema for ${target} but is not JSON: ${(error as Error).message}`,
      );
    }
  }
  return schemas;
}

function outputRules(outputs: readonly OutputState[]): OutputRule[] {
  return outputs.map((o) =>
    o.path.endsWith("/") ? { kind: "folder", path: o.path.slice(0, -1) } : { kind: "file", path: o.path },
  );
}

/**
 * The task as an app the runtime can run, without Handlebars' compiler or ajv: the prompt is the
 * assembled text as it is, the answer is checked by the validator generated ahead of time from
 * the answer schema, and the recovery message is written here (it names the problems, then the
 * schema). Compiling a template and a schema at each run cost about 100 ms (bench section 12).
 */
function preparedTask(definition: AppDefinition): PreparedApp {
  return {
    definition,
    renderPrompt: (input) => (input as { task_prompt: string }).task_prompt,
    renderRecovery: (_input, data) =>
      [
        "Your previous answer was not accepted:",
        ...(data?.errors ?? []).map(
          (e) =>
            `- at ${e.pointer || "the top level"}: ${e.message}${e.found === undefined ? "" : ` (found: ${e.found})`}`,
        ),
        "",
        "Answer again with the whole JSON object, fixed, and nothing else. It must match this JSON Schema:",
        JSON.stringify(data?.output_schema ?? definition.outputSchema),
        "",
      ].join("\n"),
    validateInput: (value) => ({ value, errors: [] }),
    validateOutput: wrapValidator(validateTaskAnswer),
  };
}

/**
 * The app's output check plus the answer contract's: an edit whose search text is missing, the
 * same file twice, an unsafe path — problems the model can fix — go back through the recovery
 * loop like schema errors. A path outside `outputs` is let through here: it fails the run.
 */
function withAnswerCheck(
  prepared: PreparedApp,
  context: {
    readonly outputs: readonly OutputRule[];
    readonly current: ReadonlyMap<string, string | undefined>;
  },
): PreparedApp {
  return {
    ...prepared,
    validateOutput: (value) => {
      const validated = prepared.validateOutput(value);
      if (validated.errors.length > 0) return validated;
      const check = checkTaskAnswer(validated.value, context);
      if (check.ok) {
        const output = outputProblems(check.commitMessage, check.changes);
        return output.length === 0 ? validated : { value: validated.value, errors: output };
      }
      const fixable = check.problems.filter((p) => p.kind === "off-contract");
      return {
        value: validated.value,
        errors: fixable.map(
          (p): SchemaViolation => ({
            pointer: p.pointer,
            message: `${p.message}${p.hint === undefined ? "" : ` (${p.hint})`}`,
            keyword: p.code,
            schemaPath: "",
          }),
        ),
      };
    },
  };
}

/** The lines that delimit the blocks on stdout: a commit message holding one would break the contract. */
const MARKERS = new Set(["---COMMIT_MSG---", "---PATCH---"]);

/**
 * What would break the output even though the answer follows the schema: a commit message line
 * that is one of the block markers; one that starts a patch (`git apply` on the whole output,
 * as the README does, would apply a patch hidden in the message, outside the outputs and
 * unverified); a control character in the message (git refuses a NUL, a terminal obeys an
 * escape); and a file with a NUL character (a task writes text files).
 */
export function outputProblems(message: string, changes: readonly FileChange[]): SchemaViolation[] {
  const problems: SchemaViolation[] = [];
  const contract = (text: string) =>
    problems.push({ pointer: "/commit_message", message: text, keyword: "contract", schemaPath: "" });
  const lines = message.split(/\r?\n/);
  if (lines.some((line) => MARKERS.has(line.trim())))
    contract(
      "a line of the commit message is a block marker (---COMMIT_MSG--- or ---PATCH---); write the message without it",
    );
  if (
    lines.some(
      (line, i) => /^diff --git /.test(line) || (/^--- /.test(line) && /^\+\+\+ /.test(lines[i + 1] ?? "")),
    )
  )
    contract(
      "a line of the commit message starts a patch ('diff --git …', or '--- …' then '+++ …'); describe the change in words, the patch is made from the files",
    );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(message))
    contract(
      "the commit message has a control character (only tab and line ends are allowed); write plain text",
    );
  for (const change of changes)
    if (change.after?.includes("\u0000"))
      problems.push({
        pointer: "/files",
        message: `the new content of '${change.path}' has a NUL character; a task writes text files only`,
        keyword: "contract",
        schemaPath: "",
      });
  return problems;
}

function describeProblem(problem: AnswerProblem): string {
  return `${problem.code} ${problem.pointer || "(answer)"}: ${problem.message}`;
}

/**
 * Applies the patch to the current contents in memory (a parser of its own, not the builder) and
 * compares with the proposed files; then `git apply --check` from the repository root where git
 * is on PATH. Returns what went wrong, or undefined.
 */
function verifyPatch(
  patch: string,
  changes: readonly FileChange[],
  repo: string,
  audit: AuditRecord,
): string | undefined {
  const applied = applyPatchInMemory(patch, new Map(changes.map((c) => [c.path, c.before])));
  if (!applied.ok) return `the patch does not apply to the current files: ${applied.reason}`;
  for (const change of changes)
    if (applied.files.get(change.path) !== change.after)
      return `the patch applied to '${change.path}' does not give the proposed content`;
  for (const change of changes) {
    if (change.path.split("/").some((part) => part.toLowerCase() === ".git"))
      return `the patch changes '${change.path}', inside a .git folder (git's own files: git apply refuses it, another tool would write it)`;
    const blocked = blockedOnTheWay(repo, change.path);
    if (blocked !== undefined) return `the patch changes '${change.path}', and ${blocked}`;
  }
  const files = new Set(changes.filter((c) => c.after !== undefined).map((c) => c.path));
  for (const path of files)
    for (let cut = path.indexOf("/"); cut !== -1; cut = path.indexOf("/", cut + 1))
      if (files.has(path.slice(0, cut)))
        return `the patch makes both '${path.slice(0, cut)}' and '${path}': a file cannot be a folder too`;
  // The ceiling keeps git from taking a repository above the root for its own: from a
  // subfolder of one, git apply reads the patch's paths from that repository's top and skips
  // every file outside the subfolder, so the check would pass having checked nothing.
  const git = spawnSync("git", ["apply", "--check", "-"], {
    cwd: repo,
    input: patch,
    encoding: "utf8",
    env: { ...process.env, GIT_CEILING_DIRECTORIES: dirname(repo) },
  });
  if (git.error !== undefined) {
    audit.git_apply_check = "git not found";
    return undefined;
  }
  audit.git_apply_check = git.status === 0 ? "passed" : "failed";
  return git.status === 0 ? undefined : `git apply --check refused the patch: ${git.stderr.trim()}`;
}

/**
 * Why the file at `path` (repository-relative, `/` separators) cannot be written as the patch
 * says, or undefined: a part of the way that is a symlink now, the file itself included (git
 * apply: "beyond a symbolic link", "wrong type"), a part of the way that is a file, or the path
 * itself a folder ("Not a directory", "Is a directory"). Checked here too so that a run without
 * git does not print such a patch.
 */
function blockedOnTheWay(repo: string, path: string): string | undefined {
  const parts = path.split("/");
  for (let i = 1; i <= parts.length; i += 1) {
    const part = parts.slice(0, i).join("/");
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(join(repo, part));
    } catch {
      return undefined; // what does not exist yet blocks nothing
    }
    if (stat.isSymbolicLink())
      return `'${part}' on its way is a symbolic link (a patch writes through it, maybe outside the repository)`;
    if (i < parts.length && !stat.isDirectory()) return `'${part}' on its way is a file, not a folder`;
    if (i === parts.length && stat.isDirectory()) return "it is a folder now";
  }
  return undefined;
}

function withHeaders(inner: Provider, headers: Readonly<Record<string, string>>): Provider {
  return {
    name: inner.name,
    complete: (request) => inner.complete({ ...request, headers: { ...request.headers, ...headers } }),
    ...(inner.close === undefined ? {} : { close: () => inner.close?.() ?? Promise.resolve() }),
  };
}

/** `--record F`: the answers go into a cassette as well, as createProvider does for the others. */
async function recorded(inner: Provider, record: string | undefined, redactor: Redactor): Promise<Provider> {
  if (record === undefined) return inner;
  const { createRecordingProvider } = await import("../../runtime/app/providers/cassette.js");
  return createRecordingProvider(inner, record, redactor);
}

/** `null` with `LLM_NULL_ANSWER=file`: the file's text is every answer. */
async function nullAnswerProvider(file: string): Promise<Provider> {
  const { readFileSync } = await import("node:fs");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ProviderFailure(
      "unavailable",
      `LLM_NULL_ANSWER: cannot read '${file}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return {
    name: "null",
    async complete(request) {
      return { text, usage: undefined, model: request.model, finishReason: "null-answer", raw: { file } };
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
