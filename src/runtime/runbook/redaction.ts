/**
 * What a run hides before anything is stored or printed: the runbook's `redact` rules (the
 * defaults when it has none), and the values of every environment variable whose name matches
 * `deny_env_vars` or looks like a secret — wherever such a value turns up (a program that prints
 * its environment, evidence pasted by a person, an error message).
 */
import {
  compileRunbookRegex,
  DEFAULT_DENY_ENV_VARS,
  DEFAULT_REDACT,
  isDeniedEnvVar,
} from "../../lang/runbook/governance.js";
import type { Governance } from "../../lang/runbook/types.js";
import { SECRET_NAME } from "../shared/redact.js";

export const REDACTED = "<redacted>";

/** Shorter values are not hidden: `TOKEN_TTL=60` must not blank every `60`. */
const MIN_SECRET_LENGTH = 6;
const HARMLESS = /^(true|false|yes|no|on|off|none|null|[0-9]{1,7})$/i;

interface Rule {
  readonly pattern: RegExp;
  readonly replace: string;
}

export class RunRedactor {
  private readonly rules: readonly Rule[];
  private readonly secrets: readonly string[];

  constructor(governance: Governance | undefined, env: Readonly<Record<string, string | undefined>>) {
    const rules = governance?.redact ?? DEFAULT_REDACT;
    this.rules = rules.map((rule) => {
      const re = compileRunbookRegex(rule.pattern);
      return { pattern: new RegExp(re.source, `${re.flags}g`), replace: rule.replace ?? REDACTED };
    });
    const denied = governance?.deny_env_vars ?? DEFAULT_DENY_ENV_VARS;
    const secrets = new Set<string>();
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined || value.length < MIN_SECRET_LENGTH || HARMLESS.test(value)) continue;
      if (isDeniedEnvVar(name, denied) || SECRET_NAME.test(name)) secrets.add(value);
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...secrets].sort((a, b) => b.length - a.length);
  }

  /** Secret values the redactor knows (for refusing binary attachments that hold one). */
  get knownSecrets(): readonly string[] {
    return this.secrets;
  }

  text(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const rule of this.rules) {
      rule.pattern.lastIndex = 0;
      if (rule.pattern.test(out)) {
        rule.pattern.lastIndex = 0;
        out = out.replace(rule.pattern, rule.replace);
      }
    }
    return out;
  }

  /** A deep copy of a JSON value with every string redacted (keys too). */
  deep<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === "string") return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.text(k)] = this.walk(v);
      return out;
    }
    return value;
  }
}
