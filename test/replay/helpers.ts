/** Shared helpers of the replay tests: read a scenario from YAML text, start a session on it. */

import { parseScenario } from "../../src/frontend/replay/parse-scenario.js";
import { formatDiagnostic, sourceLookup } from "../../src/ir/print-diagnostics.js";
import { SourceFile } from "../../src/ir/source-file.js";
import type { Scenario } from "../../src/lang/replay/types.js";
import { ReplaySession } from "../../src/runtime/replay/index.js";
import type { ReplaySessionOptions } from "../../src/runtime/replay/types.js";

/** Reads `yaml` as a scenario; fails the test when the reader reports an error. */
export function readScenario(yaml: string): Scenario {
  const source = new SourceFile("s.yaml", yaml);
  const parsed = parseScenario(source);
  if (parsed.scenario === undefined) {
    const text = parsed.diagnostics.map((d) => formatDiagnostic(d, sourceLookup([source]))).join("\n");
    throw new Error(`the scenario does not read:\n${text}`);
  }
  return parsed.scenario;
}

/** The reader's diagnostics as `CODE line:col message` lines. */
export function diagnosticsOf(yaml: string): string[] {
  const source = new SourceFile("s.yaml", yaml);
  return parseScenario(source).diagnostics.map((d) => {
    const { line, column } = source.lineCol(d.span.start);
    return `${d.code} ${line}:${column} ${d.message}`;
  });
}

export function sessionOf(yaml: string, options: Partial<ReplaySessionOptions> = {}): ReplaySession {
  return new ReplaySession(readScenario(yaml), { baseDir: "/nonexistent", ...options });
}

/** The step answering each call (its flat index), or the failure code. */
export function answers(session: ReplaySession, calls: readonly (readonly string[])[]): (number | string)[] {
  return calls.map((argv) => {
    const answer = session.call(argv);
    return answer.ok ? answer.step : answer.code;
  });
}

/** A YAML scenario from step lines (each a flow mapping), named "demo". */
export function yamlOf(...steps: string[]): string {
  return `meta:\n  name: demo\nsteps:\n${steps.map((s) => `  - ${s}`).join("\n")}\n`;
}
