/**
 * The `local` provider: a GGUF model run in-process by node-llama-cpp (llama.cpp), CPU only.
 *
 * node-llama-cpp is an optional package, imported on the first call. The model, one context and
 * the JSON-schema grammars are loaded once per provider and kept until `close()`. Calls run one
 * at a time, each on a fresh context sequence, so they do not see each other and the same seed
 * gives the same answer. A request's `schema` constrains decoding to JSON of that schema (the
 * subset node-llama-cpp's grammar supports); the answer is not validated here.
 */

import { access, constants } from "node:fs/promises";
import { basename } from "node:path";
import type {
  Completion,
  CompletionRequest,
  FailureKind,
  Message,
  Provider,
  SamplingParams,
} from "../provider.js";
import { ProviderFailure } from "../provider.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");
type ChatHistoryItem = import("node-llama-cpp").ChatHistoryItem;
type LlamaGrammar = import("node-llama-cpp").LlamaGrammar;
type GrammarSchema = Parameters<import("node-llama-cpp").Llama["createGrammarForJsonSchema"]>[0];
type SamplingOptions = Pick<
  import("node-llama-cpp").LLamaChatGenerateResponseOptions,
  "temperature" | "topP" | "topK" | "minP" | "maxTokens" | "seed" | "customStopTriggers" | "repeatPenalty"
>;

export interface LocalProviderOptions {
  /** The GGUF model file. */
  readonly modelPath: string;
  /** Threads per evaluation; 1 by default (more was much slower for small models on small machines). */
  readonly threads?: number;
  /** The context size in tokens; by default node-llama-cpp picks one that fits the model and memory. */
  readonly contextSize?: number;
}

interface Engine {
  readonly lib: NodeLlamaCpp;
  readonly llama: import("node-llama-cpp").Llama;
  readonly model: import("node-llama-cpp").LlamaModel;
  readonly context: import("node-llama-cpp").LlamaContext;
  /** Grammars by the JSON text of their schema. */
  readonly grammars: Map<string, Promise<LlamaGrammar>>;
}

/** A provider that runs `options.modelPath`; `request.model` is ignored. */
export function createLocalProvider(options: LocalProviderOptions): Provider {
  const modelName = basename(options.modelPath);
  let engine: Promise<Engine> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const load = () => {
    engine ??= loadEngine(options).catch((error: unknown) => {
      engine = undefined;
      throw error;
    });
    return engine;
  };

  return {
    name: "local",

    async complete(request) {
      throwIfAborted(request.signal);
      const loaded = await load();
      const turn = queue.then(() => generate(loaded, modelName, request));
      queue = turn.catch(() => {});
      return turn;
    },

    async close() {
      const loading = engine;
      engine = undefined;
      if (loading === undefined) return;
      const loaded = await loading.catch(() => undefined);
      await queue;
      if (loaded === undefined) return;
      await loaded.context.dispose();
      await loaded.model.dispose();
      await loaded.llama.dispose();
    },
  };
}

async function loadEngine(options: LocalProviderOptions): Promise<Engine> {
  let lib: NodeLlamaCpp;
  try {
    lib = await import("node-llama-cpp");
  } catch (error) {
    const missing = (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND";
    throw failure(
      "unavailable",
      missing
        ? "the local provider needs the optional package node-llama-cpp: npm install node-llama-cpp"
        : `could not load node-llama-cpp: ${messageOf(error)}`,
      error,
    );
  }
  try {
    await access(options.modelPath, constants.R_OK);
  } catch (error) {
    throw failure("unavailable", `cannot read the model file ${options.modelPath}`, error);
  }
  let llama: import("node-llama-cpp").Llama;
  try {
    llama = await lib.getLlama({
      gpu: false,
      build: "never",
      skipDownload: true,
      logLevel: lib.LlamaLogLevel.error,
    });
  } catch (error) {
    throw failure(
      "unavailable",
      `node-llama-cpp has no usable llama.cpp binary here: ${messageOf(error)}`,
      error,
    );
  }
  try {
    const model = await llama.loadModel({ modelPath: options.modelPath });
    const context = await model.createContext({
      sequences: 1,
      threads: options.threads ?? 1,
      ...(options.contextSize === undefined ? {} : { contextSize: options.contextSize }),
    });
    return { lib, llama, model, context, grammars: new Map() };
  } catch (error) {
    await llama.dispose();
    throw failure("unavailable", `cannot load the model ${options.modelPath}: ${messageOf(error)}`, error);
  }
}

async function generate(engine: Engine, modelName: string, request: CompletionRequest): Promise<Completion> {
  const { signal } = request;
  throwIfAborted(signal);
  // node-llama-cpp would cut the start of a conversation that does not fit its context: say so
  // instead, before anything is generated.
  const room = engine.context.contextSize;
  const promptTokens = request.messages.reduce((n, m) => n + engine.model.tokenize(m.content).length, 0);
  const answerTokens = request.params.max_tokens ?? 0;
  if (promptTokens + answerTokens > room)
    throw failure(
      "request",
      `the prompt is ${promptTokens} tokens${answerTokens > 0 ? ` and the answer may take ${answerTokens}` : ""}, over the model's context of ${room} tokens; nothing was cut: shorten the prompt or max_tokens, or use a model with a larger context`,
      undefined,
    );
  const grammar = request.schema === undefined ? undefined : await grammarFor(engine, request.schema);
  const sequence = engine.context.getSequence();
  const chat = new engine.lib.LlamaChat({
    contextSequence: sequence,
    chatWrapper: new engine.lib.GeneralChatWrapper(),
    autoDisposeSequence: false,
  });
  try {
    const response = await chat.generateResponse(history(request.messages), {
      ...sampling(request.params),
      grammar,
      signal,
    });
    const { stopReason } = response.metadata;
    return {
      text: response.response,
      // The meter counts the logits of the prompt's last token as output: one per sampled token.
      usage: {
        promptTokens: sequence.tokenMeter.usedInputTokens + 1,
        completionTokens: sequence.tokenMeter.usedOutputTokens,
      },
      model: modelName,
      finishReason: stopReason === "maxTokens" ? "length" : "stop",
      raw: { text: response.response, stopReason },
    };
  } catch (error) {
    if (signal?.aborted) throw failure("aborted", "the call was aborted", error);
    throw failure("request", `local generation failed: ${messageOf(error)}`, error);
  } finally {
    chat.dispose();
    await sequence.dispose();
  }
}

function grammarFor(engine: Engine, schema: Readonly<Record<string, unknown>>): Promise<LlamaGrammar> {
  const key = JSON.stringify(schema);
  let grammar = engine.grammars.get(key);
  if (grammar === undefined) {
    grammar = engine.llama.createGrammarForJsonSchema(schema as GrammarSchema).catch((error: unknown) => {
      engine.grammars.delete(key);
      throw failure("request", `the schema cannot be turned into a grammar: ${messageOf(error)}`, error);
    });
    engine.grammars.set(key, grammar);
  }
  return grammar;
}

function history(messages: readonly Message[]): ChatHistoryItem[] {
  return messages.map((message): ChatHistoryItem => {
    if (message.role === "system") return { type: "system", text: message.content };
    if (message.role === "user") return { type: "user", text: message.content };
    return { type: "model", response: [message.content] };
  });
}

/** The rllm sampling parameters as node-llama-cpp options; unset ones keep node-llama-cpp's defaults. */
function sampling(params: SamplingParams): SamplingOptions {
  const options: SamplingOptions = {};
  if (params.temperature !== undefined) options.temperature = params.temperature;
  if (params.top_p !== undefined) options.topP = params.top_p;
  if (params.top_k !== undefined) options.topK = params.top_k;
  if (params.min_p !== undefined) options.minP = params.min_p;
  if (params.max_tokens !== undefined) options.maxTokens = params.max_tokens;
  if (params.seed !== undefined) options.seed = params.seed;
  if (params.stop !== undefined)
    options.customStopTriggers = typeof params.stop === "string" ? [params.stop] : params.stop;
  const { repeat_penalty, presence_penalty, frequency_penalty } = params;
  if (repeat_penalty !== undefined || presence_penalty !== undefined || frequency_penalty !== undefined) {
    options.repeatPenalty = {
      ...(repeat_penalty === undefined ? {} : { penalty: repeat_penalty }),
      ...(presence_penalty === undefined ? {} : { presencePenalty: presence_penalty }),
      ...(frequency_penalty === undefined ? {} : { frequencyPenalty: frequency_penalty }),
    };
  }
  return options;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw failure("aborted", "the call was aborted", signal.reason);
}

function failure(kind: FailureKind, message: string, cause: unknown): ProviderFailure {
  return new ProviderFailure(kind, message, { cause });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
