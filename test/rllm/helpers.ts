import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseRllm } from "../../src/frontend/rllm/parse-rllm.js";

export const HEADER = `name: t
description: d
version: 1.0.0
author: a
max_context_window: 1000
input_schema:
  type: object
  properties:
    text: { type: string }
output_schema: { type: object }
llm: { provider: ollama, model: m }
llm_params: { temperature: 0 }
`;

export function app(body: string, header = HEADER) {
  const text = `---\n${header}---\n${body}`;
  const result = parseRllm(sourceFromText("t.rllm", text));
  const slice = (s: { start: number; end: number }) => text.slice(s.start, s.end);
  return { text, ...result, slice, codes: result.diagnostics.map((d) => d.code) };
}
