/**
 * The pipelines' observer hook (`passes/pass.ts` `PassObserver`) filled with trace spans: one
 * span per compile pass, `pass <name>`, under whatever span is current (the command's). The
 * passes themselves know nothing of tracing; without it the hook is left out.
 */
import type { PassObserver } from "../passes/pass.js";
import { inSpan, tracingEnabled } from "../runtime/shared/telemetry.js";

const tracePass: PassObserver = (pass, run) => inSpan(`pass ${pass}`, { "rllmc.pass": pass }, run);

/** The observer to give a pipeline: spans when tracing is on, nothing otherwise. */
export function passObserver(): PassObserver | undefined {
  return tracingEnabled() ? tracePass : undefined;
}
