#!/usr/bin/env node
// A throwaway redis-server for the tests, the queue benchmark and the demo (docs/scale-out.md):
// installs it from the system packages when it is missing, starts it on an ephemeral port bound
// to 127.0.0.1 with no persistence (`--save ''`, `--appendonly no`) in its own temp folder, and
// stops it (the folder is removed).
//   node scripts/redis-server.mjs install   # apt-get install -y redis-server when missing (as root)
//   node scripts/redis-server.mjs start     # prints the URL; stops on SIGTERM/SIGINT
// RLLMC_REDIS_SERVER names another redis-server binary.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The redis-server binary on PATH (or RLLMC_REDIS_SERVER), or undefined. */
export function findRedisServer() {
  const given = process.env.RLLMC_REDIS_SERVER;
  if (given) return existsSync(given) ? given : undefined;
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/local/bin", "/usr/sbin"];
  return dirs
    .filter((dir) => dir !== "")
    .map((dir) => join(dir, "redis-server"))
    .find((path) => existsSync(path));
}

/**
 * The redis-server binary, installed with `apt-get install -y redis-server` when it is missing
 * and this process is root; otherwise an Error that says how to install it.
 */
export function ensureRedisServer() {
  const found = findRedisServer();
  if (found !== undefined) return found;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
  if (!root || !hasApt)
    throw new Error(
      "redis-server is not installed, and it cannot be installed from here " +
        `(${root ? "no apt-get" : "not root"}): install it with 'sudo apt-get install -y redis-server' ` +
        "(or your system's package), or set RLLMC_REDIS_SERVER to its path",
    );
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "redis-server"], {
      stdio: "inherit",
      env,
    });
  if (install().status !== 0) {
    spawnSync("apt-get", ["update"], { stdio: "inherit", env });
    if (install().status !== 0)
      throw new Error("apt-get install -y redis-server failed (see its output above)");
  }
  const installed = findRedisServer();
  if (installed === undefined) throw new Error("apt-get installed redis-server, but it is not on PATH");
  return installed;
}

/** A free TCP port on 127.0.0.1 (asked of the system, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a redis-server. Options: `port` (default: a free one), `password` (requirepass),
 * `tls` ({ cert, key, ca } file paths: TLS only, on the port), `dir` (default: a new temp
 * folder, removed by stop()). Resolves once it accepts connections, with
 * { port, url, dir, pid, stop(), restart() }; restart() stops it and starts it again on the same
 * port (its data is gone: there is no persistence).
 */
export async function startRedis(options = {}) {
  const bin = ensureRedisServer();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "rllmc-redis-"));
  const port = options.port ?? (await freePort());
  const args = [
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--logfile",
    "",
    "--loglevel",
    "notice",
    ...(options.password === undefined ? [] : ["--requirepass", options.password]),
    ...(options.tls === undefined
      ? ["--port", String(port)]
      : [
          "--port",
          "0",
          "--tls-port",
          String(port),
          "--tls-cert-file",
          options.tls.cert,
          "--tls-key-file",
          options.tls.key,
          "--tls-ca-cert-file",
          options.tls.ca,
          "--tls-auth-clients",
          "no",
        ]),
  ];
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start within 10 s:\n${log}`));
    }, 10_000);
    const onData = (chunk) => {
      log += chunk;
      if (/Ready to accept connections/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code} before it was ready:\n${log}`));
    });
  });
  child.stdout.resume();
  child.stderr.resume();
  const scheme = options.tls === undefined ? "redis" : "rediss";
  const auth = options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`;
  let stopped = false;
  const stopProcess = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    port,
    url: `${scheme}://${auth}127.0.0.1:${port}`,
    dir,
    pid: child.pid,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcess();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    /** Stops this server and starts a new one on the same port and options; returns it. */
    async restart() {
      await stopProcess();
      stopped = true;
      const again = await startRedis({ ...options, port, dir });
      return {
        ...again,
        stop: async () => {
          await again.stop();
          if (ownDir) rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  try {
    if (command === "install") {
      process.stdout.write(`${ensureRedisServer()}\n`);
    } else if (command === "start") {
      const server = await startRedis();
      process.stdout.write(`${server.url}\n`);
      const stop = () => server.stop().then(() => process.exit(0));
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    } else {
      process.stderr.write("usage: node scripts/redis-server.mjs install|start\n");
      process.exit(2);
    }
  } catch (error) {
    process.stderr.write(`redis-server: ${error.message}\n`);
    process.exit(1);
  }
}
