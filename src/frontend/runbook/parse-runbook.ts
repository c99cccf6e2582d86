/**
 * Reads a `runbook.yaml` for `runbook validate` (and, later, the runbook runtime's loader):
 * YAML with source positions, then the runbook/v0 schema with the validator generated ahead of
 * time, each problem pointing at the exact key or value. The semantic checks (ids, policy,
 * replay compatibility) are the compiler's Stage C, run by the caller on the returned value.
 */

import type { Diagnostic } from "../../ir/diagnostic.js";
import { hasErrors } from "../../ir/diagnostic.js";
import type { YamlDocument } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import { locate } from "../../ir/yaml-locations.js";
import { validateRunbook } from "../../lang/schemas/validators.generated.js";
import { parseYaml } from "../yaml/parse-yaml.js";
import { validateDocument } from "../yaml/validate-document.js";

export interface ParsedRunbook {
  /** The document, when it is valid YAML. */
  readonly document: YamlDocument | undefined;
  /** True when the document also matches the runbook/v0 schema. */
  readonly valid: boolean;
  readonly diagnostics: readonly Diagnostic[];
}

export function parseRunbook(source: SourceFile): ParsedRunbook {
  const parsed = parseYaml(source.path, source.text, 0);
  if (parsed.document === undefined || hasErrors(parsed.diagnostics))
    return { document: parsed.document, valid: false, diagnostics: parsed.diagnostics };
  const document = parsed.document;
  const opening: Span = {
    file: source.path,
    start: 0,
    end: Math.min(source.text.indexOf("\n") >>> 0, source.text.length),
  };
  const schema = validateDocument(document, validateRunbook, "the runbook", opening);
  return { document, valid: schema.length === 0, diagnostics: [...parsed.diagnostics, ...schema] };
}

/** A JSON pointer → the span of its value (or key) in the YAML. */
export function yamlLocator(document: YamlDocument): (pointer: string) => Span {
  return (pointer) => {
    const location = locate(document, pointer);
    return location.value ?? location.key ?? document.span;
  };
}
