/**
 * Redis from a `--redis` URL: `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for
 * TLS (the server's certificate is checked against Node's CAs, NODE_EXTRA_CA_CERTS, or the PEM
 * file named by RLLMC_REDIS_CA). A URL is never printed as given: `redacted` shows the password as
 * `***`, and `redactText` takes the URL and the password out of any message (an error from the
 * client, a log line). ioredis is loaded only here, and only when a queue command runs.
 *
 * Reconnecting: a lost connection is retried for ever with a backoff of 100 ms doubling to 2 s
 * (workers wait out a Redis restart); the submitter bounds how long it waits (submit.ts).
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { RedisOptions } from "ioredis";
import { UsageError } from "../usage-error.js";

/** A parsed `--redis` URL: options for ioredis and BullMQ, and the form that may be printed. */
export interface RedisTarget {
  readonly options: RedisOptions;
  /** The URL with its password as `***`: the only form printed or logged. */
  readonly redacted: string;
  /** The URL and password as given, to take out of messages. */
  readonly secrets: readonly string[];
}

/** The default port of Redis. */
const DEFAULT_PORT = 6379;

/** Parses a `--redis` URL, or throws a UsageError that never repeats the password. */
export function parseRedisUrl(text: string, what = "--redis"): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `${what} must be a URL like redis://host:6379 or rediss://user:password@host:6380/0, not '${redactLoose(text)}'`,
    );
  }
  const secrets = [text, ...(url.password === "" ? [] : [url.password, safeDecode(url.password)])];
  const redacted = redactUrl(url);
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new UsageError(
      `${what} must start with redis:// or rediss:// (TLS), not '${url.protocol}//' (${redacted})`,
    );
  if (url.hostname === "") throw new UsageError(`${what} names no host: ${redacted}`);
  const port = url.port === "" ? DEFAULT_PORT : Number(url.port);
  const dbText = url.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^\d{1,2}$/.test(dbText))
    throw new UsageError(`${what}: the path is the database number (0-15), not '/${dbText}' (${redacted})`);
  if (url.search !== "" || url.hash !== "")
    throw new UsageError(`${what} takes no query or fragment (${redacted}); TLS is rediss://`);
  const tls = url.protocol === "rediss:";
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const options: RedisOptions = {
    host,
    port,
    ...(url.username === "" ? {} : { username: safeDecode(url.username) }),
    ...(url.password === "" ? {} : { password: safeDecode(url.password) }),
    ...(dbText === "" ? {} : { db: Number(dbText) }),
    // An IP address is checked against the certificate's IP names; SNI takes a host name only.
    ...(tls ? { tls: { ...(isIP(host) === 0 ? { servername: host } : {}), ...caOption() } } : {}),
    connectTimeout: 5_000,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
  };
  return { options, redacted, secrets };
}

/** `message` with the URL and its password replaced by the redacted form and `***`. */
export function redactText(message: string, target: RedisTarget): string {
  let text = message;
  for (const secret of [...target.secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length === 0) continue;
    text = text.split(secret).join(secret === target.secrets[0] ? target.redacted : "***");
  }
  return text;
}

/** The URL with its password as `***`. */
function redactUrl(url: URL): string {
  const user = url.username === "" ? "" : url.username;
  const auth = url.password === "" ? (user === "" ? "" : `${user}@`) : `${user}:***@`;
  return `${url.protocol}//${auth}${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

/** A string that is not a URL, with anything between `//` and `@` hidden. */
function redactLoose(text: string): string {
  return text.replace(/(\/\/)[^@/]*@/, "$1***@").replace(/^([^:/]*):[^@/]*@/, "$1:***@");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** RLLMC_REDIS_CA: a PEM file of the CAs that sign the server's certificate. */
function caOption(): { ca?: Buffer } {
  const file = process.env.RLLMC_REDIS_CA;
  if (file === undefined || file === "") return {};
  try {
    return { ca: readFileSync(file) };
  } catch (error) {
    throw new UsageError(
      `RLLMC_REDIS_CA names '${file}', which cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** Redis could not be reached (or refused us): said with the redacted URL only. */
export class RedisUnreachableError extends Error {
  override readonly name = "RedisUnreachableError";
}

/**
 * Connects, says PING and disconnects, within `timeoutMs`: the check every queue command makes
 * before it starts, so that an unreachable Redis or a wrong password is one clear message.
 */
export async function checkRedis(target: RedisTarget, timeoutMs = 5_000): Promise<void> {
  const { Redis } = await import("ioredis");
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
  });
  let lastError: unknown;
  client.on("error", (error) => {
    lastError = error;
  });
  const timer = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs).unref(),
  );
  try {
    await Promise.race([client.connect().then(() => client.ping()), timer]);
  } catch (error) {
    throw new RedisUnreachableError(
      `cannot reach Redis at ${target.redacted}: ${redactText(reason(lastError ?? error), target)}`,
    );
  } finally {
    client.disconnect();
  }
}

/** A short reason for a connection error: the system's code, or Redis's own words. */
export function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException | undefined;
  const message = e?.message ?? String(error);
  if (/WRONGPASS|invalid username-password/i.test(message)) return "the user name or password is wrong";
  if (/NOAUTH/i.test(message)) return "Redis asks for a password, and the URL gives none";
  if (e?.code === "ECONNREFUSED") return "connection refused (is redis-server running on that port?)";
  if (e?.code === "ENOTFOUND") return "no such host";
  if (e?.code === "ETIMEDOUT") return "connection timed out";
  return message;
}
