#!/usr/bin/env node
// `npm run goldens [-- --update]`: runs the golden tests; with --update, accepts every change
// (writes the new expected files, removes those no case produces). Review the diff, then commit.
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== "--update");
if (unknown.length > 0) {
  console.error(`goldens: unknown argument ${unknown[0]}; usage: npm run goldens [-- --update]`);
  process.exit(2);
}
const env = { ...process.env, GOLDENS_UPDATE: args.includes("--update") ? "1" : "0" };
const result = spawnSync("npx", ["vitest", "run", "test/goldens/"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
