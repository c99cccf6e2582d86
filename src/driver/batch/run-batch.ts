/**
 * Many runs of one app: input lines → one record per line, handed back in input order, through
 * the scheduler (concurrency, AIMD, priorities) and under the session's budget (docs/batch.md).
 *
 * A line that fails is a record like any other; the batch goes on. When a budget is reached the
 * scheduler admits nothing more; lines in flight are cancelled (`cancel`: their signals are
 * aborted) or finished (`drain`). Lines that never ran, and lines cancelled, get a record that
 * says so (`BudgetExceededError` / `InterruptedError`, not final: `--resume` runs them again).
 * Lines already done (from a resumed results file) are handed back as they were, and not run.
 */
import type { ErrorPayload } from "../../runtime/app/errors.js";
import type { BudgetKind } from "../../runtime/shared/metrics.js";
import type { Budget, Spent } from "./budget.js";
import { isFinal, type LineRecord } from "./journal.js";
import type { Priority, Scheduler } from "./scheduler.js";

export interface BatchLine {
  /** The line's number in the input file (1-based). */
  readonly line: number;
  readonly text: string;
}

export type StopReason = BudgetKind | "interrupt";

/** Why a line did not run, or was cancelled: the error record's payload. */
export type NotRunPayload = (line: number, why: StopReason, cancelled: boolean) => ErrorPayload;

export interface RunBatchOptions {
  readonly lines: readonly BatchLine[];
  /** Final records of lines already done (`--resume`); they are not run again. */
  readonly done?: ReadonlyMap<number, LineRecord>;
  /** Runs one line; never throws (a failure is an error record). */
  readonly run: (line: BatchLine, signal: AbortSignal) => Promise<LineRecord>;
  readonly scheduler: Scheduler;
  readonly budget?: Budget;
  /** What happens to lines in flight when a budget is reached. */
  readonly budgetMode: "cancel" | "drain";
  readonly priority?: Priority;
  readonly notRun: NotRunPayload;
  /** Each record, in input order, as soon as every line before it has one. */
  readonly emit: (record: LineRecord, line: BatchLine) => void;
  /** Each final record of a line that ran, as it finishes (the journal). */
  readonly finished?: (record: LineRecord, line: BatchLine) => void;
  /** After each line settles. */
  readonly progress?: (state: BatchState) => void;
}

export interface BatchState {
  readonly total: number;
  /** Lines with a record (resumed ones included). */
  readonly done: number;
  readonly running: number;
}

export interface BatchSummary {
  readonly total: number;
  /** Lines taken from the results already on disk. */
  readonly resumed: number;
  readonly ok: number;
  readonly failed: number;
  /** Lines that never started. */
  readonly notRun: number;
  /** Lines stopped while running. */
  readonly cancelled: number;
  readonly stoppedBy: StopReason | undefined;
  readonly spent: Spent | undefined;
  readonly maxRunning: number;
  readonly elapsedMs: number;
}

/** A batch that is running: {@link BatchRun.done} settles with the summary. */
export class BatchRun {
  readonly done: Promise<BatchSummary>;
  #stoppedBy: StopReason | undefined;
  readonly #options: RunBatchOptions;

  constructor(options: RunBatchOptions) {
    this.#options = options;
    // Admission stops at once. Cancelling waits for the next turn of the event loop: the call
    // that reached the budget has its answer, and its line may finish with it.
    options.budget?.onReached((kind) => {
      this.#stop(kind, false);
      if (options.budgetMode === "cancel")
        setImmediate(() => this.#options.scheduler.abortRunning(new BatchStop(kind)));
    });
    this.done = this.#run();
  }

  /** Ctrl-C: admit nothing more and cancel what runs. */
  interrupt(): void {
    this.#stop("interrupt", true);
  }

  get stoppedBy(): StopReason | undefined {
    return this.#stoppedBy;
  }

  #stop(why: StopReason, cancel: boolean): void {
    if (this.#stoppedBy === undefined) this.#stoppedBy = why;
    this.#options.scheduler.stop();
    if (cancel) this.#options.scheduler.abortRunning(new BatchStop(why));
  }

  async #run(): Promise<BatchSummary> {
    const started = performance.now();
    const { lines, scheduler, notRun } = this.#options;
    const done = this.#options.done ?? new Map<number, LineRecord>();
    const records = new Array<LineRecord | undefined>(lines.length);
    let next = 0;
    let settled = 0;
    const counts = { ok: 0, failed: 0, notRun: 0, cancelled: 0, resumed: 0 };
    const flush = () => {
      while (next < lines.length && records[next] !== undefined) {
        this.#options.emit(records[next]!, lines[next]!);
        next += 1;
      }
    };
    const settle = (index: number, record: LineRecord) => {
      records[index] = record;
      settled += 1;
      flush();
      this.#options.progress?.({ total: lines.length, done: settled, running: scheduler.running });
    };

    const tasks = lines.map(async (line, index) => {
      const previous = done.get(line.line);
      if (previous !== undefined && isFinal(previous)) {
        counts.resumed += 1;
        settle(index, previous);
        return;
      }
      const outcome = await scheduler.run(
        async (signal): Promise<{ stopped: StopReason } | { record: LineRecord }> => {
          const record = await this.#options.run(line, signal);
          // A line that failed because a stop aborted its signal was cancelled; one that finished
          // (its last call may be the one that reached the budget) keeps its result.
          if (!record.ok && signal.aborted && signal.reason instanceof BatchStop)
            return { stopped: signal.reason.why };
          return { record };
        },
        this.#options.priority,
      );
      if (!outcome.ran) {
        counts.notRun += 1;
        const why = this.#stoppedBy ?? "interrupt";
        settle(index, { line: line.line, ok: false, error: notRun(line.line, why, false) });
        return;
      }
      if ("stopped" in outcome.value) {
        counts.cancelled += 1;
        settle(index, { line: line.line, ok: false, error: notRun(line.line, outcome.value.stopped, true) });
        return;
      }
      const { record } = outcome.value;
      if (record.ok) counts.ok += 1;
      else counts.failed += 1;
      this.#options.finished?.(record, line);
      settle(index, record);
    });
    await Promise.all(tasks);
    this.#options.budget?.close();
    return {
      total: lines.length,
      ...counts,
      stoppedBy: this.#stoppedBy,
      spent: this.#options.budget?.spent(),
      maxRunning: scheduler.maxRunning,
      elapsedMs: performance.now() - started,
    };
  }
}

/** The abort reason of a line cancelled by a budget or Ctrl-C. */
export class BatchStop extends Error {
  override readonly name = "BatchStop";
  constructor(readonly why: StopReason) {
    super(why === "interrupt" ? "interrupted" : `the ${why} budget was reached`);
  }
}
