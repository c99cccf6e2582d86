/**
 * `runbook compile` over the whole shared corpus of real TSGs: every guide compiles without a
 * crash or an error, every runbook.yaml re-reads as a schema-valid runbook that passes the
 * Stage C checks, no `cli` step runs a command its TSG does not give (checked independently of
 * the compiler: every literal piece of every argv element must appear on the step's source
 * lines), and the coverage of shell code-block command lines is reported (goal 100%).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { printRunbookYaml } from "../../src/backend/runbook-yaml.js";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";
import type { CliStep, Runbook } from "../../src/lang/runbook/types.js";
import { allSteps } from "../../src/lang/runbook/types.js";
import { checkRunbook } from "../../src/passes/runbook/check-runbook.js";
import { compileRunbook } from "../../src/passes/runbook/compile-runbook.js";
import { runbookWithSources } from "../../src/passes/runbook/provenance.js";
import { schemaProblems } from "../../src/passes/runbook/validate-runbook.js";

const CORPUS = fileURLToPath(new URL("../../../shared/corpus/tsg", import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".md"))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** The literal text pieces of an argv element: `{{ .var }}` removed, literal actions unwrapped. */
function literalPieces(element: string): string[] {
  const unwrapped = element.replace(/\{\{`([\s\S]*?)`\}\}/g, "\uE000$1\uE000");
  return unwrapped.split(/\{\{\s*\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}|\uE000/).filter((piece) => piece.length > 0);
}

/**
 * Whether `piece` occurs in `text`, allowing for what the shell's quoting removed: quotes,
 * backslash escapes (all of them outside quotes, `\$ \" \\ \``` inside double quotes) and
 * line continuations.
 */
function occursIn(piece: string, text: string): boolean {
  const bare = (s: string) => s.replace(/["']/g, "").replace(/\s*\\?\n\s*/g, " ");
  const variants = [text, text.replace(/\\([$`"\\\n])/g, "$1"), text.replace(/\\(.)/g, "$1")];
  return variants.some((v) => v.includes(piece) || bare(v).includes(bare(piece)));
}

describe("runbook compile over the TSG corpus", () => {
  const files = markdownFiles(CORPUS);

  it("should compile every guide into a schema-valid runbook with no invented command, and report coverage", async () => {
    expect(files.length).toBeGreaterThan(500);
    const failures: string[] = [];
    const lowCoverage: string[] = [];
    let commandLines = 0;
    let covered = 0;
    let steps = 0;
    let cliSteps = 0;
    for (const file of files) {
      const text = readFileSync(join(CORPUS, file), "utf8");
      const source = sourceFromText(file, text);
      const parsed = parseTsg(source);
      if (parsed.module?.kind !== "tsg") {
        failures.push(`${file}: no TSG module`);
        continue;
      }
      const { plan, diagnostics } = await compileRunbook(parsed.module, source);
      for (const d of diagnostics)
        if (d.severity === "error") failures.push(`${file}: ${d.code} ${d.message}`);
      if (plan === undefined) {
        failures.push(`${file}: no runbook`);
        continue;
      }
      const printed = runbookWithSources(plan, source);
      const reread = parseYaml(printRunbookYaml(printed)) as Runbook;
      // The printer is our own: what it prints must read back as exactly the runbook.
      if (!isDeepStrictEqual(reread, JSON.parse(JSON.stringify(printed))))
        failures.push(`${file}: YAML does not read back`);
      for (const problem of schemaProblems(reread))
        failures.push(`${file}: schema ${problem.pointer} ${problem.detail}`);
      for (const d of checkRunbook(reread, () => ({ file, start: 0, end: 0 })))
        if (d.severity === "error") failures.push(`${file}: ${d.code} ${d.message}`);
      const lines = text.split(/\r\n|\n|\r/);
      for (const step of allSteps(reread.steps)) {
        if (step.type === "group") continue;
        steps += 1;
        if (step.type !== "cli") continue;
        cliSteps += 1;
        const cli = step as CliStep;
        if (cli.source === undefined) {
          failures.push(`${file}: step ${cli.id} has no source`);
          continue;
        }
        const around = lines.slice(cli.source.line - 1, cli.source.end_line ?? cli.source.line).join("\n");
        for (const element of cli.with.argv)
          for (const piece of literalPieces(element))
            if (!occursIn(piece, around))
              failures.push(`${file}:${cli.source.line}: step ${cli.id}: '${piece}' is not in the source`);
      }
      commandLines += plan.coverage.commandLines;
      covered += plan.coverage.covered;
      if (plan.coverage.covered < plan.coverage.commandLines)
        lowCoverage.push(
          `${file}: ${plan.coverage.covered}/${plan.coverage.commandLines} (missing lines ${plan.coverage.missing.map((span) => source.lineCol(span.start).line).join(", ")})`,
        );
    }
    const percent = commandLines === 0 ? 100 : (covered / commandLines) * 100;
    console.log(
      `runbook corpus: ${files.length} TSGs, ${steps} steps (${cliSteps} cli), coverage ${covered}/${commandLines} command lines (${percent.toFixed(1)}%)`,
    );
    for (const line of lowCoverage) console.log(`  below 100%: ${line}`);
    expect(failures.slice(0, 20).join("\n")).toBe("");
    expect(percent).toBe(100);
  }, 120_000);
});
