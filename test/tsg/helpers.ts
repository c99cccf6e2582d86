import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";
import type {
  CommandLine,
  ShellLine,
  TsgBlock,
  TsgCodeBlock,
  TsgModule,
  TsgParagraph,
  TsgSection,
} from "../../src/ir/nodes.js";
import type { Span } from "../../src/ir/span.js";

/** Parses `text` as a TSG and returns the result with helpers to read it. */
export function tsg(text: string, path = "guide.md") {
  const result = parseTsg(sourceFromText(path, text));
  const slice = (s: Span) => text.slice(s.start, s.end);
  return { text, ...result, slice, codes: result.diagnostics.map((d) => d.code) };
}

/** Every block of the module, depth first, including blocks nested in lists and quotes. */
export function allBlocks(module: TsgModule): TsgBlock[] {
  const out: TsgBlock[] = [];
  const visit = (blocks: readonly TsgBlock[]) => {
    for (const block of blocks) {
      out.push(block);
      if (block.kind === "list") for (const item of block.items) visit(item.blocks);
      if (block.kind === "blockquote") visit(block.blocks);
    }
  };
  const sections = (list: readonly TsgSection[]) => {
    for (const s of list) {
      visit(s.blocks);
      sections(s.children);
    }
  };
  visit(module.preamble);
  sections(module.sections);
  return out;
}

export function codeBlocks(module: TsgModule): TsgCodeBlock[] {
  return allBlocks(module).filter((b): b is TsgCodeBlock => b.kind === "code");
}

export function paragraphs(module: TsgModule): TsgParagraph[] {
  return allBlocks(module).filter((b): b is TsgParagraph => b.kind === "paragraph");
}

/** All shell lines of all code blocks. */
export function shellLines(module: TsgModule): ShellLine[] {
  return codeBlocks(module).flatMap((b) => b.lines);
}

export function commands(module: TsgModule): CommandLine[] {
  return shellLines(module).filter((l): l is CommandLine => l.kind === "command");
}

/** The lines of one fenced block as `[kind, text]` pairs (commands get their prompt as `kind(prompt)`). */
export function block(body: string, lang = "sh") {
  const result = tsg(`# T\n\n\`\`\`${lang}\n${body}\n\`\`\`\n`);
  const lines = shellLines(result.module);
  return {
    ...result,
    lines,
    shape: lines.map((l) => [
      l.kind === "command" && l.prompt !== undefined ? `command(${l.prompt})` : l.kind,
      l.text,
    ]),
    commands: lines.filter((l): l is CommandLine => l.kind === "command"),
  };
}

/**
 * How deep block quotes and list items nest in the module (a list and its item are one level),
 * and the last block at that depth; walked with a stack.
 */
export function deepest(module: TsgModule): { depth: number; block: TsgBlock | undefined } {
  let depth = 0;
  let block: TsgBlock | undefined;
  const stack: { blocks: readonly TsgBlock[]; depth: number }[] = [{ blocks: module.preamble, depth: 0 }];
  const sections = [...module.sections];
  while (sections.length > 0) {
    const s = sections.pop()!;
    stack.push({ blocks: s.blocks, depth: 0 });
    sections.push(...s.children);
  }
  while (stack.length > 0) {
    const { blocks, depth: d } = stack.pop()!;
    for (const b of blocks) {
      if (d >= depth) {
        depth = d;
        block = b;
      }
      if (b.kind === "blockquote") stack.push({ blocks: b.blocks, depth: d + 1 });
      if (b.kind === "list") for (const item of b.items) stack.push({ blocks: item.blocks, depth: d + 1 });
    }
  }
  return { depth, block };
}
