/**
 * The order of the passes, written once. Checks of `.rllm` apps run after the frontend when it
 * reported no error; later issues add extraction, the LLM pass and backends here.
 */
import type { Diagnostic } from "../ir/diagnostic.js";
import type { Module, RllmModule } from "../ir/nodes.js";
import { checkContextWindow } from "./check-context-window.js";
import { checkIoSchemas } from "./check-io-schemas.js";
import { checkLlmParams } from "./check-llm-params.js";
import { checkTemplateVariables } from "./check-template-variables.js";
import { checkUsesContracts } from "./check-uses-contracts.js";
import type { Pass, PassContext, PassObserver } from "./pass.js";
import { resolveUses } from "./resolve-uses.js";

const RLLM_CHECKS: readonly Pass<RllmModule>[] = [
  checkLlmParams,
  checkIoSchemas,
  checkTemplateVariables,
  checkContextWindow,
  resolveUses,
  checkUsesContracts,
];

export interface PipelineResult {
  readonly module: Module;
  readonly diagnostics: readonly Diagnostic[];
}

/** `observe`, when given, wraps each pass's run (the driver's trace spans). */
export function runChecks(
  module: Module,
  loadRllm: PassContext["loadRllm"],
  observe?: PassObserver,
): PipelineResult {
  const diagnostics: Diagnostic[] = [];
  const context: PassContext = { report: (d) => diagnostics.push(d), loadRllm };
  if (module.kind !== "rllm") return { module, diagnostics };
  let current: RllmModule = module;
  for (const pass of RLLM_CHECKS) {
    const input = current;
    current =
      observe === undefined ? pass.run(input, context) : observe(pass.name, () => pass.run(input, context));
  }
  return { module: current, diagnostics };
}
