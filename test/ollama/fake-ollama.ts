/**
 * A fake Ollama server on loopback for the model-management tests: it keeps a list of models
 * (`GET /api/tags`), streams scripted pulls as newline-delimited JSON (`POST /api/pull`, a model
 * pulled to `success` is added to the list), and answers `POST /api/chat` for the models it has
 * (404 with Ollama's message for the others). The answer bodies come from the builders of
 * test/support/fake-llm-server.ts; that server sends each body at once, and a pull needs a stream
 * that can pause and break. No vitest imports.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ollamaChat,
  ollamaTags,
  parseBody,
  type RecordedRequest,
  readBody,
} from "../support/fake-llm-server.js";

export interface ScriptedPull {
  /** An HTTP error instead of a stream: this status, with `{"error": error}`. */
  readonly status?: number;
  readonly error?: string;
  /** The lines to stream; a line that is a string is sent as is (not JSON). */
  readonly lines?: readonly (Record<string, unknown> | string)[];
  /** Pause between lines. */
  readonly lineDelayMs?: number;
  /** Reset the connection after sending this many lines. */
  readonly destroyAfter?: number;
}

export interface FakeOllamaOptions {
  /** The models the server has at the start. */
  readonly models?: readonly string[];
  /** Answers `GET /api/tags` with this instead of the model list. */
  readonly tags?: { readonly status?: number; readonly body: unknown };
  /** One entry per `POST /api/pull`, in order; without one, a pull streams {@link pullLines}. */
  readonly pulls?: readonly ScriptedPull[];
  /** The text of every `/api/chat` answer. */
  readonly answer?: string;
}

export interface FakeOllama {
  readonly url: string;
  readonly port: number;
  readonly requests: readonly RecordedRequest[];
  /** The models the server has now. */
  readonly models: readonly string[];
  close(): Promise<void>;
}

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const models = [...(options.models ?? [])];
  const pulls = [...(options.pulls ?? [])];
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(599, { "content-type": "text/plain" });
      res.end(`fake-ollama failed: ${String(error)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const body = parseBody(text);
    requests.push({ method: req.method ?? "", path, headers: req.headers, body });
    const model = String((body as { model?: unknown } | undefined)?.model ?? "");
    if (req.method === "GET" && path === "/api/tags") {
      if (options.tags !== undefined) return json(res, options.tags.status ?? 200, options.tags.body);
      return json(res, 200, ollamaTags(models));
    }
    if (req.method === "POST" && path === "/api/pull") return pull(res, model, pulls.shift());
    if (req.method === "POST" && path === "/api/chat") {
      if (!models.some((m) => m === model || m === `${model}:latest`))
        return json(res, 404, { error: `model "${model}" not found, try pulling it first` });
      return json(res, 200, ollamaChat(options.answer ?? "{}", { model }));
    }
    json(res, 404, { error: `fake-ollama: no ${req.method} ${path}` });
  }

  async function pull(res: ServerResponse, model: string, script: ScriptedPull | undefined): Promise<void> {
    if (script?.status !== undefined) return json(res, script.status, { error: script.error ?? "failed" });
    const lines = script?.lines ?? pullLines();
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    for (const [index, line] of lines.entries()) {
      if (script?.destroyAfter === index) {
        res.socket?.destroy();
        return;
      }
      if (script?.lineDelayMs !== undefined) await new Promise((r) => setTimeout(r, script.lineDelayMs));
      res.write(`${typeof line === "string" ? line : JSON.stringify(line)}\n`);
      if (typeof line === "object" && line.status === "success") models.push(model);
    }
    res.end();
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
    models,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The lines of a pull that works: manifest, one layer in three steps, verify, write, success. */
export function pullLines(digest = `sha256:${"ab".repeat(32)}`, total = 2_000_000_000) {
  const layer = `pulling ${digest.slice(7, 19)}`;
  return [
    { status: "pulling manifest" },
    { status: layer, digest, total, completed: 0 },
    { status: layer, digest, total, completed: total / 2 },
    { status: layer, digest, total, completed: total },
    { status: "verifying sha256 digest" },
    { status: "writing manifest" },
    { status: "success" },
  ];
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
