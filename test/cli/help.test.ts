/**
 * Help texts say what the parser accepts: every option a command's parser takes is in that
 * command's `--help`, and the top-level help names every command and the three kinds of source.
 */
import { describe, expect, it, vi } from "vitest";
import { COMMANDS, commandHelp, programHelp } from "../../src/cli/help.js";
import type { OptionSpec } from "../../src/cli/options.js";

class Captured extends Error {
  constructor(readonly spec: OptionSpec) {
    super("captured");
  }
}

// Each command's first call to parseOptions hands over its option list and stops the command.
vi.mock(import("../../src/cli/options.js"), async (importOriginal) => ({
  ...(await importOriginal()),
  parseOptions: (_args: readonly string[], spec: OptionSpec) => {
    throw new Captured(spec);
  },
}));

/** The arguments that get a command with subcommands as far as its parser. */
const ARGS: Readonly<Record<string, readonly string[]>> = { task: ["run", "x"] };

async function optionsOf(name: string, args: readonly string[] = ARGS[name] ?? []): Promise<OptionSpec> {
  const module = (await import(`../../src/cli/commands/${name}.ts`)) as {
    default: (program: string, args: readonly string[]) => Promise<number>;
  };
  // task run reads the breadcrumb before its options.
  vi.stubEnv("TRACKING_BREADCRUMB", "help-test");
  try {
    await module.default("rllmc", args);
  } catch (error) {
    if (error instanceof Captured) return error.spec;
    throw error;
  } finally {
    vi.unstubAllEnvs();
  }
  throw new Error(`${name} parsed no options`);
}

describe("command help", () => {
  it.each(COMMANDS.map((c) => c.name))("should list every option that %s accepts", async (name) => {
    const spec = await optionsOf(name);
    const help = commandHelp("rllmc", name);
    const missing = Object.entries(spec).flatMap(([option, { short }]) => [
      ...(new RegExp(`--${option}(?![\\w-])`).test(help) ? [] : [`--${option}`]),
      ...(short === undefined || new RegExp(`(^|[ ,])-${short}(?![\\w-])`, "m").test(help)
        ? []
        : [`-${short}`]),
    ]);
    expect(missing).toEqual([]);
  });

  it("should list every option of task list too", async () => {
    const spec = await optionsOf("task", ["list"]);
    const help = commandHelp("rllmc", "task");
    expect(Object.keys(spec).filter((option) => !help.includes(`--${option}`))).toEqual([]);
  });

  it("should describe both kinds of compile: apps to .mjs + .d.mts, TSGs to runbook.yaml + mapping.md", () => {
    const help = commandHelp("rllmc", "compile");
    expect(help).toContain("Usage: rllmc compile <app.rllm>... [--out-dir D] [--runtime-import SPEC]");
    expect(help).toContain("compile <tsg.md|dir|glob>...");
    expect(help).toContain("<name>.mjs + <name>.d.mts");
    expect(help).toContain("runbook.yaml + mapping.md");
    expect(help).toMatch(/--runtime-import <spec> +apps: /);
    expect(help).toMatch(/--format <text\|json\|sarif> /);
    expect(help).not.toMatch(/\.d\.ts\b/);
  });

  it("should name --format sarif and --max-warnings for check", () => {
    const help = commandHelp("rllmc", "check");
    expect(help).toContain("--format <text|json|sarif>");
    expect(help).toContain("--max-warnings <n>");
  });
});

describe("program help", () => {
  it("should list every command, the three kinds of source and --no-color", () => {
    const help = programHelp("rllmc");
    for (const command of COMMANDS) expect(help).toMatch(new RegExp(`\\n  ${command.name} +\\S`));
    expect(help).toContain("app.rllm");
    expect(help).toContain("tsg.md");
    expect(help).toContain("task.md");
    expect(help).toContain(".mjs + .d.mts");
    expect(help).toContain("--no-color");
    expect(help).not.toContain("--runtime-import");
  });
});
