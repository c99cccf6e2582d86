/**
 * A session's budgets: tokens (prompt + answer, as the provider reported them), cost (from the
 * price table) and wall-clock time. A budget is reached when what was spent is at or over it —
 * the scheduler then admits nothing more (docs/batch.md). What is spent is reported to the
 * metrics sink (`budgetSpent`), whether a limit was set or not.
 */
import { estimateMessageTokens, estimateTokens } from "../../lang/llm/estimate-tokens.js";
import type { Completion, CompletionRequest, Usage } from "../../runtime/app/provider.js";
import { type BudgetKind, metrics } from "../../runtime/shared/metrics.js";
import { costOf, type PriceTable, priceOf } from "./prices.js";

export interface BudgetLimits {
  readonly tokens?: number;
  /** In the price table's currency. */
  readonly cost?: number;
  readonly timeMs?: number;
}

export interface Spent {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly tokens: number;
  /** Undefined when a call was made to a model the price table has no price for. */
  readonly cost: number | undefined;
  readonly elapsedMs: number;
  /** Calls whose usage the provider did not report, counted by the estimator instead. */
  readonly estimatedCalls: number;
}

export class Budget {
  readonly #limits: BudgetLimits;
  readonly #prices: PriceTable;
  readonly #provider: string;
  readonly #started = performance.now();
  readonly #listeners: ((kind: BudgetKind) => void)[] = [];
  #promptTokens = 0;
  #completionTokens = 0;
  #cost: number | undefined = 0;
  #estimatedCalls = 0;
  #reached: BudgetKind | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(limits: BudgetLimits, prices: PriceTable, provider: string) {
    this.#limits = limits;
    this.#prices = prices;
    this.#provider = provider;
    if (limits.timeMs !== undefined) {
      this.#timer = setTimeout(() => this.#reach("time"), limits.timeMs);
      this.#timer.unref();
    }
  }

  get limits(): BudgetLimits {
    return this.#limits;
  }

  /** The budget that was reached first, if any. */
  get reached(): BudgetKind | undefined {
    return this.#reached;
  }

  /** Calls `listener` once, when a budget is reached (at once if one already was). */
  onReached(listener: (kind: BudgetKind) => void): void {
    if (this.#reached !== undefined) listener(this.#reached);
    else this.#listeners.push(listener);
  }

  /** Counts a finished call: the usage it reported (else the estimate of its prompt and answer). */
  record(request: Pick<CompletionRequest, "model" | "messages">, completion: Completion): void {
    let usage: Usage | undefined = completion.usage;
    if (usage === undefined) {
      this.#estimatedCalls += 1;
      usage = {
        promptTokens: estimateMessageTokens(request.messages),
        completionTokens: estimateTokens(completion.text),
      };
    }
    this.#promptTokens += usage.promptTokens;
    this.#completionTokens += usage.completionTokens;
    const price = priceOf(this.#prices, this.#provider, request.model);
    this.#cost =
      this.#cost === undefined || price === undefined ? undefined : this.#cost + costOf(price, usage);
    const sink = metrics();
    sink.budgetSpent("tokens", this.#promptTokens + this.#completionTokens);
    if (this.#cost !== undefined) sink.budgetSpent("cost", this.#cost);
    sink.budgetSpent("time", this.elapsedMs / 1000);
    this.#check();
  }

  get elapsedMs(): number {
    return performance.now() - this.#started;
  }

  spent(): Spent {
    return {
      promptTokens: this.#promptTokens,
      completionTokens: this.#completionTokens,
      tokens: this.#promptTokens + this.#completionTokens,
      cost: this.#cost,
      elapsedMs: this.elapsedMs,
      estimatedCalls: this.#estimatedCalls,
    };
  }

  /** Stops the time budget's clock and reports the time spent. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    metrics().budgetSpent("time", this.elapsedMs / 1000);
  }

  #check(): void {
    const { tokens, cost, timeMs } = this.#limits;
    if (tokens !== undefined && this.#promptTokens + this.#completionTokens >= tokens) this.#reach("tokens");
    else if (cost !== undefined && this.#cost !== undefined && this.#cost >= cost) this.#reach("cost");
    else if (timeMs !== undefined && this.elapsedMs >= timeMs) this.#reach("time");
  }

  #reach(kind: BudgetKind): void {
    if (this.#reached !== undefined) return;
    this.#reached = kind;
    for (const listener of this.#listeners.splice(0)) listener(kind);
  }
}

/** `10m`, `90s`, `1h30m`, `500ms`, or a number of seconds, in ms; undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = trimmed;
  if (rest === "") return undefined;
  while (rest !== "") {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (match === null) return undefined;
    total += Number(match[1]) * units[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return total;
}
