/**
 * `rllmc worker --redis URL [--concurrency N] [--queues compile,run]`: a long-running worker that
 * takes jobs from rllmc's queues on Redis and runs them with the same driver functions as the
 * CLI (driver/queue/worker.ts). One line per job on stderr (no payload, no secret; the URL only
 * redacted). SIGTERM drains: no new job is taken, the jobs in hand finish, exit 0. Ctrl-C does
 * the same; a second Ctrl-C stops at once (exit 130; the jobs in hand go to another worker when
 * their lock expires). docs/scale-out.md.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { checkRedis, parseRedisUrl, RedisUnreachableError } from "../../driver/queue/connection.js";
import { KIND_NAMES } from "../../driver/queue/kinds.js";
import { DEFAULT_WORKER_SETTINGS } from "../../driver/queue/settings.js";
import { startWorker } from "../../driver/queue/worker.js";
import { UsageError } from "../../driver/usage-error.js";
import { ExitCode } from "../exit-codes.js";
import { oneOf, parseOptions, withUsage } from "../options.js";
import { intOption, redisUrl } from "../queue-options.js";

export default function worker(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "worker", async () => {
    const { values, positionals } = parseOptions(args, {
      redis: { type: "string" },
      concurrency: { type: "string" },
      queues: { type: "string" },
      name: { type: "string" },
      "cache-dir": { type: "string" },
      "lock-ms": { type: "string" },
      "stalled-interval-ms": { type: "string" },
      "max-stalled": { type: "string" },
      "inline-limit": { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`worker takes no file; unexpected '${positionals[0]}'`);
    const url = redisUrl(values, process.env);
    if (url === undefined) throw new UsageError("worker needs --redis URL (or RLLMC_REDIS_URL)");
    const target = parseRedisUrl(url);
    const queues = [
      ...new Set(
        String(values.queues ?? KIND_NAMES.join(","))
          .split(",")
          .map((q) => q.trim())
          .filter((q) => q !== ""),
      ),
    ];
    if (queues.length === 0) throw new UsageError("--queues names no queue");
    for (const queue of queues) {
      oneOf("--queues", queue, KIND_NAMES);
    }
    const settings = {
      concurrency: intOption(values, "concurrency", DEFAULT_WORKER_SETTINGS.concurrency, 1, 1000),
      lockMs: intOption(values, "lock-ms", DEFAULT_WORKER_SETTINGS.lockMs, 500, 3_600_000),
      stalledIntervalMs: intOption(
        values,
        "stalled-interval-ms",
        DEFAULT_WORKER_SETTINGS.stalledIntervalMs,
        100,
        3_600_000,
      ),
      maxStalled: intOption(values, "max-stalled", DEFAULT_WORKER_SETTINGS.maxStalled, 0, 100),
      inlineLimit: intOption(
        values,
        "inline-limit",
        DEFAULT_WORKER_SETTINGS.inlineLimit,
        0,
        512 * 1024 * 1024,
      ),
    };
    const name = (values.name as string | undefined) ?? `${hostname()}:${process.pid}`;
    if (!/^[A-Za-z0-9_.:@-]{1,100}$/.test(name))
      throw new UsageError("--name must be 1 to 100 letters, digits or _ . : @ -");
    const cacheDir =
      (values["cache-dir"] as string | undefined) ??
      process.env.RLLMC_RUNBOOK_CACHE ??
      join(".rllmc", "cache");
    try {
      await checkRedis(target);
    } catch (error) {
      if (error instanceof RedisUnreachableError) throw new UsageError(error.message);
      throw error;
    }
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    const running = await startWorker(target, {
      ...settings,
      name,
      queues,
      cacheDir,
      env: process.env,
      log,
    });
    log(
      `${name}: taking ${queues.join(", ")} jobs from ${target.redacted} (concurrency ${settings.concurrency}); SIGTERM or Ctrl-C drains`,
    );
    return await new Promise<number>((resolve) => {
      let interrupts = 0;
      const drain = (why: string) => {
        log(`${name}: ${why}: draining (finishing the jobs in hand, taking no new one)`);
        running.drain().then(() => {
          log(`${name}: drained after ${running.finished()} jobs; exiting`);
          resolve(ExitCode.Ok);
          // A client that never closed (Redis gone) must not keep the process alive.
          setTimeout(() => process.exit(ExitCode.Ok), 200).unref();
        });
      };
      process.on("SIGTERM", () => drain("SIGTERM"));
      process.on("SIGINT", () => {
        interrupts += 1;
        if (interrupts === 1) drain("Ctrl-C (again to stop now)");
        else {
          log(`${name}: stopping now; the jobs in hand go back to the queue when their lock expires`);
          running.stop().finally(() => {
            resolve(130);
            setTimeout(() => process.exit(130), 200).unref();
          });
        }
      });
    });
  });
}
