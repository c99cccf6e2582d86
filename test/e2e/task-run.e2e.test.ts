/**
 * `rllmc task run` as a CI job runs it (issue 18, docs/task-spec.md): the built CLI
 * (dist/src/cli/main.js; `npm test` and `npm run e2e` build first) as a subprocess, configured by
 * the environment only, against a temp git repository and a context folder — both read-only for
 * the run, and snapshotted before and after so a write is caught also as root — and an
 * OpenAI-compatible server on 127.0.0.1 that scripts the model's answers and records every
 * request. Each case checks the exit code, that stdout is exactly the two blocks or nothing, and
 * what stderr says; a printed patch is applied with `git apply` to a writable copy of the
 * repository and the result compared byte for byte.
 *
 * The cases run concurrently, each in its own temp folder with its own server.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type FakeLlmServer,
  type FakeLlmServerOptions,
  openAiCompletion,
  type ScriptedResponse,
  startFakeLlmServer,
} from "../support/fake-llm-server.js";
import {
  type CliRun,
  cliEnv,
  git,
  initRepo,
  makeReadOnly,
  makeWorld,
  makeWritable,
  readBlocks,
  removeWorld,
  runCli,
  snapshot,
  type TaskWorld,
} from "../support/task-e2e.js";

const CORRELATION_ID = "e2e-4f2a9c";
const BREADCRUMB = `user=ci-bot roles=repo-writer time=2026-12-06T05:00:00Z correlation_id=${CORRELATION_ID}`;
const API_KEY = "sk-e2e-not-a-real-key";

// The repository: an edit, a file without a final newline, non-ASCII text, and files the task may not touch.
const REPO = {
  "README.md": "# Shop\n",
  "src/app.ts": "export const answer = 42;\n",
  "docs/guide.md": "# Guide\n\nStep one.\nStep two.\n",
  "docs/notes.txt": "first line\nlast line, no final newline",
  "docs/i18n.md": "# Grüße\n\nZürich, Kraków, 東京, Ελληνικά — ✓\n",
};

const CONTEXT = {
  "README.md": "The shop sells things. The orders service takes orders.\n",
  "standards/style.md": "Write short sentences.\n",
  "standards/terms.md": "Say 'order', not 'purchase'.\n",
  "tasks/update-docs.md": [
    "# Update the docs",
    "",
    "```yaml",
    "name: update-docs",
    "prompt: |",
    "  Document the {SERVICE} service: extend the guide, the notes and the greetings, and start a changelog.",
    "context:",
    "  - /workspace/context/README.md for system context",
    "  - /workspace/context/standards/ for writing standards",
    "outputs:",
    "  - docs/guide.md",
    "  - docs/notes.txt",
    "  - docs/i18n.md",
    "  - docs/changelog.md",
    "guarantees:",
    "  - The notes keep no final newline",
    "```",
    "",
  ].join("\n"),
  "tasks/openapi.md": [
    "# Describe the API",
    "",
    "```yaml",
    "prompt: Describe the {SERVICE} API as an OpenAPI document.",
    "outputs:",
    "  - docs/openapi.yaml",
    "guarantees:",
    "  - OpenAPI 3.1",
    "```",
    "",
  ].join("\n"),
  "tasks/leak.md": [
    "# Read through a symlink",
    "",
    "```yaml",
    "prompt: Summarise the notes.",
    "context:",
    "  - /workspace/context/notes.md for the notes",
    "outputs:",
    "  - docs/guide.md",
    "```",
    "",
  ].join("\n"),
  "tasks/leak-folder.md": [
    "# Read a folder with a symlink in it",
    "",
    "```yaml",
    "prompt: Summarise the standards.",
    "context:",
    "  - /workspace/context/standards for the standards",
    "outputs:",
    "  - docs/guide.md",
    "```",
    "",
  ].join("\n"),
};

const GOOD_ANSWER = {
  commit_message:
    "docs(orders): document the orders service\n\nThe guide gains a step, the notes a line, the greetings two cities,\nand a changelog starts.",
  files: [
    {
      path: "docs/guide.md",
      edits: [{ search: "Step two.\n", replace: "Step two.\nStep three: ask orders.\n" }],
    },
    { path: "docs/notes.txt", content: "first line\nsecond line\nlast line, still no final newline" },
    {
      path: "docs/i18n.md",
      content: "# Grüße\n\nZürich, Kraków, 東京, Ελληνικά — ✓\nSão Paulo, Reykjavík — 🚀\n",
    },
    { path: "docs/changelog.md", content: "# Changelog\n\n- Orders documented — naïve café ☕\n" },
  ],
};

/** What the repository holds after the good answer's patch is applied. */
const GOOD_RESULT: Record<string, string> = {
  ...REPO,
  "docs/guide.md": "# Guide\n\nStep one.\nStep two.\nStep three: ask orders.\n",
  "docs/notes.txt": "first line\nsecond line\nlast line, still no final newline",
  "docs/i18n.md": "# Grüße\n\nZürich, Kraków, 東京, Ελληνικά — ✓\nSão Paulo, Reykjavík — 🚀\n",
  "docs/changelog.md": "# Changelog\n\n- Orders documented — naïve café ☕\n",
};

const VALID_OPENAPI = [
  "openapi: 3.1.0",
  "info:",
  "  title: Orders",
  "  version: 1.0.0",
  "paths:",
  "  /orders:",
  "    get:",
  "      summary: List the orders",
  "      responses:",
  '        "200":',
  "          description: The orders",
  "",
].join("\n");
const OPENAPI_WITHOUT_INFO = VALID_OPENAPI.replace("info:\n  title: Orders\n  version: 1.0.0\n", "");

const reply = (answer: unknown): ScriptedResponse => ({
  body: openAiCompletion(typeof answer === "string" ? answer : JSON.stringify(answer)),
});
const openApiAnswer = (document: string) => ({
  commit_message: "docs(api): describe the orders API",
  files: [{ path: "docs/openapi.yaml", content: document }],
});
const SERVER_ERROR: ScriptedResponse = {
  status: 500,
  body: { error: { message: "the model is overloaded" } },
};

interface Setup {
  readonly repo?: Readonly<Record<string, string>>;
  readonly context?: Readonly<Record<string, string>>;
  /** Runs after the files are written and before the roots are made read-only. */
  readonly prepare?: (world: TaskWorld) => void;
  readonly server?: FakeLlmServerOptions;
}

interface Scene {
  readonly world: TaskWorld;
  readonly server: FakeLlmServer;
  /** `rllmc task run ARGS`, configured by the environment; `env` adds to it or (undefined) removes. */
  run(args: readonly string[], env?: Readonly<Record<string, string | undefined>>): Promise<CliRun>;
  closeServer(): Promise<void>;
}

/**
 * A temp repository and context folder, read-only while `body` runs, and a scripted server; after
 * `body`, every entry under both roots must be as it was (as root a mode stops no write, so this
 * is the proof), and the temp folder is removed.
 */
async function scene(setup: Setup, body: (scene: Scene) => Promise<void>): Promise<void> {
  const world = makeWorld();
  try {
    initRepo(world.repo, setup.repo ?? REPO);
    for (const [path, content] of Object.entries(setup.context ?? CONTEXT))
      world.file(join("context", path), content);
    setup.prepare?.(world);
    const server = await startFakeLlmServer(setup.server);
    let open = true;
    const closeServer = async () => {
      if (open) await server.close();
      open = false;
    };
    const before = [...snapshot(world.repo), ...snapshot(world.context)];
    const restore = makeReadOnly([world.repo, world.context]);
    try {
      await body({
        world,
        server,
        closeServer,
        run: (args, env = {}) =>
          runCli(["task", "run", ...args], {
            cwd: world.work,
            env: cliEnv({
              TRACKING_BREADCRUMB: BREADCRUMB,
              REPO_ROOT: world.repo,
              CONTEXT_ROOT: world.context,
              LLM_PROVIDER: "openai-compatible",
              LLM_BASE_URL: `${server.url}/v1`,
              LLM_MODEL: "e2e-model",
              LLM_API_KEY: API_KEY,
              TASK_VAR_SERVICE: "orders",
              ...env,
            }),
          }),
      });
    } finally {
      restore();
      await closeServer();
    }
    expect([...snapshot(world.repo), ...snapshot(world.context)], "the run wrote under a root").toEqual(
      before,
    );
  } finally {
    removeWorld(world);
  }
}

/** exit 0 and stdout exactly the two blocks, the commit message ending in the tracking line. */
function expectPatch(run: CliRun): { commitMessage: string; patch: string } {
  expect(run.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/); // never a stack trace
  expect(run.code, run.stderr).toBe(0);
  const blocks = readBlocks(run.stdout);
  expect(blocks, `stdout is not the two blocks:\n${run.stdout}`).toBeDefined();
  expect(blocks?.commitMessage.endsWith(`\n\nTracking: ${BREADCRUMB}`)).toBe(true);
  return blocks as { commitMessage: string; patch: string };
}

/** The exit code, nothing on stdout, and no stack trace on stderr. */
function expectFailure(run: CliRun, code: number): void {
  expect(run.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  expect(run.code, run.stderr).toBe(code);
  expect(run.stdout).toBe("");
}

/** Every request carried the correlation id and the key, and no absolute path of the temp folders. */
function expectCleanRequests(scene: Scene, count: number): void {
  expect(scene.server.requests).toHaveLength(count);
  expect(scene.server.unexpected).toHaveLength(0);
  for (const request of scene.server.requests) {
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers["x-correlation-id"]).toBe(CORRELATION_ID);
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    const body = JSON.stringify(request.body);
    for (const path of [scene.world.base, scene.world.repo, scene.world.context, `${tmpdir()}/`])
      expect(body.includes(path), `the request holds ${path}`).toBe(false);
  }
}

function promptOf(request: FakeLlmServer["requests"][number]): string {
  const messages = (request.body as { messages: { role: string; content: string }[] }).messages;
  return messages.map((m) => m.content).join("\n");
}

/** `git apply` of the patch in a writable copy of the repository; returns the copy. */
function applyInCopy(world: TaskWorld, patch: string, name: string): string {
  const copy = join(world.base, name);
  cpSync(world.repo, copy, { recursive: true });
  makeWritable(copy);
  git(copy, ["apply", "--whitespace=nowarn", "-"], patch);
  return copy;
}

/** Every file of `expected` in `root`, byte for byte, and git sees changes to exactly `changed`. */
function expectFiles(
  root: string,
  expected: Readonly<Record<string, string>>,
  changed: readonly string[],
): void {
  for (const [path, content] of Object.entries(expected))
    expect(readFileSync(join(root, path)).equals(Buffer.from(content, "utf8")), path).toBe(true);
  const status = git(root, ["-c", "core.quotePath=false", "status", "--porcelain", "--untracked-files=all"])
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.slice(3))
    .sort();
  expect(status).toEqual([...changed].sort());
}

describe.concurrent("rllmc task run, end to end", () => {
  it("should print the commit message and a patch that git applies to the proposed files when the answer is good", async () => {
    await scene({ server: { script: [reply(GOOD_ANSWER)] } }, async (s) => {
      const run = await s.run(["update-docs"]);
      const { commitMessage, patch } = expectPatch(run);
      expect(run.stdout).toBe(`---COMMIT_MSG---\n${commitMessage}\n---PATCH---\n${patch}`);
      expect(commitMessage).toBe(
        `docs(orders): document the orders service\n\nThe guide gains a step, the notes a line, the greetings two cities,\nand a changelog starts.\n\nTracking: ${BREADCRUMB}`,
      );
      expect(patch).toContain("diff --git a/docs/changelog.md b/docs/changelog.md\nnew file mode 100644\n");
      expect(patch).toContain("\\ No newline at end of file\n");
      expect(run.stderr).toContain("4 file(s) changed");
      expect(run.stderr).toContain("The notes keep no final newline"); // a guarantee no machine checks
      expectCleanRequests(s, 1);
      const prompt = promptOf(s.server.requests[0] as FakeLlmServer["requests"][number]);
      expect(prompt).toContain("Document the orders service");
      expect(prompt).toContain("Zürich, Kraków, 東京"); // outputs' current content
      expect(prompt).toContain("Say 'order', not 'purchase'."); // a context folder's file
      expect(prompt).not.toContain("export const answer"); // not in the context
      const copy = applyInCopy(s.world, patch, "applied");
      expectFiles(copy, GOOD_RESULT, [
        "docs/guide.md",
        "docs/notes.txt",
        "docs/i18n.md",
        "docs/changelog.md",
      ]);
    });
  });

  it("should ask again and succeed when the first answer is off the answer schema", async () => {
    const offSchema = { commit_message: "docs: something" }; // no files
    await scene({ server: { script: [reply(offSchema), reply(GOOD_ANSWER)] } }, async (s) => {
      const run = await s.run(["update-docs"]);
      const { patch } = expectPatch(run);
      expectCleanRequests(s, 2);
      const second = promptOf(s.server.requests[1] as FakeLlmServer["requests"][number]);
      expect(second).toContain("files"); // the schema error goes back to the model
      expectFiles(applyInCopy(s.world, patch, "applied"), GOOD_RESULT, Object.keys(GOOD_RESULT).slice(2));
    });
  });

  it("should exit 8 with the path named and print nothing when the answer changes a file outside outputs", async () => {
    const outside = {
      commit_message: "fix: also the app",
      files: [...GOOD_ANSWER.files, { path: "src/app.ts", content: "export const answer = 43;\n" }],
    };
    await scene({ server: { script: [reply(outside)] } }, async (s) => {
      const run = await s.run(["update-docs"]);
      expectFailure(run, 8);
      expect(run.stderr).toContain("'src/app.ts'");
      expectCleanRequests(s, 1); // not asked again
    });
  });

  it("should exit 9 and print nothing when the OpenAPI document is invalid twice", async () => {
    const bad = reply(openApiAnswer(OPENAPI_WITHOUT_INFO));
    await scene({ server: { script: [bad, bad] } }, async (s) => {
      const run = await s.run(["openapi"]);
      expectFailure(run, 9);
      expect(run.stderr).toContain("docs/openapi.yaml");
      expect(run.stderr).toMatch(/info/);
      expectCleanRequests(s, 2);
      const second = promptOf(s.server.requests[1] as FakeLlmServer["requests"][number]);
      expect(second).toContain("Your previous answer failed these checks");
    });
  });

  it("should print the patch when an invalid OpenAPI document is fixed on the second try", async () => {
    await scene(
      {
        server: { script: [reply(openApiAnswer(OPENAPI_WITHOUT_INFO)), reply(openApiAnswer(VALID_OPENAPI))] },
      },
      async (s) => {
        const run = await s.run(["openapi"]);
        const { patch } = expectPatch(run);
        expect(run.stderr).not.toContain("not checked by a machine"); // OpenAPI 3.1 was checked
        expectCleanRequests(s, 2);
        const copy = applyInCopy(s.world, patch, "applied");
        expectFiles(copy, { ...REPO, "docs/openapi.yaml": VALID_OPENAPI }, ["docs/openapi.yaml"]);
      },
    );
  });

  it("should retry a 500 and print the patch", async () => {
    await scene({ server: { script: [SERVER_ERROR, reply(GOOD_ANSWER)] } }, async (s) => {
      const run = await s.run(["update-docs"]);
      expectPatch(run);
      expectCleanRequests(s, 2);
    });
  });

  it("should exit 6 and print nothing when the server always answers 500", async () => {
    await scene({ server: { otherwise: SERVER_ERROR } }, async (s) => {
      const run = await s.run(["update-docs"]);
      expectFailure(run, 6);
      expect(run.stderr).toMatch(/500/);
      expectCleanRequests(s, 4); // the first try and three transport retries
    });
  });

  it("should exit 6 and print nothing when the server never answers", async () => {
    await scene({ server: { otherwise: { stall: true } } }, async (s) => {
      const run = await s.run(["update-docs"], { LLM_TIMEOUT_MS: "200" });
      expectFailure(run, 6);
      expect(run.stderr).toContain("no answer within 200 ms — 4 tries");
      // The tries are counted by the CLI: a stalled request whose body the busy test process had
      // not read when the CLI gave up and closed the socket is never recorded by the server.
      expect(s.server.requests.length).toBeGreaterThanOrEqual(1);
      expectCleanRequests(s, s.server.requests.length);
    });
  });

  it("should exit 11 and print nothing when no change is needed", async () => {
    await scene(
      { server: { script: [reply({ commit_message: "no change needed", files: [] })] } },
      async (s) => {
        const run = await s.run(["update-docs"]);
        expectFailure(run, 11);
        expect(run.stderr).toContain("no change needed");
        expectCleanRequests(s, 1);
      },
    );
  });

  it("should exit 2 before anything else when TRACKING_BREADCRUMB is missing", async () => {
    await scene({}, async (s) => {
      const run = await s.run(["update-docs"], { TRACKING_BREADCRUMB: undefined });
      expectFailure(run, 2);
      expect(run.stderr).toContain("TRACKING_BREADCRUMB");
      expect(s.server.requests).toHaveLength(0);
    });
  });

  it("should exit 2 with TSK4200 and call no model when a placeholder has no value", async () => {
    await scene({}, async (s) => {
      const run = await s.run(["update-docs"], { TASK_VAR_SERVICE: undefined });
      expectFailure(run, 2);
      expect(run.stderr).toContain("TSK4200");
      expect(run.stderr).toContain("SERVICE");
      expect(s.server.requests).toHaveLength(0);
    });
  });

  it("should exit 1 with TSK4201 and read nothing when a context path or a file in a context folder escapes through a symlink", async () => {
    const prepare = (world: TaskWorld) => {
      const secret = world.file("outside/secret.md", "the secret is 7f3a\n");
      symlinkSync(secret, join(world.context, "notes.md"));
      symlinkSync(secret, join(world.context, "standards", "secret.md"));
    };
    await scene({ prepare }, async (s) => {
      for (const task of ["leak", "leak-folder"]) {
        const run = await s.run([task]);
        expectFailure(run, 1);
        expect(run.stderr).toContain("TSK4201");
        expect(run.stderr).not.toContain("7f3a");
      }
      expect(s.server.requests).toHaveLength(0);
    });
  });

  it("should run the seed's example task unchanged (mount prefixes, a placeholder, a hidden schema folder)", async () => {
    const seedTask = readFileSync(new URL("./fixtures/seed-generate-openapi.md", import.meta.url), "utf8");
    const context = {
      "README.md": "The shop: a catalogue, orders and payments.\n",
      "api_standards.md":
        "Every list is paginated with `cursor` and `limit`. Errors use the standard envelope.\n",
      ".schemas/order.schema.json": '{ "type": "object", "required": ["id"] }\n',
      "architecture.yaml": "domains:\n  orders:\n    owns: [order]\n",
      "tasks/generate-openapi.md": seedTask,
    };
    const html =
      '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Orders API</title></head>\n<body><div id="explorer" data-spec="openapi.yaml"></div></body>\n</html>\n';
    const answer = {
      commit_message: "docs(api): add the orders API explorer",
      files: [
        { path: "docs/openapi.yaml", content: VALID_OPENAPI },
        { path: "docs/index.html", content: html },
      ],
    };
    await scene(
      { repo: { "README.md": "# Shop\n" }, context, server: { script: [reply(answer)] } },
      async (s) => {
        const run = await s.run(["generate-openapi"]);
        const { patch } = expectPatch(run);
        expect(run.stderr).toContain("No undocumented endpoints"); // unchecked, and said so
        expectCleanRequests(s, 1);
        const prompt = promptOf(s.server.requests[0] as FakeLlmServer["requests"][number]);
        expect(prompt).toContain("generate an OpenAPI based API explorer for the orders domain");
        expect(prompt).toContain("Errors use the standard envelope"); // /mounts/specifications → CONTEXT_ROOT
        expect(prompt).toContain('"required": ["id"]'); // the .schemas folder
        expect(prompt).not.toContain("/mounts/");
        const copy = applyInCopy(s.world, patch, "applied");
        expectFiles(copy, { "docs/openapi.yaml": VALID_OPENAPI, "docs/index.html": html }, [
          "docs/index.html",
          "docs/openapi.yaml",
        ]);
      },
    );
  });

  it("should print the same bytes with --frozen from the cache a live run filled, and exit 6 on an empty cache", async () => {
    await scene({ server: { script: [reply(GOOD_ANSWER)] } }, async (s) => {
      const cache = join(s.world.base, "cache");
      const empty = join(s.world.base, "empty-cache");
      mkdirSync(empty);
      const cold = await s.run(["update-docs", "--frozen"], { RLLMC_CACHE_DIR: empty });
      expectFailure(cold, 6);
      expect(cold.stderr).toContain("--frozen");
      expect(s.server.requests).toHaveLength(0);

      const live = await s.run(["update-docs"], { RLLMC_CACHE_DIR: cache });
      expectPatch(live);
      expectCleanRequests(s, 1);
      expect(readdirSync(join(cache, "task")).length).toBeGreaterThan(0);

      await s.closeServer();
      const frozen = await s.run(["update-docs", "--frozen"], { RLLMC_CACHE_DIR: cache });
      expectPatch(frozen);
      expect(frozen.stdout).toBe(live.stdout);
    });
  });
});
