import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type LlamaOrchServer, orchError, startLlamaOrchServer } from "../support/llama-orch-server.js";

let server: LlamaOrchServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function task(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_id: randomUUID(),
    session_id: "0b6a8f4e-5d2c-4f00-9a55-000000000001",
    workload: "completion",
    model_ref: "repo:Org/Model",
    engine: "llamacpp",
    ctx: 4096,
    priority: "interactive",
    max_tokens: 64,
    deadline_ms: 30_000,
    prompt: "hi",
    ...overrides,
  };
}

async function admit(url: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${url}/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-correlation-id": "corr-1" },
    body: JSON.stringify(body),
  });
}

describe("the llama-orch test server", () => {
  it("should admit, stream started/metrics/tokens/end and echo the correlation id", async () => {
    server = await startLlamaOrchServer({ answer: (t) => `you said ${t.prompt}` });
    const t = task();
    const response = await admit(server.url, t);
    expect(response.status).toBe(202);
    expect(response.headers.get("x-correlation-id")).toBe("corr-1");
    expect(await response.json()).toEqual({
      task_id: t.task_id,
      queue_position: 0,
      predicted_start_ms: 0,
      backoff_ms: 0,
    });
    const text = await (await fetch(`${server.url}/v1/tasks/${t.task_id}/stream`)).text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => [m[1], JSON.parse(m[2]!)]);
    expect(events.map((e) => e[0])).toEqual([
      "started",
      "metrics",
      "token",
      "token",
      "token",
      "metrics",
      "end",
    ]);
    expect(
      events
        .filter((e) => e[0] === "token")
        .map((e) => e[1].t)
        .join(""),
    ).toBe("you said hi");
    expect(events.at(-1)![1]).toMatchObject({ tokens_out: 3 });
    expect(server.stats).toMatchObject({ admitted: 1, completed: 1, inFlight: 0, maxInFlight: 1 });
  });

  it("should answer 429 with backoff headers when capacity tasks are in flight", async () => {
    server = await startLlamaOrchServer({ capacity: 2, latencyMs: 300, capacityBackoffMs: 1500 });
    const a = task();
    expect((await admit(server.url, a)).status).toBe(202);
    expect((await admit(server.url, task())).status).toBe(202);
    const third = await admit(server.url, task());
    expect(third.status).toBe(429);
    expect(third.headers.get("x-backoff-ms")).toBe("1500");
    expect(third.headers.get("retry-after")).toBe("2");
    expect(await third.json()).toMatchObject({ code: "ADMISSION_REJECT", policy_label: "capacity" });
    await (await fetch(`${server.url}/v1/tasks/${a.task_id}/stream`)).text();
    expect((await admit(server.url, task())).status).toBe(202);
    expect(server.stats).toMatchObject({ admitted: 3, rejected: 1, maxInFlight: 2 });
  });

  it("should answer scripted errors as the Pact shows them, and 400 for ctx 0", async () => {
    server = await startLlamaOrchServer({
      admissions: [orchError("QUEUE_FULL_DROP_LRU"), orchError("POOL_UNREADY")],
    });
    const full = await admit(server.url, task());
    expect([full.status, full.headers.get("retry-after"), full.headers.get("x-backoff-ms")]).toEqual([
      429,
      "1",
      "1000",
    ]);
    expect(await full.json()).toEqual({
      code: "QUEUE_FULL_DROP_LRU",
      engine: "llamacpp",
      message: expect.any(String),
    });
    expect((await admit(server.url, task())).status).toBe(503);
    const invalid = await admit(server.url, task({ ctx: 0 }));
    expect([invalid.status, ((await invalid.json()) as { code: string }).code]).toEqual([
      400,
      "INVALID_PARAMS",
    ]);
  });

  it("should put a blank line between event and data with the Pact's framing, and cut or fail streams", async () => {
    server = await startLlamaOrchServer({
      framing: "pact",
      stream: (_t, n) =>
        n === 0
          ? { tokens: ["a", "b"], metrics: [] }
          : n === 1
            ? { tokens: ["a", "b"], cutAfter: 1 }
            : { tokens: ["a", "b"], errorAfter: 1, metrics: [] },
    });
    const ids = [task(), task(), task()];
    for (const t of ids) await admit(server.url, t);
    const read = (t: Record<string, unknown>) =>
      fetch(`${server!.url}/v1/tasks/${t.task_id}/stream`).then((r) => r.text());
    expect(await read(ids[0]!)).toContain('event: token\n\ndata: {"t":"a","i":0}\n\n');
    const cut = await read(ids[1]!).catch(() => "");
    expect(cut).not.toContain("event: end");
    const failed = await read(ids[2]!);
    expect(failed).toContain("event: error\n\ndata: ");
    expect(failed).not.toContain("event: end");
  });

  it("should record a cancel, stop the stream and free the slot", async () => {
    server = await startLlamaOrchServer({ capacity: 1, latencyMs: 10_000 });
    const t = task();
    await admit(server.url, t);
    const stream = fetch(`${server.url}/v1/tasks/${t.task_id}/stream`).then((r) => r.text());
    const cancel = await fetch(`${server.url}/v1/tasks/${t.task_id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(204);
    expect(await stream).not.toContain("event: end");
    expect(server.stats.cancelled).toEqual([t.task_id]);
    expect(server.stats.inFlight).toBe(0);
  });

  it("should serve capabilities where configured, sessions and a mismatching correlation id", async () => {
    server = await startLlamaOrchServer({
      capabilities: "v1",
      correlation: "mismatch",
      capacity: 4,
      replicasets: true,
    });
    expect((await fetch(`${server.url}/v2/meta/capabilities`)).status).toBe(404);
    const v1 = await fetch(`${server.url}/v1/capabilities`, { headers: { "x-correlation-id": "c" } });
    expect(v1.headers.get("x-correlation-id")).toBe("other-c");
    expect(await v1.json()).toMatchObject({
      engines: [{ engine: "llamacpp", ctx_max: 8192, rate_limits: { max_in_flight: 4 } }],
    });
    const t = task();
    await admit(server.url, t);
    const info: unknown = await (await fetch(`${server.url}/v1/sessions/${t.session_id}`)).json();
    expect(info).toMatchObject({ turns: 1, kv_warmth: true });
    expect((await fetch(`${server.url}/v1/sessions/${t.session_id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${server.url}/v1/sessions/${t.session_id}`)).status).toBe(404);
    expect(server.stats.droppedSessions).toEqual([t.session_id]);
  });
});
