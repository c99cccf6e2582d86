/**
 * GitHub-style heading slugs (as github-slugger makes them): lower-cased, everything but
 * letters, marks, digits, `_`, `-` and spaces removed, spaces turned into `-`. A slug seen
 * before gets `-1`, `-2`, … appended, skipping suffixed slugs already taken. A heading with no
 * slug-able character gets `section`.
 */
const REMOVED = /[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu;

export function slug(text: string): string {
  return text.toLowerCase().replace(REMOVED, "").replace(/ /g, "-");
}

export class Slugger {
  readonly #occurrences = new Map<string, number>();

  /** A slug for `text` that this slugger has not returned before. */
  unique(text: string): string {
    const original = slug(text) || "section";
    let result = original;
    while (this.#occurrences.has(result)) {
      const count = (this.#occurrences.get(original) ?? 0) + 1;
      this.#occurrences.set(original, count);
      result = `${original}-${count}`;
    }
    this.#occurrences.set(result, 0);
    return result;
  }
}
