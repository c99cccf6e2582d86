/**
 * A vitest globalSetup: the queue tests (test/queue/) need a real redis-server. It is installed
 * here when missing (`apt-get install -y redis-server` as root, scripts/redis-server.mjs), so
 * that `npm test` alone works on a fresh machine; without root and without it, the run fails
 * with the message saying how to install it. Each test starts its own throwaway server
 * (ephemeral port, no persistence, a temp folder) with test/support/redis.ts.
 */
import { ensureRedisServer } from "../../scripts/redis-server.mjs";

export default function setup(): void {
  ensureRedisServer();
}
