/**
 * Where a task's YAML block is: the frontmatter, or the first fenced ```yaml block, whichever
 * has a top-level `prompt:` key. Also used by kind detection: a `.md` file with a task block is
 * a task, any other `.md` is a TSG.
 */
import { scanOutline } from "../markdown/scan-fences.js";

export interface TaskBlockLocation {
  readonly origin: "frontmatter" | "fenced-yaml";
  readonly yamlStart: number;
  readonly yamlEnd: number;
  /** The line that opens the block (`---` or the fence), for errors about the block as a whole. */
  readonly opening: { readonly start: number; readonly end: number };
  /** Further candidate blocks after the first (reported, not used). */
  readonly others: readonly { start: number; end: number }[];
  readonly title: string | undefined;
}

const PROMPT_KEY = /^prompt[ \t]*:/m;
const FRONTMATTER = /^---[ \t]*\r?\n([\s\S]*?)^---[ \t]*$/m;

export function findTaskBlock(text: string): TaskBlockLocation | undefined {
  if (!PROMPT_KEY.test(text)) return undefined;
  const candidates: { origin: "frontmatter" | "fenced-yaml"; start: number; end: number; open: number }[] =
    [];
  let bodyFrom = 0;
  const fm = text.startsWith("---") ? FRONTMATTER.exec(text) : null;
  if (fm !== null && fm.index === 0) {
    const start = fm[0].indexOf("\n") + 1;
    const end = start + fm[1]!.length;
    if (PROMPT_KEY.test(fm[1]!)) candidates.push({ origin: "frontmatter", start, end, open: 0 });
    bodyFrom = fm[0].length;
  }
  const outline = scanOutline(text, bodyFrom);
  for (const fence of outline.fences) {
    if (
      (fence.lang === "yaml" || fence.lang === "yml") &&
      PROMPT_KEY.test(text.slice(fence.contentStart, fence.contentEnd))
    ) {
      candidates.push({
        origin: "fenced-yaml",
        start: fence.contentStart,
        end: fence.contentEnd,
        open: fence.start,
      });
    }
  }
  const first = candidates[0];
  if (first === undefined) return undefined;
  return {
    origin: first.origin,
    yamlStart: first.start,
    yamlEnd: first.end,
    opening: { start: first.open, end: lineEnd(text, first.open) },
    others: candidates.slice(1).map((c) => ({ start: c.start, end: c.end })),
    title: outline.firstHeading,
  };
}

function lineEnd(text: string, from: number): number {
  const n = text.slice(from).search(/\r|\n/);
  return n < 0 ? text.length : from + n;
}
