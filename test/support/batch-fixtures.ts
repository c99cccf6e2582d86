/**
 * Apps, inputs and a bin runner for the `run --batch` tests: an `echo` app that answers
 * `{"id": "item-N"}` for the input `{"id": "item-N"}`, a parent that `uses` it, and helpers that
 * spawn the built bin (synchronously, or as a child process to time, interrupt or kill -9).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "dist/src/cli/main.js");

export function echoApp(
  options: { maxTokens?: number; provider?: string; name?: string; window?: number } = {},
): string {
  return `---
name: ${options.name ?? "echo"}
description: Echo an id.
version: 1.0.0
author: tests
max_context_window: ${options.window ?? 2048}
input_schema:
  type: object
  required: [id]
  additionalProperties: false
  properties:
    id: { type: string }
output_schema:
  type: object
  required: [id]
  additionalProperties: false
  properties:
    id: { type: string, pattern: "^item-" }
llm: { provider: ${options.provider ?? "openai-compatible"}, model: test-model }
llm_params: { ${options.maxTokens === undefined ? "temperature: 0" : `max_tokens: ${options.maxTokens}`} }
---
Echo the id {{id}} as JSON.
`;
}

/** A parent that asks its child `echo` first, then answers itself from the child's output. */
export function parentApp(): string {
  return `---
name: parent
description: Ask a child, then answer.
version: 1.0.0
author: tests
max_context_window: 2048
input_schema:
  type: object
  required: [id]
  additionalProperties: false
  properties:
    id: { type: string }
output_schema:
  type: object
  required: [id]
  additionalProperties: false
  properties:
    id: { type: string, pattern: "^item-" }
llm: { provider: openai-compatible, model: test-model }
llm_params: { max_tokens: 48 }
uses:
  - name: child
    path: echo.rllm
    inputs: { id: id }
---
The child said {{child.id}}; echo the id {{id}} as JSON.
`;
}

/** The `item-N` a prompt names (the last one, for a parent that quotes its child). */
export function idIn(prompt: string): string {
  const all = prompt.match(/item-\d+/g);
  return all?.at(-1) ?? "item-?";
}

export function tempDir(prefix = "rllmc-batch-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `n` input lines `{"id": "item-1"}` … into `dir/inputs.jsonl`. */
export function writeInputs(dir: string, n: number, name = "inputs.jsonl"): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    Array.from({ length: n }, (_, i) => `${JSON.stringify({ id: `item-${i + 1}` })}\n`).join(""),
  );
  return file;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LLM_|OLLAMA_HOST)/.test(k)),
  );
  return { ...clean, RLLMC_STATS: "off", ...extra };
}

/**
 * Runs the bin to its end. Asynchronously: the servers the tests start live in the test's own
 * process, and a synchronous spawn would stop them from answering.
 */
export async function rllmc(args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  const run = rllmcAsync(args, cwd, env);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), 60_000);
  const result = await run.done;
  clearTimeout(timer);
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

export interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

export function rllmcAsync(args: readonly string[], cwd: string, env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The JSON lines of a text. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The summary `--json` prints as the last line of stderr. */
export function summaryOf(stderr: string): Record<string, unknown> {
  const line = stderr
    .split("\n")
    .filter((l) => l.startsWith('{"summary"'))
    .at(-1);
  if (line === undefined) throw new Error(`no summary in stderr:\n${stderr}`);
  return (JSON.parse(line) as { summary: Record<string, unknown> }).summary;
}
