/**
 * Worker thread that runs `python` blocks in Pyodide, loaded offline from the `pyodide` npm
 * package (its wasm, JS glue and python_stdlib.zip; no CDN, no package download).
 *
 * Pyodide in Node can reach the host in more ways than its `js` module, and a Python block can
 * always find the objects of the JS bridge, so the boundary is built here, in layers:
 *
 * 1. WebAssembly imports, replaced before the module is instantiated, so no Python or C code can
 *    call around them: shell commands (`system()` spawns a real `sh` in Emscripten on Node),
 *    sockets (Emscripten opens real WebSocket connections on Node), running JS from strings,
 *    and the heap growth that enforces the memory cap.
 * 2. Pyodide: no `js` / `pyodide_js` modules, `jsglobals` an empty null-prototype object, stdin
 *    at EOF, stdout/stderr dropped, no file system but the in-memory one (NODEFS and the other
 *    host-backed file systems are unregistered; nothing is mounted), package loading disabled.
 * 3. This thread's JS globals, for code that gets hold of a JS function anyway: `process`,
 *    `require`, `fetch`, `WebSocket` and the like are deleted; the Function/eval constructors
 *    throw; loading any module (`import()`, `require`) throws from a module hook. The worker's
 *    environment is empty (worker-host.ts).
 * 4. In Python, a guarded `__import__` (python-harness.ts) that names the refused modules.
 *
 * Imports nothing relative but types: Node runs this file straight from `src/` by type stripping.
 */
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { loadPyodide, type PyodideAPI } from "pyodide";
import type { RunReply, RunRequest } from "./protocol.js";

const port = parentPort;
if (!port) throw new Error("pyodide-worker.ts must run in a worker thread");
const harness = (workerData as { harness: string }).harness;

/** The wasm heap's size once Pyodide and the harness are loaded; a block may grow it by its limit. */
let baselineBytes = 0;
/** The wasm instance's memory (WebAssembly types are not in this project's libs). */
let memory: { readonly buffer: ArrayBuffer } | undefined;

/** The block running now: the heap size it may not grow past, and whether it tried to. */
let running: { readonly request: RunRequest; readonly heapCap: number; breached: boolean } | undefined;

/** wasi errno EACCES, as Emscripten numbers it. */
const EACCES = 2;

const ready = start();
ready.catch(() => {});

port.on("message", (request: RunRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        reason: "error",
        error: `the Python sandbox failed: ${describe(error)}`,
        fatal: true,
      }),
  );
});

async function handle(request: RunRequest): Promise<RunReply> {
  const run = await ready;
  port?.postMessage({ id: request.id, started: true });
  const current = { request, heapCap: baselineBytes + request.memoryBytes, breached: false };
  running = current;
  let text: string;
  try {
    text = String(run(JSON.stringify(request)));
  } catch (error) {
    if (current.breached) return memoryFailure(request);
    throw error;
  } finally {
    running = undefined;
  }
  if (current.breached) return memoryFailure(request);
  const envelope = JSON.parse(text) as {
    ok: boolean;
    json?: string;
    reason?: "error" | "memory" | "output";
    error?: string;
    line?: number | null;
  };
  if (envelope.ok) return { id: request.id, ok: true, outputsJson: envelope.json ?? "{}" };
  if (envelope.reason === "memory") return memoryFailure(request);
  return {
    id: request.id,
    ok: false,
    reason: envelope.reason ?? "error",
    error: envelope.error ?? "unknown error",
    ...(typeof envelope.line === "number" ? { line: envelope.line } : {}),
  };
}

/** A MemoryError may leave the interpreter short of memory for good: the host ends this worker. */
function memoryFailure(request: RunRequest): RunReply {
  return { id: request.id, ok: false, reason: "memory", error: memoryText(request.memoryBytes), fatal: true };
}

function memoryText(limit: number): string {
  return `MemoryError: exceeded the memory limit of ${limit} bytes`;
}

/** Loads Pyodide, locks it down and returns the harness's `run`. */
async function start(): Promise<(requestJson: string) => unknown> {
  const indexURL = fileURLToPath(new URL(".", import.meta.resolve("pyodide")));
  // The Emscripten module factory, imported by hand so that its wasm imports can be replaced.
  const asm = "pyodide/pyodide.asm.mjs";
  const { default: createModule } = (await import(asm)) as { default: (settings: object) => Promise<object> };
  const py = await loadPyodide({
    indexURL,
    jsglobals: Object.create(null) as object,
    // Replaces Emscripten's defaults too: `_` would otherwise hold this file's path on the host.
    env: { HOME: "/home/pyodide", _: "/usr/bin/python" },
    args: [],
    stdin: () => null,
    stdout: () => {},
    stderr: () => {},
    createPyodideModule: ((settings: EmscriptenSettings) => {
      const instantiate = settings.instantiateWasm;
      settings.instantiateWasm = (imports, done) =>
        instantiate?.(restrictImports(imports), (instance, module) => {
          memory = instance.exports.memory as typeof memory;
          done(instance, module);
        });
      return createModule(settings);
    }) as never,
  });
  const namespace = py.globals.get("dict")();
  py.runPython(harness, { globals: namespace });
  const run = namespace.get("run") as (requestJson: string) => unknown;
  lockDown(py);
  baselineBytes = memory?.buffer.byteLength ?? 0;
  return run;
}

interface EmscriptenSettings {
  instantiateWasm?: (
    imports: Record<string, Record<string, unknown>>,
    done: (instance: { readonly exports: Record<string, unknown> }, module: unknown) => void,
  ) => void;
}

/** Layer 1: the wasm imports that reach the host, replaced by refusals; the heap growth, capped. */
function restrictImports(imports: Record<string, Record<string, unknown>>) {
  const refuse = (value: number) => () => value;
  const replacements: Record<string, unknown> = {
    _emscripten_system: (command: number) => (command === 0 ? 0 : -1),
    emscripten_run_script: refuse(0),
    emscripten_run_script_int: refuse(0),
    emscripten_run_script_string: refuse(0),
    emscripten_async_run_script: refuse(0),
    emscripten_async_load_script: refuse(0),
    emscripten_async_wget: refuse(0),
    emscripten_async_wget_data: refuse(0),
    emscripten_async_wget2: refuse(-1),
    emscripten_async_wget2_data: refuse(-1),
    emscripten_websocket_new: refuse(-1),
    emscripten_create_worker: refuse(0),
  };
  for (const call of [
    "socket",
    "connect",
    "bind",
    "listen",
    "accept4",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
  ])
    replacements[`__syscall_${call}`] = refuse(-EACCES);
  for (const table of [imports.env, imports.wasi_snapshot_preview1]) {
    if (!table) continue;
    for (const [name, replacement] of Object.entries(replacements))
      if (name in table) table[name] = replacement;
    const grow = table.emscripten_resize_heap as ((bytes: number) => number) | undefined;
    if (grow)
      table.emscripten_resize_heap = (requested: number) => {
        if (running !== undefined && requested >>> 0 > running.heapCap) {
          // Python gets a MemoryError; the host, told now, ends the worker even if the block
          // catches it and goes on.
          if (!running.breached) {
            running.breached = true;
            const { id, memoryBytes } = running.request;
            port?.postMessage({ id, abort: "memory", error: memoryText(memoryBytes) });
          }
          return 0;
        }
        return grow(requested);
      };
  }
  return imports;
}

/** Layers 2 and 3: Pyodide's bridges and this thread's globals. */
function lockDown(py: PyodideAPI): void {
  py.setStdin({ error: true });
  py.setStdout({ write: (bytes: Uint8Array) => bytes.length });
  py.setStderr({ write: (bytes: Uint8Array) => bytes.length });
  py.unregisterJsModule("js");
  py.unregisterJsModule("pyodide_js");
  py.runPython(
    "import sys\nfor name in [n for n in sys.modules if n.partition('.')[0] in ('js', 'pyodide_js')]:\n    del sys.modules[name]",
    { globals: py.globals.get("dict")() },
  );
  const filesystems = (py.FS as unknown as { filesystems: Record<string, unknown> }).filesystems;
  for (const name of Object.keys(filesystems)) if (name !== "MEMFS") delete filesystems[name];
  const api = py as unknown as Record<string, unknown>;
  for (const name of [
    "mountNodeFS",
    "mountNativeFS",
    "loadPackage",
    "loadPackagesFromImports",
    "registerJsModule",
  ])
    api[name] = refused;

  const global = globalThis as Record<string, unknown>;
  for (const name of [
    "process",
    "require",
    "fetch",
    "WebSocket",
    "EventSource",
    "XMLHttpRequest",
    "BroadcastChannel",
    "navigator",
    "eval",
  ])
    delete global[name];
  for (const fn of [() => {}, async () => {}, function* () {}, async function* () {}])
    Object.defineProperty(Object.getPrototypeOf(fn), "constructor", { value: refused, writable: false });
  registerHooks({
    resolve: () => {
      throw new Error("loading modules is disabled in the rllm sandbox");
    },
  });
}

function refused(): never {
  throw new Error("not available in the rllm sandbox");
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Pyodide's errors carry a Python traceback; its last line is the error itself.
  return text.trim().split("\n").at(-1) ?? text;
}
