/**
 * `{NAME}` placeholders of a task file (docs/task-spec.md, "Placeholders"): letters, digits and
 * `_`, not doubled braces. The task frontend finds them with their spans; `rllmc task run` fills
 * them in with the same pattern, so what `inspect` lists is exactly what a run asks for.
 */

/** A placeholder: `{NAME}`, not `{{NAME}}`. Global: use with `matchAll` or `replace`. */
export const PLACEHOLDER = /(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})/g;

/** Something that looks like a placeholder left open (`{SERVICE now`). */
export const UNCLOSED_PLACEHOLDER = /(?<!\{)\{([A-Z_][A-Z0-9_]*)(?![A-Za-z0-9_}])/g;

/** `text` with every placeholder that has a value replaced by it; the others are left as they are. */
export function fillPlaceholders(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => values.get(name) ?? whole);
}
