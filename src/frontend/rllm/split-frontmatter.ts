/**
 * The frontmatter of an `.rllm` file, which is required: where the YAML and the body are, or a
 * diagnostic saying it is missing or never closed.
 */
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import { lineEndAt } from "../../ir/source-file.js";
import { type Frontmatter, findFrontmatter } from "../markdown/frontmatter.js";

export function splitFrontmatter(
  file: string,
  text: string,
): { split: Frontmatter | undefined; diagnostics: Diagnostic[] } {
  const search = findFrontmatter(text);
  switch (search.found) {
    case "closed":
      return { split: search, diagnostics: [] };
    case "none": {
      const span = { file, start: 0, end: lineEndAt(text, 0) };
      return {
        split: undefined,
        diagnostics: [makeDiagnostic(Diagnostics.RllmMissingFrontmatter, span, {})],
      };
    }
    case "unclosed": {
      const span = { file, start: 0, end: 3 };
      return {
        split: undefined,
        diagnostics: [makeDiagnostic(Diagnostics.RllmUnclosedFrontmatter, span, {})],
      };
    }
  }
}
