/**
 * `init --hook | --makefile`: set a repository up for `rllmc review` (docs/review.md "Hooks").
 * `--hook` writes `.git/hooks/pre-commit` (executable) from `templates/pre-commit.rllmc`,
 * refusing to replace a hook that is there unless `--force`; `--makefile` prints
 * `templates/Makefile.rllmc` (the `rllmc-review` and `rllmc-check` targets), or writes it to
 * `--out`. Exit 0 written, 1 a file is in the way (without --force), 2 usage.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../driver/usage-error.js";
import { ExitCode } from "../exit-codes.js";
import { parseOptions, withUsage } from "../options.js";

export default function init(program: string, args: readonly string[]): Promise<number> {
  return withUsage(program, "init", async () => {
    const { values, positionals } = parseOptions(args, {
      hook: { type: "boolean" },
      makefile: { type: "boolean" },
      repo: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const hook = values.hook === true;
    const makefile = values.makefile === true;
    if (hook === makefile) throw new UsageError("expected exactly one of --hook or --makefile");
    const force = values.force === true;
    if (makefile) {
      if (values.repo !== undefined) throw new UsageError("--repo goes with --hook");
      const text = template("Makefile.rllmc");
      const out = values.out as string | undefined;
      if (out === undefined) {
        process.stdout.write(text);
        return ExitCode.Ok;
      }
      if (existsSync(out) && !force) {
        process.stderr.write(`${program} init: ${out} exists; pass --force to replace it\n`);
        return ExitCode.Errors;
      }
      writeFileSync(out, text);
      process.stderr.write(`${program} init: wrote ${out} (include it from your Makefile)\n`);
      return ExitCode.Ok;
    }
    if (values.out !== undefined) throw new UsageError("--out goes with --makefile");
    const repo = resolve((values.repo as string | undefined) ?? ".");
    const hooks = hooksFolder(repo);
    const path = join(hooks, "pre-commit");
    if (existsSync(path) && !force) {
      process.stderr.write(
        `${program} init: ${path} exists; it is left as it is (pass --force to replace it, or call 'rllmc review --auto --no-llm' from it)\n`,
      );
      return ExitCode.Errors;
    }
    mkdirSync(hooks, { recursive: true });
    writeFileSync(path, template("pre-commit.rllmc"));
    chmodSync(path, 0o755);
    process.stderr.write(`${program} init: wrote ${path}\n`);
    return ExitCode.Ok;
  });
}

/** The repository's hooks folder, as git says (a worktree, core.hooksPath); git run without a shell. */
function hooksFolder(repo: string): string {
  const result = spawnSync("git", ["rev-parse", "--git-path", "hooks"], {
    cwd: repo,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.error !== undefined || result.status !== 0)
    throw new UsageError(`${repo} is not a git repository (git rev-parse failed)`);
  const path = result.stdout.trim();
  return isAbsolute(path) ? path : join(repo, path);
}

/** A file of templates/, beside src/ (from src/cli/commands or dist/src/cli/commands). */
function template(name: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, "templates", name);
    if (existsSync(path)) return readFileSync(path, "utf8");
  }
  throw new Error(`templates/${name} is missing from the rllmc package`);
}
