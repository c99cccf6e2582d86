/**
 * How deeply an input or an answer may nest arrays and objects. JSON.parse reads 10,000 levels,
 * but structuredClone, JSON.stringify, ajv and Handlebars recurse and overflow the stack on such
 * a value ("Maximum call stack size exceeded"). Real inputs nest a few levels; a value deeper
 * than `MAX_VALUE_DEPTH` is refused as not matching its schema, before anything recurses into it.
 */

export const MAX_VALUE_DEPTH = 256;

/** True when `value` nests arrays or objects more than `limit` levels deep. Iterative. */
export function nestedDeeperThan(value: unknown, limit = MAX_VALUE_DEPTH): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth + 1 > limit) return true;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children)
      if (child !== null && typeof child === "object") stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
