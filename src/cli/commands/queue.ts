/**
 * `rllmc queue status|failed|retry --redis URL`: what rllmc's queues on Redis hold.
 *   status             waiting, active, delayed, completed and failed jobs, and the workers, per queue
 *   failed             the failed jobs: id, file, attempts, when, and the structured error
 *   retry ID…|--all    puts failed jobs back in their queue, with fresh attempts
 * `--queue NAME` limits it to one queue; `--json` prints JSON on stdout. Exit 0, or 1 when `retry`
 * was given an id that is not a failed job, 2 for a usage error (a bad or unreachable URL).
 */

import { failedJobs, queueStatus, retryFailed, withQueues } from "../../driver/queue/admin.js";
import {
  checkRedis,
  parseRedisUrl,
  RedisUnreachableError,
  redactText,
} from "../../driver/queue/connection.js";
import { KIND_NAMES } from "../../driver/queue/kinds.js";
import { UsageError } from "../../driver/usage-error.js";
import { ExitCode } from "../exit-codes.js";
import { oneOf, parseOptions, withUsage } from "../options.js";
import { redisUrl } from "../queue-options.js";

export default function queue(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "queue", async () => {
    const { values, positionals } = parseOptions(args, {
      redis: { type: "string" },
      queue: { type: "string" },
      json: { type: "boolean" },
      all: { type: "boolean" },
    });
    const [action, ...ids] = positionals;
    if (action === undefined) throw new UsageError("expected status, failed or retry");
    oneOf("queue", action, ["status", "failed", "retry"] as const);
    if (action !== "retry" && (ids.length > 0 || values.all === true))
      throw new UsageError(`queue ${action} takes no job id${values.all === true ? " and no --all" : ""}`);
    if (action === "retry" && ids.length > 0 === (values.all === true))
      throw new UsageError("queue retry takes job ids (from 'queue failed') or --all, not both");
    const url = redisUrl(values, process.env);
    if (url === undefined) throw new UsageError(`queue ${action} needs --redis URL (or RLLMC_REDIS_URL)`);
    const target = parseRedisUrl(url);
    const names =
      values.queue === undefined ? KIND_NAMES : [oneOf("--queue", String(values.queue), KIND_NAMES)];
    try {
      await checkRedis(target);
    } catch (error) {
      if (error instanceof RedisUnreachableError) throw new UsageError(error.message);
      throw error;
    }
    const json = values.json === true;
    const print = (text: string) => process.stdout.write(redactText(text, target));
    return withQueues(target, names, async (queues) => {
      if (action === "status") {
        const statuses = await Promise.all(queues.map(queueStatus));
        if (json) print(`${JSON.stringify({ redis: target.redacted, queues: statuses }, null, 2)}\n`);
        else
          for (const s of statuses)
            print(
              `${s.queue}: ${s.waiting} waiting, ${s.active} active, ${s.delayed} delayed (retry backoff), ` +
                `${s.completed} completed, ${s.failed} failed; ${s.workers.length} ${s.workers.length === 1 ? "worker" : "workers"}` +
                `${s.workers.length === 0 ? "" : ` (${s.workers.join(", ")})`}\n`,
            );
        return ExitCode.Ok;
      }
      if (action === "failed") {
        const failed = (await Promise.all(queues.map((q) => failedJobs(q)))).flat();
        if (json) print(`${JSON.stringify({ redis: target.redacted, failed }, null, 2)}\n`);
        else {
          for (const f of failed)
            print(
              `${f.queue} ${f.id} ${f.name}: ${f.error.code}: ${f.error.message} ` +
                `(${f.attempts} ${f.attempts === 1 ? "attempt" : "attempts"}${f.error.worker === undefined ? "" : `, last on ${f.error.worker}`}` +
                `${f.failedAt === undefined ? "" : `, ${f.failedAt}`})\n`,
            );
          process.stderr.write(`${failed.length} failed ${failed.length === 1 ? "job" : "jobs"}.\n`);
        }
        return ExitCode.Ok;
      }
      const done = await retryFailed(queues, values.all === true ? "all" : ids);
      if (json) print(`${JSON.stringify(done, null, 2)}\n`);
      else {
        process.stderr.write(
          `Retried ${done.retried.length} failed ${done.retried.length === 1 ? "job" : "jobs"}.\n`,
        );
        for (const id of done.unknown) process.stderr.write(`${program}: no failed job '${id}'\n`);
      }
      return done.unknown.length > 0 ? ExitCode.Errors : ExitCode.Ok;
    });
  });
}
