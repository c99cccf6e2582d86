/**
 * `X-Correlation-Id`s: one per rllmc session, derived from `TRACKING_BREADCRUMB` when it is set
 * (`rllmc task run`, the llama-orch provider), so the backend's logs and ours name the same work.
 */
import { createHash, randomUUID } from "node:crypto";

/** The breadcrumb's `correlation_id=…` when it has one, else `rllmc-` and a hash of it. */
export function correlationId(breadcrumb: string): string {
  const named = /correlation[_-]?id\s*[=:]\s*([A-Za-z0-9._:-]{1,128})/i.exec(breadcrumb);
  if (named?.[1] !== undefined) return named[1];
  return `rllmc-${createHash("sha256").update(breadcrumb).digest("hex").slice(0, 32)}`;
}

/** The session's id: from `TRACKING_BREADCRUMB` when set and not blank, else `rllmc-<uuid>`. */
export function sessionCorrelationId(env: Readonly<Record<string, string | undefined>>): string {
  const breadcrumb = env.TRACKING_BREADCRUMB;
  return breadcrumb !== undefined && breadcrumb.trim() !== ""
    ? correlationId(breadcrumb)
    : `rllmc-${randomUUID()}`;
}
