/**
 * Change sets for `rllmc review`: reading them (a change-set JSON document, schema
 * `grammar/schemas/change-set.schema.json`, or the stdout contract of `rllmc task run`) and
 * resolving one change to the files it touches, before and after, in memory.
 *
 * The task contract (`---COMMIT_MSG---` / `---PATCH---`, docs/task-spec.md) becomes ONE
 * `task_patch` change for the whole patch, whatever the number of files: a task's patch is one
 * commit, checked as one by `task run`, and applying half of it would leave a state nobody
 * proposed. Its tier is `task` (never `safe`), its confidence `medium`, its rationale the commit
 * message, its target the first file of the patch, and its id `task:` and the first 12 hex digits
 * of the SHA-256 of the patch.
 *
 * Nothing here writes: the batch (batch.ts) stages and applies what `resolveChange` returns.
 */
import { createHash } from "node:crypto";
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { applyPatchInMemory, patchPaths } from "../../backend/patch.js";
import { validateChangeSet } from "../../lang/schemas/validators.generated.js";

export type Tier = "safe" | "task" | "llm-metadata" | "llm-promote";

export interface Citation {
  readonly path: string;
  readonly line?: number;
  readonly end_line?: number;
  readonly quote?: string;
}

export type ChangeKind = "recompile" | "task_patch" | "metadata" | "promote_step";

export interface Change {
  readonly id: string;
  readonly kind: ChangeKind;
  readonly target: string;
  readonly tier: Tier;
  readonly confidence: "high" | "medium" | "low";
  readonly rationale: string;
  readonly evidence_citations: readonly Citation[];
  readonly patch?: string;
  readonly content?: string;
}

export type Gate = "schema" | "evidence" | "level" | "validate";

export interface Rejection {
  /** The change's id (for a document that cannot be read at all: its origin). */
  readonly change: string;
  readonly gate: Gate;
  readonly reason: string;
}

/** One touched file: its current content and the proposed one (undefined: absent / deleted). */
export interface StagedFile {
  /** Repo-relative, `/`-separated. */
  readonly path: string;
  readonly before: string | undefined;
  readonly after: string | undefined;
}

const TASK_START = "---COMMIT_MSG---\n";

interface AjvError {
  readonly instancePath: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}
const validate = validateChangeSet as ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** Why `value` is not a valid change set (the first few schema errors), or undefined. */
export function schemaProblem(value: unknown): string | undefined {
  if (validate(value)) return undefined;
  const errors = validate.errors ?? [];
  return errors
    .slice(0, 3)
    .map((e) => {
      const extra =
        e.params?.additionalProperty !== undefined
          ? ` '${String(e.params.additionalProperty)}'`
          : e.params?.allowedValues !== undefined
            ? ` (${(e.params.allowedValues as unknown[]).join(", ")})`
            : "";
      // The schema's only `not` is a path's: say what it forbids, not "must NOT be valid".
      const message =
        e.keyword === "not"
          ? "must be a path relative to the repository root ('/'-separated, no '..' segment, not absolute)"
          : (e.message ?? "is invalid");
      return `${e.instancePath === "" ? "the document" : e.instancePath} ${message}${extra}`;
    })
    .join("; ");
}

/**
 * Reads a change set (JSON) or the stdout of `rllmc task run`. Each change that fails the schema
 * is a rejection (gate `schema`) and the others are kept; a document that cannot be read at all
 * is one rejection named by `origin`. A second change with an id already seen is rejected.
 */
export function readChanges(
  text: string,
  origin: string,
): { readonly changes: readonly Change[]; readonly rejections: readonly Rejection[] } {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  if (body.startsWith(TASK_START) || body.startsWith("---COMMIT_MSG---\r\n"))
    return readTaskOutput(body, origin);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return {
      changes: [],
      rejections: [
        {
          change: origin,
          gate: "schema",
          reason: `neither a change set (not JSON: ${(error as Error).message}) nor the output of 'rllmc task run' (it starts with ---COMMIT_MSG---)`,
        },
      ],
    };
  }
  const list = (value as { changes?: unknown } | null)?.changes;
  if (value === null || typeof value !== "object" || Array.isArray(value) || !Array.isArray(list)) {
    return {
      changes: [],
      rejections: [
        { change: origin, gate: "schema", reason: 'not a change set: expected { "changes": [...] }' },
      ],
    };
  }
  const changes: Change[] = [];
  const rejections: Rejection[] = [];
  const others = Object.keys(value).filter((k) => k !== "changes");
  if (others.length > 0)
    rejections.push({
      change: origin,
      gate: "schema",
      reason: `unknown top-level propert${others.length === 1 ? "y" : "ies"} ${others.map((k) => `'${k}'`).join(", ")}`,
    });
  const seen = new Set<string>();
  for (const [index, item] of list.entries()) {
    const id =
      item !== null && typeof item === "object" && typeof (item as { id?: unknown }).id === "string"
        ? ((item as { id: string }).id as string)
        : `${origin}#${index}`;
    const problem = schemaProblem({ changes: [item] });
    if (problem !== undefined) {
      rejections.push({ change: id, gate: "schema", reason: problem.replaceAll("/changes/0", "") });
      continue;
    }
    if (seen.has(id)) {
      rejections.push({ change: id, gate: "schema", reason: `a second change with the id '${id}'` });
      continue;
    }
    seen.add(id);
    changes.push(item as Change);
  }
  return { changes, rejections };
}

/** The `task run` contract: one `task_patch` change for the whole patch (see the header). */
function readTaskOutput(
  text: string,
  origin: string,
): { readonly changes: readonly Change[]; readonly rejections: readonly Rejection[] } {
  // The message's line ends may have become CRLF on the way; the patch's bytes are the patch's
  // (a CRLF file's lines keep their CR), so only the blocks' marker lines may end in CRLF.
  const marker = /\r?\n---PATCH---\r?\n/.exec(text);
  if (marker === null)
    return {
      changes: [],
      rejections: [{ change: origin, gate: "schema", reason: "task output without a ---PATCH--- line" }],
    };
  const message = text
    .slice(text.indexOf("\n") + 1, marker.index)
    .replaceAll("\r\n", "\n")
    .trim();
  const patch = text.slice(marker.index + marker[0].length);
  if (patch === "") return { changes: [], rejections: [] };
  const paths = patchPaths(patch);
  if (paths === undefined || paths.length === 0)
    return {
      changes: [],
      rejections: [{ change: origin, gate: "schema", reason: "the task's patch names no file it can read" }],
    };
  const change: Change = {
    id: `task:${createHash("sha256").update(patch).digest("hex").slice(0, 12)}`,
    kind: "task_patch",
    target: paths[0] as string,
    tier: "task",
    confidence: "medium",
    rationale: message === "" ? "(the task gave no commit message)" : message,
    evidence_citations: [],
    patch,
  };
  const problem = schemaProblem({ changes: [change] });
  if (problem !== undefined)
    return { changes: [], rejections: [{ change: change.id, gate: "schema", reason: problem }] };
  return { changes: [change], rejections: [] };
}

/** A repo file's text, or undefined when it is not a regular file. */
export function readRepoFile(repo: string, path: string): string | undefined {
  const absolute = join(repo, ...path.split("/"));
  try {
    if (!lstatSync(absolute).isFile()) return undefined;
    return readFileSync(absolute, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Each touched file's current and proposed content: `content` replaces the target; `patch` is
 * applied in memory to the files it names (`applyPatchInMemory`: the blob ids must match). A
 * patch whose file names cannot be read is rejected by gate `schema`; one that does not apply to
 * the tree as it is, by gate `validate`.
 */
export function resolveChange(
  change: Change,
  repo: string,
): { readonly files: readonly StagedFile[] } | { readonly rejection: Rejection } {
  const reject = (gate: Gate, reason: string) => ({ rejection: { change: change.id, gate, reason } });
  if (change.content !== undefined && change.patch === undefined) {
    return {
      files: [{ path: change.target, before: readRepoFile(repo, change.target), after: change.content }],
    };
  }
  if (change.patch === undefined || change.content !== undefined)
    return reject("schema", "a change needs exactly one of 'patch' and 'content'");
  const paths = patchPaths(change.patch);
  if (paths === undefined || paths.length === 0)
    return reject("schema", "the patch names no file it can read");
  const current = new Map<string, string | undefined>();
  for (const path of paths) {
    const text = readRepoFile(repo, path);
    if (text !== undefined) current.set(path, text);
  }
  const applied = applyPatchInMemory(change.patch, current);
  if (!applied.ok) return reject("validate", `the patch does not apply: ${applied.reason}`);
  return {
    files: [...applied.files].map(([path, after]) => ({ path, before: current.get(path), after })),
  };
}
