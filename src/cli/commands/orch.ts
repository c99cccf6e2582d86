/**
 * `orch status | session show ID | session drop ID`: a llama-orch server, as rllmc sees it
 * (docs/providers.md#llama-orch). `status` prints its capabilities (`/v2/meta/capabilities`, else
 * `/v1/capabilities`), its version (`/v2/meta/version`) and, where the server has it, the load of
 * its replica sets (`/v1/replicasets`); `session show` and `session drop` read and drop one session
 * (`GET`/`DELETE /v1/sessions/{id}`). The server comes from `--base-url`, else `LLM_BASE_URL`.
 * A server that cannot be reached or answers with an error is exit 1, said on stderr.
 */
import { UsageError } from "../../driver/usage-error.js";
import { ProviderFailure } from "../../runtime/app/provider.js";
import { CAPACITY_FIELDS, LlamaOrchClient, type OrchAnswer } from "../../runtime/app/providers/llama-orch.js";
import {
  type Capabilities,
  failureOfAnswer,
  firstPositive,
  printable,
  safeUrl,
} from "../../runtime/app/providers/llama-orch-wire.js";
import { sessionCorrelationId } from "../../runtime/shared/correlation-id.js";
import { Redactor } from "../../runtime/shared/redact.js";
import { ExitCode } from "../exit-codes.js";
import { parseOptions, withUsage } from "../options.js";

/** What `orch status --json` prints. */
export interface OrchStatus {
  readonly base_url: string;
  readonly capabilities: Capabilities | null;
  readonly version: Readonly<Record<string, unknown>> | null;
  readonly replicasets: unknown;
}

export default function orch(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "orch", async () => {
    const { values, positionals } = parseOptions(args, {
      "base-url": { type: "string" },
      json: { type: "boolean" },
    });
    const baseUrl = nonEmpty(values["base-url"] as string | undefined) ?? nonEmpty(process.env.LLM_BASE_URL);
    const [verb, sub, id, ...extra] = positionals;
    const usage = "expected 'status', 'session show ID' or 'session drop ID'";
    if (verb !== "status" && verb !== "session")
      throw new UsageError(verb === undefined ? usage : `unknown subcommand '${verb}'; ${usage}`);
    if (verb === "status" && sub !== undefined)
      throw new UsageError(`unexpected argument '${sub}'; ${usage}`);
    if (verb === "session" && sub !== "show" && sub !== "drop") throw new UsageError(usage);
    if (verb === "session" && (id === undefined || id.trim() === ""))
      throw new UsageError(`orch session ${sub} needs a session id`);
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (baseUrl === undefined)
      throw new UsageError("needs the llama-orch server's URL: --base-url or LLM_BASE_URL");
    if (!/^https?:\/\/[^/]/i.test(baseUrl))
      throw new UsageError(
        `--base-url must be an http(s) URL such as http://127.0.0.1:8080, not '${shown(baseUrl)}'`,
      );
    const client = new LlamaOrchClient({
      baseUrl,
      ...(nonEmpty(process.env.LLM_API_KEY) === undefined ? {} : { apiKey: process.env.LLM_API_KEY }),
    });
    const correlationId = `${sessionCorrelationId(process.env)}.orch`;
    const json = values.json === true;
    try {
      if (verb === "status") return await status(client, correlationId, json);
      return await session(client, correlationId, sub as "show" | "drop", id!, json);
    } catch (error) {
      if (!(error instanceof ProviderFailure)) throw error;
      // The server's own message is quoted: it may echo the key or the URL's password.
      const redactor = Redactor.fromEnv(process.env, [process.env.LLM_API_KEY, passwordOf(baseUrl)]);
      process.stderr.write(redactor.text(`${program} orch: ${oneLine(error.message)}\n`));
      return ExitCode.Errors;
    }
  });
}

async function status(client: LlamaOrchClient, correlationId: string, json: boolean): Promise<number> {
  const signal = AbortSignal.timeout(10_000);
  const capabilities = await client.capabilities(correlationId, signal);
  const optional = async (path: string): Promise<unknown> => {
    const answer = await client.request("GET", path, { correlationId, signal });
    if (answer.status === 404 || answer.status === 405 || answer.status === 501) return null;
    if (answer.status !== 200)
      throw failureOfAnswer(answer.status, answer.headers, answer.body, `GET ${path}`);
    return answer.body ?? null;
  };
  const version = (await optional("/v2/meta/version")) as OrchStatus["version"];
  const replicasets = await optional("/v1/replicasets");
  const report: OrchStatus = {
    base_url: safeUrl(client.baseUrl),
    capabilities: capabilities ?? null,
    version,
    replicasets,
  };
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
  return ExitCode.Ok;
}

export function formatStatus(report: OrchStatus): string {
  const lines = [`llama-orch at ${report.base_url}`];
  const v = report.version;
  lines.push(
    v === null
      ? "  version: not advertised (no /v2/meta/version)"
      : `  version: api ${String(v.api_version ?? "?")}${v.build_commit === undefined ? "" : `, build ${String(v.build_commit)}`}${v.build_time === undefined ? "" : ` (${String(v.build_time)})`}`,
  );
  const caps = report.capabilities;
  if (caps === null)
    lines.push("  capabilities: not advertised (no /v2/meta/capabilities or /v1/capabilities)");
  else {
    lines.push(`  capabilities (${caps.source}, api ${caps.api_version || "?"}):`);
    if (caps.engines.length === 0) lines.push("    no engines");
    for (const e of caps.engines) {
      const inFlight = firstPositive([e.rate_limits, e.features], CAPACITY_FIELDS);
      lines.push(
        `    ${e.engine}: ctx_max ${e.ctx_max ?? "?"}, workloads ${(e.supported_workloads ?? []).join(", ") || "?"}${inFlight === undefined ? "" : `, max in flight ${inFlight}`}`,
      );
    }
  }
  if (report.replicasets !== null) {
    lines.push("  replica sets:");
    const sets = Array.isArray(report.replicasets) ? report.replicasets : [report.replicasets];
    for (const set of sets) lines.push(`    ${describeReplicaSet(set)}`);
  }
  return `${lines.map(oneLine).join("\n")}\n`;
}

/**
 * A line as printed: the server's strings may hold line breaks or terminal escapes, which would
 * forge lines or rewrite the screen; every control character is shown escaped instead.
 */
export function oneLine(text: string): string {
  return printable(text);
}

function describeReplicaSet(set: unknown): string {
  if (typeof set !== "object" || set === null) return JSON.stringify(set);
  const { id, engine, load, slots_free, slots_total, ...rest } = set as Record<string, unknown>;
  const parts = [
    id === undefined ? undefined : String(id),
    engine === undefined ? undefined : `engine ${String(engine)}`,
    typeof load === "number" ? `load ${Math.round(load * 100)}%` : undefined,
    slots_total === undefined ? undefined : `slots ${String(slots_free ?? "?")}/${String(slots_total)} free`,
    Object.keys(rest).length === 0 ? undefined : JSON.stringify(rest),
  ];
  return parts.filter((p) => p !== undefined).join(", ");
}

async function session(
  client: LlamaOrchClient,
  correlationId: string,
  verb: "show" | "drop",
  id: string,
  json: boolean,
): Promise<number> {
  const path = `/v1/sessions/${encodeURIComponent(id)}`;
  const answer: OrchAnswer = await client.request(verb === "show" ? "GET" : "DELETE", path, {
    correlationId,
    signal: AbortSignal.timeout(10_000),
  });
  if (answer.status === 404) {
    process.stderr.write(`llama-orch has no session '${id}'\n`);
    return ExitCode.Errors;
  }
  if (answer.status >= 300)
    throw failureOfAnswer(answer.status, answer.headers, answer.body, `session ${verb}`);
  if (verb === "drop") {
    process.stdout.write(
      json ? `${JSON.stringify({ session_id: id, dropped: true })}\n` : `dropped session ${id}\n`,
    );
    return ExitCode.Ok;
  }
  const info = (typeof answer.body === "object" && answer.body !== null ? answer.body : {}) as Record<
    string,
    unknown
  >;
  process.stdout.write(
    json
      ? `${JSON.stringify({ session_id: id, ...info }, null, 2)}\n`
      : `${[
          `session ${id}`,
          `  turns: ${String(info.turns ?? "?")}`,
          `  ttl remaining: ${typeof info.ttl_ms_remaining === "number" ? `${Math.round(info.ttl_ms_remaining / 1000)} s` : "?"}`,
          `  kv cache: ${String(info.kv_bytes ?? "?")} bytes, ${info.kv_warmth === true ? "warm" : "cold"}`,
        ]
          .map(oneLine)
          .join("\n")}\n`,
  );
  return ExitCode.Ok;
}

function passwordOf(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === "" ? undefined : password;
  } catch {
    return undefined;
  }
}

/** What the user gave, for a message: as given, but never a password (what comes before an '@'). */
function shown(text: string): string {
  const at = text.lastIndexOf("@");
  if (at < 0) return text.slice(0, 200);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? "";
  return `${scheme}…${text.slice(at).slice(0, 200)}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
