/**
 * The section tree of a TSG, built from the top-level blocks in one pass with a stack of open
 * sections: a heading closes every open section at its depth or deeper and opens a new one
 * under the nearest shallower section (so an h3 right after an h1 nests under the h1). Blocks
 * before the first heading form the preamble. A section's span runs from its heading to the
 * end of its last descendant block (its heading alone when it has none).
 */
import type { Heading, RootContent } from "mdast";
import type { TsgBlock, TsgSection } from "../../ir/nodes.js";
import type { Span } from "../../ir/span.js";
import { buildBlock } from "./build-blocks.js";
import type { MarkdownContext } from "./markdown-context.js";
import { textOf } from "./plain-text.js";
import { Slugger } from "./slugger.js";

export interface SectionTree {
  readonly preamble: readonly TsgBlock[];
  readonly sections: readonly TsgSection[];
  /** The text of the first level-1 heading, if any. */
  readonly firstTitle: string | undefined;
}

interface OpenSection {
  readonly depth: number;
  readonly id: string;
  readonly title: string;
  readonly titleSpan: Span;
  readonly start: number;
  end: number;
  readonly blocks: TsgBlock[];
  readonly children: TsgSection[];
}

export function buildSections(nodes: readonly RootContent[], ctx: MarkdownContext): SectionTree {
  const preamble: TsgBlock[] = [];
  const sections: TsgSection[] = [];
  const stack: OpenSection[] = [];
  const slugger = new Slugger();
  let firstTitle: string | undefined;

  const close = (): void => {
    const open = stack.pop()!;
    const section: TsgSection = {
      kind: "section",
      span: ctx.span(open.start, open.end),
      id: open.id,
      depth: open.depth,
      title: open.title,
      titleSpan: open.titleSpan,
      blocks: open.blocks,
      children: open.children,
    };
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      sections.push(section);
    } else {
      parent.children.push(section);
      parent.end = Math.max(parent.end, open.end);
    }
  };

  for (const node of nodes) {
    if (node.type === "heading") {
      while (stack.length > 0 && stack[stack.length - 1]!.depth >= node.depth) close();
      const title = textOf(node).trim();
      if (firstTitle === undefined && node.depth === 1) firstTitle = title;
      stack.push({
        depth: node.depth,
        id: slugger.unique(title),
        title,
        titleSpan: titleSpan(node, ctx),
        start: ctx.start(node),
        end: ctx.end(node),
        blocks: [],
        children: [],
      });
      continue;
    }
    const block = buildBlock(node, ctx);
    if (block === undefined) continue;
    const top = stack[stack.length - 1];
    if (top === undefined) {
      preamble.push(block);
    } else {
      top.blocks.push(block);
      top.end = Math.max(top.end, block.span.end);
    }
  }
  while (stack.length > 0) close();
  return { preamble, sections, firstTitle };
}

/** From the first to the last character of the heading's text (the heading itself when empty). */
function titleSpan(node: Heading, ctx: MarkdownContext): Span {
  const first = node.children[0];
  const last = node.children[node.children.length - 1];
  if (first === undefined || last === undefined) return ctx.spanOf(node);
  return ctx.span(ctx.start(first), ctx.end(last));
}
