/**
 * `rllmc inspect app.rllm`: what a reader of an app wants to know before running it — the
 * resolved schemas (local `$ref`s inlined), each input with where the prompt reads it, every
 * template variable with its declared type, the children it uses, and the token estimate
 * against `max_context_window`. As an object for `--json`, and as text.
 */
import type { JsonObject, JsonValue, RllmModule, TemplateVariable } from "../ir/nodes.js";
import type { SourceLookup } from "../ir/print-diagnostics.js";
import { estimatePrompt } from "../passes/check-context-window.js";
import { displayPath } from "../passes/check-template-variables.js";
import { isObject, resolveRef } from "../passes/schema-walk.js";

export interface AppSummary {
  readonly name: string | null;
  readonly version: string | null;
  readonly description: string | null;
  readonly author: string | null;
  readonly file: string;
  readonly llm: { readonly provider: string; readonly model: string } | null;
  readonly llm_params: JsonObject;
  readonly inputs: readonly InputRow[];
  readonly template_variables: readonly VariableRow[];
  readonly outputs: readonly InputRow[];
  readonly uses: readonly { name: string; path: string; inputs: Readonly<Record<string, string>> }[];
  readonly code_blocks: readonly {
    phase: string;
    language: string;
    name: string;
    inputs: string[];
    outputs: string[];
  }[];
  readonly token_estimate: TokenEstimate;
  readonly input_schema: JsonValue | null;
  readonly output_schema: JsonValue | null;
}

interface InputRow {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly default?: JsonValue;
  readonly description?: string;
  readonly used?: boolean;
}

interface VariableRow {
  readonly variable: string;
  readonly type: string;
  readonly template: "prompt" | "recovery";
  readonly at: readonly string[];
}

interface TokenEstimate {
  readonly fixed_prompt_tokens: number;
  /** null when some variable has no bound. */
  readonly max_prompt_tokens: number | null;
  readonly unbounded_variables: readonly string[];
  readonly reserved_completion_tokens: number;
  readonly max_context_window: number | null;
  readonly verdict: string;
}

export function summariseApp(module: RllmModule, file: string, lookup: SourceLookup): AppSummary {
  const h = module.header;
  const inputSchema = h.inputSchema === undefined ? undefined : inline(h.inputSchema, h.inputSchema, 0);
  const outputSchema = h.outputSchema === undefined ? undefined : inline(h.outputSchema, h.outputSchema, 0);
  const where = (variable: TemplateVariable) => {
    const { line, column } = lookup(variable.span.file)?.lineCol(variable.span.start) ?? {
      line: 0,
      column: 0,
    };
    return `${line}:${column}`;
  };
  const variables = new Map<
    string,
    { variable: string; template: "prompt" | "recovery"; path: readonly string[]; at: string[] }
  >();
  const collect = (list: readonly TemplateVariable[], template: "prompt" | "recovery") => {
    for (const variable of list) {
      const shown = displayPath(variable.path);
      const key = `${template}\u0000${shown}`;
      const row = variables.get(key) ?? { variable: shown, template, path: variable.path, at: [] };
      row.at.push(where(variable));
      variables.set(key, row);
    }
  };
  collect(module.prompt.variables, "prompt");
  collect(module.recovery?.variables ?? [], "recovery");
  const usedRoots = new Set([...variables.values()].map((v) => v.path[0]));
  for (const block of module.codeBlocks) for (const input of block.inputs) usedRoots.add(input.name);
  for (const use of module.header.uses)
    for (const e of Object.values(use.inputs)) usedRoots.add(e.split(/[.[]/)[0]!.trim());
  const estimate = estimatePrompt(module);
  const window = h.maxContextWindow ?? null;
  const bounded = Number.isFinite(estimate.maxTokens);
  const reserved = estimate.reservedTokens;
  const verdict =
    window === null
      ? "no max_context_window"
      : estimate.fixedTokens + reserved > window
        ? "never fits: the fixed text alone is too long"
        : !bounded
          ? `depends on the input (${estimate.unbounded.join(", ")} ${estimate.unbounded.length === 1 ? "has" : "have"} no bound); checked before every call`
          : estimate.maxTokens + reserved > window
            ? "can exceed the window with the longest inputs the schema allows"
            : "always fits";
  return {
    name: h.name ?? null,
    version: h.version ?? null,
    description: h.description ?? null,
    author: h.author ?? null,
    file,
    llm: h.llm === undefined ? null : { provider: h.llm.provider, model: h.llm.model },
    llm_params: h.llmParams ?? {},
    inputs: rows(inputSchema).map((row) => ({ ...row, used: usedRoots.has(row.name) })),
    template_variables: [...variables.values()]
      .map((v) => ({
        variable: v.variable,
        type: inputSchema === undefined ? "?" : typeAt(inputSchema, v.path),
        template: v.template,
        at: v.at,
      }))
      .sort((a, b) =>
        a.template === b.template ? (a.variable < b.variable ? -1 : 1) : a.template === "prompt" ? -1 : 1,
      ),
    outputs: rows(outputSchema),
    uses: h.uses.map((u) => ({ name: u.name, path: u.path, inputs: u.inputs })),
    code_blocks: module.codeBlocks.map((b) => ({
      phase: b.phase,
      language: b.language,
      name: b.name,
      inputs: b.inputs.map((i) => i.name),
      outputs: b.outputs.map((o) => o.name),
    })),
    token_estimate: {
      fixed_prompt_tokens: estimate.fixedTokens,
      max_prompt_tokens: bounded ? estimate.maxTokens : null,
      unbounded_variables: estimate.unbounded,
      reserved_completion_tokens: reserved,
      max_context_window: window,
      verdict,
    },
    input_schema: inputSchema ?? null,
    output_schema: outputSchema ?? null,
  };
}

export function formatAppSummary(s: AppSummary): string {
  const lines: string[] = [];
  lines.push(
    `${s.name ?? "(unnamed)"}${s.version ? ` ${s.version}` : ""}${s.description ? ` — ${s.description}` : ""}`,
  );
  const params = Object.entries(s.llm_params)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(" ");
  const t = s.token_estimate;
  lines.push(
    ...table([
      ["file", s.file],
      ["author", s.author ?? ""],
      ["model", s.llm ? `${s.llm.provider} / ${s.llm.model}` : ""],
      ["llm_params", params || "(none)"],
      [
        "tokens",
        `prompt ≥ ${t.fixed_prompt_tokens} (fixed text), ≤ ${t.max_prompt_tokens ?? "unbounded"}; answer ≤ ${t.reserved_completion_tokens || "(no max_tokens)"}; window ${t.max_context_window ?? "(none)"}`,
      ],
      ["fits", t.verdict],
    ]).map((l) => `  ${l}`),
  );
  lines.push("", "Inputs");
  lines.push(
    ...indent(
      table([
        ["name", "type", "required", "default", "used", "description"],
        ...s.inputs.map(fieldRow(true)),
      ]),
    ),
  );
  lines.push("", "Template variables");
  lines.push(
    ...indent(
      table([
        ["variable", "type", "template", "at (line:col)"],
        ...s.template_variables.map((v) => [v.variable, v.type, v.template, v.at.join(", ")]),
      ]),
    ),
  );
  lines.push("", "Output");
  lines.push(
    ...indent(
      table([["name", "type", "required", "default", "", "description"], ...s.outputs.map(fieldRow(false))]),
    ),
  );
  if (s.uses.length > 0) {
    lines.push("", "Uses");
    for (const u of s.uses)
      lines.push(
        `  ${u.name} = ${u.path} (${
          Object.entries(u.inputs)
            .map(([k, v]) => `${k} ← ${v}`)
            .join(", ") || "no inputs"
        })`,
      );
  }
  if (s.code_blocks.length > 0) {
    lines.push("", "Code blocks");
    for (const b of s.code_blocks)
      lines.push(
        `  ${b.phase} ${b.language} ${b.name}: ${b.inputs.join(", ") || "-"} → ${b.outputs.join(", ") || "-"}`,
      );
  }
  return `${lines.map((l) => l.trimEnd()).join("\n")}\n`;
}

const fieldRow =
  (withUse: boolean) =>
  (row: InputRow): string[] => [
    row.name,
    row.type,
    row.required ? "yes" : "no",
    row.default === undefined ? "" : JSON.stringify(row.default),
    withUse ? (row.used ? "yes" : "NO") : "",
    row.description ?? "",
  ];

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
}

function indent(lines: readonly string[]): string[] {
  return lines.map((l) => `  ${l}`);
}

/** The top-level properties of an object schema as rows. */
function rows(schema: JsonValue | undefined): InputRow[] {
  if (!isObject(schema)) return [];
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    type: describeType(property),
    required: required.has(name),
    ...(isObject(property) && property.default !== undefined ? { default: property.default } : {}),
    ...(isObject(property) && typeof property.description === "string"
      ? { description: property.description }
      : {}),
  }));
}

function typeAt(schema: JsonValue, path: readonly string[]): string {
  let current: JsonValue | undefined = schema;
  for (const segment of path) {
    if (!isObject(current)) return "?";
    current =
      segment === "[]"
        ? current.items
        : isObject(current.properties)
          ? current.properties[segment]
          : undefined;
  }
  return current === undefined ? "?" : describeType(current);
}

function describeType(schema: JsonValue): string {
  if (!isObject(schema)) return schema === true ? "any" : "?";
  if (Array.isArray(schema.enum)) return `enum(${schema.enum.map((v) => JSON.stringify(v)).join("|")})`;
  const type = Array.isArray(schema.type)
    ? schema.type.join("|")
    : typeof schema.type === "string"
      ? schema.type
      : "any";
  if (type === "array" && isObject(schema.items)) return `${describeType(schema.items)}[]`;
  const bounds = [
    typeof schema.maxLength === "number" ? `≤${schema.maxLength} chars` : "",
    typeof schema.maxItems === "number" ? `≤${schema.maxItems} items` : "",
  ].filter(Boolean);
  return bounds.length > 0 ? `${type} (${bounds.join(", ")})` : type;
}

/** The schema with local `$ref`s replaced by what they point at (cycles kept as `$ref`). */
function inline(root: JsonObject, value: JsonValue, depth: number): JsonValue {
  if (Array.isArray(value)) return value.map((item) => inline(root, item, depth + 1));
  if (!isObject(value)) return value;
  if (typeof value.$ref === "string" && depth < 16) {
    const target = resolveRef(root, value);
    if (target !== undefined && target !== value) return inline(root, target, depth + 1);
  }
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value))
    if (key !== "$defs" || depth > 0) out[key] = inline(root, item, depth + 1);
  return out;
}
