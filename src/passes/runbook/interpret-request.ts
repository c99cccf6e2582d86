/**
 * Stage B, the request: what the model is sent — the rules, the runbook/v0 schema, the TSG's IR
 * (sections, prose, commands with their line numbers — not the raw text) and the Stage A draft —
 * and the host's side of the exchange (`Interpreter`), which answers from the content-addressed
 * cache or asks the configured provider. The pass never calls a model itself.
 */
import RUNBOOK_SCHEMA from "../../../grammar/schemas/runbook-v0.schema.json" with { type: "json" };
import type { TsgBlock, TsgModule, TsgSection } from "../../ir/nodes.js";
import type { RunbookPlan } from "../../ir/runbook-plan.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import { runbookWithSources } from "./provenance.js";

/** Bump when the prompt or the answer's contract changes: it is part of every cache key. */
export const PROMPT_VERSION = "runbook-interpret/2";

export interface InterpretRequest {
  readonly promptVersion: string;
  readonly messages: readonly { readonly role: "system" | "user"; readonly content: string }[];
}

export type InterpretAnswer =
  | {
      readonly ok: true;
      readonly text: string;
      readonly model: string;
      readonly key: string;
      readonly fromCache: boolean;
      readonly where: string;
    }
  | {
      readonly ok: false;
      readonly reason: "not-cached" | "call-failed";
      readonly detail: string;
      readonly key: string;
      readonly where: string;
    };

/** The host's side of Stage B: answers a request from the cache or a model. */
export interface Interpreter {
  ask(request: InterpretRequest): Promise<InterpretAnswer>;
  /** Called once an answer passed every check, so the host may keep it. */
  accept?(answer: InterpretAnswer & { ok: true }): void;
  /** Called when an answer was rejected, so the host may keep it for inspection (never for reuse). */
  rejected?(answer: InterpretAnswer & { ok: true }): void;
}

const RULES = `You refine a draft runbook compiled from a troubleshooting guide (TSG).
Answer with exactly one JSON object: the complete runbook, valid against the JSON Schema below. No prose around it.
Rules:
1. Never invent a command. Every cli step's with.argv, and every manual step's command must be a TSG command: cli argv exactly as the draft splits it (placeholders as {{ .VAR }}), manual commands exactly as written. You may drop none of them.
2. If running a command automatically is unsafe or ambiguous, make it a manual step. Never turn a manual step back into a cli step unless the draft's argv for that command exists.
3. Keep every approval the draft has; keep meta.governance, meta.name and meta.source exactly as in the draft.
4. Variables the TSG leaves open stay in meta.vars with a todo; you may add a description taken from the TSG's words. Never invent a value or a credential.
5. You may: improve titles and instructions using the TSG's own words; turn prose into checklist evidence; add captures and assertions only when the TSG states the expected result; regroup steps by the TSG's sections; set replay_mode on manual steps.
6. Go-template text inside commands stays exactly as the draft escapes it.`;

/** What the model is sent: the rules and the schema, then the TSG's IR and the Stage A draft. */
export function interpretRequest(
  draft: RunbookPlan,
  module: TsgModule,
  source: SourceFile,
): InterpretRequest {
  return {
    promptVersion: PROMPT_VERSION,
    messages: [
      { role: "system", content: `${RULES}\n\nJSON Schema (runbook/v0):\n${JSON.stringify(RUNBOOK_SCHEMA)}` },
      {
        role: "user",
        content: JSON.stringify({
          tsg: projectTsg(module, source),
          draft: runbookWithSources(draft, source),
        }),
      },
    ],
  };
}

/** The TSG as the model sees it: structure, prose and commands with their lines. */
function projectTsg(module: TsgModule, source: SourceFile): unknown {
  const line = (span: Span) => source.lineCol(span.start).line;
  const blocks = (list: readonly TsgBlock[]): unknown[] =>
    list.flatMap((block): unknown[] => {
      switch (block.kind) {
        case "paragraph":
          return [
            {
              line: line(block.span),
              text: block.text,
              ...(block.commands.length > 0
                ? { commands: block.commands.map((c) => ({ line: line(c.span), text: c.text })) }
                : {}),
            },
          ];
        case "code":
          return block.role === "shell"
            ? [
                {
                  line: line(block.span),
                  shell: block.lines.map((l) => ({ line: line(l.span), [l.kind]: l.text })),
                },
              ]
            : [{ line: line(block.span), literal: block.lang, text: block.text }];
        case "list":
          return [{ line: line(block.span), list: block.items.map((item) => blocks(item.blocks)) }];
        case "blockquote":
          return [{ line: line(block.span), quote: blocks(block.blocks) }];
        case "table":
          return [{ line: line(block.span), table: [block.header, ...block.rows] }];
        default:
          return [];
      }
    });
  const sections = (list: readonly TsgSection[]): unknown[] =>
    list.map((s) => ({
      id: s.id,
      title: s.title,
      line: line(s.span),
      blocks: blocks(s.blocks),
      sections: sections(s.children),
    }));
  return { title: module.title, preamble: blocks(module.preamble), sections: sections(module.sections) };
}
