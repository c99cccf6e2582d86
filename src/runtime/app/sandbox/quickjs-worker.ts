/**
 * Worker thread that runs `js` blocks in QuickJS (quickjs-emscripten, sync release build).
 *
 * Each block gets a fresh QuickJS runtime and context with a memory limit, a stack limit and an
 * interrupt handler that stops it at its deadline. No host function is exposed to the context:
 * the inputs go in as one JSON string and the result comes out as one (see js-source.ts). The
 * QuickJS module itself lives in this worker, not in the host, so that a builtin that runs long
 * between two interrupt checks, or a crash of the interpreter, costs a worker, never the host.
 *
 * This file is run by Node straight from `src/` (type stripping) as well as from `dist/`, so it
 * imports nothing relative but types.
 */
import { parentPort } from "node:worker_threads";
import { newQuickJSWASMModule, type QuickJSWASMModule, RELEASE_SYNC } from "quickjs-emscripten";
import type { FailureReason, RunReply, RunRequest } from "./protocol.js";

/** QuickJS's own stack limit; the worker's thread stack (worker-host resourceLimits) is far larger. */
const STACK_BYTES = 1024 * 1024;

const port = parentPort;
if (!port) throw new Error("quickjs-worker.ts must run in a worker thread");

let module: Promise<QuickJSWASMModule> | undefined;

port.on("message", (request: RunRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply),
    (error: unknown) =>
      port.postMessage({ id: request.id, ok: false, reason: "error", error: String(error), fatal: true }),
  );
});

async function handle(request: RunRequest): Promise<RunReply> {
  module ??= newQuickJSWASMModule(RELEASE_SYNC);
  const quickjs = await module;
  port?.postMessage({ id: request.id, started: true });
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(request.memoryBytes);
  runtime.setMaxStackSize(STACK_BYTES);
  const deadline = performance.now() + request.timeoutMs;
  let timedOut = false;
  runtime.setInterruptHandler(() => {
    timedOut ||= performance.now() > deadline;
    return timedOut;
  });
  const context = runtime.newContext();
  let reply: RunReply;
  try {
    const inputs = context.newString(request.inputsJson);
    context.setProp(context.global, "__rllm$inputs", inputs);
    inputs.dispose();
    const result = context.evalCode(request.source, "block.js");
    if (result.error) {
      const error = context.dump(result.error) as unknown;
      result.error.dispose();
      reply = timedOut
        ? { id: request.id, ok: false, reason: "timeout", error: `timed out after ${request.timeoutMs} ms` }
        : fromThrown(request.id, error);
    } else {
      const envelope = context.dump(result.value) as unknown;
      result.value.dispose();
      reply = fromEnvelope(request.id, envelope);
    }
  } catch (error) {
    // An exception of the WebAssembly machine itself (e.g. the thread's stack): the QuickJS
    // module may be inconsistent now, so this worker must not be reused.
    return {
      id: request.id,
      ok: false,
      reason: "error",
      error: `InternalError: ${describe(error)}`,
      fatal: true,
    };
  }
  try {
    context.dispose();
    runtime.dispose();
  } catch (error) {
    return {
      id: request.id,
      ok: false,
      reason: "error",
      error: `InternalError: ${describe(error)}`,
      fatal: true,
    };
  }
  return reply;
}

interface Described {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly stack?: unknown;
  readonly lineNumber?: unknown;
}

/** An error evalCode returned: a syntax error, or one thrown outside the block's try. */
function fromThrown(id: number, thrown: unknown): RunReply {
  // The block's own throws are caught by the program (js-source.ts), so an exception that is not
  // even an object is QuickJS failing to allocate the error of its memory limit.
  if (thrown === null || thrown === undefined)
    return { id, ok: false, reason: "memory", error: "InternalError: out of memory" };
  const error = (
    typeof thrown === "object" && thrown !== null ? thrown : { message: String(thrown) }
  ) as Described;
  const name = typeof error.name === "string" ? error.name : "Error";
  const message = typeof error.message === "string" ? error.message : String(thrown);
  const stack = typeof error.stack === "string" ? error.stack : "";
  const line = typeof error.lineNumber === "number" ? error.lineNumber : stackLine(stack);
  return {
    id,
    ok: false,
    reason: reasonOf(message),
    error: `${name}: ${message}`,
    ...(line ? { line } : {}),
  };
}

/** The result the program's epilogue produced (js-source.ts). */
function fromEnvelope(id: number, envelope: unknown): RunReply {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(String(envelope)) as Record<string, unknown>;
  } catch {
    return { id, ok: false, reason: "error", error: "the block did not finish normally" };
  }
  if (parsed.ok === true && typeof parsed.json === "string")
    return { id, ok: true, outputsJson: parsed.json };
  const message = typeof parsed.message === "string" ? parsed.message : "unknown error";
  if (parsed.kind === "output") return { id, ok: false, reason: "output", error: message };
  const name = typeof parsed.name === "string" && parsed.name !== "" ? `${parsed.name}: ` : "";
  const line = stackLine(typeof parsed.stack === "string" ? parsed.stack : "");
  return { id, ok: false, reason: reasonOf(message), error: `${name}${message}`, ...(line ? { line } : {}) };
}

/** The first line of the program a QuickJS stack names (the host maps it to the block's code). */
function stackLine(stack: string): number | undefined {
  const match = /block\.js:(\d+)/.exec(stack);
  return match ? Number(match[1]) : undefined;
}

/** QuickJS reports its memory limit as an InternalError with one of these messages. */
function reasonOf(message: string): FailureReason {
  return /^(out of memory|string too long)/.test(message) ? "memory" : "error";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
