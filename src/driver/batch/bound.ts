/**
 * The bound before the first call: the most tokens (and money) a batch can spend, from what
 * rllmc knows before it sends anything — the `uses` tree, each app's `max_tokens` and
 * `max_context_window`, the retry limit, and each input line.
 *
 * One app run makes at most `max_retries + 1` calls (execute.ts). The answer of each is at most
 * `max_tokens`. The first prompt of an app whose prompt depends on the input alone (no `pre`
 * block, no child) is rendered and estimated here, with the estimator the runtime enforces the
 * context window with; any other prompt — a re-ask (the prompt, the failed answer and the
 * recovery prompt), or a prompt built from a child's answer or a block's result — is at most
 * `max_context_window − max_tokens` by that estimator, since the runtime refuses to send more.
 * Every child of `uses` runs once per run of its parent. A provider that constrains decoding may
 * count the output schema S as prompt tokens, so it is added once per call. So, per app run:
 *
 *   prompt ≤ P₁ + max_retries · (W − M) + (max_retries + 1) · S,  answer ≤ (max_retries + 1) · M
 *
 * summed over the tree and over the lines. An app without `max_tokens` runs with its provider's
 * default where the provider always sends one (llama-orch, Anthropic: {@link PROVIDER_MAX_TOKENS});
 * elsewhere it has no bound (its answer is limited only by the model's own context, which rllmc
 * does not know): the bound says so, and a token or cost budget refuses to start unless
 * `--allow-over-budget`. A line whose input does
 * not match `input_schema`, or whose first prompt does not fit, makes no call and counts 0.
 *
 * The tokens are those of rllmc's conservative estimator (lang/llm/estimate-tokens.ts) for
 * prompts, and the provider's limit for answers; a provider whose tokenizer counts more tokens
 * than the estimator for a prompt could exceed it (docs/batch.md says when).
 */
import { estimateMessageTokens, estimateTokens } from "../../lang/llm/estimate-tokens.js";
import type { RunnableApp } from "../../runtime/app/compose.js";
import { DEFAULT_MAX_TOKENS as ANTHROPIC_DEFAULT_MAX_TOKENS } from "../../runtime/app/providers/anthropic.js";
import { LLAMA_ORCH_DEFAULT_MAX_TOKENS } from "../../runtime/app/providers/llama-orch.js";
import { costOf, type PriceTable, priceOf } from "./prices.js";

export interface BoundOptions {
  /** `--max-retries` (else the runtime's default). */
  readonly maxRetries: number;
  /** The provider the run uses (prices are per provider). */
  readonly provider: string;
  /** A model for every app (`--model`, `LLM_MODEL`), else each app's own. */
  readonly model?: string;
  /** An app's model → the model it runs on instead (Ollama's recommended models). */
  readonly models?: ReadonlyMap<string, string>;
  readonly prices: PriceTable;
}

/** One app of the tree, per run. */
export interface AppBound {
  /** The chain of apps that leads to it, the root first (`summary → keywords`). */
  readonly app: string;
  readonly model: string;
  readonly calls: number;
  readonly maxTokens: number | undefined;
  readonly maxContextWindow: number;
  /** How the first prompt is bounded: rendered from each input, or by the context window. */
  readonly firstPrompt: "rendered" | "window";
  /** The most this app spends in any one line's run (tokens), undefined when unbounded. */
  readonly worstPerRun: number | undefined;
  readonly priced: boolean;
}

export interface BatchBound {
  readonly lines: number;
  /** Lines that make no call (input off-schema, first prompt over the window). */
  readonly linesWithoutCalls: number;
  /** Why there is no bound (apps without max_tokens); empty when bounded. */
  readonly unbounded: readonly string[];
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly tokens: number;
  /** Undefined when a model of the tree has no price. */
  readonly cost: number | undefined;
  /** `provider/model` pairs the price table has no price for. */
  readonly unpriced: readonly string[];
  /** The most calls one line can make. */
  readonly callsPerLine: number;
  readonly apps: readonly AppBound[];
}

/**
 * `max_tokens` a provider sends when the app sets none: the answer is bounded by it. Providers
 * not listed send none (OpenAI, OpenAI-compatible servers, Ollama, local): no bound.
 */
export const PROVIDER_MAX_TOKENS: Readonly<Record<string, number>> = {
  "llama-orch": LLAMA_ORCH_DEFAULT_MAX_TOKENS,
  anthropic: ANTHROPIC_DEFAULT_MAX_TOKENS,
};

interface Node {
  readonly app: RunnableApp;
  readonly chain: string;
  readonly root: boolean;
}

/** The worst case of running `root` once for each of `inputs` (parsed input values). */
export function batchBound(root: RunnableApp, inputs: readonly unknown[], options: BoundOptions): BatchBound {
  const nodes: Node[] = [];
  const walk = (app: RunnableApp, chain: readonly string[], isRoot: boolean) => {
    const here = [...chain, app.prepared.definition.name];
    nodes.push({ app, chain: here.join(" → "), root: isRoot });
    for (const child of app.children) walk(child.app, here, false);
  };
  walk(root, [], true);

  const calls = options.maxRetries + 1;
  const unbounded: string[] = [];
  const unpriced = new Set<string>();
  let promptTokens = 0;
  let completionTokens = 0;
  let cost: number | undefined = 0;
  let linesWithoutCalls = 0;
  const worst = new Map<Node, number>();

  const modelOf = (app: RunnableApp) => {
    const own = app.prepared.definition.llm.model;
    return options.model ?? options.models?.get(own) ?? own;
  };
  const maxTokensOf = (app: RunnableApp): number | undefined =>
    app.prepared.definition.llmParams.max_tokens ?? PROVIDER_MAX_TOKENS[options.provider];
  for (const node of nodes) {
    if (maxTokensOf(node.app) === undefined)
      unbounded.push(`${node.chain} has no llm_params.max_tokens: its answers are limited only by the model`);
    if (priceOf(options.prices, options.provider, modelOf(node.app)) === undefined)
      unpriced.add(`${options.provider}/${modelOf(node.app)}`);
  }

  for (const input of inputs) {
    const first = firstPromptOfRoot(root, input);
    if (first === undefined) {
      linesWithoutCalls += 1;
      continue;
    }
    for (const node of nodes) {
      const { definition } = node.app.prepared;
      // Answers: at most the max_tokens sent. Prompts: at most the window less what the runtime
      // reserves for the answer, which is the app's own max_tokens (0 when it sets none).
      const m = maxTokensOf(node.app) ?? 0;
      const room = Math.max(0, definition.maxContextWindow - (definition.llmParams.max_tokens ?? 0));
      const p1 = node.root && first !== "window" ? first : room;
      // A provider that constrains decoding may count the output schema as prompt: every call.
      const prompt = p1 + options.maxRetries * room + calls * schemaTokens(node.app);
      const answer = calls * m;
      promptTokens += prompt;
      completionTokens += answer;
      worst.set(node, Math.max(worst.get(node) ?? 0, prompt + answer));
      const price = priceOf(options.prices, options.provider, modelOf(node.app));
      cost =
        cost === undefined || price === undefined
          ? undefined
          : cost + costOf(price, { promptTokens: prompt, completionTokens: answer });
    }
  }

  return {
    lines: inputs.length,
    linesWithoutCalls,
    unbounded,
    promptTokens,
    completionTokens,
    tokens: promptTokens + completionTokens,
    cost,
    unpriced: [...unpriced],
    callsPerLine: nodes.length * calls,
    apps: nodes.map((node) => {
      const { definition } = node.app.prepared;
      const own = node.app.blocks.some((b) => b.phase === "pre") || node.app.children.length > 0;
      return {
        app: node.chain,
        model: modelOf(node.app),
        calls,
        maxTokens: maxTokensOf(node.app),
        maxContextWindow: definition.maxContextWindow,
        firstPrompt: node.root && !own ? "rendered" : "window",
        worstPerRun: maxTokensOf(node.app) === undefined ? undefined : (worst.get(node) ?? 0),
        priced: priceOf(options.prices, options.provider, modelOf(node.app)) !== undefined,
      };
    }),
  };
}

/** The output schema's size by the estimator, once per call (it travels with each request). */
function schemaTokens(app: RunnableApp): number {
  return estimateTokens(JSON.stringify(app.prepared.definition.outputSchema));
}

/**
 * The root's first prompt for `input`, estimated; `"window"` when it depends on more than the
 * input (a `pre` block or a child); undefined when the line makes no call at all.
 */
function firstPromptOfRoot(root: RunnableApp, input: unknown): number | "window" | undefined {
  const { prepared } = root;
  const checked = prepared.validateInput(input);
  if (checked.errors.length > 0) return undefined;
  if (root.blocks.some((b) => b.phase === "pre") || root.children.length > 0) return "window";
  let estimated: number;
  try {
    estimated = estimateMessageTokens([{ content: prepared.renderPrompt(checked.value) }]);
  } catch {
    // A prompt that cannot be rendered fails before any call.
    return undefined;
  }
  // The runtime checks the window with the app's own max_tokens (0 when unset).
  const m = prepared.definition.llmParams.max_tokens ?? 0;
  return estimated + m > prepared.definition.maxContextWindow ? undefined : estimated;
}
