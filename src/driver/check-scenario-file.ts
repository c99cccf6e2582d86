/** Reading a cli-replay scenario as `runbook exec --mode replay` does, with every check on it. */

import { readSource } from "../frontend/read-source.js";
import { parseScenario } from "../frontend/replay/parse-scenario.js";
import { sizeLimit } from "../frontend/size-limits.js";
import type { Diagnostic } from "../ir/diagnostic.js";
import type { SourceFile } from "../ir/source-file.js";
import type { Scenario } from "../lang/replay/types.js";

/** Reads a cli-replay scenario and runs every check on it: YAML, schema, rules. */
export function checkScenarioFile(path: string): {
  source: SourceFile | undefined;
  scenario: Scenario | undefined;
  diagnostics: Diagnostic[];
} {
  const read = readSource(path, sizeLimit("scenario"));
  const diagnostics = [...read.diagnostics];
  let scenario: Scenario | undefined;
  if (read.source !== undefined) {
    const parsed = parseScenario(read.source);
    diagnostics.push(...parsed.diagnostics);
    scenario = parsed.scenario;
  }
  return { source: read.source, scenario, diagnostics };
}
