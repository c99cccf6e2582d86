/**
 * Where a task's YAML block is: the frontmatter, or the first fenced ```yaml block, whichever
 * has a top-level `prompt:` key — or a fence with no language at all that has top-level
 * `prompt:` and `outputs:` keys, as the seed's own example task is written. Also used by kind
 * detection: a `.md` file with a task block is a task, any other `.md` is a TSG.
 */
import { lineEndAt } from "../../ir/source-file.js";
import { findFrontmatter } from "../markdown/frontmatter.js";
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

/** A top-level `prompt:` key — or one in a list item, so that a list written by mistake is reported as such. */
const PROMPT_KEY = /^(?:-[ \t]+)?prompt[ \t]*:/m;
/** A top-level `outputs:` key: with `prompt:`, what makes a fence without a language a task block. */
const OUTPUTS_KEY = /^outputs[ \t]*:/m;

export function findTaskBlock(text: string): TaskBlockLocation | undefined {
  if (!PROMPT_KEY.test(text)) return undefined;
  const candidates: { origin: "frontmatter" | "fenced-yaml"; start: number; end: number; open: number }[] =
    [];
  let bodyFrom = 0;
  const frontmatter = findFrontmatter(text);
  if (frontmatter.found === "closed") {
    const { yamlStart, yamlEnd } = frontmatter;
    if (PROMPT_KEY.test(text.slice(yamlStart, yamlEnd))) {
      candidates.push({ origin: "frontmatter", start: yamlStart, end: yamlEnd, open: 0 });
    }
    bodyFrom = frontmatter.bodyStart;
  }
  const outline = scanOutline(text, bodyFrom);
  for (const fence of outline.fences) {
    const content = text.slice(fence.contentStart, fence.contentEnd);
    const yaml = fence.lang === "yaml" || fence.lang === "yml";
    if (PROMPT_KEY.test(content) && (yaml || (fence.lang === "" && OUTPUTS_KEY.test(content)))) {
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
    opening: { start: first.open, end: lineEndAt(text, first.open) },
    others: candidates.slice(1).map((c) => ({ start: c.start, end: c.end })),
    title: outline.firstHeading,
  };
}
