/**
 * The likeliest intended model among those a server has: model names differ mostly by tag
 * (`llama3.2` vs `llama3.2:3b`) or by a family prefix, so the match is on the name before the
 * tag, then on containment, rather than on edit distance.
 */
export function closest(model: string, available: readonly string[]): string | undefined {
  const base = (name: string) => name.split(":")[0]!.toLowerCase();
  const wanted = base(model);
  const sameBase = available.filter((name) => base(name) === wanted);
  if (sameBase.length > 0) return sameBase.find((name) => name.endsWith(":latest")) ?? sameBase[0];
  return available.find((name) => base(name).includes(wanted) || wanted.includes(base(name)));
}
