/**
 * The progress bar of `runbook compile` over many files: one line, rewritten with `\r` and an
 * erase-line escape, shown only when the stream is a terminal (never in logs, pipes or `--json`).
 */

export interface ProgressStream {
  write(text: string): unknown;
  readonly columns?: number;
}

export class Progress {
  #done = 0;

  constructor(
    readonly total: number,
    readonly stream: ProgressStream | undefined,
  ) {}

  /** Shows the bar before the file `label` is worked on. */
  tick(label: string): void {
    if (this.stream === undefined) return;
    const width = 24;
    const filled = Math.round((this.#done / this.total) * width);
    const head = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${this.#done}/${this.total} `;
    const room = Math.max(0, (this.stream.columns ?? 80) - head.length - 1);
    const shown = label.length > room ? `…${label.slice(label.length - room + 1)}` : label;
    this.stream.write(`\r\x1b[2K${head}${shown}`);
    this.#done += 1;
  }

  /** Shows the bar at `done` of the total, with `label` (a batch's figures) after it. */
  show(done: number, label: string): void {
    this.#done = done;
    this.tick(label);
    this.#done = done;
  }

  /** Clears the bar, so the summary line starts on a clean line. */
  done(): void {
    this.stream?.write("\r\x1b[2K");
  }
}
