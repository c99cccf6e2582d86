/**
 * Which provider, model and server a run uses. Each setting comes from the first of: the command
 * line (`--provider`, `--model`, `--base-url`), the environment (`LLM_PROVIDER`, `LLM_MODEL`,
 * `LLM_BASE_URL`, and `OLLAMA_HOST` for Ollama), and the app's own `llm` block (`provider`,
 * `model`, `base_url`). The API key comes
 * only from the environment (`LLM_API_KEY`, else the provider's own variable), never from a file
 * or a flag, so it cannot end up in shell history or in the repository — and it is never sent to
 * a server named only by the app's `base_url`: an app someone else wrote cannot redirect your key.
 */
import { dirname, resolve } from "node:path";
import table from "../../../grammar/llm/params.json" with { type: "json" };
import type { Redactor } from "../shared/redact.js";
import { enableTracingIfRegistered } from "../shared/telemetry.js";
import { observeProvider } from "./observe-provider.js";
import type { Provider } from "./provider.js";
import { ProviderFailure } from "./provider.js";

export const PROVIDERS = [
  "openai",
  "anthropic",
  "openai-compatible",
  "ollama",
  "local",
  "null",
  "replay",
  "llama-orch",
] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface ProviderFlags {
  readonly provider?: string;
  readonly model?: string;
  readonly baseUrl?: string;
  /** Cassette to replay from (`--provider replay`); default: `<app>.cassette.json` beside the app. */
  readonly cassette?: string;
  /** Cassette to record the real provider's answers into. */
  readonly record?: string;
}

export interface ResolvedConfig {
  readonly provider: ProviderName;
  readonly model: string;
  readonly baseUrl: string | undefined;
  readonly apiKey: string | undefined;
  /** The environment variable the API key came from, to name it when it is malformed. */
  readonly apiKeyVariable?: string;
  readonly cassette: string | undefined;
  readonly record: string | undefined;
  /** Where each setting came from, for --verbose. */
  readonly origins: Readonly<Record<"provider" | "model" | "baseUrl", "flag" | "env" | "app" | "default">>;
}

const KEY_VARIABLES: Readonly<Partial<Record<ProviderName, string>>> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
};

export function resolveConfig(
  app: {
    readonly llm: { readonly provider: string; readonly model: string; readonly baseUrl?: string };
    readonly source?: string;
  },
  flags: ProviderFlags,
  env: NodeJS.ProcessEnv,
): ResolvedConfig {
  const pick = (flag: string | undefined, variable: string | undefined, fromApp: string | undefined) =>
    nonEmpty(flag) !== undefined
      ? { value: flag!, origin: "flag" as const }
      : nonEmpty(variable) !== undefined
        ? { value: variable!, origin: "env" as const }
        : nonEmpty(fromApp) !== undefined
          ? { value: fromApp!, origin: "app" as const }
          : { value: undefined, origin: "default" as const };
  const provider = pick(flags.provider, env.LLM_PROVIDER, app.llm.provider);
  if (!(PROVIDERS as readonly string[]).includes(provider.value ?? ""))
    throw new ProviderFailure(
      "unavailable",
      `unknown provider '${provider.value}' (from ${describeOrigin(provider.origin)}); providers: ${PROVIDERS.join(", ")}`,
    );
  const name = provider.value as ProviderName;
  const model = pick(flags.model, env.LLM_MODEL, app.llm.model);
  // An app file is not trusted with credentials: OpenAI and Anthropic always get their own
  // endpoints unless the user names another, and a URL that came from the app gets no API key.
  const hosted = name === "openai" || name === "anthropic";
  const baseUrl = pick(
    flags.baseUrl,
    nonEmpty(env.LLM_BASE_URL) ?? (name === "ollama" ? env.OLLAMA_HOST : undefined),
    hosted ? undefined : app.llm.baseUrl,
  );
  const keyVariable = KEY_VARIABLES[name];
  const appDir = app.source === undefined ? process.cwd() : dirname(resolve(app.source));
  // A local model named in the app is relative to the app; one from a flag or env, to the cwd.
  const modelValue =
    name === "local" && model.origin === "app" && model.value !== undefined
      ? resolve(appDir, model.value)
      : model.value;
  const apiKeyVariable =
    baseUrl.origin === "app"
      ? undefined
      : nonEmpty(env.LLM_API_KEY) !== undefined
        ? "LLM_API_KEY"
        : keyVariable !== undefined && nonEmpty(env[keyVariable]) !== undefined
          ? keyVariable
          : undefined;
  return {
    provider: name,
    model: modelValue ?? "",
    baseUrl: baseUrl.value === undefined ? undefined : normaliseHost(baseUrl.value),
    apiKey: apiKeyVariable === undefined ? undefined : env[apiKeyVariable],
    ...(apiKeyVariable === undefined ? {} : { apiKeyVariable }),
    cassette:
      flags.cassette ??
      (app.source === undefined ? undefined : resolve(appDir, `${basename(app.source)}.cassette.json`)),
    record: flags.record,
    origins: { provider: provider.origin, model: model.origin, baseUrl: baseUrl.origin },
  };
}

/** The provider a resolved configuration names; adapters are loaded only when used. */
export async function createProvider(config: ResolvedConfig, redactor: Redactor): Promise<Provider> {
  // Every call is traced and counted (observe-provider.ts), retries and replayed answers included.
  await enableTracingIfRegistered();
  const inner = observeProvider(await adapter(config));
  if (config.record === undefined) return inner;
  const { createRecordingProvider } = await import("./providers/cassette.js");
  return createRecordingProvider(inner, config.record, redactor);
}

async function adapter(config: ResolvedConfig): Promise<Provider> {
  switch (config.provider) {
    case "openai":
    case "openai-compatible": {
      if (config.provider === "openai-compatible" && config.baseUrl === undefined)
        throw new ProviderFailure(
          "unavailable",
          "provider 'openai-compatible' needs the server's URL: --base-url or LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1)",
        );
      if (config.provider === "openai" && config.apiKey === undefined)
        throw new ProviderFailure(
          "auth",
          "provider 'openai' needs an API key: set LLM_API_KEY or OPENAI_API_KEY",
        );
      checkApiKey(config);
      const { createOpenAiProvider } = await import("./providers/openai.js");
      return createOpenAiProvider({
        flavour: config.provider,
        apiKey: config.apiKey,
        baseUrl: config.baseUrl,
      });
    }
    case "anthropic": {
      if (config.apiKey === undefined)
        throw new ProviderFailure(
          "auth",
          "provider 'anthropic' needs an API key: set LLM_API_KEY or ANTHROPIC_API_KEY",
        );
      checkApiKey(config);
      const { createAnthropicProvider } = await import("./providers/anthropic.js");
      return createAnthropicProvider({ apiKey: config.apiKey, baseUrl: config.baseUrl });
    }
    case "ollama": {
      const { createOllamaProvider } = await import("./providers/ollama.js");
      return createOllamaProvider({ host: config.baseUrl });
    }
    case "llama-orch": {
      if (config.baseUrl === undefined)
        throw new ProviderFailure(
          "unavailable",
          "provider 'llama-orch' needs the orchestrator's URL: --base-url or LLM_BASE_URL (e.g. http://127.0.0.1:8080)",
        );
      checkApiKey(config);
      const { createLlamaOrchProvider, llamaOrchOptionsFromEnv } = await import("./providers/llama-orch.js");
      return createLlamaOrchProvider(llamaOrchOptionsFromEnv(config.baseUrl, process.env, config.apiKey));
    }
    case "local": {
      const { createLocalProvider } = await import("./providers/local.js");
      return createLocalProvider({ modelPath: config.model });
    }
    case "null": {
      const { createNullProvider } = await import("./providers/null.js");
      return createNullProvider();
    }
    case "replay": {
      if (config.cassette === undefined)
        throw new ProviderFailure("unavailable", "provider 'replay' needs a cassette: --cassette <file>");
      const { createReplayProvider } = await import("./providers/cassette.js");
      return createReplayProvider(config.cassette);
    }
  }
}

/**
 * An API key is sent in an HTTP header, which holds printable ASCII only: a key pasted with
 * typographic quotes, a non-breaking space or a line break would fail inside the HTTP client
 * with "Cannot convert argument to a ByteString". Say which variable is malformed and where,
 * never the key itself.
 */
function checkApiKey(config: ResolvedConfig): void {
  const key = config.apiKey;
  if (key === undefined) return;
  for (let i = 0; i < key.length; i++) {
    const c = key.codePointAt(i)!;
    if (c > 0x20 && c < 0x7f) continue;
    const what =
      c === 0x20 ? "a space" : c < 0x20 || c === 0x7f ? "a control character (a line break?)" : "not ASCII";
    const code = `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
    throw new ProviderFailure(
      "auth",
      `the API key in ${config.apiKeyVariable ?? "the environment"} is malformed: character ${i + 1} of ${key.length} is ${what} (${code}); an API key is printable ASCII only — paste it again without quotes, spaces or line breaks`,
    );
  }
}

/**
 * The parameters of `llm_params` that `provider` ignores (grammar/llm/params.json). `rllmc check`
 * warns about them for the app's own provider; `run` warns again when the provider was changed by
 * a flag or the environment.
 */
export function ignoredParams(provider: string, params: object): string[] {
  if (provider === "null" || provider === "replay") return [];
  const specs = table.parameters as Readonly<Record<string, { readonly providers: readonly string[] }>>;
  return Object.keys(params).filter(
    (name) => specs[name] !== undefined && !specs[name].providers.includes(provider),
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** `OLLAMA_HOST` is often written without a scheme (`localhost:11434`). */
function normaliseHost(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
}

function basename(path: string): string {
  const file = path.split(/[\\/]/).pop() ?? path;
  return file.replace(/\.rllm$/, "");
}

function describeOrigin(origin: string): string {
  return origin === "flag" ? "--provider" : origin === "env" ? "LLM_PROVIDER" : "the app's llm.provider";
}
