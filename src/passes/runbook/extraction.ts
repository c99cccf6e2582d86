/**
 * What Stage A's modules share while they extract one TSG: the step ids given out, the notes,
 * uncertainties and data notes made so far, the programs `cli` steps run, the variables used
 * (`extract-variables.ts`) and the coverage count. One is made per run and dropped after it;
 * the plan is built from it at the end (`extract-runbook.ts`).
 */

import type { TsgModule } from "../../ir/nodes.js";
import type { DataNote, StepNote, Uncertainty } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import type { Step } from "../../lang/runbook/types.js";
import type { VariableUses } from "./extract-variables.js";

const MAX_TITLE = 100;
const MAX_SAMPLE_LINES = 40;

export interface Extraction {
  readonly module: TsgModule;
  readonly source: SourceFile;
  /** The path written into `source.file`. */
  readonly file: string;
  readonly ids: Set<string>;
  /** The next suffix to try per base id. */
  readonly nextSuffix: Map<string, number>;
  readonly notes: StepNote[];
  /** Index in `notes` of each step's note. */
  readonly noteIndex: Map<string, number>;
  readonly uncertainties: Uncertainty[];
  readonly data: DataNote[];
  readonly vars: VariableUses;
  readonly allowed: Set<string>;
  /** Command lines of shell code blocks seen, and how many became a step. */
  readonly coverage: { commandLines: number; covered: number };
}

/** The section a step is in, as its note names it. */
export interface SectionInfo {
  readonly id: string;
  readonly title: string;
}

export function startExtraction(module: TsgModule, source: SourceFile, file: string): Extraction {
  return {
    module,
    source,
    file,
    ids: new Set(),
    nextSuffix: new Map(),
    notes: [],
    noteIndex: new Map(),
    uncertainties: [],
    data: [],
    vars: new Map(),
    allowed: new Set(),
    coverage: { commandLines: 0, covered: 0 },
  };
}

/** A step id from `base`: lower-case words joined by `_`, unique in the runbook. */
export function allocateId(x: Extraction, base: string, fallback: string): string {
  let id = base
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "")
    .slice(0, 48)
    .replace(/_$/, "");
  if (!/^[a-z]/.test(id)) id = id === "" ? fallback : `${fallback}_${id}`.slice(0, 48);
  // The next suffix to try per base id: a TSG that repeats one command thousands of times
  // must not scan `_2, _3, …` from the start each time.
  let n = x.nextSuffix.get(id) ?? 2;
  let candidate = x.ids.has(id) ? `${id}_${n}` : id;
  while (x.ids.has(candidate)) candidate = `${id}_${++n}`;
  if (candidate !== id) x.nextSuffix.set(id, n + 1);
  x.ids.add(candidate);
  return candidate;
}

export function addNote(x: Extraction, note: StepNote): void {
  x.noteIndex.set(note.id, x.notes.length);
  x.notes.push(note);
}

/** `step` with `lines` (at `span`) as its sample output, cut to 40 lines; a group is left as is. */
export function withSample(x: Extraction, step: Step, lines: readonly string[], span: Span): Step {
  if (step.type === "group") return step;
  const shown =
    lines.length > MAX_SAMPLE_LINES
      ? [...lines.slice(0, MAX_SAMPLE_LINES), `… (${lines.length - MAX_SAMPLE_LINES} more lines)`]
      : lines;
  const text = shown.join("\n");
  const index = x.noteIndex.get(step.id) ?? -1;
  if (index >= 0) x.notes[index] = { ...x.notes[index]!, sample: span };
  return { ...step, sample_output: text };
}

/** The 1-based line of an offset, for text that names it. */
export function lineAt(x: Extraction, offset: number): number {
  return x.source.lineCol(offset).line;
}

/** Uncertainties in the order of their lines (stable: the order they were found within a line). */
export function byLine(x: Extraction, uncertainties: readonly Uncertainty[]): Uncertainty[] {
  return [...uncertainties].sort((a, b) => lineAt(x, a.span.start) - lineAt(x, b.span.start));
}

/** A title from prose: its first sentence, on one line, without a closing colon. */
export function titleOf(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const sentence = /^(.{12,}?[.!?])(?:\s|$)/.exec(flat)?.[1] ?? flat;
  return clip(sentence.replace(/[:.]\s*$/, ""));
}

export function clip(text: string, max = MAX_TITLE): string {
  const flat = text.trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
