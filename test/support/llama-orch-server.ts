/**
 * A llama-orch server for tests, on 127.0.0.1, written from the facts of its contracts
 * (/work/shared/notes/llama-orch.md: the OrchQueue v1 data plane, the v2 meta API and the Pact
 * of its CLI consumer). Nothing of llama-orch's own code or text is copied.
 *
 * What it does:
 * - `POST /v1/tasks` admits a task (202 `AdmissionResponse`), unless a scripted admission answer
 *   is queued ({@link LlamaOrchServer.enqueueAdmission}, e.g. {@link orchError}`("QUEUE_FULL_DROP_LRU")`),
 *   the body misses a required field or has `ctx`/`max_tokens` ≤ 0 (400 `INVALID_PARAMS`), or
 *   `capacity` tasks are already in flight (429 `ADMISSION_REJECT` with `Retry-After` and
 *   `X-Backoff-Ms`). In flight = admitted and not yet ended, failed, cut, cancelled or abandoned.
 * - `GET /v1/tasks/{id}/stream` sends the task's SSE events: `started`, `token`s with `i`,
 *   `metrics` frames, then `end` (or what the task's {@link StreamPlan} says: an `error` event
 *   mid-stream, a cut without `end`, gaps or duplicate `i`, the Pact's framing with a blank line
 *   between `event:` and `data:`). A task takes `latencyMs` from its admission to its `end`; its
 *   tokens are spread over that time, so a slow task is a long latency.
 * - `POST /v1/tasks/{id}/cancel` answers 204, records the id and stops the task's stream.
 * - `GET`/`DELETE /v1/sessions/{id}`: the session's info (tasks seen with it) / drop it (204).
 * - `GET /v2/meta/capabilities` (or `/v1/capabilities`, or neither: 404), `GET /v2/meta/version`,
 *   `GET /v1/replicasets` (optional).
 * - Every answer carries `X-Correlation-Id`: the one received (or a fresh one), or a different one
 *   with `correlation: "mismatch"`.
 *
 * Every request is recorded; {@link LlamaOrchServer.stats} counts admissions, rejections, the most
 * tasks in flight at once, cancelled ids. No vitest imports.
 */

import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseBody, readBody } from "./fake-llm-server.js";

/** The `TaskRequest` body as received (only the fields the server reads are typed). */
export interface OrchTask {
  readonly task_id: string;
  readonly session_id: string;
  readonly workload: string;
  readonly model_ref: string;
  readonly engine: string;
  readonly ctx: number;
  readonly priority: string;
  readonly max_tokens: number;
  readonly deadline_ms: number;
  readonly prompt?: string;
  readonly seed?: number;
  readonly determinism?: string;
  readonly sampler_profile_version?: string;
  readonly expected_tokens?: number;
  readonly kv_hint?: string;
  readonly [field: string]: unknown;
}

/** How one task's stream goes; every field optional. */
export interface StreamPlan {
  /** The tokens; default: the `answer` option's, split into words with their leading spaces. */
  readonly tokens?: readonly string[];
  /** The `i` of each token, to make gaps or duplicates; default 0, 1, 2, … */
  readonly indexes?: readonly number[];
  /** `pact`: a blank line between `event:` and `data:`, as the Pact's recorded stream has it. */
  readonly framing?: "standard" | "pact";
  /** Admission to `end`, in ms; default: the server's `latencyMs`. */
  readonly latencyMs?: number;
  /** `metrics` frames sent after `started` and before `end`; default one each, `[]` for none. */
  readonly metrics?: readonly Readonly<Record<string, unknown>>[];
  /** After this many tokens, an `error` event instead of the rest. */
  readonly errorAfter?: number;
  /** The `error` event's data; default `WORKER_RESET`. */
  readonly error?: Readonly<Record<string, unknown>>;
  /** After this many tokens, the connection closes without `end`. */
  readonly cutAfter?: number;
  /** `end.tokens_out`; default the number of tokens sent. */
  readonly tokensOut?: number;
  /** `end.decode_ms`; default the time from `started` to `end`. */
  readonly decodeMs?: number;
  /** `started`'s fields; default the admission's. */
  readonly queuePosition?: number;
  readonly predictedStartMs?: number;
  /** Answers the stream request itself with this status (and an error envelope) instead. */
  readonly status?: number;
}

/** A scripted answer to one `POST /v1/tasks`, used before the server's own admission logic. */
export interface AdmissionAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LlamaOrchServerOptions {
  /** Tasks in flight at once; an admission above answers 429 `ADMISSION_REJECT`. Default: unlimited. */
  readonly capacity?: number;
  /** `X-Backoff-Ms` of a capacity 429 (and `Retry-After` = ⌈ms/1000⌉ s). Default 100. */
  readonly capacityBackoffMs?: number;
  /** Admission to `end` of each task, in ms. Default 0. */
  readonly latencyMs?: number;
  /** The task's answer text (split into word tokens) or its tokens. Default: `"ok"`. */
  readonly answer?: (task: OrchTask) => string | readonly string[];
  /** How each task's stream goes (called once per task, at admission). */
  readonly stream?: (task: OrchTask, n: number) => StreamPlan;
  /** Default framing for every stream. */
  readonly framing?: "standard" | "pact";
  /** Scripted admission answers, consumed one per `POST /v1/tasks`, in order. */
  readonly admissions?: readonly AdmissionAnswer[];
  /**
   * Where discovery lives: `v2` (`/v2/meta/capabilities`, the default), `v1` (`/v1/capabilities`
   * only) or `none` (both 404).
   */
  readonly capabilities?: "v2" | "v1" | "none";
  /** The `engines` of the capabilities; default one `llamacpp` engine (see {@link defaultEngines}). */
  readonly engines?: readonly Readonly<Record<string, unknown>>[];
  /** `GET /v2/meta/version` answers (default true). */
  readonly version?: boolean;
  /** `GET /v1/replicasets` answers with the pool's load (default false: 404). */
  readonly replicasets?: boolean;
  /** `echo` (default): the request's id back; `mismatch`: another one; `omit`: no header. */
  readonly correlation?: "echo" | "mismatch" | "omit";
}

export interface RecordedOrchRequest {
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown;
  /** `performance.now()` when it arrived. */
  readonly at: number;
}

export interface LlamaOrchStats {
  /** Tasks admitted (202). */
  admitted: number;
  /** Admissions answered 429 (scripted or over capacity). */
  rejected: number;
  /** Admissions answered 400 for their parameters. */
  invalid: number;
  /** Tasks in flight now. */
  inFlight: number;
  /** The most tasks in flight at once. */
  maxInFlight: number;
  /** Tasks whose stream sent `end`. */
  completed: number;
  /** Task ids a `POST /v1/tasks/{id}/cancel` named, in order (known or not). */
  readonly cancelled: string[];
  /** Sessions a `DELETE /v1/sessions/{id}` dropped. */
  readonly droppedSessions: string[];
}

export interface LlamaOrchServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly requests: readonly RecordedOrchRequest[];
  readonly stats: LlamaOrchStats;
  /** Admitted tasks by id, as received. */
  readonly tasks: ReadonlyMap<string, OrchTask>;
  /** Queues scripted answers for the next admissions. */
  enqueueAdmission(...answers: AdmissionAnswer[]): void;
  /** The requests to one path prefix (e.g. `/v1/tasks`), for short assertions. */
  requestsTo(method: string, pathPrefix: string): RecordedOrchRequest[];
  /** Closes the server, every stream and timer. */
  close(): Promise<void>;
}

export const ORCH_SESSION_TTL_MS = 600_000;

/** The capabilities' engines unless overridden: one llamacpp engine with the pool's capacity. */
export function defaultEngines(capacity: number | undefined): Readonly<Record<string, unknown>>[] {
  return [
    {
      engine: "llamacpp",
      ctx_max: 8192,
      supported_workloads: ["completion", "embedding"],
      features: { streaming: true, cancel: true },
      rate_limits: capacity === undefined ? {} : { max_in_flight: capacity },
    },
  ];
}

/**
 * An error answer as the Pact shows it: the status of the code, an envelope with only `code`,
 * `engine` and `message` unless `extra` adds `retriable`, `retry_after_ms`, `policy_label`; the 429
 * codes also carry `Retry-After` (seconds) and `X-Backoff-Ms` unless `headers` says otherwise.
 */
export function orchError(
  code: OrchErrorCode,
  extra: Readonly<Record<string, unknown>> = {},
  headers?: Readonly<Record<string, string>>,
): AdmissionAnswer {
  const status = ERROR_STATUS[code];
  const backoffHeaders: Readonly<Record<string, string>> =
    status === 429
      ? {
          "Retry-After": code === "ADMISSION_REJECT" ? "2" : "1",
          "X-Backoff-Ms": code === "ADMISSION_REJECT" ? "2000" : "1000",
        }
      : {};
  return {
    status,
    body: { code, engine: "llamacpp", message: ERROR_MESSAGE[code], ...extra },
    headers: headers ?? backoffHeaders,
  };
}

export type OrchErrorCode = keyof typeof ERROR_STATUS;

const ERROR_STATUS = {
  ADMISSION_REJECT: 429,
  QUEUE_FULL_DROP_LRU: 429,
  INVALID_PARAMS: 400,
  POOL_UNREADY: 503,
  POOL_UNAVAILABLE: 503,
  REPLICA_EXHAUSTED: 503,
  DECODE_TIMEOUT: 500,
  WORKER_RESET: 500,
  INTERNAL: 500,
  DEADLINE_UNMET: 400,
  MODEL_DEPRECATED: 400,
  UNTRUSTED_ARTIFACT: 400,
} as const;

const ERROR_MESSAGE: Readonly<Record<OrchErrorCode, string>> = {
  ADMISSION_REJECT: "admission rejected by policy",
  QUEUE_FULL_DROP_LRU: "queue full; dropping least recently used",
  INVALID_PARAMS: "invalid parameters",
  POOL_UNREADY: "pool is not ready",
  POOL_UNAVAILABLE: "pool is unavailable",
  REPLICA_EXHAUSTED: "no replica has capacity",
  DECODE_TIMEOUT: "decode timed out",
  WORKER_RESET: "worker was reset",
  INTERNAL: "internal error",
  DEADLINE_UNMET: "deadline cannot be met",
  MODEL_DEPRECATED: "model is deprecated",
  UNTRUSTED_ARTIFACT: "artifact is not trusted",
};

const REQUIRED = [
  "task_id",
  "session_id",
  "workload",
  "model_ref",
  "engine",
  "ctx",
  "priority",
  "max_tokens",
  "deadline_ms",
] as const;

interface Running {
  readonly task: OrchTask;
  readonly plan: StreamPlan;
  readonly admittedAt: number;
  readonly queuePosition: number;
  readonly predictedStartMs: number;
  /** Set when the task left the pool (ended, failed, cut, cancelled, abandoned). */
  done: boolean;
  /** Wakes the stream's wait early (cancel, close). */
  wake?: () => void;
  cancelled: boolean;
}

export async function startLlamaOrchServer(options: LlamaOrchServerOptions = {}): Promise<LlamaOrchServer> {
  const requests: RecordedOrchRequest[] = [];
  const admissions: AdmissionAnswer[] = [...(options.admissions ?? [])];
  const tasks = new Map<string, OrchTask>();
  const running = new Map<string, Running>();
  const sessions = new Map<string, { turns: number; tokens: number }>();
  const timers = new Set<NodeJS.Timeout>();
  const stats: LlamaOrchStats = {
    admitted: 0,
    rejected: 0,
    invalid: 0,
    inFlight: 0,
    maxInFlight: 0,
    completed: 0,
    cancelled: [],
    droppedSessions: [],
  };
  let closed = false;
  let taskCount = 0;

  const leave = (run: Running) => {
    if (run.done) return;
    run.done = true;
    stats.inFlight--;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(599, { "content-type": "text/plain" });
      res.end(`llama-orch-server failed: ${String(error)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const method = req.method ?? "";
    const body = parseBody(text);
    requests.push({ method, path, headers: req.headers, body, at: performance.now() });
    const received = req.headers["x-correlation-id"];
    const sent = typeof received === "string" ? received : randomUUID();
    const correlation: Record<string, string> =
      options.correlation === "omit"
        ? {}
        : { "X-Correlation-Id": options.correlation === "mismatch" ? `other-${sent}` : sent };
    const json = (
      status: number,
      value: unknown,
      headers: Readonly<Record<string, string>> = {},
    ): undefined => {
      const bytes = Buffer.from(value === undefined ? "" : JSON.stringify(value), "utf8");
      res.writeHead(status, {
        ...(value === undefined ? {} : { "content-type": "application/json" }),
        "content-length": String(bytes.length),
        ...correlation,
        ...headers,
      });
      res.end(bytes);
    };
    const notFound = () => json(404, { code: "NOT_FOUND", message: `no route ${method} ${path}` });

    const streamOf = /^\/v1\/tasks\/([^/]+)\/stream$/.exec(path);
    const cancelOf = /^\/v1\/tasks\/([^/]+)\/cancel$/.exec(path);
    const sessionOf = /^\/v1\/sessions\/([^/]+)$/.exec(path);
    if (method === "POST" && path === "/v1/tasks") return admit(body, json);
    if (method === "GET" && streamOf !== null)
      return stream(decodeURIComponent(streamOf[1]!), res, correlation, json);
    if (method === "POST" && cancelOf !== null) {
      const id = decodeURIComponent(cancelOf[1]!);
      stats.cancelled.push(id);
      const run = running.get(id);
      if (run !== undefined && !run.done) {
        run.cancelled = true;
        leave(run);
        run.wake?.();
      }
      return json(204, undefined);
    }
    if (sessionOf !== null) {
      const id = decodeURIComponent(sessionOf[1]!);
      const session = sessions.get(id);
      if (session === undefined) return json(404, { code: "NOT_FOUND", message: `no session ${id}` });
      if (method === "GET")
        return json(200, {
          ttl_ms_remaining: ORCH_SESSION_TTL_MS,
          turns: session.turns,
          kv_bytes: session.tokens * 1024,
          kv_warmth: session.turns > 0,
        });
      if (method === "DELETE") {
        sessions.delete(id);
        stats.droppedSessions.push(id);
        return json(204, undefined);
      }
      return notFound();
    }
    if (method === "GET" && (path === "/v2/meta/capabilities" || path === "/v1/capabilities")) {
      const where = options.capabilities ?? "v2";
      if (
        (where === "v2" && path === "/v2/meta/capabilities") ||
        (where === "v1" && path === "/v1/capabilities")
      )
        return json(200, {
          api_version: where === "v2" ? "2.0.0" : "1.0.0",
          engines: options.engines ?? defaultEngines(options.capacity),
        });
      return notFound();
    }
    if (method === "GET" && path === "/v2/meta/version" && options.version !== false)
      return json(200, { api_version: "2.0.0", build_commit: "0123abc", build_time: "2026-01-01T00:00:00Z" });
    if (method === "GET" && path === "/v1/replicasets" && options.replicasets === true) {
      const total = options.capacity ?? 0;
      return json(200, [
        {
          id: "pool-0",
          engine: "llamacpp",
          slots_total: total,
          slots_free: Math.max(0, total - stats.inFlight),
          load: total === 0 ? 0 : stats.inFlight / total,
          slo: { p95_first_token_ms: 120 },
        },
      ]);
    }
    return notFound();
  }

  function admit(
    body: unknown,
    json: (status: number, value: unknown, headers?: Readonly<Record<string, string>>) => undefined,
  ): undefined {
    const scripted = admissions.shift();
    if (scripted !== undefined) {
      if (scripted.status === 429) stats.rejected++;
      if (scripted.status === 400) stats.invalid++;
      if (scripted.status !== 202) return json(scripted.status, scripted.body, scripted.headers);
    }
    const task = (typeof body === "object" && body !== null ? body : {}) as OrchTask;
    const missing = REQUIRED.filter((field) => task[field] === undefined);
    if (missing.length > 0 || !(task.ctx > 0) || !(task.max_tokens > 0)) {
      stats.invalid++;
      const why = missing.length > 0 ? `missing ${missing.join(", ")}` : "ctx and max_tokens must be > 0";
      return json(400, { code: "INVALID_PARAMS", engine: "llamacpp", message: `invalid parameters: ${why}` });
    }
    if (options.capacity !== undefined && stats.inFlight >= options.capacity) {
      stats.rejected++;
      const ms = options.capacityBackoffMs ?? 100;
      return json(
        429,
        {
          code: "ADMISSION_REJECT",
          engine: "llamacpp",
          message: `${stats.inFlight} tasks in flight, capacity ${options.capacity}`,
          retriable: true,
          retry_after_ms: ms,
          policy_label: "capacity",
        },
        { "Retry-After": String(Math.ceil(ms / 1000)), "X-Backoff-Ms": String(ms) },
      );
    }
    const n = taskCount++;
    const plan = options.stream?.(task, n) ?? {};
    const latency = plan.latencyMs ?? options.latencyMs ?? 0;
    const run: Running = {
      task,
      plan,
      admittedAt: performance.now(),
      queuePosition: stats.inFlight,
      predictedStartMs: Math.round(latency / 10),
      done: false,
      cancelled: false,
    };
    tasks.set(task.task_id, task);
    running.set(task.task_id, run);
    const session = sessions.get(task.session_id) ?? { turns: 0, tokens: 0 };
    session.turns++;
    sessions.set(task.session_id, session);
    stats.admitted++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const answer =
      scripted?.status === 202 && scripted.body !== undefined
        ? scripted.body
        : {
            task_id: task.task_id,
            queue_position: run.queuePosition,
            predicted_start_ms: run.predictedStartMs,
            backoff_ms: 0,
          };
    json(202, answer, scripted?.headers);
  }

  async function stream(
    id: string,
    res: ServerResponse,
    correlation: Readonly<Record<string, string>>,
    json: (status: number, value: unknown) => undefined,
  ): Promise<void> {
    const found = running.get(id);
    if (found === undefined) return json(404, { code: "NOT_FOUND", message: `no task ${id}` });
    const run: Running = found;
    const { plan, task } = run;
    if (plan.status !== undefined) {
      leave(run);
      return json(plan.status, { code: "INTERNAL", engine: task.engine, message: "stream refused" });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...correlation });
    res.on("close", () => {
      // The client went away (an abort without a cancel): the task leaves the pool.
      if (!res.writableFinished) leave(run);
      run.wake?.();
    });
    const framing = plan.framing ?? options.framing ?? "standard";
    const send = (event: string, data: unknown) => {
      if (res.destroyed) return;
      const gap = framing === "pact" ? "\n" : "";
      res.write(`event: ${event}\n${gap}data: ${JSON.stringify(data)}\n\n`);
    };
    const gone = () => run.cancelled || run.done || closed || res.destroyed;
    const until = async (at: number) => {
      const ms = at - performance.now();
      if (ms <= 0 || gone()) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        timers.add(timer);
        function done() {
          timers.delete(timer);
          clearTimeout(timer);
          run.wake = undefined;
          resolve();
        }
        run.wake = done;
      });
    };
    const tokens = plan.tokens ?? splitTokens(options.answer?.(task) ?? "ok");
    const latency = plan.latencyMs ?? options.latencyMs ?? 0;
    const startedAt = performance.now();
    send("started", {
      queue_position: plan.queuePosition ?? run.queuePosition,
      predicted_start_ms: plan.predictedStartMs ?? run.predictedStartMs,
    });
    const frames = plan.metrics ?? [
      { queue_depth: stats.inFlight, on_time_probability: 0.97, kv_warmth: false },
      { queue_depth: stats.inFlight, on_time_probability: 0.99, kv_warmth: true, tokens_per_s: 42 },
    ];
    if (frames[0] !== undefined) send("metrics", frames[0]);
    let sent = 0;
    for (let k = 0; k < tokens.length; k++) {
      await until(run.admittedAt + (latency * (k + 1)) / (tokens.length + 1));
      if (gone()) return finish();
      if (plan.cutAfter !== undefined && sent >= plan.cutAfter) return cut();
      if (plan.errorAfter !== undefined && sent >= plan.errorAfter) return fail();
      send("token", { t: tokens[k], i: plan.indexes?.[k] ?? k });
      sent++;
    }
    if (plan.cutAfter !== undefined && sent >= plan.cutAfter) return cut();
    if (plan.errorAfter !== undefined && sent >= plan.errorAfter) return fail();
    await until(run.admittedAt + latency);
    if (gone()) return finish();
    for (const frame of frames.slice(1)) send("metrics", frame);
    send("end", {
      tokens_out: plan.tokensOut ?? sent,
      decode_ms: plan.decodeMs ?? Math.round(performance.now() - startedAt),
    });
    const session = sessions.get(task.session_id);
    if (session !== undefined) session.tokens += sent;
    stats.completed++;
    leave(run);
    res.end();

    function finish() {
      leave(run);
      if (!res.destroyed) res.end();
    }
    function cut() {
      leave(run);
      res.socket?.end();
      res.destroy();
    }
    function fail() {
      send("error", plan.error ?? { code: "WORKER_RESET", message: "worker was reset", engine: task.engine });
      finish();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stats,
    tasks,
    enqueueAdmission: (...answers) => {
      admissions.push(...answers);
    },
    requestsTo: (method, prefix) => requests.filter((r) => r.method === method && r.path.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        for (const run of running.values()) run.wake?.();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Words with their leading spaces, so the tokens join back into the text. */
export function splitTokens(answer: string | readonly string[]): readonly string[] {
  if (typeof answer !== "string") return answer;
  const tokens = answer.match(/\s*\S+\s*$|\s*\S+/g) ?? [];
  return tokens.length === 0 ? [answer] : tokens;
}
