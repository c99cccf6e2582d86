/**
 * The `compile` job: one TSG → `runbook.yaml` + `mapping.md`, computed by a worker with the
 * same function as the local command (compile-runbooks.ts `compileTsg`), from the text the
 * submitter read and the placement it computed (regenerate.ts), so the bytes are the same as a
 * local compile's. The worker writes nothing: it returns the outputs, and the submitter writes
 * them where the local command would.
 *
 * The payload holds no secret: the provider, model and base URL of `--llm cached|live` are
 * settings; a provider's key is read from the worker's environment.
 */
import { sourceFromText } from "../../frontend/read-source.js";
import { type CompiledTsg, compileTsg, modelCallFailed } from "../compile-runbooks.js";
import type { RunbookPlacement } from "../regenerate.js";
import { createInterpreter, type LlmMode } from "../runbook-llm.js";
import { version } from "../version.js";
import { JobError } from "./job-error.js";
import type { JobContext, JobKind } from "./job-kind.js";

export interface CompileLlm {
  readonly mode: LlmMode;
  readonly frozen: boolean;
  readonly provider?: string;
  readonly model?: string;
  readonly baseUrl?: string;
}

export interface CompilePayload {
  /** The payload's format. */
  readonly v: 1;
  /** The rllmc version of the submitter: a worker of another version refuses the job. */
  readonly rllmc: string;
  /** The TSG's path as given on the submitter's command line (its diagnostics name it so). */
  readonly path: string;
  /** The TSG's text, as read by the submitter (read-source.ts). */
  readonly text: string;
  readonly placement: RunbookPlacement;
  readonly llm: CompileLlm;
}

export interface CompileJobResult extends CompiledTsg {
  /** The worker that computed it. */
  readonly worker: string;
  /** How long the compile took on the worker. */
  readonly ms: number;
}

export const compileKind: JobKind<CompilePayload, CompileJobResult> = {
  name: "compile",
  parse(data: unknown): CompilePayload {
    const p = data as Partial<CompilePayload> | null;
    if (p === null || typeof p !== "object" || p.v !== 1)
      throw new JobError("QUEUE_BAD_PAYLOAD", "not a compile job of payload format 1");
    if (p.rllmc !== version())
      throw new JobError(
        "QUEUE_VERSION_MISMATCH",
        `the job was made by rllmc ${String(p.rllmc)}, this worker is rllmc ${version()}`,
      );
    const placement = p.placement as Partial<RunbookPlacement> | undefined;
    const llm = p.llm as Partial<CompileLlm> | undefined;
    if (
      typeof p.path !== "string" ||
      typeof p.text !== "string" ||
      typeof placement?.file !== "string" ||
      typeof placement.mappingFile !== "string" ||
      typeof placement.command !== "string" ||
      (llm?.mode !== "off" && llm?.mode !== "cached" && llm?.mode !== "live")
    )
      throw new JobError(
        "QUEUE_BAD_PAYLOAD",
        `the compile job${typeof p.path === "string" ? ` of '${p.path}'` : ""} lacks its path, text, placement or LLM mode`,
      );
    return p as CompilePayload;
  },
  async run(payload: CompilePayload, context: JobContext): Promise<CompileJobResult> {
    const started = performance.now();
    const { llm } = payload;
    const interpreter =
      llm.mode === "off"
        ? undefined
        : createInterpreter({
            mode: llm.mode,
            frozen: llm.frozen,
            cacheDir: context.cacheDir,
            flags: {
              ...(llm.provider === undefined ? {} : { provider: llm.provider }),
              ...(llm.model === undefined ? {} : { model: llm.model }),
              ...(llm.baseUrl === undefined ? {} : { baseUrl: llm.baseUrl }),
            },
            env: context.env,
          });
    const source = sourceFromText(payload.path, payload.text);
    const compiled = await compileTsg(source, interpreter, payload.placement);
    // A failed model call is worth another try while tries are left; on the last one its
    // diagnostics are the result, as a local compile would report them.
    if (modelCallFailed(compiled) && !context.lastAttempt) {
      const failure = compiled.diagnostics.find((d) => d.code === "RBK6205" || d.code === "RBK6206");
      throw new JobError("QUEUE_MODEL_CALL_FAILED", `${failure?.code}: ${failure?.message}`);
    }
    return { ...compiled, worker: context.worker, ms: Math.round(performance.now() - started) };
  },
  describe(payload: CompilePayload): string {
    return payload.path;
  },
};
