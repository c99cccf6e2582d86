/**
 * Stage A of `runbook compile`: the deterministic extraction of a runbook from a TSG's IR, with
 * no model involved. This module walks the sections and assembles the document; what it
 * extracts comes from `extract-commands.ts` (command steps, sample output, data),
 * `extract-prose.ts` (prose steps) and `extract-variables.ts` (`meta.vars`). Its rules (docs/runbook-spec.md, "How a TSG becomes a runbook"):
 *
 * - each section with steps becomes a `group` (a single top-level `# Title` section is the
 *   runbook itself, not a group);
 * - each command — a command line of a shell code block, a `Run:` line, inline code that is a
 *   command — becomes a step: `cli` when it needs no shell and opens no session, else `manual`
 *   showing the exact command and saying why;
 * - a command that changes state needs an approval, whatever its step type;
 * - sample output (output lines after a prompt, or an output block right after the commands)
 *   is attached to the step it illustrates, never executed;
 * - data in a block that could have held commands (YAML, JSON, logs, queries: the frontend's
 *   `dataReason`) is attached as sample output when it follows a command, else shown, never
 *   run; `plan.data` says where each such block or run of lines went and why;
 * - a command typed at an interactive program's prompt (`db=#`, `gpg/card>`, a bare `>` before
 *   text that is no shell command) is a `manual` step: it runs inside that program;
 * - a section whose prose gives instructions but no command becomes a `manual` step, its list
 *   items a checklist;
 * - placeholders of `cli` steps become `meta.vars` entries with a TODO (a manual step shows
 *   its command exactly as the source wrote it, never rendered); secrets are never read into
 *   a template: a command that needs one is manual.
 *
 * Nothing is invented: every argv is the split of a command in the source, and every step
 * records the lines it came from.
 */
import { createHash } from "node:crypto";
import { basename, extname } from "node:path";
import type { TsgBlock, TsgModule, TsgSection } from "../../ir/nodes.js";
import type { RunbookPlan } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import { DEFAULT_DENY_ENV_VARS, DEFAULT_REDACT } from "../../lang/runbook/governance.js";
import { type GroupStep, RUNBOOK_API_VERSION, type Runbook, type Step } from "../../lang/runbook/types.js";
import { commandSteps } from "./extract-commands.js";
import { proseSteps } from "./extract-prose.js";
import { extractedVariables } from "./extract-variables.js";
import {
  addNote,
  allocateId,
  byLine,
  clip,
  compare,
  type Extraction,
  type SectionInfo,
  startExtraction,
} from "./extraction.js";
import type { RunbookPass } from "./pass.js";

/** Stage A as a pass: the plan extracted from the unit's TSG. */
export const extractRunbookPass: RunbookPass = {
  name: "extract-runbook",
  run(unit) {
    return { ...unit, plan: extractRunbook(unit.tsg, unit.source, { file: unit.file }) };
  },
};

export interface ExtractOptions {
  /** The path written into `source.file` (defaults to the source's path). */
  readonly file?: string;
}

export function extractRunbook(
  module: TsgModule,
  source: SourceFile,
  options: ExtractOptions = {},
): RunbookPlan {
  const file = options.file ?? source.path;
  const x = startExtraction(module, source, file);
  const roots = module.sections;
  const single = roots.length === 1 && roots[0]!.depth === 1 ? roots[0]! : undefined;
  const description = firstParagraph([...module.preamble, ...(single?.blocks ?? [])]) ?? describedBy(roots);
  const steps =
    single !== undefined
      ? [
          ...blockSteps(x, single.blocks, { id: single.id, title: single.title }, single),
          ...single.children.flatMap((c) => sectionStep(x, c)),
        ]
      : [
          ...blockSteps(x, module.preamble, { id: "", title: module.title }, undefined),
          ...roots.flatMap((s) => sectionStep(x, s)),
        ];
  const vars = extractedVariables(x.vars, source, file);
  const runbook: Runbook = {
    apiVersion: RUNBOOK_API_VERSION,
    meta: {
      name: runbookName(file, module.title),
      title: module.title,
      ...(description === undefined ? {} : { description }),
      source: { file, sha256: createHash("sha256").update(source.text).digest("hex") },
      ...(x.vars.size > 0 ? { vars: vars.specs } : {}),
      governance: {
        allowed_commands: [...x.allowed].sort(compare),
        deny_env_vars: [...DEFAULT_DENY_ENV_VARS],
        redact: DEFAULT_REDACT.map((r) => ({ ...r })),
        evidence: { require_for_manual: true, store_full_stdout: false },
      },
    },
    steps,
  };
  return {
    runbook,
    file,
    title: module.title,
    steps: x.notes,
    vars: vars.notes,
    uncertainties: byLine(x, [...x.uncertainties, ...vars.uncertainties]),
    data: x.data,
    coverage: { commandLines: x.coverage.commandLines, covered: x.coverage.covered, missing: [] },
    interpretation: { kind: "none" },
  };
}

/** A section as a group of its steps, or nothing when it has none. */
function sectionStep(x: Extraction, section: TsgSection): Step[] {
  const info = { id: section.id, title: section.title };
  const steps = [
    ...blockSteps(x, section.blocks, info, section),
    ...section.children.flatMap((c) => sectionStep(x, c)),
  ];
  if (steps.length === 0) return [];
  const id = allocateId(x, section.id || "section", "section");
  const group: GroupStep = {
    id,
    type: "group",
    title: section.title,
    steps,
  };
  addNote(x, {
    id,
    type: "group",
    origin: "section",
    span: section.span,
    sectionTitle: section.title,
    section: info.id,
  });
  return [group];
}

/** The steps of a section's own blocks (not its subsections): its commands, else its prose. */
function blockSteps(
  x: Extraction,
  blocks: readonly TsgBlock[],
  section: SectionInfo,
  owner: TsgSection | undefined,
): Step[] {
  const steps = commandSteps(x, blocks, section);
  if (owner === undefined) return steps;
  return [...steps, ...proseSteps(x, owner, section, blocks, steps.length > 0)];
}

/** The first paragraph of a "Meaning"/"Summary"/"Overview"/"Description" section. */
function describedBy(sections: readonly TsgSection[]): string | undefined {
  for (const section of walkSections(sections)) {
    if (/^(?:meaning|summary|overview|description|about|purpose)\b/i.test(section.title)) {
      const text = firstParagraph(section.blocks);
      if (text !== undefined) return text;
    }
  }
  return undefined;
}

function firstParagraph(blocks: readonly TsgBlock[]): string | undefined {
  for (const block of blocks)
    if (block.kind === "paragraph" && block.text.trim() !== "")
      return clip(block.text.replace(/\s*\n\s*/g, " ").trim(), 500);
  return undefined;
}

function* walkSections(sections: readonly TsgSection[]): Generator<TsgSection> {
  for (const section of sections) {
    yield section;
    yield* walkSections(section.children);
  }
}

/** The file's stem, or the title's slug when the stem says nothing (`input.md`, `README.md`). */
function runbookName(file: string, title: string): string {
  const slug = (text: string) =>
    text
      .replace(/[^A-Za-z0-9_.-]+/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "")
      .replace(/-+$/, "");
  const stem = slug(basename(file, extname(file)));
  const generic = /^(?:input|index|_index|readme|runbook|tsg|main|doc)$/i.test(stem);
  return ((generic ? slug(title) : stem) || stem || "runbook").slice(0, 128);
}
