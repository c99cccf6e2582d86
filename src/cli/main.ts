#!/usr/bin/env node
/**
 * The driver behind the `rllmc`, `runbook` and `runllm` bins: one program, three names. It
 * keeps start-up light (`--version` and `--help` load nothing heavy) and imports a command's
 * module only when that command runs.
 */
import { basename } from "node:path";

const invokedAs = basename(process.argv[1] ?? "rllmc").replace(/\.(c|m)?js$/, "");
const program = invokedAs === "runbook" || invokedAs === "runllm" ? invokedAs : "rllmc";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`${program}: needs Node.js 22.12 or newer; this is ${process.version}\n`);
  process.exit(2);
}

// V8's code cache for our modules and dependencies (Node ≥ 22.1): a warm start skips compiling
// them. Stored in the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();

// A reader that goes away (`rllmc run … | head -1`) is not an error of ours: stop writing and
// exit quietly with the exit code decided so far, as a command stopped by SIGPIPE would. Output
// that cannot be written for another reason (a full disk) is said once, without a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    if (stream === process.stdout)
      process.stderr.write(`${program}: cannot write the output: ${error.code ?? error.message}\n`);
    process.exit(1);
  });

const { run } = await import("./run.js");
run(program, process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    // A bug in rllmc itself, never the user's input: say so plainly, without a stack trace
    // unless asked for one (RLLMC_DEBUG=1).
    const { Diagnostics } = await import("../ir/diagnostic-catalogue.js");
    const entry = Diagnostics.InternalError;
    const args = { detail: error instanceof Error ? error.message : String(error) };
    process.stderr.write(`${program}: error ${entry.code}: ${entry.message(args)}\n`);
    if (process.env.RLLMC_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ""}\n`);
    process.stderr.write(`  hint: ${entry.hint?.(args) ?? ""}\n`);
    process.exitCode = 3;
  },
);
