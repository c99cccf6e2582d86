#!/usr/bin/env node
/**
 * Keeps package-lock.json installable with `npm ci` everywhere. node-llama-cpp (a devDependency,
 * for the local-provider tests) lists prebuilt binaries for every platform as optional
 * dependencies; the registry mirror of our build machines carries only the Linux ones, so an
 * `npm install` here drops the others from the lock, and `npm ci` then refuses the lock as out
 * of sync. npm never downloads a binary for another platform, so an entry with its version,
 * os and cpu is all the lock needs. Run after any `npm install` that touches node-llama-cpp:
 *
 *   node scripts/lock-foreign-platforms.mjs
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";

const LOCK = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, "utf8"));
const parent = lock.packages["node_modules/node-llama-cpp"];
if (parent === undefined) throw new Error("node-llama-cpp is not in package-lock.json");
const PLATFORMS = {
  "linux-riscv64": ["linux", ["riscv64"]],
  "mac-arm64-metal": ["darwin", ["arm64", "x64"]],
  "mac-x64": ["darwin", ["x64"]],
  "win-arm64": ["win32", ["arm64", "x64"]],
  "win-x64": ["win32", ["x64"]],
  "win-x64-cuda": ["win32", ["x64"]],
  "win-x64-cuda-ext": ["win32", ["x64"]],
  "win-x64-vulkan": ["win32", ["x64"]],
};
let added = 0;
for (const [name, [os, cpu]] of Object.entries(PLATFORMS)) {
  const key = `node_modules/@node-llama-cpp/${name}`;
  if (lock.packages[key] !== undefined) continue;
  const version = parent.optionalDependencies?.[`@node-llama-cpp/${name}`];
  if (version === undefined) continue;
  lock.packages[key] = {
    version,
    cpu,
    dev: true,
    license: "MIT",
    optional: true,
    os: [os],
    engines: parent.engines,
  };
  added++;
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
const temp = `${LOCK.pathname}.tmp`;
writeFileSync(temp, `${JSON.stringify(lock, null, 2)}\n`);
renameSync(temp, LOCK);
console.log(`package-lock.json: ${added} foreign-platform entr${added === 1 ? "y" : "ies"} added`);
