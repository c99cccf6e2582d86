/**
 * The price table: what a million prompt and answer tokens cost per provider and model
 * (`grammar/llm/prices.json`, schema `grammar/schemas/prices.schema.json`), overridable with
 * `--prices FILE` (its entries win, model by model). A model key ending in `*` is a prefix, `*`
 * alone the provider's fallback; the longest matching key wins. No price is ever guessed: a model
 * the table does not know has no price, and a cost budget then refuses to start.
 */
import { readFileSync } from "node:fs";
import defaults from "../../../grammar/llm/prices.json" with { type: "json" };
import type { Usage } from "../../runtime/app/provider.js";
import { UsageError } from "../usage-error.js";

export interface Price {
  /** Per million prompt tokens. */
  readonly input: number;
  /** Per million answer tokens. */
  readonly output: number;
}

export interface PriceTable {
  readonly currency: string;
  readonly providers: Readonly<Record<string, Readonly<Record<string, Price>>>>;
}

/** The built-in table, with the entries of `file` (if any) over it. */
export function loadPrices(file?: string): PriceTable {
  const base = defaults as unknown as PriceTable;
  if (file === undefined) return base;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `--prices: cannot read '${file}': ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  let parsed: unknown;
  try {
    // A file saved with a byte-order mark (Windows editors) is JSON all the same.
    parsed = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
  } catch (error) {
    throw new UsageError(`--prices: '${file}' is not JSON: ${(error as Error).message}`);
  }
  const override = checkTable(parsed, file);
  const providers: Record<string, Record<string, Price>> = {};
  for (const [name, models] of Object.entries(base.providers)) providers[name] = { ...models };
  for (const [name, models] of Object.entries(override.providers))
    providers[name] = { ...providers[name], ...models };
  return { currency: override.currency || base.currency, providers };
}

/** The price of `model` on `provider`, or undefined when the table has none. */
export function priceOf(table: PriceTable, provider: string, model: string): Price | undefined {
  const models = table.providers[provider];
  if (models === undefined) return undefined;
  const exact = models[model];
  if (exact !== undefined) return exact;
  let best: { length: number; price: Price } | undefined;
  for (const [key, price] of Object.entries(models)) {
    if (!key.endsWith("*")) continue;
    const prefix = key.slice(0, -1);
    if (model.startsWith(prefix) && (best === undefined || prefix.length > best.length))
      best = { length: prefix.length, price };
  }
  return best?.price;
}

/** What `usage` costs at `price`. */
export function costOf(price: Price, usage: Usage): number {
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
}

/** The table's shape, checked with messages that name the file and the place (exit 2). */
function checkTable(value: unknown, file: string): PriceTable {
  const fail = (where: string, what: string): never => {
    throw new UsageError(`--prices: ${file}: ${where} ${what} (grammar/schemas/prices.schema.json)`);
  };
  if (!isObject(value)) return fail("the file", "must be a JSON object");
  const providers = value.providers;
  if (!isObject(providers)) return fail("'providers'", "must be an object of provider → model → price");
  for (const [name, models] of Object.entries(providers)) {
    if (!isObject(models)) fail(`providers.${name}`, "must be an object of model → price");
    for (const [model, price] of Object.entries(models as Record<string, unknown>)) {
      const where = `providers.${name}.${model}`;
      if (!isObject(price)) fail(where, 'must be {"input": N, "output": N}');
      for (const side of ["input", "output"] as const) {
        const n = (price as Record<string, unknown>)[side];
        if (typeof n !== "number" || !Number.isFinite(n) || n < 0)
          fail(`${where}.${side}`, "must be a number ≥ 0 (per million tokens)");
      }
    }
  }
  const currency = typeof value.currency === "string" ? value.currency : "";
  return { currency, providers: providers as PriceTable["providers"] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
