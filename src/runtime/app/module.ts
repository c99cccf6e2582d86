/**
 * What a compiled module (`rllmc compile app.rllm` → `app.mjs`) calls: {@link createApp} turns
 * the module's precompiled parts — definition, Handlebars template specs, ajv standalone
 * validators, code blocks, imported children — into a {@link CompiledApp} whose `run` is the
 * module's exported function. It loads no compiler: no ajv, no Handlebars compiler, no
 * TypeScript, no frontend.
 *
 * The provider is the one `options.provider` gives (an object, or a name resolved like `rllmc
 * run` does: options, then `LLM_PROVIDER`/`LLM_MODEL`/`LLM_BASE_URL`/`OLLAMA_HOST`, then the app's
 * `llm` block). Providers made from names are kept for the life of the process, one per
 * configuration, so repeated calls do not reconnect or reload a local model.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Redactor } from "../shared/redact.js";
import type { AppDefinition } from "./app.js";
import { type AppArtifact, prepareArtifact } from "./artifact.js";
import { type AppRunReport, type ComposedResult, type RunnableApp, runApp } from "./compose.js";
import { createProvider, resolveConfig } from "./config.js";
import { AppErrors, appError } from "./errors.js";
import type { RunOptions } from "./execute.js";
import { type Provider, ProviderFailure } from "./provider.js";
import type { CodeBlockSpec, SandboxLimits } from "./sandbox/index.js";
import { recordAppRun } from "./stats/record-run.js";

/** The app's frontmatter, as the compiled module exports it. */
export interface AppMetadata {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly author: string;
  readonly source: string;
  readonly tags: readonly string[];
  readonly recommended_models: readonly string[];
  readonly max_context_window: number;
  readonly llm: { readonly provider: string; readonly model: string; readonly base_url?: string };
  readonly llm_params: Readonly<Record<string, unknown>>;
  readonly input_schema: Readonly<Record<string, unknown>>;
  readonly output_schema: Readonly<Record<string, unknown>>;
  readonly uses: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface RunAppOptions {
  /** A provider object, or a provider's name (`ollama`, `openai`, `replay`, …). */
  readonly provider?: Provider | string;
  /** Overrides the app's `llm.model` (and `LLM_MODEL`). */
  readonly model?: string;
  /** The provider's server, for self-hosted providers. */
  readonly baseUrl?: string;
  /** With provider `replay`: the cassette; default `<module>.cassette.json` beside the module. */
  readonly cassette?: string;
  /** Retries with the recovery prompt when the answer is off-schema (default 2). */
  readonly maxRetries?: number;
  readonly signal?: AbortSignal;
  /** Limits of the `pre`/`post` code blocks' sandbox. */
  readonly sandbox?: SandboxLimits;
  /** Record the run in the stats database (default true; `RLLMC_STATS=off` turns it off everywhere). */
  readonly stats?: boolean;
  /**
   * Where settings and secrets are read from (default `process.env`). A plain record, not
   * `NodeJS.ProcessEnv`: the published declarations must not need Node's types.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with the whole result: attempts, usage, children's results. */
  readonly onResult?: (result: ComposedResult) => void;
}

export interface CompiledAppParts extends AppArtifact {
  readonly metadata: AppMetadata;
  readonly blocks: readonly CodeBlockSpec[];
  readonly children: readonly {
    readonly name: string;
    readonly inputs: Readonly<Record<string, string>> | undefined;
    readonly app: CompiledApp;
  }[];
  /** The module's `import.meta.url`: the default cassette lies beside it. */
  readonly moduleUrl: string;
}

export interface CompiledApp {
  readonly metadata: AppMetadata;
  readonly runnable: RunnableApp;
  run(input: unknown, options?: RunAppOptions): Promise<unknown>;
}

export function createApp(parts: CompiledAppParts): CompiledApp {
  const prepared = prepareArtifact(parts);
  const runnable: RunnableApp = {
    prepared,
    blocks: parts.blocks,
    children: parts.children.map((c) => ({ name: c.name, inputs: c.inputs, app: c.app.runnable })),
  };
  const cassette = resolve(
    dirname(fileURLToPath(parts.moduleUrl)),
    `${fileURLToPath(parts.moduleUrl)
      .split(/[\\/]/)
      .pop()!
      .replace(/\.m?js$/, "")}.cassette.json`,
  );
  return {
    metadata: parts.metadata,
    runnable,
    async run(input, options = {}) {
      const env = options.env ?? process.env;
      const redactor = Redactor.fromEnv(env);
      const provider = await providerFor(prepared.definition, options, env, redactor, cassette);
      const record = options.stats !== false && env.RLLMC_STATS !== "off";
      const runOptions: RunOptions & {
        sandbox?: SandboxLimits;
        onAppFinished?: (report: AppRunReport) => void;
      } = {
        provider: provider.provider,
        ...(provider.model === undefined ? {} : { model: provider.model }),
        redact: (text) => redactor.text(text),
        ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
        ...(record
          ? { onAppFinished: (report: AppRunReport) => recordAppRun(report, { name: provider.name }, env) }
          : {}),
      };
      const result = await runApp(runnable, input, runOptions);
      options.onResult?.(result);
      return result.output;
    },
  };
}

const providers = new Map<string, Promise<Provider>>();

async function providerFor(
  definition: AppDefinition,
  options: RunAppOptions,
  env: NodeJS.ProcessEnv,
  redactor: Redactor,
  cassette: string,
): Promise<{ provider: Provider; model: string | undefined; name: string }> {
  // `model` is an override for every app of a composition; undefined lets each run its own.
  if (typeof options.provider === "object")
    return { provider: options.provider, model: options.model ?? env.LLM_MODEL, name: options.provider.name };
  try {
    const config = resolveConfig(
      definition,
      {
        ...(options.provider === undefined ? {} : { provider: options.provider }),
        ...(options.model === undefined ? {} : { model: options.model }),
        ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
        cassette: options.cassette ?? cassette,
      },
      env,
    );
    const key = JSON.stringify([
      config.provider,
      config.model,
      config.baseUrl,
      config.cassette,
      config.apiKey,
    ]);
    let provider = providers.get(key);
    if (provider === undefined) {
      provider = createProvider(config, redactor);
      providers.set(key, provider);
      provider.catch(() => providers.delete(key));
    }
    const model = config.origins.model === "app" ? undefined : config.model;
    return { provider: await provider, model, name: config.provider };
  } catch (error) {
    if (!(error instanceof ProviderFailure)) throw error;
    throw appError(
      AppErrors.ProviderFailed,
      { detail: error.message },
      {
        details: { failure: error.kind, status: error.status ?? null },
      },
    );
  }
}
