/**
 * A static bound on the size of the prompt, against `max_context_window`. The prompt's literal
 * text is counted with the runtime's estimator (src/lang/llm/estimate-tokens.ts); each variable
 * adds the most its schema allows (`maxLength`, `maxItems`, enums, numbers), an `{{#each}}` body
 * counts once per item the schema allows, and an `{{#if}}` counts its longer branch. The answer's
 * budget (`llm_params.max_tokens`) is added, since it shares the window.
 *
 * Warnings: when the fixed text alone cannot fit, and when the longest inputs the schema allows
 * would not fit. A variable with no bound (a string without `maxLength`) makes the bound
 * unbounded: that is not warned — the runtime checks every real prompt before the call — but
 * `rllmc inspect` lists those variables.
 */

import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import type { JsonObject, RllmModule, TemplateExpression, TemplateNode } from "../ir/nodes.js";
import { locate } from "../ir/yaml-locations.js";
import { estimateTokens, TOKENS_PER_MESSAGE } from "../lang/llm/estimate-tokens.js";
import { displayPath } from "./check-template-variables.js";
import type { Pass } from "./pass.js";
import { arrayAt, isObject, objectAt, resolveRef } from "./schema-walk.js";

/** Characters a number is counted as (a double printed in full). */
const NUMBER_CHARS = 24;

export interface PromptEstimate {
  /** Tokens of the prompt's literal text (each `{{#each}}` body counted once). */
  readonly fixedTokens: number;
  /** Upper bound of the whole prompt with the longest inputs the schema allows; Infinity if none. */
  readonly maxTokens: number;
  /** Tokens reserved for the answer (`llm_params.max_tokens`, 0 when unset). */
  readonly reservedTokens: number;
  readonly window: number | undefined;
  /** Variables whose schema sets no bound, as display paths. */
  readonly unbounded: readonly string[];
  /** Each bounded variable's most tokens, largest first. */
  readonly contributions: readonly { readonly path: string; readonly tokens: number }[];
}

export const checkContextWindow: Pass<RllmModule> = {
  name: "check-context-window",
  run(module, context) {
    const estimate = estimatePrompt(module);
    const { window } = estimate;
    const document = module.frontmatter;
    if (window === undefined || document === undefined) return module;
    const at = locate(document, "/max_context_window");
    const reserve = estimate.reservedTokens > 0 ? ` plus max_tokens ${estimate.reservedTokens}` : "";
    if (estimate.fixedTokens + estimate.reservedTokens > window) {
      context.report(
        makeDiagnostic(Diagnostics.ContextWindowTooSmall, at.value, {
          detail: `the prompt's own text needs about ${estimate.fixedTokens} tokens${reserve}, over max_context_window ${window}`,
        }),
      );
    } else if (Number.isFinite(estimate.maxTokens) && estimate.maxTokens + estimate.reservedTokens > window) {
      const top = estimate.contributions
        .slice(0, 3)
        .map((c) => `${c.path} ≤ ${c.tokens}`)
        .join(", ");
      context.report(
        makeDiagnostic(Diagnostics.ContextWindowMayOverflow, at.value, {
          detail: `with the longest inputs input_schema allows the prompt needs up to about ${estimate.maxTokens} tokens${reserve}, over max_context_window ${window} (largest: ${top})`,
        }),
      );
    }
    return module;
  },
};

export function estimatePrompt(module: RllmModule): PromptEstimate {
  const schema = module.header.inputSchema ?? {};
  const paths = new Map<number, readonly string[]>();
  for (const variable of module.prompt.variables) paths.set(variable.span.start, variable.path);
  const contributions = new Map<string, number>();
  const unbounded = new Set<string>();
  const sizeOf = (expression: TemplateExpression | undefined, json: boolean): number => {
    if (expression === undefined) return 0;
    if (expression.kind === "tpl-literal") return estimateTokens(String(expression.value));
    if (expression.kind !== "tpl-path" || expression.data) return 0;
    const path = paths.get(expression.span.start);
    if (path === undefined) return 0;
    const target = schemaAt(schema, schema, path);
    const chars = target === undefined ? Number.POSITIVE_INFINITY : maxChars(schema, target, json, 0);
    const shown = displayPath(path);
    if (!Number.isFinite(chars)) {
      unbounded.add(shown);
      return Number.POSITIVE_INFINITY;
    }
    contributions.set(shown, Math.max(contributions.get(shown) ?? 0, chars));
    return chars;
  };
  const itemsOf = (expression: TemplateExpression | undefined): number => {
    if (expression?.kind !== "tpl-path" || expression.data) return 1;
    const path = paths.get(expression.span.start);
    const target = path === undefined ? undefined : schemaAt(schema, schema, path);
    const max = target === undefined ? undefined : target.maxItems;
    return typeof max === "number" ? max : Number.POSITIVE_INFINITY;
  };
  let fixed = 0;
  const walk = (nodes: readonly TemplateNode[], countFixed: boolean): number => {
    let total = 0;
    for (const node of nodes) {
      switch (node.kind) {
        case "tpl-text": {
          const tokens = estimateTokens(node.value);
          if (countFixed) fixed += tokens;
          total += tokens;
          break;
        }
        case "tpl-comment":
          break;
        case "tpl-mustache": {
          const json = node.path.original === "json";
          total += json ? sizeOf(node.params[0], true) : sizeOf(node.path, false);
          break;
        }
        case "tpl-block": {
          const program = walk(node.program, countFixed);
          const inverse = walk(node.inverse, false);
          if (node.helper === "each") {
            const items = itemsOf(node.params[0]);
            total += items === 0 ? inverse : Math.max(program * items, inverse);
          } else total += Math.max(program, inverse);
          break;
        }
      }
    }
    return total;
  };
  const max = walk(module.prompt.body, true) + TOKENS_PER_MESSAGE;
  const llmMax = module.header.llmParams?.max_tokens;
  return {
    fixedTokens: fixed + TOKENS_PER_MESSAGE,
    maxTokens: max,
    reservedTokens: typeof llmMax === "number" ? llmMax : 0,
    window: module.header.maxContextWindow,
    unbounded: [...unbounded].sort(),
    contributions: [...contributions]
      .map(([path, tokens]) => ({ path, tokens }))
      .sort((a, b) => b.tokens - a.tokens || (a.path < b.path ? -1 : 1)),
  };
}

/** The schema a resolved path designates (`[]` steps into `items`), or undefined. */
function schemaAt(root: JsonObject, schema: JsonObject, path: readonly string[]): JsonObject | undefined {
  let current: JsonObject | undefined = schema;
  for (const segment of path) {
    current = current === undefined ? undefined : resolveRef(root, current);
    if (current === undefined) return undefined;
    const next: unknown = segment === "[]" ? current.items : objectAt(current, "properties")?.[segment];
    current = isObject(next as never) ? (next as JsonObject) : undefined;
  }
  return current === undefined ? undefined : resolveRef(root, current);
}

/**
 * The most tokens a value of `schema` can take once rendered — as Handlebars prints it, or as
 * JSON for `{{json x}}` — under the worst case of the estimator (every character a token).
 */
function maxChars(root: JsonObject, schema: JsonObject, json: boolean, depth: number): number {
  if (depth > 32) return Number.POSITIVE_INFINITY;
  const resolved = resolveRef(root, schema);
  if (resolved === undefined) return Number.POSITIVE_INFINITY;
  const literal = (values: readonly unknown[]) =>
    Math.max(0, ...values.map((v) => (json || typeof v !== "string" ? JSON.stringify(v) : v).length));
  if ("const" in resolved) return literal([resolved.const]);
  const enumValues = arrayAt(resolved, "enum");
  if (enumValues !== undefined) return literal(enumValues);
  const branches = ["oneOf", "anyOf"].flatMap((k) => arrayAt(resolved, k) ?? []);
  if (branches.length > 0)
    return Math.max(
      ...branches.map((b) => (isObject(b) ? maxChars(root, b, json, depth + 1) : Number.POSITIVE_INFINITY)),
    );
  const types = Array.isArray(resolved.type) ? resolved.type : [resolved.type];
  let most = 0;
  for (const type of types) {
    switch (type) {
      case "string": {
        const length = resolved.maxLength;
        // JSON may escape every character (\uXXXX: 6 characters) and adds the quotes.
        most = Math.max(
          most,
          typeof length === "number" ? (json ? length * 6 + 2 : length) : Number.POSITIVE_INFINITY,
        );
        break;
      }
      case "integer":
      case "number":
        most = Math.max(most, NUMBER_CHARS);
        break;
      case "boolean":
        most = Math.max(most, 5);
        break;
      case "null":
        most = Math.max(most, json ? 4 : 0);
        break;
      case "array": {
        const count = resolved.maxItems;
        const items = isObject(resolved.items)
          ? maxChars(root, resolved.items, true, depth + 1)
          : Number.POSITIVE_INFINITY;
        most = Math.max(most, typeof count === "number" ? count * (items + 1) + 2 : Number.POSITIVE_INFINITY);
        break;
      }
      case "object": {
        const properties = objectAt(resolved, "properties") ?? {};
        if (resolved.additionalProperties !== false) return Number.POSITIVE_INFINITY;
        let sum = 2;
        for (const [name, property] of Object.entries(properties))
          sum +=
            JSON.stringify(name).length +
            2 +
            (isObject(property) ? maxChars(root, property, true, depth + 1) : Number.POSITIVE_INFINITY);
        most = Math.max(most, sum);
        break;
      }
      default:
        return Number.POSITIVE_INFINITY;
    }
  }
  return most;
}
