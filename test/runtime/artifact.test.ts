import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type { AppDefinition } from "../../src/runtime/app.js";
import { type AppArtifact, prepareArtifact } from "../../src/runtime/artifact.js";
import { buildArtifact, prepareApp } from "../../src/runtime/compile-app.js";
import { execute } from "../../src/runtime/execute.js";
import { scriptedProvider } from "../support/scripted-provider.js";

const APP: AppDefinition = {
  name: "pick",
  source: "apps/pick.rllm",
  prompt:
    'Pick from {{#each options}}{{this}}{{#unless @last}}, {{/unless}}{{/each}} ({{json meta}}) <no escaping> & "quotes"',
  inputSchema: {
    type: "object",
    required: ["options"],
    properties: {
      options: { type: "array", items: { type: "string" }, maxItems: 5 },
      meta: { type: "object", default: { level: 1 } },
    },
  },
  outputSchema: {
    type: "object",
    required: ["choice"],
    additionalProperties: false,
    properties: { choice: { type: "string", maxLength: 10 }, note: { type: "string", default: "none" } },
  },
  llm: { provider: "null", model: "m" },
  llmParams: { seed: 3 },
  maxContextWindow: 1000,
};

async function loadArtifact(source: string): Promise<AppArtifact> {
  const dir = mkdtempSync(join(tmpdir(), "rllmc-artifact-"));
  const file = join(dir, "app.mjs");
  writeFileSync(file, source);
  return (await import(pathToFileURL(file).href)) as AppArtifact;
}

describe("compiled app artifacts", () => {
  it("should run exactly like the app compiled in memory", async () => {
    const artifact = await loadArtifact(buildArtifact(APP, { warnings: ["w"] }));
    expect((artifact as unknown as { warnings: string[] }).warnings).toEqual(["w"]);
    expect(artifact.definition).toEqual(APP);
    const answers = ['{"choice": "far too long an answer"}', '{"choice": "b"}'];
    const fromArtifact = scriptedProvider(answers);
    const inMemory = scriptedProvider(answers);
    const input = { options: ["a", "b"] };
    const a = await execute(prepareArtifact(artifact), input, { provider: fromArtifact });
    const b = await execute(prepareApp(APP), input, { provider: inMemory });
    expect(a.output).toEqual({ choice: "b", note: "none" });
    expect(a.output).toEqual(b.output);
    expect(fromArtifact.requests.map((r) => r.messages)).toEqual(inMemory.requests.map((r) => r.messages));
    expect(fromArtifact.requests[0]!.messages[0]!.content).toBe(
      'Pick from a, b ({"level":1}) <no escaping> & "quotes"',
    );
    expect(a.attempts[0]!.errors).toEqual(b.attempts[0]!.errors);
  });

  it("should reject the same inputs", async () => {
    const prepared = prepareArtifact(await loadArtifact(buildArtifact(APP)));
    expect(prepared.validateInput({ options: [1] }).errors.map((e) => [e.pointer, e.keyword])).toEqual([
      ["/options/0", "type"],
    ]);
  });
});
