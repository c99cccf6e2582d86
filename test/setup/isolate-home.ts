/**
 * Tests never write to the developer's own folders. In every test worker (and so in every bin a
 * test spawns, which inherits this environment) the home folder, the XDG base folders and
 * RLLMC_HOME point into one temporary folder of this worker: stats, the run cache, Ollama or
 * node-llama-cpp files — whatever a test or a dependency writes under "home" lands there. A test
 * that cleans its child's environment keeps these variables; tests that look at stats set their
 * own RLLMC_HOME. `real-home-guard.ts` (a vitest globalSetup) fails the run if anything rllmc
 * writes under the real home changed all the same.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = mkdtempSync(join(tmpdir(), "rllmc-test-home-"));
const home = join(root, "home");
const folders = {
  HOME: home,
  XDG_DATA_HOME: join(home, ".local", "share"),
  XDG_CACHE_HOME: join(home, ".cache"),
  XDG_CONFIG_HOME: join(home, ".config"),
  XDG_STATE_HOME: join(home, ".local", "state"),
  RLLMC_HOME: join(root, "rllmc-home"),
};
for (const [name, folder] of Object.entries(folders)) {
  mkdirSync(folder, { recursive: true });
  process.env[name] = folder;
}
// Windows' equivalents, for a test run there.
process.env.USERPROFILE = home;
process.env.LOCALAPPDATA = join(home, "AppData", "Local");
process.env.APPDATA = join(home, "AppData", "Roaming");

// `runbook compile`'s result cache defaults to `.rllmc/cache` under the working folder, which for
// a test that runs the CLI from the repository is the checkout: tests never write there.
process.env.RLLMC_RUNBOOK_CACHE = join(root, "runbook-cache");

// The CLI prints its follow-up commands behind `npx` when `npx` started it; the suite may be
// started either way (`npm test`, `npx vitest`), so the bins it spawns see neither.
delete process.env.npm_command;
