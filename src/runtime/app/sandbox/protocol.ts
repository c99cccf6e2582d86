/**
 * The messages between the host and a sandbox worker (quickjs-worker.ts, pyodide-worker.ts).
 * Everything a block sees or returns crosses as a JSON string: no object is shared with the host.
 *
 * The worker files import this module with `import type` only, so that Node can run them straight
 * from `src/` by stripping their types, without resolving any relative import.
 */

/** Why a block failed; `details.reason` of the CodeBlockExecutionError. */
export type FailureReason = "error" | "timeout" | "memory" | "output";

/** One block to run. */
export interface RunRequest {
  readonly id: number;
  /** JS: the wrapped program (js-source.ts). Python: the block's code as written. */
  readonly source: string;
  /** A JSON object holding exactly the declared inputs. */
  readonly inputsJson: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly timeoutMs: number;
  readonly memoryBytes: number;
  readonly maxOutputBytes: number;
}

/** Sent by the worker just before the block's code starts, so that start-up is not timed. */
export interface StartedMessage {
  readonly id: number;
  readonly started: true;
}

export interface RunSuccess {
  readonly id: number;
  readonly ok: true;
  /** A JSON object holding the declared outputs. */
  readonly outputsJson: string;
}

export interface RunFailure {
  readonly id: number;
  readonly ok: false;
  readonly reason: FailureReason;
  /** The block's own message, e.g. `TypeError: x is not a function`. */
  readonly error: string;
  /** 1-based line of `source` the error points at, when known; the host maps it to the file. */
  readonly line?: number;
  /** The worker can no longer be trusted (memory breach, interpreter crash): the host ends it. */
  readonly fatal?: boolean;
}

export type RunReply = RunSuccess | RunFailure;
/**
 * Sent by the worker while the block still runs, when it has already breached a limit the block
 * could hide (e.g. by catching MemoryError): the host ends the worker at once and fails the block.
 */
export interface AbortMessage {
  readonly id: number;
  readonly abort: FailureReason;
  readonly error: string;
}

export type WorkerMessage = StartedMessage | AbortMessage | RunReply;
