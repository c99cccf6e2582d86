import { describe, expect, it } from "vitest";
import type { AppDefinition } from "../../src/runtime/app/app.js";
import { prepareApp } from "../../src/runtime/app/compile-app.js";
import {
  type AppRunReport,
  mapInput,
  type RunnableApp,
  readPath,
  runApp,
} from "../../src/runtime/app/compose.js";
import { type ErrorPayload, RllmError } from "../../src/runtime/app/errors.js";
import type { CompletionRequest } from "../../src/runtime/app/provider.js";
import { scriptedProvider } from "../support/scripted-provider.js";

function definition(name: string, prompt: string, input: object, output: object, model = "m"): AppDefinition {
  return {
    name,
    prompt,
    inputSchema: { type: "object", ...input },
    outputSchema: { type: "object", ...output },
    llm: { provider: "scripted", model },
    llmParams: { temperature: 0 },
    maxContextWindow: 4096,
  };
}

const summary = definition(
  "summary",
  "SUMMARY of {{text}}",
  { required: ["text"], properties: { text: { type: "string" } } },
  { required: ["title"], properties: { title: { type: "string" } } },
  "small",
);
const keywords = definition(
  "keywords",
  "KEYWORDS of {{text}} (at most {{max}})",
  { required: ["text"], properties: { text: { type: "string" }, max: { type: "integer", default: 5 } } },
  { required: ["keywords"], properties: { keywords: { type: "array", items: { type: "string" } } } },
);
const parent = definition(
  "compose",
  "MERGE {{summary.title}} / {{json words.keywords}} / {{doc.body}}",
  { required: ["doc"], properties: { doc: { type: "object", properties: { body: { type: "string" } } } } },
  {
    required: ["title", "keywords"],
    properties: { title: { type: "string" }, keywords: { type: "array", items: { type: "string" } } },
  },
);

function leaf(def: AppDefinition): RunnableApp {
  return { prepared: prepareApp(def), blocks: [], children: [] };
}

const composed: RunnableApp = {
  prepared: prepareApp(parent),
  blocks: [],
  children: [
    { name: "summary", inputs: { text: "doc.body" }, app: leaf(summary) },
    { name: "words", inputs: { text: "summary.title" }, app: leaf(keywords) },
  ],
};

/** Answers by which app is asking (its prompt's first word). */
function answers(map: Record<string, string | (() => string)>) {
  return (request: CompletionRequest) => {
    const word = request.messages[0]!.content.split(" ")[0]!;
    const answer = map[word];
    if (answer === undefined) throw new Error(`no answer for ${word}`);
    return typeof answer === "function" ? answer() : answer;
  };
}

async function failure(promise: Promise<unknown>): Promise<ErrorPayload> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RllmError);
    return (error as RllmError).payload;
  }
  throw new Error("expected a failure");
}

describe("composition", () => {
  it("should call the children in order, map their inputs and render their typed outputs", async () => {
    const respond = answers({
      SUMMARY: '{"title": "Cats"}',
      KEYWORDS: '{"keywords": ["cat", "purr"]}',
      MERGE: '{"title": "Cats", "keywords": ["cat"]}',
    });
    const provider = scriptedProvider([respond, respond, respond]);
    const reports: AppRunReport[] = [];
    const result = await runApp(
      composed,
      { doc: { body: "Cats purr." } },
      { provider, onAppFinished: (r) => reports.push(r) },
    );
    expect(result.output).toEqual({ title: "Cats", keywords: ["cat"] });
    expect(provider.requests.map((r) => [r.model, r.messages[0]!.content])).toEqual([
      ["small", "SUMMARY of Cats purr."],
      ["m", "KEYWORDS of Cats (at most 5)"],
      ["m", 'MERGE Cats / ["cat","purr"] / Cats purr.'],
    ]);
    expect(result.children.map((c) => [c.name, c.result.output])).toEqual([
      ["summary", { title: "Cats" }],
      ["words", { keywords: ["cat", "purr"] }],
    ]);
    expect(reports.map((r) => [r.app.name, r.callers, r.error === undefined])).toEqual([
      ["summary", ["compose"], true],
      ["keywords", ["compose"], true],
      ["compose", [], true],
    ]);
  });

  it("should run every app on the override model when one is given", async () => {
    const respond = answers({
      SUMMARY: '{"title": "T"}',
      KEYWORDS: '{"keywords": []}',
      MERGE: '{"title": "T", "keywords": []}',
    });
    const provider = scriptedProvider([respond]);
    await runApp(composed, { doc: { body: "x" } }, { provider, model: "big" });
    expect(provider.requests.map((r) => r.model)).toEqual(["big", "big", "big"]);
    const mapped = scriptedProvider([respond]);
    await runApp(
      composed,
      { doc: { body: "x" } },
      { provider: mapped, models: new Map([["small", "tiny"]]) },
    );
    expect(mapped.requests.map((r) => r.model)).toEqual(["tiny", "m", "m"]);
  });

  it("should end the parent's run with the child's error and the chain of apps", async () => {
    const respond = answers({ SUMMARY: '{"title": 42}' });
    const provider = scriptedProvider([respond]);
    const reports: AppRunReport[] = [];
    const payload = await failure(
      runApp(
        composed,
        { doc: { body: "x" } },
        { provider, maxRetries: 0, onAppFinished: (r) => reports.push(r) },
      ),
    );
    expect(payload.error_type).toBe("OutputSchemaError");
    expect(payload.message).toMatch(
      /^in compose → summary: the answer of 'summary' does not match output_schema/,
    );
    expect(payload.details.app_chain).toEqual(["compose", "summary"]);
    expect(payload.expected_schema).toEqual(summary.outputSchema);
    expect(provider.requests).toHaveLength(1);
    expect(reports.map((r) => [r.app.name, r.error?.payload.error_type])).toEqual([
      ["summary", "OutputSchemaError"],
      ["compose", "OutputSchemaError"],
    ]);
  });

  it("should chain a grandchild's error once, with the whole path", async () => {
    const middle: RunnableApp = {
      prepared: prepareApp(
        definition(
          "middle",
          "MIDDLE {{inner.title}}",
          { required: ["text"], properties: { text: { type: "string" } } },
          {},
        ),
      ),
      blocks: [],
      children: [{ name: "inner", inputs: undefined, app: leaf(summary) }],
    };
    const top: RunnableApp = {
      prepared: prepareApp(
        definition("top", "TOP {{mid}}", { properties: { text: { type: "string" } } }, {}),
      ),
      blocks: [],
      children: [{ name: "mid", inputs: undefined, app: middle }],
    };
    const provider = scriptedProvider([answers({ SUMMARY: "not json" })]);
    const payload = await failure(runApp(top, { text: "hello" }, { provider, maxRetries: 0 }));
    expect(payload.details.app_chain).toEqual(["top", "middle", "summary"]);
    expect(payload.message.startsWith("in top → middle → summary: ")).toBe(true);
    expect(payload.message.match(/ in /g)).toBeNull();
  });

  it("should report a child input that fails the child's input_schema as the child's InputSchemaError", async () => {
    const provider = scriptedProvider([answers({})]);
    // doc.body absent: the child's required `text` is missing.
    const payload = await failure(runApp(composed, { doc: {} }, { provider }));
    expect(payload.error_type).toBe("InputSchemaError");
    expect(payload.details.app_chain).toEqual(["compose", "summary"]);
    expect(provider.requests).toHaveLength(0);
  });

  it("should map inputs by path and by name", () => {
    expect(readPath({ a: { b: [1] } }, "a.b")).toEqual([1]);
    expect(readPath({ a: 1 }, "this.a")).toBe(1);
    expect(readPath({ a: 1 }, "a.b")).toBeUndefined();
    expect(readPath({ a: { constructor: 1 } }, "a.toString")).toBeUndefined();
    const child = { name: "k", inputs: undefined, app: leaf(keywords) };
    expect(mapInput(child, { text: "t", other: 1, max: undefined })).toEqual({ text: "t" });
    expect(mapInput({ ...child, inputs: { text: "x.y" } }, { x: { y: "deep" } })).toEqual({ text: "deep" });
  });

  it("should run pre blocks before the prompt and post blocks after, validating the output again", async () => {
    const app: RunnableApp = {
      prepared: prepareApp(
        definition(
          "blocks",
          "TITLE {{text}} ({{length}}) {{#if note}}{{note}}{{/if}}",
          { required: ["text"], properties: { text: { type: "string" }, note: { type: "string" } } },
          { required: ["title"], properties: { title: { type: "string" }, words: { type: "integer" } } },
        ),
      ),
      blocks: [
        {
          phase: "pre",
          language: "js",
          name: "clean",
          code: "text = text.trim(); length = text.length; note = note === null ? 'none' : note;",
          inputs: ["text", "note"],
          outputs: ["text", "length", "note"],
          location: "blocks.rllm:20:1",
          codeLine: 21,
        },
        {
          phase: "post",
          language: "js",
          name: "count",
          code: "words = title.split(' ').length + text.length;",
          inputs: ["title", "text"],
          outputs: ["words"],
          location: "blocks.rllm:24:1",
          codeLine: 25,
        },
      ],
      children: [],
    };
    const provider = scriptedProvider(['{"title": "Two words"}']);
    const result = await runApp(app, { text: "  abc  " }, { provider });
    // The pre block's outputs reach the prompt; an absent optional input reached it as null.
    expect(provider.requests[0]!.messages[0]!.content).toBe("TITLE abc (3) none");
    // The post block sees the output's fields and the variables (text after the pre block).
    expect(result.output).toEqual({ title: "Two words", words: 5 });

    const offContract: RunnableApp = {
      ...app,
      blocks: [{ ...app.blocks[1]!, code: "words = 'many';" }],
    };
    const payload = await failure(
      runApp(offContract, { text: "x" }, { provider: scriptedProvider(['{"title": "T"}']) }),
    );
    expect(payload).toMatchObject({
      error_code: "RUN5001",
      error_type: "CodeBlockExecutionError",
      details: { block: "post js count", location: "blocks.rllm:24:1", reason: "output" },
    });
    expect(payload.message).toContain("/words must be integer");
  });
});
