/**
 * `rllmc inspect tsg.md`: what a reader wants to know about a TSG before compiling it — the
 * title, the section tree with line numbers, per section the commands found (line, text, where
 * found) and the step each would become in `runbook compile` (`cli` or `manual` and why, and
 * whether it needs an approval: Stage A's answer, no model), the literal blocks, the
 * placeholders and the variables they become, and totals. As an object for `--json`, and as text.
 */
import type { CommandLine, Placeholder, TsgBlock, TsgCodeBlock, TsgModule, TsgSection } from "../ir/nodes.js";
import { assertNever } from "../ir/nodes.js";
import type { StepNote } from "../ir/runbook-plan.js";
import type { SourceFile } from "../ir/source-file.js";
import { extractRunbook } from "../passes/runbook/extract-runbook.js";

export interface TsgSummary {
  readonly title: string;
  readonly file: string;
  /** The frontmatter's top-level keys; null when there is none. */
  readonly frontmatter: readonly string[] | null;
  readonly sections: readonly SectionRow[];
  readonly placeholders: readonly PlaceholderRow[];
  readonly totals: {
    readonly sections: number;
    readonly commands: number;
    readonly cli: number;
    readonly manual: number;
    readonly approvals: number;
    /** Commands that become no step (the compile's coverage warning lists them). */
    readonly not_steps: number;
    readonly shell_blocks: number;
    readonly literal_blocks: number;
    readonly sample_output_lines: number;
  };
}

export interface SectionRow {
  /** "" for the text before the first heading. */
  readonly title: string;
  readonly id: string;
  /** 0 for the text before the first heading. */
  readonly depth: number;
  readonly line: number;
  readonly commands: readonly CommandRow[];
  readonly literal_blocks: readonly {
    readonly line: number;
    readonly lang: string;
    readonly lines: number;
  }[];
  readonly children: readonly SectionRow[];
}

export interface CommandRow {
  readonly line: number;
  readonly text: string;
  readonly origin: CommandLine["origin"];
  /** The step it becomes in `runbook compile` (without the LLM pass); null when none. */
  readonly step: "cli" | "manual" | null;
  readonly step_id: string | null;
  readonly manual_reason?: string;
  readonly approval_reason?: string;
}

export interface PlaceholderRow {
  /** As written: `<pod-name>`, `$NAMESPACE`, `${NAMESPACE}`, `{env}`. */
  readonly written: string;
  readonly syntax: Placeholder["syntax"];
  /** The runbook variable it becomes. */
  readonly variable: string | null;
  readonly lines: readonly number[];
}

export function summariseTsg(module: TsgModule, source: SourceFile): TsgSummary {
  const plan = extractRunbook(module, source);
  const stepsByStart = new Map<number, StepNote>();
  for (const note of plan.steps)
    if (note.type === "cli" || note.type === "manual") stepsByStart.set(note.span.start, note);
  const line = (offset: number) => source.lineCol(offset).line;
  const placeholders = new Map<string, { syntax: Placeholder["syntax"]; lines: Set<number> }>();
  const totals = {
    sections: 0,
    commands: 0,
    cli: 0,
    manual: 0,
    approvals: 0,
    not_steps: 0,
    shell_blocks: 0,
    literal_blocks: 0,
    sample_output_lines: 0,
  };

  const commandRow = (command: CommandLine): CommandRow => {
    for (const p of command.placeholders) {
      const written = source.text.slice(p.span.start, p.span.end);
      const entry = placeholders.get(written) ?? { syntax: p.syntax, lines: new Set<number>() };
      entry.lines.add(line(p.span.start));
      placeholders.set(written, entry);
    }
    const note = stepsByStart.get(command.span.start);
    totals.commands++;
    if (note === undefined) totals.not_steps++;
    else if (note.type === "cli") totals.cli++;
    else totals.manual++;
    if (note?.approvalReason !== undefined) totals.approvals++;
    return {
      line: line(command.span.start),
      text: command.text,
      origin: command.origin,
      step: note === undefined ? null : (note.type as "cli" | "manual"),
      step_id: note?.id ?? null,
      ...(note?.manualReason === undefined ? {} : { manual_reason: note.manualReason }),
      ...(note?.approvalReason === undefined ? {} : { approval_reason: note.approvalReason }),
    };
  };

  const section = (
    head: { title: string; id: string; depth: number; line: number },
    blocks: readonly TsgBlock[],
    children: readonly TsgSection[],
  ): SectionRow => {
    const commands: CommandRow[] = [];
    const literals: { line: number; lang: string; lines: number }[] = [];
    const code = (block: TsgCodeBlock) => {
      if (block.role === "literal") {
        totals.literal_blocks++;
        literals.push({
          line: line(block.span.start),
          lang: block.lang,
          lines: block.text === "" ? 0 : block.text.replace(/\n$/, "").split("\n").length,
        });
        return;
      }
      totals.shell_blocks++;
      for (const shellLine of block.lines)
        if (shellLine.kind === "command") commands.push(commandRow(shellLine));
        else if (shellLine.kind === "output") totals.sample_output_lines++;
    };
    const visit = (block: TsgBlock): void => {
      switch (block.kind) {
        case "paragraph":
          for (const command of block.commands) commands.push(commandRow(command));
          return;
        case "code":
          code(block);
          return;
        case "list":
          for (const item of block.items) item.blocks.forEach(visit);
          return;
        case "blockquote":
          block.blocks.forEach(visit);
          return;
        case "table":
        case "html":
        case "thematic-break":
          return;
        default:
          assertNever(block, "TSG block");
      }
    };
    blocks.forEach(visit);
    const rows = children.map((child) => sectionOf(child));
    return { ...head, commands, literal_blocks: literals, children: rows };
  };
  const sectionOf = (s: TsgSection): SectionRow => {
    totals.sections++;
    return section(
      { title: s.title, id: s.id, depth: s.depth, line: line(s.titleSpan.start) },
      s.blocks,
      s.children,
    );
  };

  const preamble = section({ title: "", id: "", depth: 0, line: 1 }, module.preamble, []);
  const sections = module.sections.map(sectionOf);
  const hasPreamble = preamble.commands.length > 0 || preamble.literal_blocks.length > 0;
  const fm = module.frontmatter?.value;
  return {
    title: module.title,
    file: source.path,
    frontmatter:
      module.frontmatter === undefined
        ? null
        : fm !== null && typeof fm === "object" && !Array.isArray(fm)
          ? Object.keys(fm)
          : [],
    sections: hasPreamble ? [preamble, ...sections] : sections,
    placeholders: [...placeholders.entries()]
      .map(([written, { syntax, lines }]) => ({
        written,
        syntax,
        variable: plan.vars.find((v) => v.written.includes(written))?.name ?? null,
        lines: [...lines].sort((a, b) => a - b),
      }))
      .sort((a, b) => a.lines[0]! - b.lines[0]! || (a.written < b.written ? -1 : 1)),
    totals,
  };
}

const MAX_COMMAND_WIDTH = 100;

export function formatTsgSummary(s: TsgSummary): string {
  const t = s.totals;
  const lines = [s.title, `  file: ${s.file}`];
  if (s.frontmatter !== null) lines.push(`  frontmatter: ${s.frontmatter.join(", ") || "(empty)"}`);
  lines.push("", "Sections");
  const gutter = (n: number) => `L${n}`.padEnd(6);
  const section = (row: SectionRow, depth: number) => {
    const pad = "  ".repeat(depth);
    lines.push(
      `  ${gutter(row.line)}${pad}${row.depth === 0 ? "(before the first heading)" : `${"#".repeat(row.depth)} ${row.title}`}`,
    );
    const inner = `  ${" ".repeat(6)}${pad}  `;
    const reason = `${inner}${" ".repeat(20)}`;
    // Commands and literal blocks in the order of their lines.
    const entries: { line: number; text: string[] }[] = [
      ...row.commands.map((c) => {
        const kind =
          c.step === null ? "no step" : c.approval_reason === undefined ? c.step : `${c.step}+approval`;
        const where =
          c.origin === "run-line" ? "  (Run: line)" : c.origin === "inline-code" ? "  (inline code)" : "";
        return {
          line: c.line,
          text: [
            `${inner}${gutter(c.line)}${kind.padEnd(14)}${shorten(c.text)}${where}`,
            ...(c.manual_reason === undefined ? [] : [`${reason}manual: ${c.manual_reason}`]),
            ...(c.approval_reason === undefined ? [] : [`${reason}approval: ${c.approval_reason}`]),
          ],
        };
      }),
      ...row.literal_blocks.map((b) => ({
        line: b.line,
        text: [
          `${inner}${gutter(b.line)}${"literal".padEnd(14)}${b.lang || "(no language)"} block, ${b.lines} line${b.lines === 1 ? "" : "s"}`,
        ],
      })),
    ].sort((a, b) => a.line - b.line);
    for (const entry of entries) lines.push(...entry.text);
    for (const child of row.children) section(child, depth + 1);
  };
  for (const row of s.sections) section(row, 0);
  if (s.sections.length === 0) lines.push("  (no headings)");

  lines.push("", "Placeholders");
  if (s.placeholders.length === 0) lines.push("  (none)");
  const width = Math.max(0, ...s.placeholders.map((p) => p.written.length));
  for (const p of s.placeholders)
    lines.push(
      `  ${p.written.padEnd(width)}  → ${p.variable ?? "?"}  (line${p.lines.length === 1 ? "" : "s"} ${p.lines.join(", ")})`,
    );

  lines.push(
    "",
    `Commands: ${t.commands} (${t.cli} cli, ${t.manual} manual${t.not_steps > 0 ? `, ${t.not_steps} no step` : ""}; ${t.approvals} need${t.approvals === 1 ? "s" : ""} an approval)`,
    `Code blocks: ${t.shell_blocks} shell (${t.sample_output_lines} line${t.sample_output_lines === 1 ? "" : "s"} of sample output), ${t.literal_blocks} literal`,
    "Steps as `runbook compile` makes them without the LLM pass; --ir prints the IR.",
  );
  return `${lines.map((l) => l.trimEnd()).join("\n")}\n`;
}

function shorten(text: string): string {
  const one = text.replace(/\s*\n\s*/g, " ⏎ ");
  return one.length > MAX_COMMAND_WIDTH ? `${one.slice(0, MAX_COMMAND_WIDTH - 1)}…` : one;
}
