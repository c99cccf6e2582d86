/**
 * Golden cases of `rllmc review`: a repository and a session's policy → the JSON-lines events
 * and the text a person reads. A case is a folder `goldens/review/<case>/`:
 *   repo/          the repository before the review, read as it is and never written
 *   input.json     `{"mode": "auto"|"none", "confidence"?: "high"|"medium"|"low",
 *                  "max_delta"?: N, "changes"?: FILE, "answer"?: FILE, "after"?: [PATH…]}`
 *                  (`changes`: a change set or `task run`'s stdout, beside input.json, read as
 *                  `--changes FILE`; `answer`: what the model answers every Stage B request of
 *                  the LLM proposals phase, as `scripted-model`; `after`: repository files
 *                  whose content after the session is an output, as `after-NAME`)
 * and the expected outputs: `events.jsonl` (one event per line, as `--format json` prints
 * them) and `summary.txt` (the same events as text, without colour).
 *
 * The session runs through the driver the CLI calls (`reviewSession`), on a copy of `repo/` in a
 * temporary folder; every path in the events is relative to the repository, so none shows it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import pc from "picocolors";
import { formatEvent } from "../../src/cli/commands/review.js";
import { type Confidence, reviewSession } from "../../src/driver/review/session.js";
import type { Interpreter } from "../../src/passes/runbook/interpret-request.js";

/** A model that answers every Stage B request with `text`. */
function scriptedInterpreter(text: string): Interpreter {
  return {
    ask: async () => ({
      ok: true,
      text,
      model: "scripted-model",
      key: "0".repeat(64),
      fromCache: true,
      where: "",
    }),
  };
}

interface ReviewSpec {
  readonly mode: "auto" | "none";
  readonly confidence?: Confidence;
  readonly max_delta?: number;
  readonly changes?: string;
  readonly answer?: string;
  readonly after?: readonly string[];
}

/** The outputs of a review case: events.jsonl and summary.txt. */
export async function produceReview(dir: string): Promise<Map<string, string>> {
  const spec = JSON.parse(readFileSync(join(dir, "input.json"), "utf8")) as ReviewSpec;
  const repo = mkdtempSync(join(tmpdir(), "rllmc-golden-review-"));
  try {
    cpSync(join(dir, "repo"), repo, { recursive: true });
    const events = await reviewSession({
      repo,
      policy: {
        mode: spec.mode,
        confidence: spec.confidence ?? "high",
        maxDelta: spec.max_delta ?? 1,
        ...(spec.mode === "none"
          ? { refusal: "not a terminal: nothing is written without --auto or --yes" }
          : {}),
      },
      ...(spec.changes === undefined
        ? {}
        : { changes: { text: readFileSync(join(dir, spec.changes), "utf8"), origin: spec.changes } }),
      ...(spec.answer === undefined
        ? {}
        : { interpreter: scriptedInterpreter(readFileSync(join(dir, spec.answer), "utf8")) }),
    });
    const plain = pc.createColors(false);
    return new Map([
      ["events.jsonl", events.map((e) => `${JSON.stringify(e)}\n`).join("")],
      ["summary.txt", events.map((e) => formatEvent(e, plain)).join("")],
      ...(spec.after ?? []).map(
        (path) => [`after-${basename(path)}`, readFileSync(join(repo, path), "utf8")] as [string, string],
      ),
    ]);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
