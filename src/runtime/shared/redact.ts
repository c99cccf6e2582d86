/**
 * Secret redaction, applied to everything the runtime prints, logs or records: error payloads,
 * verbose traces, cassettes. A secret is the value of any environment variable whose name
 * contains KEY, TOKEN, SECRET or PASSWORD (and the API key in use, wherever it came from), plus
 * anything shaped like a bearer token or a provider key, wherever it appears.
 */

export const REDACTED = "[REDACTED]";

/** Names of environment variables whose values are secrets. */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;

/** Shapes of secrets that are redacted even when we were never told their value. */
const SECRET_SHAPES: readonly RegExp[] = [
  /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g,
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g,
  /\b(api[_-]?key|access[_-]?token|token|password|secret)(["']?\s*[=:]\s*["']?)[^\s"'&,;]{6,}/gi,
];

/** Header names whose values are always secret, whatever they contain. */
const SECRET_HEADERS = new Set(["authorization", "x-api-key", "api-key", "proxy-authorization", "cookie"]);

/**
 * Values shorter than this are not treated as secrets: an environment variable named like a secret
 * but holding `false` or `1` (`TOKENIZERS_PARALLELISM=false`) must not blank every `false`.
 */
const MIN_SECRET_LENGTH = 8;

/**
 * The credentials a URL carries (`https://user:password@host/`): the password as written and
 * decoded, for a redactor's secrets. A server that echoes them as plain text is then redacted
 * too (the URL shape alone catches them only inside a URL).
 */
export function urlSecrets(url: string | undefined): string[] {
  if (url === undefined) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  if (parsed.password === "") return [];
  let decoded = parsed.password;
  try {
    decoded = decodeURIComponent(parsed.password);
  } catch {
    // A malformed escape: the password as written is the secret.
  }
  return [...new Set([parsed.password, decoded])];
}

export class Redactor {
  private readonly values: readonly string[];

  constructor(secrets: Iterable<string | undefined>) {
    const values = new Set<string>();
    for (const secret of secrets)
      if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) values.add(secret);
    // Longest first, so a secret that contains another is replaced whole.
    this.values = [...values].sort((a, b) => b.length - a.length);
  }

  /** A redactor for the values of the secret-named variables of `env`, plus `extra`. */
  static fromEnv(env: NodeJS.ProcessEnv, extra: Iterable<string | undefined> = []): Redactor {
    const secrets: (string | undefined)[] = [...extra];
    for (const [name, value] of Object.entries(env)) if (SECRET_NAME.test(name)) secrets.push(value);
    return new Redactor(secrets);
  }

  text(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    for (const shape of SECRET_SHAPES)
      out = out.replace(shape, (match, ...groups: unknown[]) => {
        const [name, separator] = groups as [string | undefined, string | undefined];
        if (typeof name === "string" && /:\/\/$/.test(name)) return `${name}${REDACTED}@`;
        if (typeof separator === "string" && typeof name === "string" && /[=:]/.test(separator))
          return `${name}${separator}${REDACTED}`;
        if (name === "Bearer" || name === "Basic") return `${name} ${REDACTED}`;
        return match.startsWith("sk-") ? REDACTED : match;
      });
    return out;
  }

  /**
   * A deep copy of `value` with every string redacted and secret headers blanked: redact values
   * before serialising them, so a secret with quotes or backslashes is still found and the JSON
   * stays valid.
   */
  value<T>(value: T): T {
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.text(value);
    if (value === null || typeof value !== "object" || depth > 64) return value;
    if (Array.isArray(value)) return value.map((item) => this.walk(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const redactedKey = this.text(key);
      out[redactedKey] =
        SECRET_HEADERS.has(key.toLowerCase()) && item != null ? REDACTED : this.walk(item, depth + 1);
    }
    return out;
  }
}
