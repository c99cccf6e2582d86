/**
 * One `rllmc review` session as data: collect the changes (drift first, then the given change
 * sets), run the gates, decide each change by the flow's policy, write the chosen ones as one
 * atomic batch, and return the events that the command prints (docs/review.md). Nothing here
 * prints; `cli/commands/review.ts` turns the events into JSON lines or text.
 *
 * Order of the gates for one change: schema, evidence, then (over the whole set) level, then the
 * change is resolved into whole files; the validate gate runs on the staged batch, and
 * `--validate-cmd` after the files are in place (a failure there rolls the batch back).
 */
import { spawnSync } from "node:child_process";
import { buildPatch } from "../../backend/patch.js";
import type { Interpreter } from "../../passes/runbook/interpret-request.js";
import { applyBatch } from "./batch.js";
import {
  type Change,
  type Rejection,
  readChanges,
  resolveChange,
  type StagedFile,
  type Tier,
} from "./change-set.js";
import { scanDrift } from "./drift.js";
import { evidenceGate, levelGate, schemaGate, validateGate } from "./gates.js";
import { type ProposalGroup, proposeChanges } from "./proposals.js";

export type Confidence = "high" | "medium" | "low";

export interface ReviewPolicy {
  /**
   * `auto`: apply what the --auto rules allow (docs/review.md "Tiers"); `ask`: a person decides
   * each change through {@link ReviewOptions.ask} (the TTY flow); `none`: write nothing, only list
   * the suggestions (a refused non-TTY session).
   */
  readonly mode: "auto" | "ask" | "none";
  /** --auto-confidence: the least confidence of a non-`safe` change that --auto applies. */
  readonly confidence: Confidence;
  /** --auto-max-delta: promotions per runbook per session; 0 disables them. */
  readonly maxDelta: number;
  /** Why nothing is written, for `mode: "none"` (the skipped events' reason). */
  readonly refusal?: string;
}

export interface ReviewOptions {
  /** The repository root, absolute. */
  readonly repo: string;
  /** Only sources and outputs under these repo-relative paths (none: the whole tree). */
  readonly paths?: readonly string[];
  /** --from-git-since: only files changed since this git ref. */
  readonly sinceRef?: string;
  /** --changes: the text of a change set or of `rllmc task run`'s stdout, and where it came from. */
  readonly changes?: { readonly text: string; readonly origin: string };
  readonly policy: ReviewPolicy;
  /**
   * The LLM proposals phase: Stage B's host (driver/runbook-llm.ts) asked about every runbook
   * whose outputs are as its TSG makes them (proposals.ts). Absent: the phase is skipped.
   */
  readonly interpreter?: Interpreter;
  /** --validate-cmd as argv, run in the repo without a shell after the batch is in place. */
  readonly validateCmd?: readonly string[];
  /** Each event as it happens (the same events the session returns). */
  readonly onEvent?: (event: ReviewEvent) => void;
  /** `mode: "ask"`: the person's answer for one change. */
  readonly ask?: (suggestion: SuggestionEvent, context: AskContext) => Promise<Answer>;
}

/** A person's answer in the TTY flow; `edited` is the change's new content or patch, already checked. */
export type Answer = "apply" | "skip" | "quit" | "apply-all-safe" | { readonly edited: string };

export interface AskContext {
  /** What an edit changes: the change's whole new content, or its patch. */
  readonly payload: string;
  readonly payloadKind: "content" | "patch";
  /** Something the person should know (a promotion over --auto-max-delta). */
  readonly note?: string;
  /** Why an edited payload would be refused by a gate, or undefined when it passes them all. */
  readonly check: (payload: string) => Promise<string | undefined>;
}

export interface SuggestionEvent {
  readonly event: "suggestion";
  readonly id: string;
  readonly kind: Change["kind"];
  readonly target: string;
  readonly tier: Tier;
  readonly confidence: Confidence;
  readonly rationale: string;
  readonly evidence_citations: Change["evidence_citations"];
  /** The files the change writes, repo-relative; empty when it could not be resolved. */
  readonly files: readonly string[];
  /** A git-style unified diff of those files ("" when it could not be resolved). */
  readonly diff: string;
}

export type ReviewEvent =
  | {
      readonly event: "recovered";
      readonly outcome: "completed" | "undone";
      readonly files: readonly string[];
    }
  | SuggestionEvent
  | { readonly event: "applied"; readonly id: string; readonly files: readonly string[] }
  | { readonly event: "skipped"; readonly id: string; readonly reason: string }
  | {
      readonly event: "rejected";
      readonly id: string;
      readonly gate: Rejection["gate"];
      readonly reason: string;
    }
  | {
      readonly event: "rolled_back";
      readonly reason: string;
      readonly ids: readonly string[];
      readonly files: readonly string[];
    }
  | SummaryEvent;

export interface SummaryEvent {
  readonly event: "summary";
  readonly changes: number;
  readonly applied: number;
  readonly skipped: number;
  readonly rejected: number;
  readonly rolled_back: boolean;
  /** Files written by the batch, sorted. */
  readonly files_changed: readonly string[];
  /** What still needs a person: every skipped or rejected change. */
  readonly manual: readonly { readonly id: string; readonly target: string; readonly reason: string }[];
  /** Compiled outputs found but not checked for drift (made with a model, unreadable header, …), and why. */
  readonly not_recompiled: readonly { readonly output: string; readonly reason: string }[];
  /** Runbooks the model was asked about that got no proposal (a rejected answer, a failed check), and why. */
  readonly not_proposed: readonly { readonly output: string; readonly reason: string }[];
  /** 0 applied or nothing to do, 1 a gate or validation failed and nothing was written, 2 no writes. */
  readonly exit_code: 0 | 1 | 2;
}

const RANK: Readonly<Record<Confidence, number>> = { low: 0, medium: 1, high: 2 };

/** Whether --auto applies a change that passed every gate: `safe` always, others by confidence. */
export function autoApplies(change: Change, policy: ReviewPolicy): string | undefined {
  if (change.tier === "safe") return undefined;
  // A task patch is never safe: like an LLM change, it needs the confidence threshold.
  if (RANK[change.confidence] >= RANK[policy.confidence]) return undefined;
  return `tier ${change.tier}, confidence ${change.confidence} is below --auto-confidence ${policy.confidence}`;
}

export async function reviewSession(options: ReviewOptions): Promise<ReviewEvent[]> {
  const { repo, policy } = options;
  const events: ReviewEvent[] = [];
  const emit = (event: ReviewEvent) => {
    events.push(event);
    options.onEvent?.(event);
  };
  const rejections: Rejection[] = [];

  // 1. Collect: drift first (deterministic), then the given change sets.
  const drift = await scanDrift(repo, {
    ...(options.paths === undefined || options.paths.length === 0 ? {} : { paths: options.paths }),
    ...(options.sinceRef === undefined ? {} : { sinceRef: options.sinceRef }),
  });
  const proposals =
    options.interpreter === undefined
      ? undefined
      : await proposeChanges(repo, drift.candidates, options.interpreter);
  const changes: Change[] = [...drift.changes];
  if (options.changes !== undefined) {
    const read = readChanges(options.changes.text, options.changes.origin);
    // Ids key every decision below: a given change may not take the id of another change.
    const ids = new Set([...changes, ...(proposals?.changes ?? [])].map((c) => c.id));
    for (const change of read.changes)
      if (ids.has(change.id))
        rejections.push({
          change: change.id,
          gate: "schema",
          reason: `a second change with the id '${change.id}'`,
        });
      else changes.push(change);
    rejections.push(...read.rejections);
  }
  // The model's proposals come last: deterministic and given changes are listed first.
  changes.push(...(proposals?.changes ?? []));
  const groups: ReadonlyMap<string, ProposalGroup> = proposals?.groups ?? new Map();

  // 2. Gates per change, then the level gate over the ones left, then resolve into files.
  const rejected = new Map<string, Rejection>();
  for (const change of changes) {
    const rejection = schemaGate(change, repo) ?? evidenceGate(change, repo);
    if (rejection !== undefined) rejected.set(change.id, rejection);
  }
  // Over the cap, a person may still decide in the TTY flow: there it is a note, not a rejection.
  const notes = new Map<string, string>();
  for (const rejection of levelGate(
    changes.filter((c) => !rejected.has(c.id)),
    policy.maxDelta,
  ))
    if (policy.mode === "ask") notes.set(rejection.change, `${rejection.reason}: yours to decide`);
    else if (!rejected.has(rejection.change)) rejected.set(rejection.change, rejection);
  const resolved = new Map<string, readonly StagedFile[]>();
  for (const change of changes) {
    if (rejected.has(change.id)) continue;
    const result = resolveChange(change, repo);
    if ("rejection" in result) rejected.set(change.id, result.rejection);
    else resolved.set(change.id, result.files);
  }

  // 3. Every change as a suggestion, in order; then the rejections of unreadable change sets.
  for (const change of changes) emit(suggestionOf(change, resolved.get(change.id) ?? []));
  for (const rejection of rejections)
    emit({ event: "rejected", id: rejection.change, gate: rejection.gate, reason: rejection.reason });

  // 4. Decide.
  const chosen: Change[] = [];
  const batch = new Map<string, StagedFile>();
  /** Which change wrote each file of the batch, and the changes of each proposal group chosen. */
  const owners = new Map<string, string>();
  const groupChosen = new Map<ProposalGroup, string[]>();
  const skipped = new Map<string, string>();
  const edited = new Map<string, Change>();
  const asking = { quit: false, allSafe: false };
  for (const change of changes) {
    const rejection = rejected.get(change.id);
    if (rejection !== undefined) {
      emit({ event: "rejected", id: change.id, gate: rejection.gate, reason: rejection.reason });
      continue;
    }
    let files = resolved.get(change.id) ?? [];
    // Changes of one runbook proposed by the model compose: the file is printed with all of them.
    const group = groups.get(change.id);
    const taken = files.filter((f) => batch.has(f.path));
    // A file written by a change the person edited is theirs: the group no longer prints it.
    const composes =
      group !== undefined &&
      taken.every((f) => {
        const owner = owners.get(f.path) ?? "";
        return !edited.has(owner) && groups.get(owner) === group;
      });
    const clashing = (list: readonly StagedFile[]) =>
      list.find((f) => batch.has(f.path)) === undefined
        ? undefined
        : `${list.find((f) => batch.has(f.path))!.path} is also written by another change of this session; review again after it`;
    let reason =
      !composes && taken.length > 0
        ? clashing(files)
        : policy.mode === "none"
          ? (policy.refusal ?? "no writes in this session")
          : policy.mode === "auto"
            ? autoApplies(change, policy)
            : undefined;
    let wasEdited = false;
    if (reason === undefined && policy.mode === "ask") {
      const decided = await askPerson(change, files, notes.get(change.id), asking, options);
      reason = decided.reason;
      files = decided.files;
      if (decided.change !== undefined && decided.change !== change) {
        wasEdited = true;
        resolved.set(change.id, files);
        edited.set(change.id, decided.change);
        // An edited change is the person's own: it no longer composes with the model's others.
        reason ??= clashing(files);
      }
    }
    if (reason !== undefined) {
      skipped.set(change.id, reason);
      emit({ event: "skipped", id: change.id, reason });
      continue;
    }
    if (group !== undefined && !wasEdited) {
      const ids = [...(groupChosen.get(group) ?? []), change.id];
      groupChosen.set(group, ids);
      files = await group.render(ids);
      resolved.set(change.id, files);
    }
    chosen.push(edited.get(change.id) ?? change);
    for (const file of files) {
      batch.set(file.path, file);
      owners.set(file.path, change.id);
    }
  }

  // 5. Write the chosen changes as one batch.
  const files = [...batch.values()].filter((f) => f.before !== f.after);
  let written: readonly string[] = [];
  let rolledBack = false;
  if (files.length > 0) {
    const validateRejections: Rejection[] = [];
    const outcome = await applyBatch(repo, files, {
      beforeCommit: async () => {
        validateRejections.push(...(await validateGate(files, repo)));
        return validateRejections.length === 0
          ? undefined
          : validateRejections.map((r) => `${r.change}: ${r.reason}`).join("; ");
      },
      ...(options.validateCmd === undefined
        ? {}
        : { afterCommit: async () => runValidateCommand(options.validateCmd!, repo) }),
    });
    if (outcome.applied) {
      written = files.map((f) => f.path).sort();
      for (const change of chosen)
        emit({
          event: "applied",
          id: change.id,
          files: (resolved.get(change.id) ?? []).map((f) => f.path),
        });
    } else {
      rolledBack = true;
      // The validate gate names files: each change that writes a failing file is rejected.
      for (const r of validateRejections)
        for (const change of chosen)
          if ((resolved.get(change.id) ?? []).some((f) => f.path === r.change) && !rejected.has(change.id)) {
            const reason = r.reason.startsWith(r.change) ? r.reason : `${r.change}: ${r.reason}`;
            rejected.set(change.id, { ...r, reason });
            emit({ event: "rejected", id: change.id, gate: r.gate, reason });
          }
      emit({
        event: "rolled_back",
        reason: outcome.reason,
        ids: chosen.map((c) => c.id),
        files: files.map((f) => f.path).sort(),
      });
    }
  } else {
    // Chosen changes that write nothing new (already in place) count as applied.
    for (const change of chosen) emit({ event: "applied", id: change.id, files: [] });
  }

  // 6. Summary.
  const manual = [
    ...changes
      .filter((c) => skipped.has(c.id) || rejected.has(c.id))
      .map((c) => ({
        id: c.id,
        target: c.target,
        reason: skipped.get(c.id) ?? `${rejected.get(c.id)!.gate} gate: ${rejected.get(c.id)!.reason}`,
      })),
    // Changes of a change set that could not be read as changes: their target is the set.
    ...rejections.map((r) => ({
      id: r.change,
      target: options.changes?.origin ?? "",
      reason: `${r.gate} gate: ${r.reason}`,
    })),
  ];
  const rejectedCount = rejected.size + rejections.length;
  const appliedCount = rolledBack ? 0 : chosen.length;
  const exitCode: 0 | 1 | 2 = rolledBack
    ? 1
    : changes.length === 0 && rejections.length === 0
      ? 0
      : policy.mode === "none"
        ? 2
        : written.length > 0
          ? 0
          : rejectedCount > 0
            ? 1
            : appliedCount > 0 && skipped.size === 0
              ? 0
              : 2;
  emit({
    event: "summary",
    changes: changes.length,
    applied: appliedCount,
    skipped: skipped.size,
    rejected: rejectedCount,
    rolled_back: rolledBack,
    files_changed: written,
    manual,
    not_recompiled: drift.skipped.map((s) => ({ output: s.output, reason: s.reason })),
    not_proposed: proposals?.notProposed ?? [],
    exit_code: exitCode,
  });
  return events;
}

function suggestionOf(change: Change, files: readonly StagedFile[]): SuggestionEvent {
  return {
    event: "suggestion",
    id: change.id,
    kind: change.kind,
    target: change.target,
    tier: change.tier,
    confidence: change.confidence,
    rationale: change.rationale,
    evidence_citations: change.evidence_citations,
    files: files.map((f) => f.path),
    diff: preview(files),
  };
}

/** The change with a person's new payload (its content or its patch, whichever it carries). */
function withPayload(change: Change, payload: string): Change {
  const { content: _c, patch: _p, ...rest } = change;
  return change.content !== undefined
    ? { ...rest, content: payload }
    : { ...rest, patch: editedPatch(payload) };
}

/**
 * A patch as a person left it in the editor: any edit makes its hunk headers' line counts and
 * its `index` lines' post-image blob ids stale, so those are recounted and dropped (as `git apply
 * --recount` does), and a context line whose leading space the editor trimmed is one again. The
 * edit is then checked by what it says: its context and pre-image ids must still match the tree.
 */
export function editedPatch(text: string): string {
  const lines = text.replace(/\n*$/, "").split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const index = /^(index [0-9a-f]{7,64}\.\.)([0-9a-f]{7,64})((?: 100(?:644|755))?)$/.exec(line);
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/.exec(line);
    if (index !== null) out.push(`${index[1]}0000000${index[3]}`);
    else if (hunk === null) out.push(line);
    else {
      const body: string[] = [];
      let old = 0;
      let added = 0;
      for (; i + 1 < lines.length && !/^(@@ |diff --git )/.test(lines[i + 1] as string); i++) {
        const next = lines[i + 1] === "" ? " " : (lines[i + 1] as string);
        if (next.startsWith(" ") || next.startsWith("-")) old++;
        if (next.startsWith(" ") || next.startsWith("+")) added++;
        body.push(next);
      }
      out.push(`@@ -${hunk[1]},${old} +${hunk[2]},${added} @@${hunk[3]}`, ...body);
    }
  }
  return `${out.join("\n")}\n`;
}

/** Every gate but the level gate, on one change: its files, or why it is refused. */
async function gateOne(
  change: Change,
  repo: string,
): Promise<{ files: readonly StagedFile[]; reason?: undefined } | { reason: string }> {
  const rejection = schemaGate(change, repo) ?? evidenceGate(change, repo);
  if (rejection !== undefined) return { reason: `${rejection.gate} gate: ${rejection.reason}` };
  const result = resolveChange(change, repo);
  if ("rejection" in result) return { reason: `${result.rejection.gate} gate: ${result.rejection.reason}` };
  const failed = await validateGate(result.files, repo);
  if (failed.length > 0)
    return { reason: failed.map((r) => `validate gate: ${r.change}: ${r.reason}`).join("; ") };
  return { files: result.files };
}

/**
 * The TTY flow for one change: ask until the person applies, skips or quits; an edit is checked
 * by every gate (the person's editor re-opens on a refusal) and shown again. After [A]pply all
 * safe, the `safe` changes left are applied without asking; after [q]uit, none is asked.
 */
async function askPerson(
  original: Change,
  originalFiles: readonly StagedFile[],
  note: string | undefined,
  asking: { quit: boolean; allSafe: boolean },
  options: ReviewOptions,
): Promise<{ reason?: string; files: readonly StagedFile[]; change?: Change }> {
  let change = original;
  let files = originalFiles;
  for (;;) {
    if (asking.quit) return { reason: "not reviewed: the review was ended with [q]uit", files };
    if (asking.allSafe && change.tier === "safe") return { files, change };
    const payload = change.content ?? change.patch ?? "";
    const answer = await options.ask!(suggestionOf(change, files), {
      payload,
      payloadKind: change.content !== undefined ? "content" : "patch",
      ...(note === undefined ? {} : { note }),
      check: async (text) => {
        const gated = await gateOne(withPayload(change, text), options.repo);
        return gated.reason;
      },
    });
    if (answer === "apply") return { files, change };
    if (answer === "skip") return { reason: "skipped by the reviewer", files };
    if (answer === "quit") asking.quit = true;
    else if (answer === "apply-all-safe") asking.allSafe = true;
    else {
      const next = withPayload(change, answer.edited);
      const gated = await gateOne(next, options.repo);
      if (gated.reason === undefined) {
        change = next;
        files = gated.files;
      }
    }
  }
}

/** The unified diff of a change's files; "" when there are none. */
function preview(files: readonly StagedFile[]): string {
  try {
    return buildPatch(files.map((f) => ({ path: f.path, before: f.before, after: f.after })));
  } catch {
    return "";
  }
}

/**
 * --validate-cmd after the files are in place: argv, no shell, in the repo. Undefined when it
 * exits 0, else why (the batch is then rolled back).
 */
export function runValidateCommand(argv: readonly string[], repo: string): Promise<string | undefined> {
  const [program, ...args] = argv;
  const result = spawnSync(program!, args, {
    cwd: repo,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.error !== undefined)
    return Promise.resolve(`--validate-cmd ${program} could not run: ${result.error.message}`);
  if (result.status === 0) return Promise.resolve(undefined);
  const tail = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim().split("\n").slice(-3).join(" | ");
  const how = result.status === null ? `was killed by ${result.signal}` : `exited ${result.status}`;
  return Promise.resolve(`--validate-cmd ${argv.join(" ")} ${how}${tail ? `: ${tail}` : ""}`);
}
