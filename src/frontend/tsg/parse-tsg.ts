/**
 * The TSG frontend: a prose troubleshooting guide in Markdown → `TsgModule` (TSG-IR, Stage A of
 * the TSG → runbook compiler). Deterministic and lossless about where things came from: every
 * node, command and placeholder carries a span into the source text.
 *
 * Pipeline (one parse, one walk of the mdast tree):
 *   parse-markdown   Markdown → mdast (CommonMark + YAML frontmatter + GFM tables)
 *   parse-yaml       the frontmatter → YamlDocument (its diagnostics are kept as they are)
 *   build-sections   headings → section tree; other blocks → build-blocks
 *   build-blocks     paragraphs (+ inline-commands), lists, tables, quotes, html, code-block
 *   code-block       lines mapped to the source, code-block-role, shell-lines
 *   shell-lines      prompts, continuations, heredocs, output, comments → command-line
 *   command-line     placeholders and Go templates (placeholders.ts) with source spans
 *
 * A prose TSG has no syntax errors: apart from YAML errors in its frontmatter, every diagnostic
 * is a warning. A guide nested more than `MAX_NESTING` levels deep (block quotes and list items)
 * is still read, with TSG3005, and what lies deeper is kept as plain text (`nesting.ts`, which
 * also keeps remark-parse's time linear in such a document): no walk of the tree recurses
 * deeper than that. `parseTsg` catches nothing: an exception is a bug
 * and reaches the caller (the CLI exits with code 3).
 */
import { basename, extname } from "node:path";
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { TsgModule, YamlDocument } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";
import { parseYaml } from "../yaml/parse-yaml.js";
import { buildSections } from "./build-sections.js";
import { MarkdownContext } from "./markdown-context.js";
import { limitNesting, MAX_NESTING, restoreOffsets } from "./nesting.js";
import { parseMarkdown } from "./parse-markdown.js";

export interface TsgParseResult {
  readonly module: TsgModule;
  readonly diagnostics: Diagnostic[];
}

export function parseTsg(source: SourceFile): TsgParseResult {
  const { text } = source;
  const base = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  // The same text with any marker nested past the limit escaped, and past it the prefixes of
  // continuation lines left out; the tree gets the input's offsets back.
  const limited = limitNesting(text);
  const tree = parseMarkdown(limited.text);
  restoreOffsets(tree, limited, base);
  const ctx = new MarkdownContext(source.path, text, source.lineStarts, base);

  let frontmatter: YamlDocument | undefined;
  let nodes = tree.children;
  const first = nodes[0];
  if (first?.type === "yaml") {
    nodes = nodes.slice(1);
    const start = ctx.start(first);
    const contentStart = afterLine(text, start);
    const result = parseYaml(source.path, first.value, Math.min(contentStart, ctx.end(first)));
    frontmatter = result.document;
    ctx.diagnostics.push(...result.diagnostics);
  }

  const outline = buildSections(nodes, ctx);
  ctx.resolveReferences();
  // An escaped marker is reported when it did cut the nesting (not, say, on a paragraph's line).
  if (limited.tooDeep !== undefined && ctx.deepest >= MAX_NESTING)
    ctx.noteTooDeep(ctx.span(limited.tooDeep.start, limited.tooDeep.end));
  if (ctx.tooDeep !== undefined)
    ctx.diagnostics.push(makeDiagnostic(Diagnostics.TsgNestedTooDeeply, ctx.tooDeep, { limit: MAX_NESTING }));

  if (outline.preamble.length === 0 && outline.sections.length === 0) {
    const start = frontmatter === undefined ? base : ctx.end(first!);
    ctx.diagnostics.push(makeDiagnostic(Diagnostics.TsgEmptyDocument, ctx.span(start, text.length), {}));
  }

  const module: TsgModule = {
    kind: "tsg",
    span: ctx.span(0, text.length),
    frontmatter,
    title: outline.firstTitle ?? frontmatterTitle(frontmatter) ?? fileTitle(source.path),
    preamble: outline.preamble,
    sections: outline.sections,
  };
  return { module, diagnostics: ctx.diagnostics };
}

function frontmatterTitle(frontmatter: YamlDocument | undefined): string | undefined {
  const value = frontmatter?.value;
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value))
    return undefined;
  const title = (value as { readonly title?: unknown }).title;
  return typeof title === "string" && title.trim() !== "" ? title.trim() : undefined;
}

function fileTitle(path: string): string {
  return basename(path, extname(path));
}

/** The offset just after the line that contains `offset`. */
function afterLine(text: string, offset: number): number {
  const newline = text.indexOf("\n", offset);
  return newline < 0 ? text.length : newline + 1;
}
