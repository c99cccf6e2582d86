/**
 * README.md runs as written. Every ` ```sh ` block is run, in order, in a temporary folder that
 * holds copies of the examples and goldens and has this checkout installed as `rllmc` (as a
 * project that ran `npm install rllmc` would: `npx rllmc` finds its bin), each
 * command with its own exit code and the output the README claims for it (`doc-commands.ts`
 * says how the README marks them). `<run_id>` is filled from what an earlier command printed.
 * The ` ```ts ` program is run too, with Node's type stripping. Commands are spawned without a
 * shell: `NAME=value` prefixes become the environment, the rest is split like a shell would, and
 * a trailing `> FILE` writes the command's standard output to FILE.
 *
 * Model servers are local fakes that speak each provider's protocol: the Ollama example reaches a
 * fake Ollama through `OLLAMA_HOST`, the README's `http://127.0.0.1:8000` is the fake
 * OpenAI-compatible server's address, and `--provider openai` is pointed at it with
 * `LLM_BASE_URL`. Blocks marked `skip` are listed with their reason in the test's name.
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as shellParse } from "shell-quote";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOllama, startFakeOllama } from "../ollama/fake-ollama.js";
import { type FakeLlmServer, openAiCompletion, startFakeLlmServer } from "../support/fake-llm-server.js";
import { type DocBlock, docBlocks, quickStart } from "./doc-commands.js";

const ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));
/** README.md, and the quick-start sections of the docs. */
const DOCUMENTS: readonly { readonly name: string; readonly markdown: string }[] = [
  { name: "README.md", markdown: readFileSync(join(ROOT, "README.md"), "utf8") },
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .flatMap((f) => {
      const section = quickStart(readFileSync(join(ROOT, "docs", f), "utf8"));
      return section === undefined ? [] : [{ name: `docs/${f} (quick start)`, markdown: section }];
    }),
];
const SUMMARY = { title: "Cats", summary: "Cats purr when content.", key_points: ["Cats purr."] };
const KEYWORDS = { keywords: ["containers", "orchestration"] };

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
const ANSI = /\u001b\[[0-9;]*m/g;

it("should find quick starts in the docs", () => {
  expect(DOCUMENTS.length).toBeGreaterThan(1);
});

for (const document of DOCUMENTS) describeDocument(document.name, document.markdown);

function describeDocument(name: string, markdown: string): void {
  describe(name, () => {
    const blocks = docBlocks(markdown);
    let dir = "";
    let ollama: FakeOllama;
    let openai: FakeLlmServer;
    const captured = new Map<string, string>();

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "rllmc-doc-"));
      cpSync(join(ROOT, "examples"), join(dir, "examples"), { recursive: true });
      cpSync(join(ROOT, "goldens"), join(dir, "goldens"), { recursive: true });
      linkInstall(dir);
      ollama = await startFakeOllama({ models: ["llama3.2:3b"], answer: JSON.stringify(SUMMARY) });
      openai = await startFakeLlmServer({
        otherwise: { status: 500, body: { error: { message: "the README test scripted no more answers" } } },
      });
      openai.enqueue(
        { path: "/v1/chat/completions", body: openAiCompletion(JSON.stringify(KEYWORDS)) },
        { path: "/v1/chat/completions", body: openAiCompletion(JSON.stringify(SUMMARY)) },
      );
    });

    afterAll(async () => {
      await ollama?.close();
      await openai?.close();
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    });

    it("should have runnable blocks", () => {
      expect(blocks.filter((b) => b.skip === undefined).length).toBeGreaterThan(0);
    });

    for (const block of blocks) {
      const name = `${block.kind} block at line ${block.line}${block.skip === undefined ? "" : ` (not run: ${block.skip})`}`;
      it(`should run the ${name} as written`, async () => {
        if (block.skip !== undefined) {
          expect(block.skip.length).toBeGreaterThan(10); // a reason, not a bare skip
          return;
        }
        if (block.kind === "ts") await runProgram(block);
        else await runCommands(block);
      }, 180_000);
    }

    async function runProgram(block: DocBlock): Promise<void> {
      const file = join(dir, `program-line-${block.line}.ts`);
      writeFileSync(file, block.source);
      const result = await run(process.execPath, [file], { cwd: dir, env: process.env, input: "" });
      expect(result.stderr, `the ts block at line ${block.line} printed errors`).not.toMatch(/Error/);
      expect(result.status).toBe(0);
      expect(result.stdout.trim()).not.toBe("");
      for (const claim of block.claims) expect(result.stdout).toContain(claim.trim());
    }

    async function runCommands(block: DocBlock): Promise<void> {
      let output = "";
      for (const command of block.commands) {
        const text = command.text.replace(/<([a-z_]+)>/g, (whole, key: string) => {
          const value = captured.get(key);
          if (value === undefined)
            throw new Error(`line ${command.line}: nothing printed before fills ${whole}`);
          return value;
        });
        const words = shellParse(text, (name) => `$${name}`);
        const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", OLLAMA_HOST: ollama.url };
        let k = 0;
        for (; k < words.length; k++) {
          const word = words[k];
          if (typeof word !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) break;
          const at = word.indexOf("=");
          env[word.slice(0, at)] = word.slice(at + 1);
        }
        // `> FILE` at the end: the command's standard output goes to FILE, as in a shell.
        const last = words.at(-2);
        const redirect =
          typeof last === "object" && "op" in last && last.op === ">" && typeof words.at(-1) === "string"
            ? (words.at(-1) as string)
            : undefined;
        if (redirect !== undefined) words.splice(-2);
        const argv = words.slice(k).map((w) => {
          if (typeof w !== "string") throw new Error(`line ${command.line}: '${text}' needs a shell`);
          return block.fakeServers ? w.replace("http://127.0.0.1:8000", openai.url) : w;
        });
        if (block.fakeServers && /--provider (?:openai|anthropic)\b/.test(text))
          env.LLM_BASE_URL = `${openai.url}/v1`;
        const result = await run(argv[0]!, argv.slice(1), { cwd: dir, env, input: block.input ?? "" });
        if (redirect !== undefined) {
          mkdirSync(dirname(join(dir, redirect)), { recursive: true });
          writeFileSync(join(dir, redirect), result.stdout);
        }
        output = `${redirect === undefined ? result.stdout : ""}\n${result.stderr}`.replace(ANSI, "");
        for (const m of output.matchAll(/\bas run (\d{8}T\d{6}Z-[0-9a-f]+)/g)) captured.set("run_id", m[1]!);
        expect(
          { line: command.line, command: text, exit: result.status },
          `line ${command.line} printed:\n${output}`,
        ).toEqual({ line: command.line, command: text, exit: command.exitCode });
      }
      for (const claim of block.claims)
        expect(
          output,
          `the document claims the output of the block at line ${block.line} holds this line`,
        ).toContain(claim.trim());
    }
  });
}

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program without a shell and without blocking this process (the fake model servers
 * answer from it), with a time limit.
 */
function run(
  program: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; input: string },
): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
    // A program that exits without reading its input (cp, git init) closes the pipe first.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input);
  });
}

/**
 * `dir` as a project with this checkout installed: `node_modules/rllmc` links to it, its bins
 * are in `node_modules/.bin` beside those of its dependencies (the pinned `node` among them).
 */
function linkInstall(dir: string): void {
  writeFileSync(
    join(dir, "package.json"),
    '{ "name": "readme-walkthrough", "private": true, "type": "module" }\n',
  );
  const modules = join(ROOT, "node_modules");
  mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
  for (const entry of readdirSync(modules))
    if (!entry.startsWith(".")) symlinkSync(join(modules, entry), join(dir, "node_modules", entry));
  for (const bin of readdirSync(join(modules, ".bin")))
    symlinkSync(join(modules, ".bin", bin), join(dir, "node_modules", ".bin", bin));
  symlinkSync(ROOT, join(dir, "node_modules", "rllmc"));
  for (const bin of ["rllmc", "runbook", "runllm"])
    symlinkSync("../rllmc/dist/src/cli/main.js", join(dir, "node_modules", ".bin", bin));
}

describe("README.md's blocks", () => {
  it("should be read with their exit codes, claims and directives", () => {
    const blocks = docBlocks(
      [
        "<!-- readme-test: skip: needs a server of yours -->",
        "```sh",
        "npx rllmc check x",
        "```",
        "",
        '<!-- readme-test: input "next\\nquit" -->',
        "```sh",
        "# a comment",
        "npx runbook exec a.yaml \\",
        "  --mode dry-run   # exits 4: paused",
        "```",
        "",
        "```text",
        "Paused at step 1",
        "```",
      ].join("\n"),
    );
    expect(blocks).toEqual([
      expect.objectContaining({ skip: "needs a server of yours", commands: [expect.anything()] }),
      expect.objectContaining({
        input: "next\nquit",
        claims: ["Paused at step 1"],
        commands: [{ text: "npx runbook exec a.yaml --mode dry-run", line: 9, exitCode: 4 }],
      }),
    ]);
  });
});
