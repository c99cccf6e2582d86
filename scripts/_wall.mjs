import { spawnSync } from "node:child_process";
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
function wall(args, env = {}) { const t = []; for (let i = 0; i < 11; i++) { const s = performance.now(); spawnSync(process.execPath, args, { stdio: "ignore", env: { ...process.env, ...env } }); t.push(performance.now() - s); } return med(t).toFixed(1); }
const run = ["dist/src/cli/main.js", "run", "examples/summary.rllm", "--provider", "replay", "--input-file", "examples/summary.input.json"];
console.log("node -e 0", wall(["-e", "0"]));
console.log("run (cache)", wall(run));
console.log("run (no cache)", wall(run, { NODE_DISABLE_COMPILE_CACHE: "1" }));
console.log("check", wall(["dist/src/cli/main.js", "check", "examples/summary.rllm"]));
console.log("version", wall(["dist/src/cli/main.js", "--version"]));
