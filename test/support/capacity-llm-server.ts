/**
 * An OpenAI-compatible chat-completions server on 127.0.0.1 for batch tests: a capacity (429 with
 * `retry-after-ms` above K requests in flight), a latency per request, answers from a function
 * of the request, and token usage counted the way BPE tokenizers roughly do (a token per four
 * characters, four per message), the answer cut at `max_tokens` (finish_reason `length`) as a
 * real server cuts it. It records the most requests in flight, every prompt, and the requests
 * whose client went away before the answer (cancelled). No vitest imports.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
  readonly max_tokens?: number;
  readonly [key: string]: unknown;
}

export interface CapacityServerOptions {
  /** Requests answered at once; more get 429. Default: unlimited. */
  readonly capacity?: number;
  /** `retry-after-ms` of a 429. Default 20. */
  readonly retryAfterMs?: number;
  /** How long a request takes, in ms (a function of the request for uneven ones). Default 0. */
  readonly latencyMs?: number | ((request: ChatRequest) => number);
  /** The answer's text. */
  readonly answer: (request: ChatRequest) => string;
}

export interface CapacityServer {
  /** The base URL for `--base-url` (`http://127.0.0.1:<port>/v1`). */
  readonly url: string;
  readonly prompts: string[];
  readonly stats: {
    inFlight: number;
    maxInFlight: number;
    answered: number;
    rejected: number;
    cancelled: number;
  };
  /** Tokens the server billed: prompt and answer, summed over the answered requests. */
  readonly billed: { prompt: number; completion: number };
  close(): Promise<void>;
}

export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export async function startCapacityServer(options: CapacityServerOptions): Promise<CapacityServer> {
  const stats = { inFlight: 0, maxInFlight: 0, answered: 0, rejected: 0, cancelled: 0 };
  const billed = { prompt: 0, completion: 0 };
  const prompts: string[] = [];
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatRequest;
    if (options.capacity !== undefined && stats.inFlight >= options.capacity) {
      stats.rejected += 1;
      res.writeHead(429, {
        "content-type": "application/json",
        "retry-after-ms": String(options.retryAfterMs ?? 20),
      });
      res.end(JSON.stringify({ error: { message: "over capacity", type: "rate_limit" } }));
      return;
    }
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    prompts.push(request.messages.map((m) => m.content).join("\n"));
    const latency =
      typeof options.latencyMs === "function" ? options.latencyMs(request) : (options.latencyMs ?? 0);
    let gone = false;
    res.on("close", () => {
      if (!res.writableFinished) gone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, latency));
    stats.inFlight -= 1;
    if (gone) {
      stats.cancelled += 1;
      return;
    }
    let text = options.answer(request);
    let finish = "stop";
    if (request.max_tokens !== undefined && countTokens(text) > request.max_tokens) {
      text = text.slice(0, request.max_tokens * 4);
      finish = "length";
    }
    const prompt = request.messages.reduce((n, m) => n + countTokens(m.content) + 4, 0);
    const completion = countTokens(text);
    billed.prompt += prompt;
    billed.completion += completion;
    stats.answered += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${stats.answered}`,
        object: "chat.completion",
        created: 0,
        model: request.model,
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finish }],
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    prompts,
    stats,
    billed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
