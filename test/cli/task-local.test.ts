/**
 * `rllmc task run --provider local` on a real model — the tiny random-weight GGUF the test suite
 * generates — through the compiled bin, configured by the environment as a CI job runs it: the
 * answer schema (grammar/schemas/task-answer.schema.json, with its `oneOf` file entries) is
 * turned into a grammar by node-llama-cpp, the model decodes under it, and the answer goes
 * through the whole run.
 *
 * The model knows no language, and `task run` decodes greedily (temperature 0): a random model
 * then tends to repeat itself inside a string or an array that the schema leaves unbounded
 * (`content`, `files`) until the token limit, which cuts the JSON and ends off-contract. So the
 * model used here favours a few characters (tiny-gguf.ts, `favour`): `"` first, which ends
 * every string as soon as the grammar allows (after one character where `minLength` is 1), then
 * `a`, `{` and `]`, which decide the choices left open — one file entry named `a`, whose `oneOf`
 * branch (`content` or `delete`; `edits` needs an `e`, which the model never writes) is the
 * random part. The task's one output is that file `a`, so an answer in shape ends in a patch.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "../support/tiny-gguf.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");
const ANSWER_SCHEMA = JSON.parse(readFileSync(join(ROOT, "grammar/schemas/task-answer.schema.json"), "utf8"));

/** The exit codes of a run whose answer followed the answer contract (docs/task-spec.md). */
const IN_SHAPE = { patch: 0, outsideOutputs: 8, guarantee: 9, noChange: 11 } as const;
const OFF_CONTRACT = 5;

const TASK = `# Empty a file

\`\`\`yaml
name: empty-a
prompt: Empty the file a, or delete it.
outputs:
  - a
\`\`\`
`;

/** Environment variables of the developer's shell that would change the run. */
const FOREIGN = /^(LLM_|TASK_VAR_|RLLMC_CACHE_DIR$|REPO_ROOT$|CONTEXT_ROOT$|TRACKING_BREADCRUMB$)/;

describe("rllmc task run --provider local", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rllmc-task-local-"));
  });

  // Seeds 1 and 2 of the weights take the two branches of the file entry's oneOf (delete, content).
  it.each([1, 2])(
    "should answer in shape under the answer grammar when the model has seed %i",
    async (seed) => {
      const work = join(dir, `seed-${seed}`);
      const repo = join(work, "repo");
      const context = join(work, "context");
      mkdirSync(repo, { recursive: true });
      mkdirSync(join(context, "tasks"), { recursive: true });
      writeFileSync(join(repo, "a"), "hello\n");
      writeFileSync(join(context, "tasks", "empty-a.md"), TASK);
      const model = join(work, "tiny.gguf");
      // The prompt is a few thousand characters, one token each: more context than the default 512.
      await writeTinyGguf(model, { seed, contextLength: 16384, favour: { '"': 8, a: 6, "{": 4, "]": 2 } });
      const cassette = join(work, "answers.cassette.json");

      const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !FOREIGN.test(name)));
      const result = spawnSync(
        process.execPath,
        [
          BIN,
          "task",
          "run",
          "empty-a",
          "--provider",
          "local",
          "--model",
          model,
          "--max-tokens",
          "200",
          "--record",
          cassette,
          "--verbose",
        ],
        {
          cwd: work,
          encoding: "utf8",
          env: {
            ...env,
            TRACKING_BREADCRUMB: "user=ci",
            REPO_ROOT: repo,
            CONTEXT_ROOT: context,
            NO_COLOR: "1",
          },
        },
      );
      const said = `exit ${result.status}\n${result.stdout}${result.stderr}`;
      expect(result.stderr, said).not.toMatch(/\n\s+at .*:\d+:\d+/);
      expect(result.status, said).not.toBe(OFF_CONTRACT);
      expect(Object.values(IN_SHAPE), said).toContain(result.status);
      // The first answer was accepted: the grammar kept it inside the schema, no recovery needed.
      expect(result.stderr, said).toContain("attempt 1 (initial): answer accepted");
      expect(result.stderr, said).not.toContain("attempt 2");
      const recorded = JSON.parse(readFileSync(cassette, "utf8")) as {
        interactions: { response: { text: string; finish_reason: string } }[];
      };
      expect(recorded.interactions).toHaveLength(1);
      const response = recorded.interactions[0]!.response;
      expect(response.finish_reason).toBe("stop");
      const validate = new Ajv2020({ strict: true }).compile(ANSWER_SCHEMA);
      expect(validate(JSON.parse(response.text)), JSON.stringify(validate.errors)).toBe(true);
      if (result.status === IN_SHAPE.patch) {
        expect(result.stdout).toMatch(
          /^---COMMIT_MSG---\n[\s\S]+\n\nTracking: user=ci\n---PATCH---\ndiff --git a\/a b\/a\n/,
        );
      } else {
        expect(result.stdout).toBe("");
      }
    },
  );
});
