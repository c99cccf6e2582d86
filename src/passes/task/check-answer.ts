/**
 * The answer contract of a task (docs/task-spec.md, "The answer"): the model's answer is checked
 * against grammar/schemas/task-answer.schema.json and resolved against the current contents of
 * the files it names into whole-file changes `{ path, before, after }`, from which
 * backend/patch.ts computes the patch. The model never writes a diff.
 *
 * Problems are of two kinds:
 * - **off-contract** (TSK4101–TSK4107): the answer breaks the schema, names an unsafe path, names
 *   a path twice, or an edit or delete does not fit the current files. These go back to the model
 *   in the recovery loop.
 * - **outside outputs** (TSK4110): a well-formed change to a path the task's `outputs` do not
 *   allow. The run fails with its own exit code and the path named; it is not re-asked.
 *
 * The outputs rule: an output is an exact repository-relative path, or a folder written with a
 * trailing `/`, which allows every file under it. No globs. Paths are compared case-sensitively
 * and byte for byte (no Unicode normalisation: a look-alike is another path), after `./` segments
 * and repeated `/` are removed.
 *
 * Pure: no file IO. The driver gives the current content of every path the answer names
 * (`answerPaths` lists them); a path missing from `current`, or mapped to undefined, does not
 * exist.
 */
import type { ErrorObject } from "ajv";
import type { DiagnosticDefinition } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import { validateTaskAnswer } from "../../lang/schemas/validators.generated.js";

/** One entry of a task's `outputs`, after placeholders and mount prefixes are resolved. */
export type OutputRule =
  | { readonly kind: "file"; readonly path: string }
  /** Every file under `path` (written without its trailing `/`). */
  | { readonly kind: "folder"; readonly path: string };

/** One file change, resolved against the current contents. */
export interface FileChange {
  readonly path: string;
  /** Undefined when the file is created. */
  readonly before: string | undefined;
  /** Undefined when the file is deleted. */
  readonly after: string | undefined;
}

export type AnswerProblemKind = "off-contract" | "outside-outputs";

export interface AnswerProblem {
  readonly kind: AnswerProblemKind;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  /** The JSON pointer into the answer of what is wrong ("" for the whole answer). */
  readonly pointer: string;
  /** The file the problem is about, when there is one. */
  readonly path?: string;
}

export type AnswerCheck =
  | {
      readonly ok: true;
      readonly commitMessage: string;
      /**
       * In the answer's order. Changes that leave a file as it is are dropped, so an empty list
       * means "no change needed".
       */
      readonly changes: readonly FileChange[];
    }
  | { readonly ok: false; readonly problems: readonly AnswerProblem[] };

export interface AnswerContext {
  readonly outputs: readonly OutputRule[];
  readonly current: ReadonlyMap<string, string | undefined>;
}

/** The answer as the schema describes it. */
interface TaskAnswer {
  readonly commit_message: string;
  readonly files: readonly AnswerFile[];
}
type AnswerFile =
  | { readonly path: string; readonly content: string }
  | { readonly path: string; readonly delete: true }
  | {
      readonly path: string;
      readonly edits: readonly { readonly search: string; readonly replace: string }[];
    };

const SCHEMA_PROBLEM_LIMIT = 10;

/** Checks a model's answer (already parsed from JSON) and resolves its file changes. */
export function checkTaskAnswer(answer: unknown, context: AnswerContext): AnswerCheck {
  const schema = schemaProblems(answer);
  if (schema.length > 0) return { ok: false, problems: schema };
  const valid = answer as TaskAnswer;

  const offContract: AnswerProblem[] = [];
  const outside: AnswerProblem[] = [];
  const changes: FileChange[] = [];
  const seen = new Set<string>();
  valid.files.forEach((file, index) => {
    const pointer = `/files/${index}/path`;
    const normal = file.path.endsWith("/")
      ? ({ ok: false, reason: "ends with '/': it names a folder, not a file" } as const)
      : normalisePath(file.path);
    if (!normal.ok) {
      offContract.push(
        problem(
          "off-contract",
          Diagnostics.TaskAnswerUnsafePath,
          { path: file.path, reason: normal.reason },
          pointer,
        ),
      );
      return;
    }
    const path = normal.path;
    if (seen.has(path)) {
      offContract.push(problem("off-contract", Diagnostics.TaskAnswerDuplicatePath, { path }, pointer, path));
      return;
    }
    seen.add(path);
    if (!isAllowedOutput(path, context.outputs)) {
      outside.push(problem("outside-outputs", Diagnostics.TaskAnswerOutsideOutputs, { path }, pointer, path));
      return;
    }
    const before = context.current.get(path);
    const resolved = resolveFile(file, path, before, `/files/${index}`);
    if (!resolved.ok) {
      offContract.push(resolved.problem);
      return;
    }
    if (resolved.after !== before) changes.push({ path, before, after: resolved.after });
  });
  // An answer that is off-contract is re-asked; only a well-formed answer that reaches outside
  // the outputs fails as that.
  if (offContract.length > 0) return { ok: false, problems: offContract };
  if (outside.length > 0) return { ok: false, problems: outside };
  return { ok: true, commitMessage: valid.commit_message, changes };
}

/**
 * The normalised paths an answer names, so that the driver can read their current contents
 * before calling `checkTaskAnswer`. Unsafe and ill-typed entries are left out (the check reports
 * them).
 */
export function answerPaths(answer: unknown): string[] {
  const files = (answer as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return [];
  const paths: string[] = [];
  for (const file of files) {
    const path = (file as { path?: unknown } | null)?.path;
    if (typeof path !== "string") continue;
    const normal = normalisePath(path);
    if (normal.ok && !paths.includes(normal.path)) paths.push(normal.path);
  }
  return paths;
}

// --- paths and the outputs rule ---------------------------------------------------------------

export type NormalisedPath =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: string };

/**
 * A repository-relative file path in its one spelling: `./` segments and repeated or trailing
 * `/` removed. Refused: empty, absolute (`/…`, `C:…`), a `..` segment anywhere (also `a/../b`),
 * a backslash, and control characters (NUL, newlines).
 */
export function normalisePath(path: string): NormalisedPath {
  if (path.length === 0) return { ok: false, reason: "is empty" };
  if (path.includes("\\")) return { ok: false, reason: "contains a backslash; write '/' between folders" };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return { ok: false, reason: "contains a control character" };
  if (path.startsWith("/"))
    return { ok: false, reason: "is absolute; paths are relative to the repository root" };
  if (/^[A-Za-z]:/.test(path)) return { ok: false, reason: "is a Windows drive path" };
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return { ok: false, reason: "has a '..' segment" };
  if (segments.length === 0) return { ok: false, reason: "names no file" };
  return { ok: true, path: segments.join("/") };
}

export type OutputRuleResult =
  | { readonly ok: true; readonly rule: OutputRule }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads one resolved `outputs` entry (repository-relative, after mount prefixes): a trailing `/`
 * makes it a folder. Glob characters are refused rather than read literally, so that `docs/*.md`
 * is never taken for a file of that name.
 */
export function toOutputRule(entry: string): OutputRuleResult {
  if (/[*?[\]{}]/.test(entry)) {
    return {
      ok: false,
      reason: "is a glob; outputs are exact paths, or folders written with a trailing '/'",
    };
  }
  const normal = normalisePath(entry);
  if (!normal.ok) return normal;
  return { ok: true, rule: { kind: entry.endsWith("/") ? "folder" : "file", path: normal.path } };
}

/** Whether a normalised path is one of the outputs or lies under an output folder. */
export function isAllowedOutput(path: string, outputs: readonly OutputRule[]): boolean {
  return outputs.some((rule) => {
    const normal = normalisePath(rule.path);
    if (!normal.ok) return false;
    return rule.kind === "file" ? path === normal.path : path.startsWith(`${normal.path}/`);
  });
}

// --- resolving one file -----------------------------------------------------------------------

type Resolved =
  | { readonly ok: true; readonly after: string | undefined }
  | { readonly ok: false; readonly problem: AnswerProblem };

function resolveFile(file: AnswerFile, path: string, before: string | undefined, pointer: string): Resolved {
  if ("content" in file) return { ok: true, after: file.content };
  if ("delete" in file) {
    if (before === undefined) {
      return {
        ok: false,
        problem: problem("off-contract", Diagnostics.TaskAnswerDeleteMissing, { path }, pointer, path),
      };
    }
    return { ok: true, after: undefined };
  }
  if (before === undefined) {
    return {
      ok: false,
      problem: problem("off-contract", Diagnostics.TaskAnswerEditMissing, { path }, pointer, path),
    };
  }
  // In a file whose every line ends in CRLF, an edit written with LF ends (as a model sees the
  // content) means the file's own ends: its search and replace are matched and kept as CRLF.
  const crlf = before.includes("\r\n") && !/(^|[^\r])\n/.test(before);
  const ends = (t: string) => (crlf ? t.replace(/\r?\n/g, "\r\n") : t);
  let text = before;
  for (const [index, written] of file.edits.entries()) {
    const edit = { search: ends(written.search), replace: ends(written.replace) };
    const at = text.indexOf(edit.search);
    const editPointer = `${pointer}/edits/${index}/search`;
    if (at < 0) {
      return {
        ok: false,
        problem: problem(
          "off-contract",
          Diagnostics.TaskAnswerSearchNotFound,
          { path, index },
          editPointer,
          path,
        ),
      };
    }
    const count = occurrences(text, edit.search);
    if (count > 1) {
      return {
        ok: false,
        problem: problem(
          "off-contract",
          Diagnostics.TaskAnswerSearchNotUnique,
          { path, index, count },
          editPointer,
          path,
        ),
      };
    }
    text = text.slice(0, at) + edit.replace + text.slice(at + edit.search.length);
  }
  return { ok: true, after: text };
}

/** Occurrences of `search` in `text`, overlapping ones included ("aa" occurs twice in "aaa"). */
function occurrences(text: string, search: string): number {
  let count = 0;
  for (let at = text.indexOf(search); at >= 0; at = text.indexOf(search, at + 1)) count++;
  return count;
}

// --- the schema -------------------------------------------------------------------------------

const validate = validateTaskAnswer as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** The branch of the `files` item `oneOf` each kind of entry is (the schema's order). */
const BRANCH_OF_KEY: Readonly<Record<string, number>> = { content: 0, delete: 1, edits: 2 };
const ITEM_ERROR = /^\/files\/(\d+)(\/|$)/;
const BRANCH_PATH = /^#\/properties\/files\/items\/oneOf\/(\d+)\//;

/**
 * The schema's errors as problems with JSON pointers. A `files` item fails every branch of the
 * schema's `oneOf`; only the errors of the branch its key (`content`, `delete` or `edits`) picks
 * are kept, and an item with none or several of those keys is one problem.
 */
function schemaProblems(answer: unknown): AnswerProblem[] {
  if (validate(answer)) return [];
  const files = (answer as { files?: unknown } | null)?.files;
  const items: readonly unknown[] = Array.isArray(files) ? files : [];
  const problems: AnswerProblem[] = [];
  const seen = new Set<string>();
  const add = (pointer: string, detail: string): void => {
    const key = `${pointer}|${detail}`;
    if (seen.has(key) || problems.length >= SCHEMA_PROBLEM_LIMIT) return;
    seen.add(key);
    problems.push(
      problem("off-contract", Diagnostics.TaskAnswerSchema, { pointer: pointer || "/", detail }, pointer),
    );
  };
  for (const error of validate.errors ?? []) {
    const item = ITEM_ERROR.exec(error.instancePath);
    if (item !== null) {
      const index = Number(item[1]);
      const value = items[index];
      const keys = isObject(value) ? Object.keys(value).filter((k) => k in BRANCH_OF_KEY) : [];
      if (keys.length !== 1) {
        add(
          `/files/${index}`,
          isObject(value)
            ? "each file must have exactly one of 'content', 'delete' or 'edits' besides its 'path'"
            : `each file must be an object, not ${describe(value)}`,
        );
        continue;
      }
      const branch = BRANCH_PATH.exec(error.schemaPath);
      if (
        error.keyword === "oneOf" ||
        (branch !== null && Number(branch[1]) !== BRANCH_OF_KEY[keys[0] as string])
      ) {
        continue;
      }
    }
    add(error.instancePath, detailOf(error));
  }
  if (problems.length === 0) add("", "it is not a task answer");
  return problems;
}

function detailOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return `unknown field '${String(params.additionalProperty)}'`;
    case "required":
      return `missing field '${String(params.missingProperty)}'`;
    case "type":
      return `must be ${String(params.type) === "object" ? "an object" : `a ${String(params.type)}`}`;
    case "const":
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case "minLength":
      return "must not be empty";
    case "minItems":
      return "must list at least one edit";
    default:
      return error.message ?? error.keyword;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function problem<A>(
  kind: AnswerProblemKind,
  definition: DiagnosticDefinition<A>,
  args: A,
  pointer: string,
  path?: string,
): AnswerProblem {
  const hint = definition.hint?.(args);
  return {
    kind,
    code: definition.code,
    message: definition.message(args),
    ...(hint === undefined ? {} : { hint }),
    pointer,
    ...(path === undefined ? {} : { path }),
  };
}
