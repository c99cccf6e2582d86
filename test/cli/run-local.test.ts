/**
 * `rllmc run` with the `local` provider on a real model — the tiny random-weight GGUF the test
 * suite generates — through the compiled bin: schema-constrained decoding end to end. The model
 * knows no language, so the answers are noise, but noise that always matches output_schema.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { tinyModelPath } from "../support/tiny-gguf.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

const OUTPUT_SCHEMA = {
  type: "object",
  required: ["label", "confidence", "tags"],
  additionalProperties: false,
  properties: {
    label: { enum: ["bug", "feature", "question"] },
    // node-llama-cpp's JSON-schema grammar does not enforce minimum/maximum; the recovery loop would.
    confidence: { type: "integer" },
    tags: { type: "array", maxItems: 2, items: { type: "string", maxLength: 6 } },
  },
};

function app(model: string, seed: number): string {
  return `---
name: classify
description: Classify a ticket.
version: 1.0.0
author: tests
max_context_window: 512
input_schema:
  type: object
  required: [ticket]
  additionalProperties: false
  properties:
    ticket: { type: string, maxLength: 60 }
output_schema: ${JSON.stringify(OUTPUT_SCHEMA)}
llm: { provider: local, model: ${JSON.stringify(model)} }
llm_params: { temperature: 0.8, seed: ${seed}, max_tokens: 150 }
---
Classify: {{ticket}}
`;
}

describe("rllmc run --provider local", () => {
  let dir: string;
  let model: string;

  beforeAll(async () => {
    model = await tinyModelPath();
    dir = mkdtempSync(join(tmpdir(), "rllmc-local-"));
  });

  it("should answer within output_schema on the first attempt, every time", () => {
    const validate = new Ajv2020({ strict: true }).compile(OUTPUT_SCHEMA);
    for (const seed of [1, 2, 3]) {
      const file = join(dir, `classify-${seed}.rllm`);
      writeFileSync(file, app(model, seed));
      const result = spawnSync(
        process.execPath,
        [BIN, "run", file, "--input", "The app crashes on start", "--verbose"],
        {
          cwd: ROOT,
          encoding: "utf8",
        },
      );
      expect(result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const output = JSON.parse(result.stdout);
      expect(validate(output), JSON.stringify(validate.errors)).toBe(true);
      expect(result.stderr).toContain("attempt 1  initial");
      expect(result.stderr).not.toContain("attempt 2");
      expect(result.stderr).toContain(`seed ${seed}`);
    }
  });

  it("should report a missing model file as a ProviderError", () => {
    const file = join(dir, "missing.rllm");
    writeFileSync(file, app(join(dir, "no-such-model.gguf"), 1));
    const result = spawnSync(process.execPath, [BIN, "run", file, "--input", "x"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(result.status).toBe(6);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error_type: "ProviderError",
      details: { failure: "unavailable" },
    });
    expect(JSON.parse(result.stdout).message).toContain("no-such-model.gguf");
  });
});
