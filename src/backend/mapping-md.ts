/**
 * The `mapping.md` backend: the review report of a compiled runbook, readable in a minute.
 * Order: a summary line with the coverage figure; the step table (step → TSG section and lines,
 * type, why manual or approval); the extracted commands; the variables inferred from
 * placeholders; the blocks and lines read as data rather than commands, and why; the TODOs and
 * uncertainties as a checklist. Byte-stable: no dates, no absolute
 * paths, everything in step or line order.
 */

import type { RunbookPlan, StepNote } from "../ir/runbook-plan.js";
import type { SourceFile } from "../ir/source-file.js";
import type { Span } from "../ir/span.js";
import { allSteps, type Step } from "../lang/runbook/types.js";
import { linesOf } from "../passes/runbook/provenance.js";

export interface MappingMdOptions {
  /** What `rllmc review` changed by hand of a model: a `Reviewed:` line under the summary. */
  readonly reviewed?: string;
}

/** `source` is the TSG the plan was compiled from: the plan holds spans, the report lines. */
export function printMappingMd(
  plan: RunbookPlan,
  source: SourceFile,
  options: MappingMdOptions = {},
): string {
  const { runbook, coverage } = plan;
  const line = (span: Span) => source.lineCol(span.start).line;
  const missingLines = coverage.missing.map(line);
  const steps = [...allSteps(runbook.steps)];
  const notes = new Map(plan.steps.map((n) => [n.id, n]));
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depths = depthsOf(runbook.steps);
  const counts = { cli: 0, manual: 0, group: 0 };
  for (const step of steps) counts[step.type] += 1;
  const approvals = steps.filter((s) => s.type !== "group" && s.approvals !== undefined).length;
  const percent =
    coverage.commandLines === 0 ? 100 : Math.floor((coverage.covered / coverage.commandLines) * 1000) / 10;
  const out: string[] = [];
  out.push(`# Mapping: ${plan.title}`, "");
  out.push(`Source: \`${plan.file}\` → runbook \`${runbook.meta.name}\``);
  out.push(
    `${plural(counts.cli + counts.manual, "step")}: ${counts.cli} cli, ${counts.manual} manual; ${approvals} need${approvals === 1 ? "s" : ""} an approval; in ${plural(counts.group, "group")}.`,
  );
  out.push(
    plan.interpretation.kind === "none"
      ? "Made by the deterministic extraction alone (--llm off)."
      : `Refined by ${plan.interpretation.model} (${plan.interpretation.fromCache ? "answer from the cache" : "answer recorded now"}, key ${plan.interpretation.cacheKey.slice(0, 12)}), then checked.`,
  );
  if (options.reviewed !== undefined) out.push(`Reviewed: ${options.reviewed.replace(/[\r\n]+/g, " ")}`);
  out.push(
    `**Coverage: ${coverage.covered}/${coverage.commandLines} command lines of the TSG's shell code blocks are steps (${percent}%).**`,
  );
  if (missingLines.length > 0)
    out.push(`Not covered: line${missingLines.length === 1 ? "" : "s"} ${missingLines.join(", ")}.`);
  out.push("");

  out.push("## Steps", "");
  if (steps.length === 0) out.push("No steps: the TSG has no command and no section of instructions.", "");
  else {
    out.push(
      "| step | type | TSG lines | section | why manual / approval |",
      "| --- | --- | --- | --- | --- |",
    );
    for (const step of steps) {
      const note = notes.get(step.id);
      const depth = depths.get(step.id) ?? 0;
      const name = `${"&nbsp;&nbsp;".repeat(depth)}\`${step.id}\``;
      out.push(
        `| ${name} | ${step.type} | ${lines(note, source)} | ${cell(note?.sectionTitle ?? "")} | ${cell(why(step, note))} |`,
      );
    }
    out.push("");
  }

  const commandSteps = plan.steps.filter((n) => n.command !== undefined);
  if (commandSteps.length > 0) {
    out.push("## Extracted commands", "");
    for (const note of [...commandSteps].sort((a, b) => line(a.span) - line(b.span))) {
      const step = byId.get(note.id);
      out.push(`- line ${line(note.span)} → \`${note.id}\` (${note.type}, from ${originText(note.origin)})`);
      out.push(`  ${code(note.command!)}`);
      if (step?.type === "cli") out.push(`  argv: ${code(JSON.stringify(step.with.argv))}`);
      if (note.sample !== undefined)
        out.push(`  sample output from line ${line(note.sample)} attached (never run)`);
    }
    out.push("");
  }

  const vars = runbook.meta.vars ?? {};
  if (Object.keys(vars).length > 0) {
    out.push(
      "## Variables",
      "",
      "| variable | written in the TSG | first used | value |",
      "| --- | --- | --- | --- |",
    );
    const inferred = new Map(plan.vars.map((v) => [v.name, v]));
    for (const [name, spec] of Object.entries(vars)) {
      const v = inferred.get(name);
      const written = v === undefined ? "—" : v.written.map((w) => code(w)).join(", ");
      const first =
        v === undefined
          ? typeof spec === "object" && spec.source
            ? `line ${spec.source.line}`
            : "—"
          : `line ${line(v.first)}${v.uses > 1 ? ` (${v.uses} uses)` : ""}`;
      const value =
        typeof spec === "string"
          ? code(spec)
          : spec.value !== undefined
            ? code(spec.value)
            : `TODO: \`--var ${name}=…\``;
      out.push(`| \`${name}\` | ${cell(written)} | ${first} | ${cell(value)} |`);
    }
    out.push("");
  }

  if (plan.data.length > 0) {
    out.push(
      "## Read as data",
      "",
      "Code blocks, or lines of them, that could have held commands but hold data: never run, never an allowed command.",
      "",
    );
    for (const note of plan.data) {
      const { line: first, endLine } = linesOf(note.span, source);
      const where = endLine > first ? `lines ${first}–${endLine}` : `line ${first}`;
      const what = note.wholeBlock
        ? `the ${blockName(note.lang)} block`
        : `in a ${blockName(note.lang)} block`;
      const went =
        note.sampleOf === undefined
          ? "not in the runbook (listed here only)"
          : `in the runbook as the sample output of \`${note.sampleOf}\``;
      out.push(`- ${where} (${what}): ${note.reason}; ${went}.`);
    }
    out.push("");
  }

  out.push("## TODOs and uncertainties", "");
  if (plan.uncertainties.length === 0) out.push("None.");
  for (const u of plan.uncertainties) out.push(`- [ ] line ${u.line ?? line(u.span)}: ${u.text}`);
  out.push("");
  return out.join("\n");
}

function why(step: Step, note: StepNote | undefined): string {
  const parts: string[] = [];
  if (step.type === "manual") parts.push(step.reason ?? note?.manualReason ?? "");
  if (step.type !== "group" && step.approvals !== undefined)
    parts.push(`approval: ${note?.approvalReason ?? `at least ${step.approvals.min}`}`);
  return parts.filter((p) => p !== "").join("; ");
}

function lines(note: StepNote | undefined, source: SourceFile): string {
  if (note === undefined) return "—";
  const { line, endLine } = linesOf(note.span, source);
  return endLine > line ? `${line}–${endLine}` : `${line}`;
}

/** Each step's depth of nesting in groups (0 at the top), in one walk. */
function depthsOf(steps: readonly Step[], depth = 0, out = new Map<string, number>()): Map<string, number> {
  for (const step of steps) {
    out.set(step.id, depth);
    if (step.type === "group") depthsOf(step.steps, depth + 1, out);
  }
  return out;
}

function originText(origin: StepNote["origin"]): string {
  switch (origin) {
    case "code-block":
      return "a shell code block";
    case "run-line":
      return "a 'Run:' line";
    case "inline-code":
      return "inline code";
    case "prose":
      return "prose";
    case "section":
      return "a section";
  }
}

function blockName(lang: string): string {
  return lang === "" ? "plain" : `\`${lang}\``;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Inline code that survives backticks in the text. */
function code(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, " ⏎ ");
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A table cell: no line breaks, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
}
