/**
 * Reads the runnable parts of a Markdown document for the README test: every ` ```sh ` block,
 * in order, as commands, with what the document claims about them.
 *
 * - A command is a line of the block (`\` continuations joined); blank lines and `#` lines are
 *   left out. A trailing `# exits N …` comment says the exit code it ends with (0 otherwise);
 *   a trailing `> FILE` sends the command's standard output to FILE.
 * - A ` ```text ` block right after a `sh` block is the output the block's last command claims:
 *   each of its non-blank lines must appear in what that command printed.
 * - A ` ```ts ` block is a program the walkthrough runs; it is written to a file and run.
 * - An HTML comment right before a block directs the test: `<!-- readme-test: skip: why -->`
 *   (the block is not run, and the reason is recorded), `<!-- readme-test: input "a\nb" -->`
 *   (what the person types, given on standard input), `<!-- readme-test: fake model servers -->`
 *   (the block's model servers are the test's local fakes).
 * - `<name>` in a command is filled from what an earlier command printed (`<run_id>`).
 */
import type { Code, Heading, Html, Root, RootContent } from "mdast";
import { toString as textOf } from "mdast-util-to-string";
import remarkParse from "remark-parse";
import { unified } from "unified";

export interface DocCommand {
  /** The command as written (continuations joined, the exit comment removed). */
  readonly text: string;
  readonly line: number;
  readonly exitCode: number;
}

export interface DocBlock {
  readonly kind: "sh" | "ts";
  readonly line: number;
  readonly commands: readonly DocCommand[];
  /** For `ts` blocks, the program. */
  readonly source: string;
  /** The output the last command claims (lines of the `text` block after it). */
  readonly claims: readonly string[];
  readonly skip?: string;
  readonly input?: string;
  readonly fakeServers: boolean;
}

const DIRECTIVE = /^<!--\s*readme-test:\s*([\s\S]*?)\s*-->$/;

export function docBlocks(markdown: string): DocBlock[] {
  const tree = unified().use(remarkParse).parse(markdown) as Root;
  const nodes = flatten(tree.children);
  const out: DocBlock[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.type !== "code" || (node.lang !== "sh" && node.lang !== "ts")) continue;
    const before = nodes[i - 1];
    const directive =
      before?.type === "html" ? DIRECTIVE.exec((before as Html).value.trim())?.[1] : undefined;
    const after = nodes[i + 1];
    const claims =
      after?.type === "code" && after.lang === "text"
        ? after.value.split("\n").filter((l) => l.trim() !== "")
        : [];
    const line = node.position?.start.line ?? 0;
    const input = directive !== undefined ? /^input\s+("(?:[^"\\]|\\.)*")$/.exec(directive)?.[1] : undefined;
    out.push({
      kind: node.lang,
      line,
      commands: node.lang === "sh" ? commandsOf(node, line) : [],
      source: node.value,
      claims,
      ...(directive?.startsWith("skip:") ? { skip: directive.slice(5).trim() } : {}),
      ...(input !== undefined ? { input: JSON.parse(input) as string } : {}),
      fakeServers: directive === "fake model servers",
    });
  }
  return out;
}

/**
 * The "Quick start" section of a document (its heading to the next heading of the same level or
 * higher), or undefined when it has none.
 */
export function quickStart(markdown: string): string | undefined {
  const tree = unified().use(remarkParse).parse(markdown) as Root;
  const children = tree.children;
  const at = children.findIndex((n) => n.type === "heading" && /^quick start\b/i.test(textOf(n)));
  if (at < 0) return undefined;
  const depth = (children[at] as Heading).depth;
  const end = children.findIndex((n, i) => i > at && n.type === "heading" && n.depth <= depth);
  const from = children[at]!.position!.start.offset!;
  const to = end < 0 ? markdown.length : children[end]!.position!.start.offset!;
  return markdown.slice(from, to);
}

/** Document order, descending into lists and block quotes. */
function flatten(nodes: readonly RootContent[]): RootContent[] {
  return nodes.flatMap((n) =>
    n.type === "list" || n.type === "listItem" || n.type === "blockquote"
      ? flatten(n.children as RootContent[])
      : [n],
  );
}

function commandsOf(node: Code, fenceLine: number): DocCommand[] {
  const out: DocCommand[] = [];
  const lines = node.value.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let text = lines[i]!;
    while (/\\\s*$/.test(text) && i + 1 < lines.length)
      text = `${text.replace(/\s*\\\s*$/, "")} ${lines[++i]!.trim()}`;
    const trimmed = text.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const exit = /\s+#\s*exits\s+(\d+)\b.*$/.exec(trimmed);
    const command = (exit === null ? trimmed.replace(/\s+#\s.*$/, "") : trimmed.slice(0, exit.index)).trim();
    out.push({ text: command, line: fenceLine + 1 + first, exitCode: exit === null ? 0 : Number(exit[1]) });
  }
  return out;
}
