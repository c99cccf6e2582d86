#!/usr/bin/env node
/**
 * Writes the cassettes bundled with the examples, so `rllmc run … --provider replay` works offline
 * from the README. The answers below were written by hand in the shape a model gives (the first
 * summary answer is deliberately off-schema, to show the recovery loop); the requests and their
 * hashes are computed by running each example through the real runtime, so they match exactly
 * what `rllmc run` sends. Re-run after changing an example's prompt, schema or llm_params:
 *
 *   npm run build && node scripts/make-example-cassettes.mjs
 */
import { rmSync } from "node:fs";
import { readInputFile } from "../dist/src/cli/read-input.js";
import { loadApp } from "../dist/src/cli/rllm-app.js";
import { prepareApp } from "../dist/src/runtime/compile-app.js";
import { execute } from "../dist/src/runtime/execute.js";
import { createRecordingProvider } from "../dist/src/runtime/providers/cassette.js";
import { Redactor } from "../dist/src/runtime/redact.js";

const EXAMPLES = [
  {
    app: "examples/summary.rllm",
    input: "examples/summary.input.json",
    answers: [
      // Off-schema: key_points is a string, not an array. The recovery prompt asks again.
      '{"title": "Why runbooks matter in the container era", "summary": "Container orchestration became the default in under a decade because it made deployments repeatable, shared capacity and restarted failed processes. The price is operational complexity, which makes clear runbooks more important than ever.", "key_points": "repeatable deployments; shared capacity; automatic restarts"}',
      '```json\n{"title": "Why runbooks matter in the container era", "summary": "Container orchestration became the default in under a decade because it made deployments repeatable, shared capacity and restarted failed processes. The price is operational complexity, which makes clear runbooks more important than ever.", "key_points": ["Deployments became repeatable.", "Capacity is shared between many small services.", "Failed processes restart without a human.", "Clusters are complex to operate, so runbooks matter more."]}\n```',
    ],
  },
  {
    app: "examples/extract_keywords.rllm",
    input: "examples/extract_keywords.input.yaml",
    answers: [
      '{"keywords": ["retrieval-augmented generation", "search index", "language model", "embeddings", "citations"]}',
    ],
  },
];

for (const example of EXAMPLES) {
  const { definition } = await loadApp(example.app);
  const cassette = example.app.replace(/\.rllm$/, ".cassette.json");
  rmSync(cassette, { force: true });
  let next = 0;
  const scripted = {
    name: "replay",
    complete: async (request) => ({
      text: example.answers[next++],
      usage: {
        promptTokens: Math.round(request.messages.reduce((n, m) => n + m.content.length, 0) / 4),
        completionTokens: 90,
      },
      model: request.model,
      finishReason: "stop",
      raw: null,
    }),
  };
  const provider = createRecordingProvider(scripted, cassette, Redactor.fromEnv(process.env));
  const result = await execute(
    prepareApp(definition),
    await readInputFile(example.input, definition.inputSchema),
    {
      provider,
    },
  );
  console.log(`${cassette}: ${result.attempts.length} interaction(s)`);
}
