/**
 * Reading a runbook file with every check on it: the YAML and the runbook/v0 schema
 * (frontend/runbook), then the compiler's Stage C checks (ids, group nesting, policy, templates,
 * replay compatibility), every problem reported at its line and column in the YAML.
 */

import { readSource } from "../frontend/read-source.js";
import { parseRunbook, yamlLocator } from "../frontend/runbook/parse-runbook.js";
import { sizeLimit } from "../frontend/size-limits.js";
import type { Diagnostic } from "../ir/diagnostic.js";
import type { SourceFile } from "../ir/source-file.js";
import type { Runbook } from "../lang/runbook/types.js";
import { checkRunbook } from "../passes/runbook/check-runbook.js";

/** Reads a runbook file and runs every check on it: YAML, schema, Stage C. */
export function checkRunbookFile(path: string): {
  source: SourceFile | undefined;
  runbook: Runbook | undefined;
  diagnostics: Diagnostic[];
} {
  const read = readSource(path, sizeLimit("runbook"));
  const diagnostics = [...read.diagnostics];
  let runbook: Runbook | undefined;
  if (read.source !== undefined) {
    const parsed = parseRunbook(read.source);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.valid && parsed.document !== undefined) {
      runbook = parsed.document.value as unknown as Runbook;
      diagnostics.push(...checkRunbook(runbook, yamlLocator(parsed.document)));
    }
  }
  return { source: read.source, runbook, diagnostics };
}
