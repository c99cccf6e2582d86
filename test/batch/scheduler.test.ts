/**
 * The batch scheduler (driver/batch/scheduler.ts): the limit, p-queue priorities, AIMD (halve
 * once per round of 429s, grow by one after a window of successes, never above the ceiling), and
 * a stop that settles waiting tasks as not run.
 */
import { describe, expect, it } from "vitest";
import { Scheduler } from "../../src/driver/batch/scheduler.js";

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Scheduler", () => {
  it("should never run more tasks than its fixed limit, and hand back every value", async () => {
    const scheduler = new Scheduler({ concurrency: 3 });
    let running = 0;
    let most = 0;
    const values = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        scheduler.run(async () => {
          running += 1;
          most = Math.max(most, running);
          await tick(2);
          running -= 1;
          return i;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(scheduler.maxRunning).toBe(3);
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => ({ ran: true, value: i })));
  });

  it("should start waiting interactive tasks before batch ones", async () => {
    const scheduler = new Scheduler({ concurrency: 1 });
    const order: string[] = [];
    const task = (name: string) => async () => {
      order.push(name);
      await tick(1);
    };
    const all = [
      scheduler.run(task("b1"), "batch"),
      scheduler.run(task("b2"), "batch"),
      scheduler.run(task("b3"), "batch"),
      scheduler.run(task("i1"), "interactive"),
      scheduler.run(task("i2"), "interactive"),
    ];
    await Promise.all(all);
    // b1 had started before the others were queued; then interactive first.
    expect(order).toEqual(["b1", "i1", "i2", "b2", "b3"]);
  });

  it("should halve an auto limit once per round of 429s, and grow it by one after a window of successes, up to the ceiling", () => {
    const changes: [number, string][] = [];
    const scheduler = new Scheduler({
      concurrency: "auto",
      start: 16,
      max: 18,
      onLimit: (l, why) => changes.push([l, why]),
    });
    expect(scheduler.limit).toBe(16);
    const round = scheduler.callSent();
    const sameRound = scheduler.callSent();
    scheduler.rateLimited(round);
    scheduler.rateLimited(sameRound); // the same congestion: already answered
    expect(scheduler.limit).toBe(8);
    scheduler.rateLimited(scheduler.callSent());
    expect(scheduler.limit).toBe(4);
    for (let i = 0; i < 3; i++) scheduler.succeeded();
    expect(scheduler.limit).toBe(4);
    scheduler.succeeded();
    expect(scheduler.limit).toBe(5);
    for (let i = 0; i < 200; i++) scheduler.succeeded();
    expect(scheduler.limit).toBe(18);
    expect(changes.slice(0, 3)).toEqual([
      [8, "rate-limit"],
      [4, "rate-limit"],
      [5, "grow"],
    ]);
    for (let i = 0; i < 10; i++) scheduler.rateLimited(scheduler.callSent());
    expect(scheduler.limit).toBe(1);
    expect(scheduler.halvings).toBe(6); // 16 → 8 → 4, then 18 → 9 → 4 → 2 → 1
  });

  it("should not adapt a fixed limit", () => {
    const scheduler = new Scheduler({ concurrency: 6 });
    scheduler.rateLimited(scheduler.callSent());
    for (let i = 0; i < 50; i++) scheduler.succeeded();
    expect(scheduler.limit).toBe(6);
  });

  it("should settle waiting tasks as not run once stopped, and abort the running ones' signals", async () => {
    const scheduler = new Scheduler({ concurrency: 2 });
    const reasons: unknown[] = [];
    const running = (i: number) =>
      scheduler.run(
        (signal) =>
          new Promise<number>((resolve) => {
            signal.addEventListener("abort", () => {
              reasons.push(signal.reason);
              resolve(i);
            });
          }),
      );
    const tasks = [running(0), running(1), running(2), running(3)];
    await tick(5);
    expect(scheduler.running).toBe(2);
    scheduler.stop();
    scheduler.abortRunning("budget");
    const outcomes = await Promise.all(tasks);
    expect(outcomes).toEqual([
      { ran: true, value: 0 },
      { ran: true, value: 1 },
      { ran: false },
      { ran: false },
    ]);
    expect(reasons).toEqual(["budget", "budget"]);
  });
});
