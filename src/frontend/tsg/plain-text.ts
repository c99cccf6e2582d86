/**
 * Plain text of mdast nodes. `textOf` is mdast-util-to-string; when a hostile document nests
 * inline nodes so deeply (emphasis inside emphasis thousands of levels down) that its recursion
 * runs out of stack, the same text is computed again without recursion (`plainText`).
 */
import type { Nodes } from "mdast";
import { toString as mdastToString } from "mdast-util-to-string";

export function textOf(node: Nodes): string {
  try {
    return mdastToString(node);
  } catch (error) {
    if (error instanceof RangeError) return plainText(node);
    throw error;
  }
}

/**
 * The text of a node as mdast-util-to-string gives it: its `value`, else its `alt`, else the
 * text of its children, concatenated.
 */
export function plainText(node: Nodes): string {
  if ("value" in node) return node.value;
  if ("alt" in node && node.alt) return node.alt;
  if (!("children" in node)) return "";
  const children: readonly Nodes[] = node.children;
  // Fast path: a paragraph of plain text and code.
  let flat = "";
  let i = 0;
  for (; i < children.length; i++) {
    const child = children[i]!;
    if (!("value" in child)) break;
    flat += child.value;
  }
  if (i === children.length) return flat;
  const out: string[] = [flat];
  const stack: Nodes[] = [];
  for (let k = children.length - 1; k >= i; k--) stack.push(children[k]!);
  while (stack.length > 0) {
    const next = stack.pop()!;
    if ("value" in next) out.push(next.value);
    else if ("alt" in next && next.alt) out.push(next.alt);
    else if ("children" in next)
      for (let k = next.children.length - 1; k >= 0; k--) stack.push(next.children[k]!);
  }
  return out.join("");
}

const CONTAINERS = new Set(["root", "blockquote", "list", "listItem", "footnoteDefinition"]);

/**
 * The text of a container's leaf blocks (paragraphs, headings, code, tables, …), one per line:
 * what is kept of a block quote or list nested too deeply to be analysed.
 */
export function blockText(node: Nodes): string {
  const out: string[] = [];
  const stack: Nodes[] = [node];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (CONTAINERS.has(next.type) && "children" in next) {
      for (let k = next.children.length - 1; k >= 0; k--) stack.push(next.children[k]!);
    } else {
      const text = plainText(next);
      if (text !== "") out.push(text);
    }
  }
  return out.join("\n");
}
