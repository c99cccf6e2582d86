/**
 * A scripted HTTP server on loopback that stands in for an LLM provider, so the HTTP adapters
 * are exercised through their real SDKs without touching the network.
 *
 * The server answers from a queue of {@link ScriptedResponse}s, one per request, in order; an
 * entry with a `path` waits for a request to that path. When the queue has nothing for a request,
 * the `otherwise` response answers (a fixed one, e.g. "500 forever"), or, without one, a 418 that
 * no adapter retries, so a test that under-scripts fails loudly instead of hanging. Every request
 * is recorded (method, path, headers, the body parsed as JSON). Besides plain answers the script
 * can delay, stall (never answer) and truncate (promise more bytes than it sends, then end or
 * destroy the socket).
 *
 * The builders at the end make success bodies in each protocol's shape. No vitest imports.
 */

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedResponse {
  /** Only a request to this path (query excluded) takes this entry; any request when absent. */
  readonly path?: string;
  /** 200 when absent. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as JSON. Content-Type is application/json unless set. */
  readonly body?: unknown;
  /** Waits this long before answering. */
  readonly delayMs?: number;
  /** Never answers; the connection stays open until the client gives up or the server closes. */
  readonly stall?: boolean;
  /**
   * Sends a Content-Length larger than the body, then the first half of the body, then
   * `end`s the socket (a clean FIN) or `destroy`s it (a reset).
   */
  readonly truncate?: "end" | "destroy";
}

export interface RecordedRequest {
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown;
}

export interface FakeLlmServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly RecordedRequest[];
  /** Requests that found nothing scripted (and no `otherwise`). */
  readonly unexpected: readonly RecordedRequest[];
  /** Appends to the queue. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** Closes the server and every connection, stalled ones included. */
  close(): Promise<void>;
}

export interface FakeLlmServerOptions {
  readonly script?: readonly ScriptedResponse[];
  /** Answers every request the queue has nothing for. */
  readonly otherwise?: ScriptedResponse;
}

export async function startFakeLlmServer(options: FakeLlmServerOptions = {}): Promise<FakeLlmServer> {
  const queue: ScriptedResponse[] = [...(options.script ?? [])];
  const requests: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(599, { "content-type": "text/plain" });
      res.end(`fake-llm-server failed: ${String(error)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path,
      headers: req.headers,
      body: parseBody(text),
    };
    requests.push(recorded);
    const index = queue.findIndex((r) => r.path === undefined || r.path === path);
    const scripted = index >= 0 ? queue.splice(index, 1)[0] : options.otherwise;
    if (scripted === undefined) {
      unexpected.push(recorded);
      send(res, {
        status: 418,
        body: { error: `fake-llm-server: nothing scripted for ${recorded.method} ${path}` },
      });
      return;
    }
    if (scripted.stall) return;
    if (scripted.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
    send(res, scripted);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    unexpected,
    enqueue: (...responses) => {
      queue.push(...responses);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function send(res: ServerResponse, scripted: ScriptedResponse): void {
  const body =
    scripted.body === undefined
      ? ""
      : typeof scripted.body === "string"
        ? scripted.body
        : JSON.stringify(scripted.body);
  const bytes = Buffer.from(body, "utf8");
  const headers: Record<string, string> = { "content-type": "application/json", ...scripted.headers };
  if (scripted.truncate === undefined) {
    res.writeHead(scripted.status ?? 200, { ...headers, "content-length": String(bytes.length) });
    res.end(bytes);
    return;
  }
  res.writeHead(scripted.status ?? 200, { ...headers, "content-length": String(bytes.length + 100) });
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
    if (scripted.truncate === "destroy") res.socket?.destroy();
    else res.socket?.end();
  });
}

/** A request's body as text (the test servers' shared reader). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A body parsed as JSON, else kept as text; undefined when empty. */
export function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Success bodies, in each protocol's shape.

export interface ReplyOptions {
  readonly model?: string;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** In the protocol's words (`stop`, `end_turn`, …); each builder has its own default. */
  readonly finishReason?: string;
}

/** A `POST /chat/completions` answer (OpenAI and the servers that copy it). */
export function openAiCompletion(text: string, options: ReplyOptions = {}): Record<string, unknown> {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 1_700_000_000,
    model: options.model ?? "gpt-fake",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: text, refusal: null },
        finish_reason: options.finishReason ?? "stop",
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: options.promptTokens ?? 11,
      completion_tokens: options.completionTokens ?? 7,
      total_tokens: (options.promptTokens ?? 11) + (options.completionTokens ?? 7),
    },
  };
}

/** A `POST /v1/messages` answer (Anthropic). */
export function anthropicMessage(text: string, options: ReplyOptions = {}): Record<string, unknown> {
  return {
    id: "msg_fake",
    type: "message",
    role: "assistant",
    model: options.model ?? "claude-fake",
    content: [{ type: "text", text }],
    stop_reason: options.finishReason ?? "end_turn",
    stop_sequence: null,
    usage: { input_tokens: options.promptTokens ?? 11, output_tokens: options.completionTokens ?? 7 },
  };
}

/** A non-streamed `POST /api/chat` answer (Ollama). */
export function ollamaChat(text: string, options: ReplyOptions = {}): Record<string, unknown> {
  return {
    model: options.model ?? "llama-fake",
    created_at: "2025-01-01T00:00:00Z",
    message: { role: "assistant", content: text },
    done: true,
    done_reason: options.finishReason ?? "stop",
    total_duration: 1_000_000,
    load_duration: 1000,
    prompt_eval_count: options.promptTokens ?? 11,
    prompt_eval_duration: 1000,
    eval_count: options.completionTokens ?? 7,
    eval_duration: 1000,
  };
}

/** A `GET /api/tags` answer (Ollama) listing these models. */
export function ollamaTags(names: readonly string[]): Record<string, unknown> {
  return {
    models: names.map((name) => ({
      name,
      model: name,
      modified_at: "2025-01-01T00:00:00Z",
      size: 2_000_000_000,
      digest: "0".repeat(64),
      details: {
        parent_model: "",
        format: "gguf",
        family: "llama",
        families: ["llama"],
        parameter_size: "3.2B",
        quantization_level: "Q4_K_M",
      },
    })),
  };
}
