/**
 * The target IR of `runbook compile`: the runbook/v0 document (`lang/runbook/types.ts`) and,
 * beside it, the provenance a reviewer needs — which source span each step came from, why a step
 * is manual or needs approval, the variables inferred from placeholders, what is uncertain, and
 * the coverage of the source's commands. The `runbook.yaml` backend prints the document; the
 * `mapping.md` backend prints the rest.
 *
 * Like the source IR (`nodes.ts`), the plan holds spans, never line numbers: lines are computed
 * from the `SourceFile` when they are printed — the steps' `source:` fields of the runbook/v0
 * document (`passes/runbook/provenance.ts` `runbookWithSources`, from each step's note), the
 * lines `mapping.md` names, and diagnostics. The runbook in the plan has no step `source`. (A
 * variable's `meta.vars` entry keeps its `source`, as its TODO text names the line: Stage A
 * writes it, and a model's answer gives its own.)
 */
import type { Runbook, StepType } from "../lang/runbook/types.js";
import type { Span } from "./span.js";

export interface RunbookPlan {
  readonly runbook: Runbook;
  /** The source's path as given, and its title. */
  readonly file: string;
  readonly title: string;
  readonly steps: readonly StepNote[];
  readonly vars: readonly VarNote[];
  /** In the order of their lines (`mapping.md` lists them so). */
  readonly uncertainties: readonly Uncertainty[];
  /** Code blocks, or runs of their lines, that could have held commands but were read as data. */
  readonly data: readonly DataNote[];
  readonly coverage: Coverage;
  /** How the runbook was made: the deterministic extraction alone, or refined by a model. */
  readonly interpretation: Interpretation;
}

export type Interpretation =
  | { readonly kind: "none" }
  | { readonly kind: "llm"; readonly model: string; readonly cacheKey: string; readonly fromCache: boolean };

export type StepOrigin = "code-block" | "run-line" | "inline-code" | "prose" | "section";

/** One step of the runbook (groups included) and where it came from. */
export interface StepNote {
  readonly id: string;
  readonly type: StepType;
  readonly origin: StepOrigin;
  /** What the step came from: a command line, a section, or a section's prose. */
  readonly span: Span;
  readonly sectionTitle: string;
  /** The id of the section it is in, as the step's `source.section` names it (none before any heading). */
  readonly section?: string;
  /** The command as the source wrote it (prompt removed), for command steps. */
  readonly command?: string;
  /** Why the step is manual. */
  readonly manualReason?: string;
  /** Why the step needs an approval. */
  readonly approvalReason?: string;
  /** Where the sample output attached to it starts. */
  readonly sample?: Span;
}

export interface VarNote {
  readonly name: string;
  /** The placeholders that became this variable, as written (`<pod-name>`, `$POD`). */
  readonly written: readonly string[];
  /** The command that first uses it. */
  readonly first: Span;
  readonly uses: number;
}

/**
 * Lines of a shell-labelled or unlabelled code block read as data (YAML, JSON, logs, queries,
 * output) rather than commands: where, why, and where the text went.
 */
export interface DataNote {
  /** From the first line read as data to the last. */
  readonly span: Span;
  /** The block's language ("" for none). */
  readonly lang: string;
  /** The whole block (true) or a run of its lines. */
  readonly wholeBlock: boolean;
  readonly reason: string;
  /** The step it is shown with as sample output; absent when it is shown but not run. */
  readonly sampleOf?: string;
}

export type UncertaintyKind =
  | "variable"
  | "manual"
  | "approval"
  | "literal-block"
  | "data"
  | "prose"
  | "template"
  | "secret"
  | "llm";

export interface Uncertainty {
  readonly kind: UncertaintyKind;
  /** What it is about; its line is where `mapping.md` lists it. */
  readonly span: Span;
  readonly text: string;
  /**
   * The line a model's answer names for a variable it added, when that line is past the end of
   * the source (no span can hold it): printed as given, as the runbook's `source.line` is.
   */
  readonly line?: number;
}

export interface Coverage {
  /** Command lines in the source's shell code blocks. */
  readonly commandLines: number;
  /** Of those, how many are a `cli` or `manual` step. */
  readonly covered: number;
  /** The command lines that are not. */
  readonly missing: readonly Span[];
}
