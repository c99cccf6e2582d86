/**
 * Running a whole app: the executor's lifecycle (execute.ts) plus what surrounds one model call —
 * `pre` code blocks, the children declared in `uses`, `post` code blocks — for the CLI and for
 * compiled modules alike:
 *
 *   validate input → pre blocks → children, in declaration order → render → call → validate →
 *   post blocks → validate the output again → report the run (stats).
 *
 * A child is called like a function: its input is built from the parent's variables by the
 * mapping the parent declares (`inputs: {child_input: parent.path}`; without one, same-named
 * variables), it runs its own lifecycle with the same provider, and its validated output becomes
 * the parent's variable named after the child. Children run one after another, so a later child
 * may read an earlier one's output. A child's failure ends the parent's run with the child's own
 * error, its message prefixed with the chain of apps that led to it (`details.app_chain`).
 */
import { inSpan } from "../shared/telemetry.js";
import type { PreparedApp, SchemaViolation } from "./app.js";
import { AppErrors, appError, ERROR_CLASSES, type ErrorPayload, RllmError } from "./errors.js";
import { type Attempt, execute, type RunOptions, type RunResult } from "./execute.js";
import type { CodeBlockSpec, SandboxLimits } from "./sandbox/index.js";

export interface RunnableApp {
  readonly prepared: PreparedApp;
  /** `pre` and `post` blocks in file order. */
  readonly blocks: readonly CodeBlockSpec[];
  readonly children: readonly ChildCall[];
}

/** One entry of the parent's `uses`, ready to run. */
export interface ChildCall {
  /** The parent's variable that receives the child's output. */
  readonly name: string;
  /**
   * Child input name → dotted path into the parent's variables (`text`, `doc.body`,
   * `summary.title`). Undefined: every child input the parent has a same-named variable for.
   */
  readonly inputs: Readonly<Record<string, string>> | undefined;
  readonly app: RunnableApp;
}

/** What became of one app's run, for stats: every app in a composition reports its own. */
export interface AppRunReport {
  readonly app: PreparedApp["definition"];
  /** The apps above this one, outermost first; empty for the app that was called. */
  readonly callers: readonly string[];
  readonly result?: RunResult;
  readonly error?: RllmError;
  /** Every call to the model this app made (for a failed run too). */
  readonly attempts: readonly Attempt[];
  /** The model this app ran on (or was to run on, when it failed before calling it). */
  readonly model: string;
  readonly startedAt: Date;
  readonly durationMs: number;
}

export interface ComposeOptions extends RunOptions {
  /**
   * An app's `llm.model` → the model it runs on instead (e.g. a recommended model the Ollama
   * server has). `model`, when given, is every app's model and wins.
   */
  readonly models?: ReadonlyMap<string, string>;
  readonly sandbox?: SandboxLimits;
  /** Called once per app run (children first), after it ended either way. */
  readonly onAppFinished?: (report: AppRunReport) => void;
}

export interface ComposedResult extends RunResult {
  /** Each child's own result, in the order they ran. */
  readonly children: readonly { readonly name: string; readonly result: ComposedResult }[];
}

/** Runs an app (its children first) in its trace span, `app <name>`, under the caller's. */
export function runApp(
  app: RunnableApp,
  input: unknown,
  options: ComposeOptions,
  callers: readonly string[] = [],
): Promise<ComposedResult> {
  const definition = app.prepared.definition;
  return inSpan(
    `app ${definition.name}`,
    {
      "rllmc.app.name": definition.name,
      "rllmc.app.version": definition.version,
      "rllmc.app.depth": callers.length,
    },
    async (span) => {
      try {
        const result = await runAppUntraced(app, input, options, callers);
        span.setAttributes({ "rllmc.app.outcome": "ok", "rllmc.app.attempts": result.attempts.length });
        return result;
      } catch (error) {
        if (error instanceof RllmError) {
          span.setAttributes({
            "rllmc.app.outcome": "error",
            "rllmc.app.error_code": error.payload.error_code,
          });
          span.fail(error.payload.error_code);
        }
        throw error;
      }
    },
  );
}

async function runAppUntraced(
  app: RunnableApp,
  input: unknown,
  options: ComposeOptions,
  callers: readonly string[],
): Promise<ComposedResult> {
  const started = performance.now();
  const startedAt = new Date();
  const attempts: Attempt[] = [];
  const definition = app.prepared.definition;
  const chain = [...callers, definition.name];
  const children: { name: string; result: ComposedResult }[] = [];
  const preBlocks = app.blocks.filter((b) => b.phase === "pre");
  const postBlocks = app.blocks.filter((b) => b.phase === "post");
  let variables: Record<string, unknown> = {};
  // A model given for the whole run (--model, LLM_MODEL) wins; else a replacement the host chose
  // for this app's own model (a recommended model Ollama has); else the app's own.
  const model = options.model ?? options.models?.get(definition.llm.model);
  const report = (outcome: { result?: RunResult; error?: RllmError }) =>
    options.onAppFinished?.({
      app: definition,
      callers,
      ...outcome,
      attempts,
      model: model ?? definition.llm.model,
      startedAt,
      durationMs: performance.now() - started,
    });

  const pre = async (validated: unknown): Promise<unknown> => {
    variables = { ...(validated as Record<string, unknown>) };
    for (const block of preBlocks) Object.assign(variables, await runBlock(block, variables, options));
    for (const child of app.children) {
      const childInput = mapInput(child, variables);
      const result = await runApp(child.app, childInput, { ...options, hooks: {} }, chain);
      children.push({ name: child.name, result });
      variables[child.name] = result.output;
    }
    return variables;
  };
  const post = async (output: unknown): Promise<unknown> => {
    if (postBlocks.length === 0) return output;
    const fields = { ...(output as Record<string, unknown>) };
    for (const block of postBlocks)
      Object.assign(fields, await runBlock(block, { ...variables, ...fields }, options));
    const checked = app.prepared.validateOutput(fields);
    if (checked.errors.length > 0) throw offContract(postBlocks, checked.errors, definition);
    return checked.value;
  };

  try {
    const result = await execute(app.prepared, input, {
      ...options,
      ...(model === undefined ? {} : { model }),
      hooks: {
        ...options.hooks,
        onAttempt: (attempt) => {
          attempts.push(attempt);
          options.hooks?.onAttempt?.(attempt);
        },
        pre,
        post,
      },
    });
    const composed: ComposedResult = { ...result, children };
    report({ result: composed });
    return composed;
  } catch (error) {
    if (!(error instanceof RllmError)) throw error;
    report({ error });
    // A child's error arrives here already chained: pass it on untouched.
    if (isChained(error, chain.length) || callers.length === 0) throw error;
    throw chained(error, chain);
  }
}

/** The child's input: each mapped path read from the parent's variables; absent values are left out. */
export function mapInput(
  child: ChildCall,
  variables: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (child.inputs === undefined) {
    const properties = child.app.prepared.definition.inputSchema.properties;
    for (const name of Object.keys((properties as Record<string, unknown> | undefined) ?? {}))
      if (Object.hasOwn(variables, name) && variables[name] !== undefined) input[name] = variables[name];
    return input;
  }
  for (const [name, path] of Object.entries(child.inputs)) {
    const value = readPath(variables, path);
    if (value !== undefined) input[name] = value;
  }
  return input;
}

/** Reads a dotted path (`doc.body`, `this.text`); undefined where any step is missing. */
export function readPath(root: unknown, path: string): unknown {
  let current = root;
  for (const part of path.replace(/^this\./, "").split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

async function runBlock(
  block: CodeBlockSpec,
  variables: Readonly<Record<string, unknown>>,
  options: ComposeOptions,
): Promise<Record<string, unknown>> {
  // An optional input the caller left out reaches the block as null (None in Python).
  const values: Record<string, unknown> = {};
  for (const name of block.inputs) values[name] = variables[name] ?? null;
  // The sandboxes (QuickJS, Pyodide) load only when an app has a block to run.
  sandbox ??= import("./sandbox/index.js");
  const { runCodeBlock } = await sandbox;
  return runCodeBlock(block, values, options.sandbox);
}

let sandbox: Promise<typeof import("./sandbox/index.js")> | undefined;

/** Ends the sandboxes' worker if a block ever ran, so the process can exit at once. */
export async function closeSandboxes(): Promise<void> {
  if (sandbox !== undefined) await (await sandbox).closeSandboxes();
}

function offContract(
  blocks: readonly CodeBlockSpec[],
  errors: readonly SchemaViolation[],
  definition: PreparedApp["definition"],
): RllmError {
  const last = blocks.at(-1)!;
  const first = errors[0]!;
  const said = { app: definition.name, blocks: blocks.length, pointer: first.pointer, detail: first.message };
  return appError(AppErrors.PostBlocksOffContract, said, {
    details: {
      block: `${last.phase} ${last.language} ${last.name}`,
      location: last.location,
      phase: last.phase,
      language: last.language,
      reason: "output",
      errors,
    },
    expected_schema: definition.outputSchema,
  });
}

function isChained(error: RllmError, depth: number): boolean {
  const chain = error.payload.details.app_chain;
  return Array.isArray(chain) && chain.length > depth;
}

/** The child's error, said from the parent's side: the chain of apps first, details kept. */
function chained(error: RllmError, chain: readonly string[]): RllmError {
  const payload: ErrorPayload = error.payload;
  const hint =
    payload.recovery_hint === ERROR_CLASSES[payload.error_type].hint
      ? undefined
      : { recovery_hint: payload.recovery_hint };
  return new RllmError(payload.error_type, {
    message: `in ${chain.join(" → ")}: ${payload.message}`,
    details: { ...payload.details, app_chain: chain },
    expected_schema: payload.expected_schema,
    received_payload: payload.received_payload,
    ...hint,
  });
}
