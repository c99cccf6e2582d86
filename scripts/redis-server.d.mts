/** Types of scripts/redis-server.mjs (a throwaway redis-server for tests and benchmarks). */
export interface RedisServer {
  readonly port: number;
  /** `redis://[:password@]127.0.0.1:port`, or `rediss://…` with TLS. */
  readonly url: string;
  readonly dir: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** Stops it and starts a new one on the same port and options (its data is gone). */
  restart(): Promise<RedisServer>;
}
export interface StartOptions {
  readonly port?: number;
  readonly password?: string;
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly dir?: string;
}
export function findRedisServer(): string | undefined;
export function ensureRedisServer(): string;
export function freePort(): Promise<number>;
export function startRedis(options?: StartOptions): Promise<RedisServer>;
