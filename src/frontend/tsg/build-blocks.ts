/**
 * mdast block nodes → `TsgBlock`s, in one walk. Paragraphs get their plain text, links
 * (and images), inline code and inline commands (`inline-commands.ts`); code blocks go to
 * `code-block.ts`; lists keep GitHub task-list markers as `checked`; tables keep their cells as
 * plain text. A heading inside a list or blockquote (not a section) becomes a paragraph; link
 * definitions are recorded for reference links and produce no block.
 *
 * Block quotes and list items nest at most `MAX_NESTING` levels deep (`nesting.ts`): a block
 * quote or list one level deeper becomes a paragraph holding its plain text, and the guide gets
 * TSG3005. No walk here recurses more than that (inline content is walked with a stack).
 */
import type {
  Blockquote,
  Heading,
  List,
  ListItem,
  Paragraph,
  PhrasingContent,
  RootContent,
  Table,
} from "mdast";
import type {
  TsgBlock,
  TsgInlineCode,
  TsgLink,
  TsgList,
  TsgListItem,
  TsgParagraph,
  TsgTable,
} from "../../ir/nodes.js";
import { buildCodeBlock } from "./code-block.js";
import { type InlineCodeSource, inlineCommands } from "./inline-commands.js";
import { alignText, type SourceLine, sourceOffsetIn } from "./mapped-text.js";
import type { MarkdownContext, MutableLink } from "./markdown-context.js";
import { MAX_NESTING } from "./nesting.js";
import { blockText, textOf } from "./plain-text.js";

const TASK_MARKER = /^\[([ xX])\][ \t]+/;

/**
 * Converts the blocks of a container, skipping nodes that are not blocks. `depth`: how many
 * block quotes and list items hold them.
 */
export function buildBlocks(nodes: readonly RootContent[], ctx: MarkdownContext, depth = 0): TsgBlock[] {
  const out: TsgBlock[] = [];
  for (const node of nodes) {
    const block = buildBlock(node, ctx, depth);
    if (block !== undefined) out.push(block);
  }
  return out;
}

/**
 * One block node; undefined for nodes that are not blocks (definitions, frontmatter, …).
 * `depth`: how many block quotes and list items hold it.
 */
export function buildBlock(node: RootContent, ctx: MarkdownContext, depth = 0): TsgBlock | undefined {
  switch (node.type) {
    case "paragraph":
      return buildParagraph(node, ctx);
    case "heading":
      return buildParagraph(node, ctx);
    case "code":
      return buildCodeBlock(node, ctx);
    case "list":
      return depth >= MAX_NESTING ? tooDeep(node, ctx) : buildList(node, ctx, depth);
    case "table":
      return buildTable(node, ctx);
    case "blockquote":
      return depth >= MAX_NESTING ? tooDeep(node, ctx) : buildBlockquote(node, ctx, depth);
    case "html":
      return { kind: "html", span: ctx.spanOf(node), value: node.value };
    case "thematicBreak":
      return { kind: "thematic-break", span: ctx.spanOf(node) };
    case "definition":
      ctx.define(node.identifier, node.url);
      return undefined;
    default:
      return undefined;
  }
}

function buildParagraph(node: Paragraph | Heading, ctx: MarkdownContext, stripTask = false): TsgParagraph {
  const links: TsgLink[] = [];
  const codes: TsgInlineCode[] = [];
  const sources: InlineCodeSource[] = [];
  collectInline(node.children, ctx, links, codes, sources);
  const start = ctx.start(node);
  const end = ctx.end(node);
  let text = textOf(node);
  if (stripTask) text = text.replace(TASK_MARKER, "");
  return {
    kind: "paragraph",
    span: ctx.span(start, end),
    text,
    links,
    inlineCode: codes,
    commands:
      sources.length > 0 || mayHaveRunLine(ctx.text, start, end)
        ? inlineCommands(start, end, sources, ctx)
        : [],
  };
}

/** Cheap test before looking for `Run: command` lines without backticks. */
function mayHaveRunLine(text: string, start: number, end: number): boolean {
  const body = text.slice(start, end);
  return body.includes(":") && /\b(?:run|execute)\b/i.test(body);
}

/** Links, inline code and its sources, in document order; walked with a stack, not recursion. */
function collectInline(
  nodes: readonly PhrasingContent[],
  ctx: MarkdownContext,
  links: TsgLink[],
  codes: TsgInlineCode[],
  sources: InlineCodeSource[],
): void {
  const stack: PhrasingContent[] = [];
  pushReversed(stack, nodes);
  while (stack.length > 0) {
    const node = stack.pop()!;
    switch (node.type) {
      case "inlineCode": {
        const line = inlineCodeLine(node.value, ctx.start(node), ctx.end(node), ctx.text);
        const start = sourceOffsetIn(line, 0);
        const end = line.text.length === 0 ? start : sourceOffsetIn(line, line.text.length - 1) + 1;
        codes.push({ kind: "inline-code", span: ctx.span(start, end), value: node.value });
        sources.push({ line, nodeStart: ctx.start(node) });
        break;
      }
      case "link":
        links.push({
          kind: "link",
          span: ctx.spanOf(node),
          url: node.url,
          text: textOf(node),
          image: false,
        });
        pushReversed(stack, node.children);
        break;
      case "image":
        links.push({
          kind: "link",
          span: ctx.spanOf(node),
          url: node.url,
          text: node.alt ?? "",
          image: true,
        });
        break;
      case "linkReference": {
        const link: MutableLink = {
          kind: "link",
          span: ctx.spanOf(node),
          url: "",
          text: textOf(node),
          image: false,
        };
        ctx.refer(link, node.identifier);
        links.push(link);
        pushReversed(stack, node.children);
        break;
      }
      case "imageReference": {
        const link: MutableLink = {
          kind: "link",
          span: ctx.spanOf(node),
          url: "",
          text: node.alt ?? "",
          image: true,
        };
        ctx.refer(link, node.identifier);
        links.push(link);
        break;
      }
      case "emphasis":
      case "strong":
      case "delete":
        pushReversed(stack, node.children);
        break;
      default:
        break;
    }
  }
}

function pushReversed(stack: PhrasingContent[], nodes: readonly PhrasingContent[]): void {
  for (let i = nodes.length - 1; i >= 0; i--) stack.push(nodes[i]!);
}

/**
 * The value of an inline code node mapped to the source: the text between the backtick runs,
 * less the one padding space on each side that Markdown strips.
 */
function inlineCodeLine(value: string, start: number, end: number, text: string): SourceLine {
  let open = 0;
  while (start + open < end && text[start + open] === "`") open++;
  let close = 0;
  while (close < open && end - 1 - close > start + open && text[end - 1 - close] === "`") close++;
  const innerStart = start + open;
  const innerEnd = end - close;
  const inner = innerEnd - innerStart;
  if (inner === value.length && text.startsWith(value, innerStart)) return { text: value, start: innerStart };
  if (inner === value.length + 2 && text.startsWith(value, innerStart + 1))
    return { text: value, start: innerStart + 1 };
  const map = alignText(value, text, innerStart, innerEnd);
  return { text: value, start: map[0] ?? innerStart, map };
}

function buildList(node: List, ctx: MarkdownContext, depth: number): TsgList {
  if (depth >= ctx.deepest) ctx.deepest = depth + 1;
  const items: TsgListItem[] = node.children.map((item) => buildListItem(item, ctx, depth + 1));
  return { kind: "list", span: ctx.spanOf(node), ordered: node.ordered ?? false, items };
}

/** `depth` counts the item itself. */
function buildListItem(item: ListItem, ctx: MarkdownContext, depth: number): TsgListItem {
  let checked: boolean | null = item.checked ?? null;
  const first = item.children[0];
  let task = false;
  if (checked === null && first?.type === "paragraph") {
    const m = TASK_MARKER.exec(ctx.text.slice(ctx.start(first), ctx.start(first) + 8));
    if (m !== null) {
      checked = m[1] !== " ";
      task = true;
    }
  }
  const blocks: TsgBlock[] = [];
  for (const child of item.children) {
    const block =
      task && child === first ? buildParagraph(child as Paragraph, ctx, true) : buildBlock(child, ctx, depth);
    if (block !== undefined) blocks.push(block);
  }
  return { kind: "list-item", span: ctx.spanOf(item), checked, blocks };
}

function buildTable(node: Table, ctx: MarkdownContext): TsgTable {
  const links: TsgLink[] = [];
  const rows: string[][] = [];
  for (const row of node.children) {
    const cells: string[] = [];
    for (const cell of row.children) {
      cells.push(textOf(cell));
      collectInline(cell.children, ctx, links, [], []);
    }
    rows.push(cells);
  }
  const [header = [], ...body] = rows;
  return { kind: "table", span: ctx.spanOf(node), header, rows: body, links };
}

function buildBlockquote(node: Blockquote, ctx: MarkdownContext, depth: number): TsgBlock {
  if (depth >= ctx.deepest) ctx.deepest = depth + 1;
  return { kind: "blockquote", span: ctx.spanOf(node), blocks: buildBlocks(node.children, ctx, depth + 1) };
}

/**
 * A block quote or list one level deeper than `MAX_NESTING`: a paragraph with the plain text of
 * its blocks (one per line) and no links, inline code or commands.
 */
function tooDeep(node: Blockquote | List, ctx: MarkdownContext): TsgParagraph {
  const span = ctx.spanOf(node);
  ctx.noteTooDeep(span);
  return { kind: "paragraph", span, text: blockText(node), links: [], inlineCode: [], commands: [] };
}
