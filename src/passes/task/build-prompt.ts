/**
 * The prompt of `rllmc task run`: one user message holding the task, its guarantees, the files
 * it may change with their current content, the context files, and how to answer (the answer
 * schema, grammar/schemas/task-answer.schema.json). Every path in it is relative to its root
 * (`repo:` or `context:`), never absolute, so the same task over the same files gives the same
 * prompt — and the same cache key — on every machine and under every mount.
 */

/** Bump when the prompt's wording or layout changes: cached answers to the old prompt are not reused. */
export const TASK_PROMPT_VERSION = "task-prompt/1";

/** A file the model reads: a context file, or the current content of an output. */
export interface PromptFile {
  /** `repo:docs/a.yaml` or `context:README.md`. */
  readonly label: string;
  /** What the task says it is for (`for API standards`), if it says. */
  readonly description?: string;
  readonly content: string;
}

/** An output rule as the prompt lists it. */
export interface PromptOutput {
  /** Repository-relative; a folder rule ends in `/`. */
  readonly path: string;
  /** The file's content now; undefined when it does not exist (or for a folder). */
  readonly current: string | undefined;
  /** For a folder rule: the files under it now. */
  readonly existing?: readonly string[];
}

export interface TaskPromptInput {
  readonly name: string;
  readonly prompt: string;
  readonly guarantees: readonly string[];
  readonly outputs: readonly PromptOutput[];
  readonly context: readonly PromptFile[];
  /** What was left out of the context, and why (binary files). */
  readonly notes: readonly string[];
  readonly answerSchema: unknown;
}

export function buildTaskPrompt(input: TaskPromptInput): string {
  const parts: string[] = [
    "You are proposing one change to a software repository. A CI job reviews your answer, turns it into a patch, applies it and runs the tests; you never see the repository beyond what is below.",
    `# Task: ${input.name}\n\n${input.prompt.trim()}`,
    `# Guarantees the change must keep\n\n${
      input.guarantees.length === 0
        ? "(none beyond the task)"
        : input.guarantees.map((g) => `- ${g}`).join("\n")
    }`,
    `# Files you may change\n\n${input.outputs.map(describeOutput).join("\n")}`,
  ];
  const current = input.outputs.filter((o) => o.current !== undefined);
  if (current.length > 0)
    parts.push(
      `# Current content of the files you may change\n\n${current
        .map((o) => fenced(`repo:${o.path}`, undefined, o.current ?? ""))
        .join("\n\n")}`,
    );
  parts.push(
    `# Context\n\n${
      input.context.length === 0
        ? "(no context files)"
        : input.context.map((f) => fenced(f.label, f.description, f.content)).join("\n\n")
    }${input.notes.length === 0 ? "" : `\n\nLeft out of the context:\n${input.notes.map((n) => `- ${n}`).join("\n")}`}`,
  );
  parts.push(
    [
      "# How to answer",
      "",
      "Answer with one JSON object and nothing else — no prose, no code fence — following this JSON Schema:",
      "",
      JSON.stringify(input.answerSchema),
      "",
      "Rules:",
      '- Change only the files listed under "Files you may change", with paths relative to the repository root exactly as listed there (without the "repo:" label).',
      '- Give each changed file once: its whole new content ("content"), or "delete": true, or "edits" whose "search" text occurs exactly once in the file\'s current content.',
      "- Keep every guarantee above. Keep the files' existing style and line endings.",
      '- If no change is needed, answer {"commit_message": "no change needed", "files": []}.',
      "- commit_message: a conventional commit message: a subject line of at most 72 characters, a blank line, then a short body saying what changed and why. Do not add a tracking line; it is added for you.",
    ].join("\n"),
  );
  return `${parts.join("\n\n")}\n`;
}

function describeOutput(output: PromptOutput): string {
  if (output.path.endsWith("/")) {
    const existing = output.existing ?? [];
    return `- repo:${output.path} (any file under this folder${
      existing.length === 0 ? "; it has none now" : `; now: ${existing.join(", ")}`
    })`;
  }
  return `- repo:${output.path} (${output.current === undefined ? "does not exist yet" : "current content below"})`;
}

/** A file in a fence longer than any run of backticks in it, so its content cannot close it. */
function fenced(label: string, description: string | undefined, content: string): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `## ${label}${description === undefined ? "" : ` — ${description}`}\n\n${fence}\n${body}${fence}`;
}
