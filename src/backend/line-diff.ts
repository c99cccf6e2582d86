/**
 * The line diff under the patch backend: which lines of the old text are kept in the new one.
 *
 * Strategy (the shape of git's `--patience`): the common prefix and suffix are matched first;
 * in what is left, the lines that occur exactly once on each side are anchors, and the longest
 * run of anchors in the same order on both sides (a longest increasing subsequence) splits the
 * range into gaps, each diffed the same way. A gap without such lines goes to the Myers diff of
 * the `diff` package (`diffArrays` over line ids), under an edit budget: past it, the gap is
 * replaced whole — still a correct diff, only not a minimal one (a gap reaches it only when it has
 * no line unique to it on both sides and thousands of edits: half a second at most). A 1 MiB file
 * with 1,000 changed lines diffs about as fast as `git diff` this way (`npm run bench`, section
 * 11), where Myers over the whole file takes ~350 ms.
 *
 * Lines are compared with their terminator (`"a\n"`, `"a\r\n"` and a last `"a"` differ), so a
 * CRLF line and a line without a final newline come out as changes the way git shows them.
 * Deterministic: the same texts give the same blocks on every machine.
 */

import { diffArrays } from "diff";

/** A run of changed lines: old lines `[aStart, aEnd)` become new lines `[bStart, bEnd)`. */
export interface ChangeBlock {
  readonly aStart: number;
  readonly aEnd: number;
  readonly bStart: number;
  readonly bEnd: number;
}

/** The lines of a text, each with its `\n` if it has one (only the last may lack it). */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf("\n", start);
    if (end < 0) {
      lines.push(text.slice(start));
      break;
    }
    lines.push(text.slice(start, end + 1));
    start = end + 1;
  }
  return lines;
}

/** Past this many steps of (lines in a gap) × (edit distance), a gap is replaced whole. */
const MYERS_BUDGET = 30_000_000;

/**
 * The change blocks that turn `oldLines` into `newLines`, in order. `budget` (tests lower it to
 * reach the fallback) bounds the Myers work on one gap.
 */
export function diffLineArrays(
  oldLines: readonly string[],
  newLines: readonly string[],
  budget = MYERS_BUDGET,
): ChangeBlock[] {
  // Each distinct line gets a small integer id: the diff compares numbers, not strings.
  const ids = new Map<string, number>();
  const intern = (lines: readonly string[]): Int32Array => {
    const out = new Int32Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      let id = ids.get(line);
      if (id === undefined) {
        id = ids.size;
        ids.set(line, id);
      }
      out[i] = id;
    }
    return out;
  };
  const a = intern(oldLines);
  const b = intern(newLines);
  const matches = matchLines(a, b, ids.size, budget);
  return blocksOf(matches, a.length, b.length);
}

/** Matched pairs as a flat list `[a0, b0, a1, b1, …]`, increasing on both sides. */
function matchLines(a: Int32Array, b: Int32Array, idCount: number, budget: number): number[] {
  const matches: number[] = [];
  // Per-range occurrence counts, reset lazily by a generation stamp instead of cleared.
  const stamp = new Int32Array(idCount);
  const countA = new Int32Array(idCount);
  const countB = new Int32Array(idCount);
  const posB = new Int32Array(idCount);
  let generation = 0;

  // Work items, popped in output order: a range still to diff, or a run of matched lines.
  type Work =
    | { range: true; a0: number; a1: number; b0: number; b1: number }
    | { range: false; a: number; b: number; n: number };
  const stack: Work[] = [{ range: true, a0: 0, a1: a.length, b0: 0, b1: b.length }];
  const pushRun = (ai: number, bi: number, n: number): void => {
    for (let k = 0; k < n; k++) matches.push(ai + k, bi + k);
  };

  while (stack.length > 0) {
    const work = stack.pop() as Work;
    if (!work.range) {
      pushRun(work.a, work.b, work.n);
      continue;
    }
    let { a0, a1, b0, b1 } = work;
    while (a0 < a1 && b0 < b1 && a[a0] === b[b0]) {
      matches.push(a0++, b0++);
    }
    let suffix = 0;
    while (a0 < a1 - suffix && b0 < b1 - suffix && a[a1 - 1 - suffix] === b[b1 - 1 - suffix]) suffix++;
    a1 -= suffix;
    b1 -= suffix;
    if (suffix > 0) stack.push({ range: false, a: a1, b: b1, n: suffix });
    if (a0 === a1 || b0 === b1) continue;

    // Anchors: lines that occur once in each side of the range.
    generation++;
    for (let i = a0; i < a1; i++) {
      const id = a[i] as number;
      if (stamp[id] !== generation) {
        stamp[id] = generation;
        countA[id] = 0;
        countB[id] = 0;
      }
      countA[id] = (countA[id] as number) + 1;
    }
    let common = 0;
    for (let j = b0; j < b1; j++) {
      const id = b[j] as number;
      if (stamp[id] !== generation) continue; // not in the old side of the range at all
      countB[id] = (countB[id] as number) + 1;
      posB[id] = j;
      common++;
    }
    if (common === 0) continue; // no line in common: all of it changes
    const anchorA: number[] = [];
    const anchorB: number[] = [];
    for (let i = a0; i < a1; i++) {
      const id = a[i] as number;
      if (countA[id] === 1 && countB[id] === 1) {
        anchorA.push(i);
        anchorB.push(posB[id] as number);
      }
    }
    const chain = longestIncreasing(anchorB);
    if (chain.length === 0) {
      myers(a, b, a0, a1, b0, b1, budget, matches);
      continue;
    }
    // Pushed in reverse: the gap after the last anchor, then each anchor and the gap before it.
    let nextA = a1;
    let nextB = b1;
    for (let k = chain.length - 1; k >= 0; k--) {
      const ai = anchorA[chain[k] as number] as number;
      const bi = anchorB[chain[k] as number] as number;
      const top = stack[stack.length - 1];
      if (ai + 1 < nextA || bi + 1 < nextB)
        stack.push({ range: true, a0: ai + 1, a1: nextA, b0: bi + 1, b1: nextB });
      else if (top !== undefined && !top.range && top.a === ai + 1 && top.b === bi + 1) {
        // Adjacent anchors: one run rather than an item each.
        top.a = ai;
        top.b = bi;
        top.n++;
        nextA = ai;
        nextB = bi;
        continue;
      }
      stack.push({ range: false, a: ai, b: bi, n: 1 });
      nextA = ai;
      nextB = bi;
    }
    stack.push({ range: true, a0, a1: nextA, b0, b1: nextB });
  }
  return matches;
}

/** Indices into `values` of one longest strictly increasing subsequence (patience sorting). */
function longestIncreasing(values: readonly number[]): number[] {
  const tails: number[] = []; // index of the smallest tail of each pile
  const previous = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((values[tails[mid] as number] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    previous[i] = lo > 0 ? (tails[lo - 1] as number) : -1;
    tails[lo] = i;
  }
  const chain: number[] = new Array(tails.length);
  let k = tails.length > 0 ? (tails[tails.length - 1] as number) : -1;
  for (let n = tails.length - 1; n >= 0; n--) {
    chain[n] = k;
    k = previous[k] as number;
  }
  return chain;
}

/** The Myers diff of `diff` over one gap, appending its matches; nothing when over budget. */
function myers(
  a: Int32Array,
  b: Int32Array,
  a0: number,
  a1: number,
  b0: number,
  b1: number,
  budget: number,
  matches: number[],
): void {
  const size = a1 - a0 + (b1 - b0);
  const changes = diffArrays(Array.from(a.subarray(a0, a1)), Array.from(b.subarray(b0, b1)), {
    maxEditLength: Math.max(1, Math.ceil(budget / size)),
  });
  if (changes === undefined) return;
  let i = a0;
  let j = b0;
  for (const change of changes) {
    if (change.added) j += change.count;
    else if (change.removed) i += change.count;
    else for (let k = 0; k < change.count; k++) matches.push(i++, j++);
  }
}

function blocksOf(matches: readonly number[], aLength: number, bLength: number): ChangeBlock[] {
  const blocks: ChangeBlock[] = [];
  let i = 0;
  let j = 0;
  for (let k = 0; k <= matches.length; k += 2) {
    const ai = k < matches.length ? (matches[k] as number) : aLength;
    const bi = k < matches.length ? (matches[k + 1] as number) : bLength;
    if (ai > i || bi > j) blocks.push({ aStart: i, aEnd: ai, bStart: j, bEnd: bi });
    i = ai + 1;
    j = bi + 1;
  }
  return blocks;
}
