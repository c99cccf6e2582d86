/**
 * The typed view of `.rllm` frontmatter: each field that is present and has the right type is
 * copied into `RllmHeader`; anything else is left out (schema validation reports it).
 */
import { basename } from "node:path";
import type { JsonObject, JsonValue, RllmHeader, UseDeclaration, YamlDocument } from "../../ir/nodes.js";
import { locate } from "../../ir/yaml-locations.js";

export function readHeader(document: YamlDocument | undefined): RllmHeader {
  const value = document?.value;
  if (document === undefined || !isObject(value)) return { uses: [] };
  const str = (key: string) => (typeof value[key] === "string" ? (value[key] as string) : undefined);
  const obj = (key: string) => (isObject(value[key]) ? (value[key] as JsonObject) : undefined);
  const strings = (key: string) => {
    const list = value[key];
    return Array.isArray(list) && list.every((v) => typeof v === "string") ? (list as string[]) : undefined;
  };
  const window = value.max_context_window;
  const llm = obj("llm");
  const header: Record<string, unknown> = {
    name: str("name"),
    description: str("description"),
    version: str("version"),
    author: str("author"),
    maxContextWindow: typeof window === "number" && Number.isInteger(window) ? window : undefined,
    inputSchema: obj("input_schema"),
    outputSchema: obj("output_schema"),
    llm:
      llm !== undefined && typeof llm.provider === "string" && typeof llm.model === "string"
        ? {
            provider: llm.provider,
            model: llm.model,
            ...(typeof llm.base_url === "string" ? { baseUrl: llm.base_url } : {}),
          }
        : undefined,
    llmParams: obj("llm_params"),
    metadata: obj("metadata"),
    recommendedModels: strings("recommended_models"),
    tags: strings("tags"),
  };
  for (const key of Object.keys(header)) if (header[key] === undefined) delete header[key];
  return { ...(header as Omit<RllmHeader, "uses">), uses: readUses(document, value.uses) };
}

function readUses(document: YamlDocument, uses: JsonValue | undefined): UseDeclaration[] {
  if (!Array.isArray(uses)) return [];
  const out: UseDeclaration[] = [];
  (uses as readonly JsonValue[]).forEach((entry, i) => {
    const span = locate(document, `/uses/${i}`).value;
    if (typeof entry === "string") {
      const name = basename(entry).replace(/\.rllm$/, "");
      out.push({ kind: "use", span, name, path: entry, pathSpan: span, index: i, inputs: {}, mapped: false });
    } else if (isObject(entry) && typeof entry.name === "string" && typeof entry.path === "string") {
      const inputs: Record<string, string> = {};
      if (isObject(entry.inputs)) {
        for (const [k, v] of Object.entries(entry.inputs)) if (typeof v === "string") inputs[k] = v;
      }
      const pathSpan = locate(document, `/uses/${i}/path`).value;
      const mapped = isObject(entry.inputs);
      out.push({ kind: "use", span, name: entry.name, path: entry.path, pathSpan, index: i, inputs, mapped });
    }
  });
  return out;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
