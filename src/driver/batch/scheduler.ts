/**
 * The batch scheduler: many tasks (app runs, TSG compiles) under a concurrency limit, on
 * `p-queue`. The limit is fixed (`--concurrency N`) or adapts (`--concurrency auto`) by AIMD, as
 * TCP's congestion control does: it starts from the backend's advertised capacity, halves when
 * the backend answers 429 (once per round: the 429s of calls sent before the last decrease are
 * the same congestion, already answered), and grows by one after a window of successful calls as
 * large as the current limit, never above `max`.
 *
 * Priorities are p-queue's: an `interactive` task waiting starts before any `batch` one. A
 * stopped scheduler (a budget reached, Ctrl-C) starts nothing more: each waiting task settles at
 * once as not run, so the caller still gets one outcome per task, in the order it wants.
 * Running tasks receive an abort signal the scheduler fires on {@link Scheduler.abortRunning}.
 */
import PQueue from "p-queue";

export type Priority = "interactive" | "batch";

const PRIORITY: Readonly<Record<Priority, number>> = { interactive: 1, batch: 0 };

/** `--concurrency auto` without a capacity from discovery starts here (docs/batch.md). */
export const DEFAULT_AUTO_START = 4;
/** `--max-concurrency` when not given. */
export const DEFAULT_MAX_CONCURRENCY = 64;

export interface SchedulerOptions {
  /** A fixed limit, or `auto` (AIMD from {@link SchedulerOptions.start}). */
  readonly concurrency: number | "auto";
  /** Where `auto` starts (the backend's `maxInFlight`); {@link DEFAULT_AUTO_START} when absent. */
  readonly start?: number;
  /** The ceiling of `auto` (and of a fixed limit). */
  readonly max?: number;
  /** Told each time `auto` changes the limit. */
  readonly onLimit?: (limit: number, why: "rate-limit" | "grow") => void;
}

/** What became of one task: its value, or that it never started (the scheduler was stopped). */
export type TaskOutcome<T> = { readonly ran: true; readonly value: T } | { readonly ran: false };

/** A call's place in the AIMD rounds, taken when it is sent and given back with its outcome. */
export type CallTicket = number;

export class Scheduler {
  readonly #queue: PQueue;
  readonly #auto: boolean;
  readonly #max: number;
  readonly #onLimit: SchedulerOptions["onLimit"];
  readonly #running = new Set<AbortController>();
  #stopped = false;
  #round = 0;
  #successes = 0;
  #maxRunning = 0;
  #halvings = 0;

  constructor(options: SchedulerOptions) {
    this.#auto = options.concurrency === "auto";
    this.#max = Math.max(1, options.max ?? DEFAULT_MAX_CONCURRENCY);
    const start =
      options.concurrency === "auto" ? (options.start ?? DEFAULT_AUTO_START) : options.concurrency;
    this.#queue = new PQueue({ concurrency: clamp(Math.floor(start), 1, this.#max) });
    this.#onLimit = options.onLimit;
  }

  /** The current concurrency limit. */
  get limit(): number {
    return this.#queue.concurrency;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running.size;
  }

  /** The most tasks that ever ran at once. */
  get maxRunning(): number {
    return this.#maxRunning;
  }

  /** How many times `auto` halved the limit. */
  get halvings(): number {
    return this.#halvings;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Queues a task; it starts when a slot is free and no task of a higher priority waits. Settles
   * with `{ran: false}` when the scheduler was stopped before the task started.
   */
  run<T>(task: (signal: AbortSignal) => Promise<T>, priority: Priority = "batch"): Promise<TaskOutcome<T>> {
    return this.#queue.add(
      async (): Promise<TaskOutcome<T>> => {
        if (this.#stopped) return { ran: false };
        const controller = new AbortController();
        this.#running.add(controller);
        if (this.#running.size > this.#maxRunning) this.#maxRunning = this.#running.size;
        try {
          return { ran: true, value: await task(controller.signal) };
        } finally {
          this.#running.delete(controller);
        }
      },
      { priority: PRIORITY[priority] },
    );
  }

  /** Starts no task from now on; waiting tasks settle as not run. */
  stop(): void {
    this.#stopped = true;
  }

  /** Aborts every running task's signal with `reason`. */
  abortRunning(reason: unknown): void {
    for (const controller of this.#running) controller.abort(reason);
  }

  /** Resolves when every task queued so far has settled. */
  idle(): Promise<void> {
    return this.#queue.onIdle();
  }

  /** A call is being sent: its ticket says which AIMD round it belongs to. */
  callSent(): CallTicket {
    return this.#round;
  }

  /** A call of round `ticket` was answered 429: halve the limit, once per round. */
  rateLimited(ticket: CallTicket): void {
    if (!this.#auto || ticket !== this.#round) return;
    this.#round += 1;
    this.#successes = 0;
    const next = Math.max(1, Math.floor(this.#queue.concurrency / 2));
    if (next === this.#queue.concurrency) return;
    this.#halvings += 1;
    this.#queue.concurrency = next;
    this.#onLimit?.(next, "rate-limit");
  }

  /** A call was admitted and answered: after a window of `limit` of them, grow by one. */
  succeeded(): void {
    if (!this.#auto) return;
    this.#successes += 1;
    if (this.#successes < this.#queue.concurrency || this.#queue.concurrency >= this.#max) return;
    this.#successes = 0;
    this.#queue.concurrency += 1;
    this.#onLimit?.(this.#queue.concurrency, "grow");
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
