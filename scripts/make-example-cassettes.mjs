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
import { chooseInput, readInputFile } from "../dist/src/cli/read-input.js";
import { loadApp } from "../dist/src/driver/rllm-app.js";
import { prepareApp } from "../dist/src/runtime/app/compile-app.js";
import { runApp } from "../dist/src/runtime/app/compose.js";
import { createRecordingProvider } from "../dist/src/runtime/app/providers/cassette.js";
import { Redactor } from "../dist/src/runtime/shared/redact.js";

const EXAMPLES = [
  {
    app: "examples/summary.rllm",
    input: "examples/summary.input.json",
    answers: {
      summary: [
        // Off-schema: key_points is a string, not an array. The recovery prompt asks again.
        '{"title": "Why runbooks matter in the container era", "summary": "Container orchestration became the default in under a decade because it made deployments repeatable, shared capacity and restarted failed processes. The price is operational complexity, which makes clear runbooks more important than ever.", "key_points": "repeatable deployments; shared capacity; automatic restarts"}',
        '```json\n{"title": "Why runbooks matter in the container era", "summary": "Container orchestration became the default in under a decade because it made deployments repeatable, shared capacity and restarted failed processes. The price is operational complexity, which makes clear runbooks more important than ever.", "key_points": ["Deployments became repeatable.", "Capacity is shared between many small services.", "Failed processes restart without a human.", "Clusters are complex to operate, so runbooks matter more."]}\n```',
      ],
    },
  },
  {
    app: "examples/extract_keywords.rllm",
    input: "examples/extract_keywords.input.yaml",
    answers: {
      extract_keywords: [
        '{"keywords": ["retrieval-augmented generation", "search index", "language model", "embeddings", "citations"]}',
      ],
    },
  },
  {
    // Three apps, one cassette: each child's calls, then the parent's.
    app: "examples/compose_summary_keywords.rllm",
    input: "examples/compose_summary_keywords.input.json",
    answers: {
      summary: [
        '{"title": "Why runbooks matter in the container era", "summary": "Container orchestration made deployments repeatable and restarts automatic, at the price of operational complexity that clear runbooks must answer.", "key_points": ["Deployments became repeatable.", "Failed processes restart without a human.", "Runbooks matter more than ever."]}',
      ],
      extract_keywords: [
        '{"keywords": ["container orchestration", "runbooks", "deployments", "restarts", "complexity"]}',
      ],
      compose_summary_keywords: [
        '{"title": "Why runbooks matter in the container era", "summary": "Container orchestration made deployments repeatable and restarts automatic, at the price of operational complexity that clear runbooks must answer.", "keywords": ["container orchestration", "runbooks", "deployments"]}',
      ],
    },
  },
];

for (const example of EXAMPLES) {
  const loaded = await loadApp(example.app);
  const cassette = example.app.replace(/\.rllm$/, ".cassette.json");
  rmSync(cassette, { force: true });
  const queues = new Map(Object.entries(example.answers).map(([name, list]) => [name, [...list]]));
  // Which app is asking: the one whose prompt starts with the first word of the request.
  const byFirstWord = new Map();
  const index = (app) => {
    byFirstWord.set(app.definition.prompt.split(/\s/, 1)[0], app.definition.name);
    for (const child of app.children) index(child.app);
  };
  index(loaded);
  const scripted = {
    name: "replay",
    complete: async (request) => {
      const name = byFirstWord.get(request.messages[0].content.split(/\s/, 1)[0]);
      const text = queues.get(name)?.shift();
      if (text === undefined) throw new Error(`no answer left for ${name}`);
      return {
        text,
        usage: {
          promptTokens: Math.round(request.messages.reduce((n, m) => n + m.content.length, 0) / 4),
          completionTokens: 90,
        },
        model: request.model,
        finishReason: "stop",
        raw: null,
      };
    },
  };
  const runnable = (app) => ({
    prepared: prepareApp(app.definition),
    blocks: app.blocks,
    children: app.children.map((c) => ({ name: c.name, inputs: c.inputs, app: runnable(c.app) })),
  });
  const provider = createRecordingProvider(scripted, cassette, Redactor.fromEnv(process.env));
  const root = runnable(loaded);
  const readings = await readInputFile(example.input, loaded.definition.inputSchema);
  const result = await runApp(root, chooseInput(readings, root.prepared.validateInput), { provider });
  console.log(`${cassette}: ${result.attempts.length} interaction(s) of the top app`);
}
