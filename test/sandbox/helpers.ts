import { expect } from "vitest";
import { RllmError } from "../../src/runtime/app/errors.js";
import { type CodeBlockSpec, runCodeBlock, type SandboxLimits } from "../../src/runtime/app/sandbox/index.js";

/** A block as the frontend would hand it over, its code starting on line 11 of app.rllm. */
export function block(
  language: CodeBlockSpec["language"],
  code: string,
  inputs: readonly string[] = [],
  outputs: readonly string[] = [],
  phase: CodeBlockSpec["phase"] = "pre",
): CodeBlockSpec {
  return { phase, language, name: "b", code, inputs, outputs, location: "app.rllm:10:1", codeLine: 11 };
}

export interface Failure {
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly ms: number;
}

/** Runs a block that must fail and returns what it failed with. */
export async function failure(
  spec: CodeBlockSpec,
  values: Record<string, unknown> = {},
  limits?: SandboxLimits,
): Promise<Failure> {
  const start = performance.now();
  try {
    const outputs = await runCodeBlock(spec, values, limits);
    throw new Error(`expected the block to fail, it returned ${JSON.stringify(outputs)}`);
  } catch (error) {
    if (!(error instanceof RllmError)) throw error;
    expect(error.payload.error_type).toBe("CodeBlockExecutionError");
    expect(error.payload.error_code).toBe("RUN5001");
    return { message: error.message, details: error.payload.details, ms: performance.now() - start };
  }
}
