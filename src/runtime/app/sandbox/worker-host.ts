/**
 * One kept-alive sandbox worker thread, seen from the host. Blocks run one at a time; the worker
 * is started on first use and unref'd while idle, so it never keeps a process alive.
 *
 * The host owns the hard limits, whatever happens inside the worker:
 * - the worker has `startupMs` to load and announce that the block started;
 * - from then on it has the block's time limit plus `graceMs` to answer, or it is terminated
 *   (`Worker.terminate()` stops even a busy WebAssembly loop);
 * - a worker that crashes, exits, runs out of JS heap or reports itself unusable (`fatal`) is
 *   terminated, and the next block starts a fresh one.
 * Replies are checked before use: a worker is trusted no more than the code it runs.
 */
import { type ResourceLimits, Worker } from "node:worker_threads";
import type { FailureReason, RunReply, RunRequest, WorkerMessage } from "./protocol.js";

export interface SandboxWorkerOptions {
  /** What the errors call this sandbox, e.g. "the Python sandbox". */
  readonly name: string;
  readonly url: URL;
  readonly workerData?: unknown;
  readonly resourceLimits: ResourceLimits;
  /** Longest wait from sending a block until the worker says it started it. */
  readonly startupMs: number;
  /** Added to the block's time limit before the host stops waiting and terminates the worker. */
  readonly graceMs: number;
}

export class SandboxWorker {
  readonly #options: SandboxWorkerOptions;
  #worker: Worker | undefined;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SandboxWorkerOptions) {
    this.#options = options;
  }

  /** Runs one block after the ones already queued. Never rejects. */
  run(request: Omit<RunRequest, "id">): Promise<RunReply> {
    const job = this.#queue
      .then(() => this.#runNow(request))
      .catch(
        (error: unknown): RunReply => ({
          id: 0,
          ok: false,
          reason: "error",
          error: `${this.#options.name} could not start: ${error instanceof Error ? error.message : String(error)}`,
        }),
      );
    this.#queue = job;
    return job;
  }

  /** Ends the worker; a later `run` starts a new one. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #spawn(): Worker {
    const worker = new Worker(this.#options.url, {
      name: this.#options.name,
      workerData: this.#options.workerData,
      // Nothing of the host's environment, arguments or Node options reaches the worker.
      env: {},
      argv: [],
      execArgv: [],
      // The worker's own stdout/stderr are never mixed into the host's. They are not read either
      // (a flowing stream would keep the process alive); the sandboxes write nothing to them.
      stdout: true,
      stderr: true,
      resourceLimits: this.#options.resourceLimits,
    });
    worker.unref();
    // Failures during a run are handled by that run's listeners; these keep an idle worker's
    // failure from becoming an uncaught error of the host.
    worker.on("error", () => {});
    worker.on("exit", () => {
      if (this.#worker === worker) this.#worker = undefined;
    });
    return worker;
  }

  #terminate(worker: Worker): void {
    if (this.#worker === worker) this.#worker = undefined;
    worker.terminate().catch(() => {});
  }

  #runNow(request: Omit<RunRequest, "id">): Promise<RunReply> {
    const { name, startupMs, graceMs } = this.#options;
    this.#worker ??= this.#spawn();
    const worker = this.#worker;
    const id = this.#nextId++;
    return new Promise<RunReply>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (reply: RunReply, terminate: boolean): void => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        worker.unref();
        if (terminate || (!reply.ok && reply.fatal === true)) this.#terminate(worker);
        resolve(reply);
      };
      const fail = (reason: FailureReason, error: string): void =>
        finish({ id, ok: false, reason, error }, true);
      const onMessage = (received: unknown): void => {
        if (typeof received !== "object" || received === null) return;
        const message = received as Partial<WorkerMessage> & Record<string, unknown>;
        if (message.id !== id) return;
        if ("started" in message) {
          clearTimeout(timer);
          timer = setTimeout(
            () => fail("timeout", timeoutText(request.timeoutMs)),
            request.timeoutMs + graceMs,
          );
          return;
        }
        if ("abort" in message) {
          if (REASONS.has(message.abort) && typeof message.error === "string")
            fail(message.abort as FailureReason, message.error);
          return;
        }
        const reply = checkReply(message);
        finish(reply ?? { id, ok: false, reason: "error", error: `${name} sent a malformed reply` }, !reply);
      };
      const onError = (error: Error): void => {
        if ((error as { code?: unknown }).code === "ERR_WORKER_OUT_OF_MEMORY")
          fail("memory", `${name} ran out of JavaScript heap`);
        else fail("error", `${name} crashed: ${error.message}`);
      };
      const onExit = (code: number): void =>
        fail("error", `${name} stopped unexpectedly (exit code ${code})`);
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.ref();
      timer = setTimeout(() => fail("error", `${name} did not start within ${startupMs} ms`), startupMs);
      worker.postMessage({ ...request, id } satisfies RunRequest);
    });
  }
}

export function timeoutText(timeoutMs: number): string {
  return `timed out after ${timeoutMs} ms`;
}

const REASONS: ReadonlySet<unknown> = new Set<FailureReason>(["error", "timeout", "memory", "output"]);

/** The reply if it has the shape of one, else undefined. */
function checkReply(message: Record<string, unknown>): RunReply | undefined {
  const id = message.id as number;
  if (message.ok === true && typeof message.outputsJson === "string")
    return { id, ok: true, outputsJson: message.outputsJson };
  if (message.ok !== false || !REASONS.has(message.reason) || typeof message.error !== "string")
    return undefined;
  const line =
    Number.isInteger(message.line) && (message.line as number) > 0 ? (message.line as number) : undefined;
  return {
    id,
    ok: false,
    reason: message.reason as FailureReason,
    error: message.error,
    ...(line === undefined ? {} : { line }),
    ...(message.fatal === true ? { fatal: true } : {}),
  };
}
