/**
 * `run <app.rllm> --input …`: checks the app, validates the input, calls the model, validates
 * and recovers, and prints one JSON document on stdout — the output, or the error payload
 * (docs/errors.md). `--verbose` adds a human-readable account of the run on stderr. Every byte
 * written goes through the secret redactor. Ctrl-C aborts the call (the provider cancels it at a
 * backend that can hear it) and exits 130.
 *
 * `run <app.rllm> --batch inputs.jsonl`: the same app over many inputs, through the batch
 * scheduler (cli/run-batch.ts, docs/batch.md).
 */

import { cachedApp } from "../../driver/app-cache.js";
import type { Budget } from "../../driver/batch/budget.js";
import { observeProvider } from "../../driver/batch/observe-provider.js";
import { BatchStop } from "../../driver/batch/run-batch.js";
import { parseRedisUrl } from "../../driver/queue/connection.js";
import { UsageError } from "../../driver/usage-error.js";
import type { AppDefinition } from "../../runtime/app/app.js";
import { type AppRunReport, closeSandboxes, type RunnableApp, runApp } from "../../runtime/app/compose.js";
import {
  createProvider,
  ignoredParams,
  PROVIDERS,
  type ProviderFlags,
  resolveConfig,
} from "../../runtime/app/config.js";
import {
  AppErrors,
  appError,
  asRllmError,
  type ErrorPayload,
  type RllmError,
  RunExit,
} from "../../runtime/app/errors.js";
import { type Attempt, DEFAULT_MAX_RETRIES, type RunResult } from "../../runtime/app/execute.js";
import { type Provider, ProviderFailure } from "../../runtime/app/provider.js";
import { Redactor, urlSecrets } from "../../runtime/shared/redact.js";
import { oneOf, parseOptions, withUsage } from "../options.js";
import { QUEUE_SUBMIT_OPTIONS, redisUrl } from "../queue-options.js";
import { chooseInput, parseInputText, readInputFile } from "../read-input.js";
import {
  BATCH_OPTIONS,
  guardSingleRun,
  parseBatchFlags,
  parsePriority,
  parseSingleRunBudget,
  runBatch,
} from "../run-batch.js";

export const RUN_OPTIONS = {
  input: { type: "string" },
  "input-file": { type: "string" },
  provider: { type: "string" },
  model: { type: "string" },
  "base-url": { type: "string" },
  "max-retries": { type: "string" },
  cassette: { type: "string" },
  record: { type: "string" },
  verbose: { type: "boolean" },
  quiet: { type: "boolean" },
  "no-cache": { type: "boolean" },
  "ollama-auto-pull": { type: "boolean" },
  priority: { type: "string" },
  ...BATCH_OPTIONS,
  ...QUEUE_SUBMIT_OPTIONS,
} as const;

export default function run(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "run", async () => {
    const { values, positionals } = parseOptions(args, RUN_OPTIONS);
    if (positionals.length !== 1) throw new UsageError("expected exactly one .rllm file");
    const input = values.input as string | undefined;
    const inputFile = values["input-file"] as string | undefined;
    const batch = parseBatchFlags(values);
    const guard = parseSingleRunBudget(values);
    if (batch === undefined && (input === undefined) === (inputFile === undefined))
      throw new UsageError(
        "give the input with exactly one of --input <json|yaml|text> or --input-file <file|->, or many with --batch <inputs.jsonl>",
      );
    // --redis: the batch's lines run on workers (cli/run-remote.ts, docs/scale-out.md).
    const redis = redisUrl(values, undefined);
    for (const flag of Object.keys(QUEUE_SUBMIT_OPTIONS))
      if (flag !== "redis" && redis === undefined && values[flag as keyof typeof values] !== undefined)
        throw new UsageError(`--${flag} goes with --redis URL (a batch run by workers)`);
    if (redis !== undefined && batch === undefined)
      throw new UsageError("--redis runs a batch on workers: give --batch <inputs.jsonl>");
    if (redis !== undefined) parseRedisUrl(redis);
    if (redis !== undefined && (values.cassette !== undefined || values.record !== undefined))
      throw new UsageError(
        "--cassette and --record are files on this machine; with --redis the workers run the calls",
      );
    const priority = parsePriority(values.priority);
    const maxRetries = parseMaxRetries(values["max-retries"] as string | undefined);
    checkProviderName(values.provider, process.env);
    const flags: ProviderFlags = {
      ...stringFlag("provider", values.provider),
      ...stringFlag("model", values.model),
      ...stringFlag("baseUrl", values["base-url"]),
      ...stringFlag("cassette", values.cassette),
      ...stringFlag("record", values.record),
    };
    const verbose = values.verbose === true;
    // A password in --base-url (or LLM_BASE_URL) is a secret even when a server echoes it alone.
    const redactor = Redactor.fromEnv(process.env, [
      ...urlSecrets(values["base-url"] as string | undefined),
      ...urlSecrets(process.env.LLM_BASE_URL),
    ]);
    const out = new Output(redactor);
    let provider: Provider | undefined;
    try {
      const env = values["no-cache"] === true ? { ...process.env, RLLMC_NO_CACHE: "1" } : process.env;
      const app = await cachedApp(positionals[0]!, env);
      if (values.quiet !== true) for (const w of app.warnings) out.err(`${verbose ? w.full : w.line}\n`);
      const root = app.runnable;
      const definition = root.prepared.definition;
      const readings =
        batch !== undefined
          ? []
          : inputFile === undefined
            ? await parseInputText(input!, definition.inputSchema)
            : await readInputFile(inputFile, definition.inputSchema);
      const value = chooseInput(readings, root.prepared.validateInput);
      let config = resolveConfig(definition, flags, process.env);
      // A model named by --model or LLM_MODEL is every app's; otherwise each app runs its own.
      const modelOverride = config.origins.model === "app" ? undefined : config.model;
      if (verbose)
        out.err(
          `app      ${definition.name}${definition.version ? ` ${definition.version}` : ""} (${definition.source}${app.fromCache ? ", from the run cache" : ""})\n` +
            `provider ${config.provider} (from ${config.origins.provider}), model ${config.model} (from ${config.origins.model})` +
            `${config.baseUrl ? `, base URL ${config.baseUrl}` : ""}\n`,
        );
      if (values.quiet !== true && config.provider !== definition.llm.provider) {
        const ignored = ignoredParams(config.provider, definition.llmParams);
        if (ignored.length > 0)
          out.err(
            `warning: provider '${config.provider}' ignores llm_params ${ignored.join(", ")} of ${definition.source}\n`,
          );
      }
      if (batch !== undefined && redis !== undefined) {
        const { runBatchRemote } = await import("../run-remote.js");
        return await runBatchRemote(batch, {
          program,
          url: redis,
          appPath: positionals[0]!,
          root,
          config,
          modelOverride,
          maxRetries: maxRetries ?? DEFAULT_MAX_RETRIES,
          priority,
          quiet: values.quiet === true,
          redactor,
          reuse: values["no-cache"] !== true,
          values,
        });
      }
      const models = new Map<string, string>();
      if (config.provider === "ollama") {
        // docs/ollama.md: every model of the composition must be on the server; pulled only with
        // --ollama-auto-pull. A model replaced by a recommended one is replaced in every app.
        const ollama = await import("../../runtime/app/providers/ollama-models.js");
        const quiet = values.quiet === true;
        for (const app of appsOf(root)) {
          const wanted = modelOverride ?? app.llm.model;
          if (models.has(wanted)) continue;
          const ready = await ollama.ensureOllamaModel({
            host: config.baseUrl,
            model: wanted,
            recommended: app.recommendedModels ?? [],
            explicit: modelOverride !== undefined,
            autoPull: values["ollama-auto-pull"] === true || ollama.autoPullFromEnv(process.env),
            ...(quiet
              ? {}
              : {
                  onProgress: ollama.pullProgressPrinter({
                    write: (t) => out.err(t),
                    tty: process.stderr.isTTY,
                  }),
                }),
          });
          if (ready.notice !== undefined && !quiet) out.err(`${ready.notice}\n`);
          models.set(wanted, ready.model);
        }
        config = { ...config, model: models.get(modelOverride ?? definition.llm.model) ?? config.model };
      }
      provider = await createProvider(config, redactor);
      const stats = await import("../../runtime/app/stats/record-run.js");
      const onAppFinished = (report: AppRunReport) => {
        if (verbose && report.callers.length > 0) out.err(describeChild(report));
        stats.recordAppRun(report, { name: config.provider }, process.env, (warning) => {
          if (values.quiet !== true) out.err(`warning: ${warning}\n`);
        });
      };
      if (batch !== undefined)
        return await runBatch(batch, {
          program,
          root,
          provider,
          providerName: config.provider,
          model: modelOverride === undefined ? undefined : config.model,
          models,
          maxRetries: maxRetries ?? DEFAULT_MAX_RETRIES,
          priority,
          quiet: values.quiet === true,
          redactor,
          onAppFinished,
        });
      // Ctrl-C (or SIGTERM) aborts the run: calls in flight are cancelled (the provider tells a
      // backend that can hear it, llama-orch), and the run ends with exit 130.
      let runProvider: Provider = priority === undefined ? provider : observeProvider(provider, { priority });
      let budget: Budget | undefined;
      if (guard !== undefined) {
        // The bound of this one run, and its budgets (docs/batch.md).
        const guarded = guardSingleRun(
          guard,
          {
            program,
            root,
            provider,
            providerName: config.provider,
            model: modelOverride === undefined ? undefined : config.model,
            models,
            maxRetries: maxRetries ?? DEFAULT_MAX_RETRIES,
            priority,
            quiet: values.quiet === true,
            redactor,
          },
          value,
        );
        if ("exit" in guarded) return guarded.exit;
        budget = guarded.budget;
        runProvider = guarded.provider;
      }
      const controller = new AbortController();
      const onSignal = () => {
        if (controller.signal.aborted) process.exit(RunExit.Interrupted);
        controller.abort(new Error("interrupted"));
      };
      // A budget reached mid-run (a re-ask, a child) cancels the calls still to come.
      budget?.onReached((kind) => setImmediate(() => controller.abort(new BatchStop(kind))));
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const result = await runApp(root, value, {
          provider: runProvider,
          ...(modelOverride === undefined ? {} : { model: config.model }),
          ...(models.size > 0 ? { models } : {}),
          ...(maxRetries === undefined ? {} : { maxRetries }),
          signal: controller.signal,
          redact: (text) => redactor.text(text),
          hooks: verbose ? { onAttempt: (attempt) => out.err(describeAttempt(attempt)) } : {},
          onAppFinished,
        });
        if (verbose) out.err(describeResult(result));
        out.json(result.output);
        return RunExit.Ok;
      } catch (error) {
        const reason: unknown = controller.signal.reason;
        if (reason instanceof BatchStop && reason.why !== "interrupt")
          throw appError(
            AppErrors.BudgetNotRun,
            { kind: reason.why, cancelled: true },
            { details: { budget: reason.why, cancelled: true, spent: budget?.spent() ?? null } },
          );
        if (controller.signal.aborted) throw appError(AppErrors.Interrupted, { cancelled: true });
        throw error;
      } finally {
        budget?.close();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    } catch (error) {
      // A batch's command-line mistakes found once its files are read (--resume, --out).
      if (error instanceof UsageError) throw error;
      const failure = error instanceof ProviderFailure ? providerSetupError(error) : asRllmError(error);
      out.json(failure.payload);
      if (verbose)
        out.err(
          `error    ${failure.payload.error_type} ${failure.payload.error_code}: ${failure.message}\n         hint: ${failure.payload.recovery_hint}\n`,
        );
      else if (summaryOnStderr({ quiet: values.quiet === true, stderrIsTty: process.stderr.isTTY === true }))
        out.err(errorSummary(program, failure.payload));
      return failure.exitCode;
    } finally {
      await provider?.close?.();
      await closeSandboxes();
    }
  });
}

/**
 * Whether a failed run also says what went wrong on stderr, in one line: when a person is
 * watching (stderr is a terminal) and did not ask for quiet. The JSON on stdout is the same
 * either way; `--verbose` prints its own, longer account instead.
 */
export function summaryOnStderr(options: {
  readonly quiet: boolean;
  readonly stderrIsTty: boolean;
}): boolean {
  return options.stderrIsTty && !options.quiet;
}

/** The one-line summary of a failed run (the JSON on stdout has the details and the hint). */
export function errorSummary(program: string, payload: ErrorPayload): string {
  return `${program} run: error ${payload.error_code} ${payload.error_type}: ${payload.message.split("\n", 1)[0]}\n`;
}

/** `--provider` (or LLM_PROVIDER) must name a provider: a typo is a usage error, with "did you mean". */
function checkProviderName(flag: unknown, env: NodeJS.ProcessEnv): void {
  if (typeof flag === "string" && flag !== "") oneOf("--provider", flag, PROVIDERS);
  else if (flag === undefined && env.LLM_PROVIDER) oneOf("LLM_PROVIDER", env.LLM_PROVIDER, PROVIDERS);
}

/** Writes through the redactor: nothing printed can carry a secret. */
class Output {
  constructor(private readonly redactor: Redactor) {}

  json(value: unknown): void {
    process.stdout.write(`${JSON.stringify(this.redactor.value(value), null, 2)}\n`);
  }

  err(text: string): void {
    process.stderr.write(this.redactor.text(text));
  }
}

/** Every app of a composition, the root first. */
function appsOf(app: RunnableApp): AppDefinition[] {
  return [app.prepared.definition, ...app.children.flatMap((c) => appsOf(c.app))];
}

function describeChild(report: AppRunReport): string {
  const via = [...report.callers, report.app.name].join(" → ");
  const n = report.result?.attempts.length ?? 0;
  return report.error === undefined
    ? `child    ${via}: ok after ${n} attempt${n === 1 ? "" : "s"}, ${Math.round(report.durationMs)} ms\n`
    : `child    ${via}: ${report.error.payload.error_type}\n`;
}

function describeAttempt(a: Attempt): string {
  const tokens = a.usage
    ? `prompt ${a.usage.promptTokens} tokens (estimated ${a.estimatedPromptTokens}), answer ${a.usage.completionTokens}`
    : `prompt ~${a.estimatedPromptTokens} tokens (estimated)`;
  const lines = [
    `attempt ${a.number}  ${a.kind}  ${Math.round(a.durationMs)} ms  ${tokens}${a.finishReason ? `, finish ${a.finishReason}` : ""}${a.seed === undefined ? "" : `, seed ${a.seed}`}`,
  ];
  for (const t of a.failedTries)
    lines.push(
      `         transport: ${t.kind}${t.status ? ` ${t.status}` : ""}: ${t.message}${t.waitedMs === undefined ? "" : ` — waited ${t.waitedMs} ms`}`,
    );
  if (a.repairs.length > 0) lines.push(`         repairs: ${a.repairs.join(", ")}`);
  for (const e of a.errors.slice(0, 10))
    lines.push(`         ✗ ${e.pointer || "(answer)"}: ${e.message}${e.found ? ` (found ${e.found})` : ""}`);
  if (a.errors.length === 0) lines.push("         ✓ matches output_schema");
  return `${lines.join("\n")}\n`;
}

function describeResult(result: RunResult): string {
  const n = result.attempts.length;
  return `result   ok after ${n} attempt${n === 1 ? "" : "s"}, ${Math.round(result.durationMs)} ms, ${result.usage.promptTokens} prompt + ${result.usage.completionTokens} answer tokens\n`;
}

/** A provider that cannot be set up (unknown name, no key, no cassette) fails before any call. */
function providerSetupError(failure: ProviderFailure): RllmError {
  return appError(
    AppErrors.ProviderFailed,
    { detail: failure.message },
    { details: { failure: failure.kind, status: failure.status ?? null } },
  );
}

function parseMaxRetries(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 20)
    throw new UsageError(`--max-retries must be a whole number from 0 to 20, not '${value}'`);
  return Number(value);
}

function stringFlag<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === "string" ? ({ [key]: value } as Record<K, string>) : {};
}
