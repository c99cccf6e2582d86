/**
 * The gates of `rllmc review` (issue 19): each takes changes (or the files a batch stages) and
 * returns the rejections, each naming the change, the gate and a reason a person can act on.
 *
 * - schema: the change validates against `grammar/schemas/change-set.schema.json`, and its target,
 *   every path its patch names and every citation stay inside the repository (no `..`, nothing
 *   absolute, no control character, no `.git` folder, no symlink out: `task/paths.ts`'
 *   `symlinkEscape`).
 * - evidence: a `promote_step` cites the TSG lines where its command stands verbatim: at least one
 *   citation, and each one's file inside the repository and present — the TSG the target
 *   runbook's header names when it has one, else a Markdown file — its `line..end_line` present,
 *   and `quote` found in those lines.
 * - level: at most `maxDelta` promotions per runbook target in one session (0: none).
 * - validate: every staged file checked as its kind, in memory (the staged set overlays the disk,
 *   so an app's `uses` child in the same batch is read as staged).
 */
import { lstatSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { patchPaths } from "../../backend/patch.js";
import { readSource } from "../../frontend/read-source.js";
import { sizeLimit } from "../../frontend/size-limits.js";
import { type Diagnostic, hasErrors } from "../../ir/diagnostic.js";
import type { RllmModule } from "../../ir/nodes.js";
import { SourceFile } from "../../ir/source-file.js";
import type { LoadedModule } from "../../passes/pass.js";
import { symlinkEscape } from "../task/paths.js";
import { type Change, type Rejection, readRepoFile, type StagedFile, schemaProblem } from "./change-set.js";
import { headerSource } from "./drift.js";

/** Why a repo-relative path may not be used, or undefined. */
export function repoPathProblem(path: string, repo: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return "has a control character";
  if (path === "" || isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.startsWith("/"))
    return "is not relative to the repository root";
  if (path.includes("\\")) return "has a backslash (paths use '/')";
  const segments = path.split("/");
  if (segments.some((s) => s === ".." || s === "." || s === "")) return "has an empty, '.' or '..' segment";
  if (segments.some((s) => s.toLowerCase() === ".git")) return "is inside a .git folder";
  return symlinkEscape(repo, resolve(repo, ...segments));
}

/** Why a file a change writes cannot be written as a file: it is a folder, a link or a special file. */
function notAFile(repo: string, path: string): string | undefined {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(resolve(repo, ...path.split("/")));
  } catch {
    return undefined; // A new file.
  }
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return "is a folder";
  if (stat.isSymbolicLink()) return "is a symlink (a change writes files, not links)";
  return "is not a regular file";
}

/** The change validates against the schema, and every path it names stays inside `repo`. */
export function schemaGate(change: Change, repo: string): Rejection | undefined {
  const reject = (reason: string): Rejection => ({ change: change.id ?? "(no id)", gate: "schema", reason });
  const problem = schemaProblem({ changes: [change] });
  if (problem !== undefined) return reject(problem.replaceAll("/changes/0", ""));
  const paths: { what: string; path: string }[] = [{ what: "target", path: change.target }];
  if (change.patch !== undefined) {
    const names = patchPaths(change.patch);
    if (names === undefined || names.length === 0) return reject("the patch names no file it can read");
    for (const path of names) paths.push({ what: "patched file", path });
    if (!names.includes(change.target))
      return reject(`the target '${change.target}' is not a file the patch changes`);
  }
  for (const citation of change.evidence_citations) paths.push({ what: "citation", path: citation.path });
  for (const { what, path } of paths) {
    const why = repoPathProblem(path, repo) ?? (what === "citation" ? undefined : notAFile(repo, path));
    if (why !== undefined) return reject(`the ${what} '${path}' ${why}`);
  }
  return undefined;
}

/**
 * A `promote_step` must cite, for its command, the TSG lines that hold it verbatim. Other kinds
 * pass (their citations, if any, are informative).
 */
export function evidenceGate(change: Change, repo: string): Rejection | undefined {
  if (change.kind !== "promote_step") return undefined;
  const reject = (reason: string): Rejection => ({ change: change.id, gate: "evidence", reason });
  if (change.evidence_citations.length === 0)
    return reject(
      "a promotion must cite the TSG lines where the command stands (evidence_citations is empty)",
    );
  // The runbook names its TSG in its header: the command must stand in that TSG, not another file.
  const tsg =
    repoPathProblem(change.target, repo) === undefined
      ? headerSource(resolve(repo, ...change.target.split("/")))
      : undefined;
  const tsgPath = tsg === undefined ? undefined : relative(repo, tsg).split(sep).join("/");
  for (const citation of change.evidence_citations) {
    const where = `citation '${citation.path}'`;
    const why = repoPathProblem(citation.path, repo);
    if (why !== undefined) return reject(`${where} ${why}`);
    if (tsgPath !== undefined && citation.path !== tsgPath)
      return reject(
        `${where}: ${change.target} is compiled from '${tsgPath}', so the command must be cited there`,
      );
    if (tsgPath === undefined && !/\.(md|markdown|mdown|mkd)$/i.test(citation.path))
      return reject(`${where}: a promotion cites the TSG (Markdown) where the command stands`);
    if (citation.line === undefined || citation.quote === undefined)
      return reject(`${where} needs 'line' and 'quote': the lines that hold the command, and the command`);
    const text = readRepoFile(repo, citation.path);
    if (text === undefined) return reject(`${where}: no such file in the repository`);
    const lines = text.split(/\r\n|\n|\r/);
    if (text.endsWith("\n") || text.endsWith("\r")) lines.pop();
    const first = citation.line;
    const last = citation.end_line ?? first;
    if (last < first) return reject(`${where}: end_line ${last} is before line ${first}`);
    if (last > lines.length)
      return reject(
        `${where}: line${last === first ? ` ${first}` : `s ${first}-${last}`} not in the file (it has ${lines.length} line${lines.length === 1 ? "" : "s"})`,
      );
    const cited = lines.slice(first - 1, last).join("\n");
    if (!cited.includes(citation.quote) && !squash(cited).includes(squash(citation.quote)))
      return reject(
        `${where}: line${last === first ? ` ${first} does` : `s ${first}-${last} do`} not contain ${JSON.stringify(citation.quote)}`,
      );
  }
  return undefined;
}

/**
 * A quote that spans lines may be given on one line: a continuation (`\` at a line end) and the
 * line breaks with their indentation count as one space. Nothing else is forgiven.
 */
function squash(text: string): string {
  return text.replace(/[ \t]*\\?\r?\n[ \t]*/g, " ");
}

/**
 * At most `maxDelta` promotions per runbook (the change's target) in one session, in the order
 * given; the extras are rejected. `maxDelta` 0 rejects every promotion.
 */
export function levelGate(changes: readonly Change[], maxDelta: number): Rejection[] {
  const counts = new Map<string, number>();
  const rejections: Rejection[] = [];
  for (const change of changes) {
    if (change.kind !== "promote_step") continue;
    const count = (counts.get(change.target) ?? 0) + 1;
    counts.set(change.target, count);
    if (count > maxDelta)
      rejections.push({
        change: change.id,
        gate: "level",
        reason:
          maxDelta <= 0
            ? "promotions are disabled (--auto-max-delta 0)"
            : `more than ${maxDelta} promotion${maxDelta === 1 ? "" : "s"} of '${change.target}' in one session (--auto-max-delta ${maxDelta})`,
      });
  }
  return rejections;
}

/**
 * Every staged file that remains is checked as its kind: a runbook with the schema and Stage C
 * (as `runbook validate`), an `.rllm` app with `loadSource`'s checks, a scenario with its rules,
 * a task with its parser, a `mapping.md` against its TSG and its runbook, anything else as text
 * (no NUL); a file whose new text does not say its kind is checked as the kind it was. A deleted
 * file is not checked. Returns one rejection per failing file: `change` is
 * the file's path, `reason` its first error (`line:col CODE: message` when it has a place).
 */
export async function validateGate(files: readonly StagedFile[], repo: string): Promise<Rejection[]> {
  const staged = new Map<string, string | undefined>();
  for (const file of files) staged.set(resolve(repo, ...file.path.split("/")), file.after);
  const rejections: Rejection[] = [];
  for (const file of files) {
    if (file.after === undefined) continue;
    const problem = await checkStaged(file.path, file.after, file.before, repo, staged);
    if (problem !== undefined) rejections.push({ change: file.path, gate: "validate", reason: problem });
  }
  return rejections;
}

async function checkStaged(
  path: string,
  text: string,
  before: string | undefined,
  repo: string,
  staged: ReadonlyMap<string, string | undefined>,
): Promise<string | undefined> {
  if (text.includes("\0")) return "holds a NUL character: not text";
  if (hasLoneSurrogate(text)) return "is not valid UTF-8 (a lone surrogate)";
  const absolute = resolve(repo, ...path.split("/"));
  const source = new SourceFile(absolute, text.startsWith("\uFEFF") ? text.slice(1) : text);
  const name = path.split("/").pop() as string;
  if (/^mapping\.md$/i.test(name) || source.text.startsWith("# Mapping: "))
    return checkMapping(absolute, source.text, staged);
  const { detectFileKind } = await import("../../frontend/detect-kind.js");
  // A runbook rewritten into text that no longer says it is one is still checked as a runbook.
  const kind =
    detectFileKind(path, source.text) ?? (before === undefined ? undefined : detectFileKind(path, before));
  // What `rllmc validate` and `exec` refuse to read (RLC0005) is refused here too.
  const limit = kind === undefined ? undefined : sizeLimit(kind);
  const bytes = Buffer.byteLength(source.text, "utf8");
  if (limit !== undefined && bytes > limit.bytes)
    return `is ${bytes} bytes, over the ${limit.bytes}-byte limit for ${limit.what}`;
  switch (kind) {
    case "runbook": {
      const { parseRunbook, yamlLocator } = await import("../../frontend/runbook/parse-runbook.js");
      const { checkRunbook } = await import("../../passes/runbook/check-runbook.js");
      const parsed = parseRunbook(source);
      const diagnostics: Diagnostic[] = [...parsed.diagnostics];
      if (parsed.valid && parsed.document !== undefined)
        diagnostics.push(...checkRunbook(parsed.document.value as never, yamlLocator(parsed.document)));
      return firstError(diagnostics, source);
    }
    case "scenario": {
      const { parseScenario } = await import("../../frontend/replay/parse-scenario.js");
      return firstError(parseScenario(source).diagnostics, source);
    }
    case "rllm":
      return firstError(await checkApp(source, staged), source);
    case "task": {
      const { parseTask } = await import("../../frontend/task/parse-task.js");
      return firstError(parseTask(source).diagnostics, source);
    }
    case "tsg":
      // A TSG has warnings only (prose has no syntax errors).
      return undefined;
    case undefined:
      // A compiled module (or any script) must still parse; other files are text.
      return /\.(?:[cm]?js|[cm]?ts)$/i.test(name) ? await scriptProblem(name, source.text) : undefined;
  }
}

/** A JavaScript or TypeScript file's first syntax error (`line:col TS…: message`), if any. */
async function scriptProblem(name: string, text: string): Promise<string | undefined> {
  const { ts } = await import("ts-morph");
  const declarations = /\.d\.[cm]?ts$/i.test(name);
  const output = ts.transpileModule(text, {
    fileName: declarations ? name.replace(/\.d\.([cm]?)ts$/i, ".$1ts") : name,
    reportDiagnostics: true,
    compilerOptions: { allowJs: true, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const error = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (error === undefined) return undefined;
  const at =
    error.file !== undefined && error.start !== undefined
      ? error.file.getLineAndCharacterOfPosition(error.start)
      : undefined;
  const message = ts.flattenDiagnosticMessageText(error.messageText, " ");
  return `${at === undefined ? "" : `${at.line + 1}:${at.character + 1} `}TS${error.code}: ${message}`;
}

/** An app's parse and `loadSource`'s checks, its `uses` children read from the staged set first. */
async function checkApp(
  source: SourceFile,
  staged: ReadonlyMap<string, string | undefined>,
): Promise<Diagnostic[]> {
  const { parseSourceLazily } = await import("../../frontend/load-parser.js");
  const parsed = await parseSourceLazily(source, "rllm");
  if (parsed.module?.kind !== "rllm" || hasErrors(parsed.diagnostics)) return [...parsed.diagnostics];
  const { parseRllm } = await import("../../frontend/rllm/parse-rllm.js");
  const { runChecks } = await import("../../passes/pipeline.js");
  const loadRllm = (child: string): LoadedModule => {
    const key = resolve(child);
    let childSource: SourceFile | undefined;
    if (staged.has(key)) {
      const text = staged.get(key);
      if (text === undefined) return { module: undefined, diagnostics: [], failure: "the batch deletes it" };
      childSource = new SourceFile(key, text);
    } else {
      const read = readSource(key, sizeLimit("rllm"));
      if (read.source === undefined)
        return {
          module: undefined,
          diagnostics: read.diagnostics,
          failure:
            read.diagnostics[0]?.message.replace(/^cannot read '[^']*': /, "") ?? "it could not be read",
        };
      childSource = read.source;
    }
    const result = parseRllm(childSource);
    return { module: result.module as RllmModule, diagnostics: result.diagnostics, source: childSource };
  };
  return [...parsed.diagnostics, ...runChecks(parsed.module, loadRllm).diagnostics];
}

/**
 * A compiled `mapping.md` (`# Mapping: …`, `Source: \`tsg\` → runbook \`name\``): its TSG exists
 * (staged or on disk), and a `runbook.yaml` beside it (staged or on disk) names the same runbook.
 * A file named mapping.md without that header is only text.
 */
function checkMapping(
  absolute: string,
  text: string,
  staged: ReadonlyMap<string, string | undefined>,
): string | undefined {
  if (!text.startsWith("# Mapping: ")) return undefined;
  const match = /^Source: `(.*)` → runbook `(.*)`$/m.exec(text);
  if (match === null) return "a mapping without its 'Source: `…` → runbook `…`' line";
  const folder = dirname(absolute);
  const tsg = resolve(folder, match[1] as string);
  const exists = (file: string): string | undefined => {
    if (staged.has(file)) return staged.get(file);
    try {
      return lstatSync(file).isFile() ? (readSource(file).source?.text ?? "") : undefined;
    } catch {
      return undefined;
    }
  };
  if (exists(tsg) === undefined) return `its TSG '${match[1]}' does not exist`;
  const runbook = exists(join(folder, "runbook.yaml"));
  if (runbook !== undefined) {
    const name = /^meta:\n(?:[ \t].*\n)*?[ \t]+name:[ \t]*(.*)$/m
      .exec(runbook)?.[1]
      ?.trim()
      .replace(/^['"]|['"]$/g, "");
    if (name !== undefined && name !== match[2])
      return `it maps runbook '${match[2]}', but runbook.yaml beside it is '${name}'`;
  }
  return undefined;
}

function firstError(diagnostics: readonly Diagnostic[], source: SourceFile): string | undefined {
  const error = diagnostics.find((d) => d.severity === "error");
  if (error === undefined) return undefined;
  const at = error.span.file === source.path ? source.lineCol(error.span.start) : undefined;
  return `${at === undefined ? "" : `${at.line}:${at.column} `}${error.code}: ${error.message}`;
}

/** A UTF-16 string that no UTF-8 text decodes to. */
function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) return true;
  }
  return false;
}
