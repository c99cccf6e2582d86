/**
 * `rllmc inspect task.md`: a task at a glance — where its block is, the prompt's placeholders,
 * the context and output paths (with theirs), the guarantees. As an object for `--json`, and as
 * text.
 */
import type { Placeholder, TaskModule } from "../ir/nodes.js";
import type { SourceFile } from "../ir/source-file.js";

export interface TaskSummary {
  readonly title: string | null;
  readonly file: string;
  readonly block: "frontmatter" | "fenced-yaml";
  readonly prompt: { readonly line: number; readonly placeholders: readonly string[] } | null;
  readonly context: readonly PathRow[];
  readonly outputs: readonly PathRow[];
  readonly guarantees: readonly string[];
}

interface PathRow {
  readonly path: string;
  readonly line: number;
  readonly description: string | null;
  readonly placeholders: readonly string[];
}

export function summariseTask(module: TaskModule, source: SourceFile): TaskSummary {
  const line = (offset: number) => source.lineCol(offset).line;
  const written = (ps: readonly Placeholder[]) => [
    ...new Set(ps.map((p) => source.text.slice(p.span.start, p.span.end))),
  ];
  const path = (ref: TaskModule["context"][number]): PathRow => ({
    path: ref.path,
    line: line(ref.span.start),
    description: ref.description ?? null,
    placeholders: written(ref.placeholders),
  });
  return {
    title: module.title ?? null,
    file: source.path,
    block: module.blockOrigin,
    prompt:
      module.prompt === undefined
        ? null
        : { line: line(module.prompt.span.start), placeholders: written(module.prompt.placeholders) },
    context: module.context.map(path),
    outputs: module.outputs.map(path),
    guarantees: module.guarantees.map((g) => g.text),
  };
}

export function formatTaskSummary(s: TaskSummary): string {
  const lines = [
    s.title ?? "(untitled task)",
    `  file: ${s.file}`,
    `  task block: ${s.block === "frontmatter" ? "YAML frontmatter" : "a fenced yaml block"}`,
    "",
    s.prompt === null
      ? "Prompt: (none)"
      : `Prompt (line ${s.prompt.line}): placeholders ${s.prompt.placeholders.join(", ") || "(none)"}`,
  ];
  const paths = (title: string, rows: readonly PathRow[]) => {
    lines.push("", title);
    if (rows.length === 0) lines.push("  (none)");
    for (const r of rows)
      lines.push(
        `  L${r.line} ${r.path}${r.description === null ? "" : `  ${r.description}`}${r.placeholders.length > 0 ? `  (placeholders ${r.placeholders.join(", ")})` : ""}`,
      );
  };
  paths("Context", s.context);
  paths("Outputs", s.outputs);
  lines.push("", "Guarantees");
  if (s.guarantees.length === 0) lines.push("  (none)");
  for (const g of s.guarantees) lines.push(`  - ${g}`);
  lines.push("", "--ir prints the IR.");
  return `${lines.map((l) => l.trimEnd()).join("\n")}\n`;
}
