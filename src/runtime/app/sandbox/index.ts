/**
 * Runs the `:::pre` / `:::post` code blocks of an `.rllm` app in a sandbox: `js` in QuickJS,
 * `python` in Pyodide, each in a worker thread of its own kept alive between blocks.
 *
 * A block sees exactly its declared inputs, as deep copies (the values cross as JSON text), may
 * assign them and its declared outputs, and returns exactly its declared outputs, each a JSON
 * value. Every failure — an exception, the time or memory limit, an output that is missing, not
 * JSON or too big, a sandbox that crashed — is one CodeBlockExecutionError (RUN5001) whose
 * message names the block and whose details say why. docs/code-blocks.md describes the
 * guarantees and the limits of this sandbox.
 */
import { AppErrors, appError, type RllmError } from "../errors.js";
import { invalidJsName, JS_PRELUDE_LINES, jsProgram } from "./js-source.js";
import type { FailureReason, RunReply } from "./protocol.js";
import { PYTHON_HARNESS } from "./python-harness.js";
import { SandboxWorker } from "./worker-host.js";

export interface CodeBlockSpec {
  readonly phase: "pre" | "post";
  readonly language: "js" | "python";
  readonly name: string;
  /** The block's body as written. */
  readonly code: string;
  /** Declared input variable names (identifiers). */
  readonly inputs: readonly string[];
  /** Declared output variable names. */
  readonly outputs: readonly string[];
  /** Where the block starts, e.g. "examples/app.rllm:31:1", for error messages. */
  readonly location: string;
  /** 1-based line of the file that holds the code's first line, to map errors to file lines. */
  readonly codeLine: number;
}

export interface SandboxLimits {
  /** Wall-clock time the block's code may run, start-up excluded. Default 1000. */
  readonly timeoutMs?: number;
  /** Memory the block may allocate. Default 64 MiB. */
  readonly memoryBytes?: number;
  /** Size of the outputs as UTF-8 JSON. Default 1 MiB. */
  readonly maxOutputBytes?: number;
}

export const DEFAULT_LIMITS: Required<SandboxLimits> = {
  timeoutMs: 1000,
  memoryBytes: 64 * 1024 * 1024,
  maxOutputBytes: 1024 * 1024,
};

/** Loading Pyodide takes seconds (longer on a busy CI machine); it is not part of a block's time. */
const STARTUP_MS = 120_000;
/** How long past its deadline a block may take to report its own timeout before its worker is ended. */
const GRACE_MS = 250;

/** Run from `src/` (tests, type stripping) the workers are `.ts`; run from `dist/` they are `.js`. */
const WORKER_EXTENSION = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

const sandboxes = {
  js: new SandboxWorker({
    name: "the JavaScript sandbox",
    url: new URL(`./quickjs-worker${WORKER_EXTENSION}`, import.meta.url),
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 32 },
    startupMs: STARTUP_MS,
    graceMs: GRACE_MS,
  }),
  python: new SandboxWorker({
    name: "the Python sandbox",
    url: new URL(`./pyodide-worker${WORKER_EXTENSION}`, import.meta.url),
    workerData: { harness: PYTHON_HARNESS },
    resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 16 },
    startupMs: STARTUP_MS,
    graceMs: 0,
  }),
} as const;

/** Runs one block with `values` (a superset of its inputs) and returns its declared outputs. */
export async function runCodeBlock(
  block: CodeBlockSpec,
  values: Readonly<Record<string, unknown>>,
  limits: SandboxLimits = {},
): Promise<Record<string, unknown>> {
  const { timeoutMs, memoryBytes, maxOutputBytes } = { ...DEFAULT_LIMITS, ...definedOnly(limits) };
  const fail = (reason: FailureReason, error: string, line?: number): never => {
    throw blockError(block, reason, error, line);
  };

  const badName = [...block.inputs, ...block.outputs]
    .map((name) =>
      // Would set a prototype instead of a property on the host's objects.
      name === "__proto__"
        ? "'__proto__' is reserved"
        : block.language === "js"
          ? invalidJsName(name)
          : invalidPythonName(name),
    )
    .find((why) => why !== undefined);
  if (badName) fail("error", `variable ${badName}`);

  const inputs: Record<string, unknown> = {};
  for (const name of block.inputs) {
    if (!Object.hasOwn(values, name) || values[name] === undefined)
      fail("error", `input '${name}' has no value`);
    inputs[name] = values[name];
  }
  let inputsJson: string;
  try {
    inputsJson = JSON.stringify(inputs);
  } catch (error) {
    return fail(
      "error",
      `the inputs are not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  const source =
    block.language === "js" ? jsProgram(block.code, block.inputs, block.outputs, maxOutputBytes) : block.code;
  const reply = await sandboxes[block.language].run({
    source,
    inputsJson,
    inputs: block.inputs,
    outputs: block.outputs,
    timeoutMs,
    memoryBytes,
    maxOutputBytes,
  });
  if (!reply.ok) return fail(reply.reason, reply.error, fileLine(block, reply));
  return checkOutputs(block, reply.outputsJson, maxOutputBytes, fail);
}

/** Ends the kept-alive workers. Not needed for a process to exit: idle workers are unref'd. */
export async function closeSandboxes(): Promise<void> {
  await Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.close()));
}

/** The outputs as the host sees them: parsed from JSON, exactly the declared names. */
function checkOutputs(
  block: CodeBlockSpec,
  outputsJson: string,
  maxOutputBytes: number,
  fail: (reason: FailureReason, error: string) => never,
): Record<string, unknown> {
  if (Buffer.byteLength(outputsJson, "utf8") > maxOutputBytes)
    fail("output", `outputs are larger than the limit of ${maxOutputBytes} bytes of JSON`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(outputsJson);
  } catch {
    return fail("output", "the outputs are not JSON");
  }
  const result: Record<string, unknown> = {};
  for (const name of block.outputs) {
    const value =
      typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>)[name] : undefined;
    if (value === undefined || !Object.hasOwn(parsed as object, name))
      fail("output", `output '${name}' was not set`);
    result[name] = value;
  }
  return result;
}

function blockError(block: CodeBlockSpec, reason: FailureReason, error: string, line?: number): RllmError {
  const label = `${block.phase} ${block.language} ${block.name}`;
  const where = line === undefined ? "" : ` (line ${line})`;
  const said = { ...block, error, line };
  return appError(AppErrors.CodeBlockFailed, said, {
    details: {
      block: label,
      location: block.location,
      phase: block.phase,
      language: block.language,
      reason,
      error: `${error}${where}`,
      ...(line === undefined ? {} : { line }),
    },
  });
}

/** The file line an error points at, if it points into the block's code. */
function fileLine(block: CodeBlockSpec, reply: RunReply): number | undefined {
  if (reply.ok || reply.line === undefined) return undefined;
  const line = block.language === "js" ? reply.line - JS_PRELUDE_LINES : reply.line;
  const codeLines = block.code.split("\n").length;
  return line >= 1 && line <= codeLines ? block.codeLine + line - 1 : undefined;
}

const PYTHON_KEYWORDS = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except finally for " +
    "from global if import in is lambda nonlocal not or pass raise return try while with yield"
  ).split(" "),
);

function invalidPythonName(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `'${name}' is not an identifier`;
  if (PYTHON_KEYWORDS.has(name)) return `'${name}' is a keyword in Python`;
  return undefined;
}

function definedOnly(limits: SandboxLimits): SandboxLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}
