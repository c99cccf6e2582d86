/**
 * Prometheus metrics with prom-client (docs/observability.md), loaded only for `--metrics-port`
 * or `--metrics-file`: a {@link MetricsSink} (runtime/shared/metrics.ts) that counts every model
 * call and the budget spent, `/metrics` served on 127.0.0.1 while the command runs, and the same
 * metrics written at the end in the node_exporter textfile-collector format, atomically.
 *
 * Labels are names and codes only (provider, model, outcome, error code, direction): never a URL,
 * a key or anything from a prompt or an answer.
 */
import { statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dirname } from "node:path";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { UsageError } from "../driver/usage-error.js";
import { writeAtomic } from "../driver/write-atomic.js";
import type { BudgetKind, CallObservation, MetricsSink } from "../runtime/shared/metrics.js";
import { makeDirectory, WritePathError } from "../runtime/shared/write-file.js";

/** Latency buckets, in seconds: from a cached local answer to a long generation. */
const CALL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Queue-wait buckets, in seconds: none at all to minutes behind a busy pool. */
const QUEUE_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

/** The rllmc metrics, in a registry of their own. */
export class PrometheusSink implements MetricsSink {
  readonly registry = new Registry();
  private readonly calls = new Counter({
    name: "rllmc_llm_calls_total",
    help: "Model calls finished (each try of a retried call counts), by provider, model and outcome (ok or error).",
    labelNames: ["provider", "model", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: "rllmc_llm_errors_total",
    help: "Model calls that failed, by provider and error code (the backend's code, else the failure kind).",
    labelNames: ["provider", "code"] as const,
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: "rllmc_llm_tokens_total",
    help: "Tokens of finished calls as the provider reported them, by direction: in (prompt) or out (completion).",
    labelNames: ["provider", "model", "direction"] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: "rllmc_llm_call_duration_seconds",
    help: "From sending a model call to its answer or failure, in seconds.",
    labelNames: ["provider", "model", "outcome"] as const,
    buckets: CALL_BUCKETS,
    registers: [this.registry],
  });
  private readonly queueWait = new Histogram({
    name: "rllmc_llm_queue_wait_seconds",
    help: "Time a call waited in the backend's queue before it ran (backends that say: llama-orch), in seconds.",
    labelNames: ["provider", "model"] as const,
    buckets: QUEUE_BUCKETS,
    registers: [this.registry],
  });
  private readonly inFlight = new Gauge({
    name: "rllmc_llm_calls_in_flight",
    help: "Model calls sent and not finished yet.",
    labelNames: ["provider", "model"] as const,
    registers: [this.registry],
  });
  // One gauge per budget, each in its own unit (a metric has one unit).
  private readonly budget: Readonly<Record<BudgetKind, Gauge>> = {
    tokens: new Gauge({
      name: "rllmc_budget_spent_tokens",
      help: "Tokens (in and out) the session has spent, as counted against --budget-tokens.",
      registers: [this.registry],
    }),
    time: new Gauge({
      name: "rllmc_budget_spent_seconds",
      help: "Wall time the session has spent, in seconds, as counted against --budget-time.",
      registers: [this.registry],
    }),
    cost: new Gauge({
      name: "rllmc_budget_spent_cost",
      help: "What the session has spent in the price table's currency, as counted against --budget-cost.",
      registers: [this.registry],
    }),
  };

  callStarted(provider: string, model: string): void {
    this.inFlight.inc({ provider, model });
  }

  callFinished(o: CallObservation): void {
    const { provider, model, outcome } = o;
    this.inFlight.dec({ provider, model });
    this.calls.inc({ provider, model, outcome });
    this.duration.observe({ provider, model, outcome }, o.latencySeconds);
    if (outcome === "error") this.errors.inc({ provider, code: o.errorCode ?? "error" });
    if (o.tokensIn !== undefined) this.tokens.inc({ provider, model, direction: "in" }, o.tokensIn);
    if (o.tokensOut !== undefined) this.tokens.inc({ provider, model, direction: "out" }, o.tokensOut);
    if (o.queueWaitSeconds !== undefined) this.queueWait.observe({ provider, model }, o.queueWaitSeconds);
  }

  budgetSpent(kind: BudgetKind, total: number): void {
    this.budget[kind].set(total);
  }
}

export interface MetricsOptions {
  /** Serve `/metrics` on this port while the command runs. */
  readonly port?: number;
  /** The address to serve on; 127.0.0.1 unless given. */
  readonly host?: string;
  /** Write the textfile here when the command ends. */
  readonly file?: string;
}

export interface MetricsSession {
  readonly sink: PrometheusSink;
  /** `http://host:port/metrics` when serving. */
  readonly url: string | undefined;
  /** Stops serving and writes the file (throws WritePathError when it cannot be written). */
  finish(): Promise<void>;
}

/**
 * Makes the sink, starts serving (a port that cannot be had is a UsageError) and checks the
 * file's folder can be made (WritePathError), before the command runs.
 */
export async function startMetrics(options: MetricsOptions): Promise<MetricsSession> {
  const sink = new PrometheusSink();
  if (options.file !== undefined) checkWritable(options.file);
  let server: Server | undefined;
  let url: string | undefined;
  if (options.port !== undefined) {
    // The process's own metrics (CPU, memory, event-loop lag, GC) are served live, beside ours;
    // the textfile holds ours only (a finished process's gauges would be stale there).
    const processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
    const served = Registry.merge([sink.registry, processMetrics]);
    const host = options.host ?? "127.0.0.1";
    server = await listen(served, options.port, host);
    url = `http://${host.includes(":") ? `[${host}]` : host}:${options.port}/metrics`;
  }
  return {
    sink,
    url,
    finish: async () => {
      if (server !== undefined) await close(server);
      if (options.file !== undefined) writeAtomic(options.file, await sink.registry.metrics());
    },
  };
}

function listen(registry: Registry, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("rllmc serves its metrics at /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      () => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("the metrics could not be collected\n");
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EADDRINUSE"
          ? "the port is in use"
          : error.code === "EACCES"
            ? "permission denied (ports below 1024 need privileges)"
            : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
              ? `no such address here: '${host}'`
              : (error.code ?? error.message);
      reject(new UsageError(`--metrics-port ${port}: cannot serve metrics on ${host}:${port}: ${why}`));
    });
    server.listen(port, host, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The file's folder exists or can be made, and the file is not a folder. */
function checkWritable(file: string): void {
  makeDirectory(dirname(file) || ".");
  let folder = false;
  try {
    folder = statSync(file).isDirectory();
  } catch {
    // Not there yet: written at the end.
  }
  if (folder) throw new WritePathError(file, "it is a folder; give a file name");
}
