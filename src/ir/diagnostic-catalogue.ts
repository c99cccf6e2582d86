/**
 * The diagnostic catalogue: every code the compiler can report, in one place. Codes are stable
 * (documented in docs/diagnostics.md and checked for duplicates by a test); never renumber or
 * reuse one. Prefixes: RLC driver and files, YML YAML, SCH schema validation, RLM `.rllm` apps,
 * TSG troubleshooting guides, TSK tasks, TPL the runbook template-expression language, RBK
 * runbooks (compile and validate), RPL cli-replay scenarios (RPL80xx the reader; RPL81xx are the
 * replay runtime's failure codes, in src/runtime/replay/codes.ts, documented alongside).
 */
import { defineDiagnostic as d } from "./diagnostic.js";

export const Diagnostics = {
  // --- RLC: driver, files ----------------------------------------------------------------------
  FileNotFound: d<{ path: string }>("RLC0001", "error", (a) => `cannot read '${a.path}': no such file`),
  FileNotReadable: d<{ path: string; reason: string }>(
    "RLC0002",
    "error",
    (a) => `cannot read '${a.path}': ${a.reason}`,
  ),
  InvalidUtf8: d<{ byteOffset: number }>(
    "RLC0003",
    "error",
    (a) => `file is not valid UTF-8 (first invalid byte at offset ${a.byteOffset})`,
    () => "re-save the file as UTF-8",
  ),
  UnknownSourceKind: d<{ extension: string }>(
    "RLC0004",
    "error",
    (a) => `cannot tell what kind of source '${a.extension || "(no extension)"}' is`,
    () => "use an .rllm, .md or .yaml file, or pass --kind rllm|tsg|task (check: also runbook|scenario)",
  ),
  FileTooLarge: d<{ size: number; limit: number; what?: string }>(
    "RLC0005",
    "error",
    (a) => `file is ${a.size} bytes, over the ${a.limit}-byte limit for ${a.what ?? "one source file"}`,
    (a) =>
      a.what === undefined
        ? "split it into smaller files"
        : "split it into smaller files; docs/errors.md#size-limits lists the limit of each kind",
  ),
  NoFilesMatched: d<{ pattern: string }>(
    "RLC0006",
    "error",
    (a) => `'${a.pattern}' matches no .rllm or .md file`,
  ),
  InternalError: d<{ detail: string }>(
    "RLC0999",
    "error",
    (a) => `internal error: ${a.detail}`,
    () => "this is a bug in rllmc; please report it with the input that caused it",
  ),
  BinaryFile: d(
    "RLC0007",
    "error",
    () => "file contains NUL bytes; it looks like a binary file, not a source file",
  ),
  CompileKindUnsupported: d<{ kind: string }>(
    "RLC0008",
    "error",
    (a) =>
      a.kind === "rllm"
        ? "an .rllm app cannot be compiled together with TSGs"
        : "compile turns TSGs into runbooks and .rllm apps into modules; compiling a task is not supported yet",
    (a) =>
      a.kind === "rllm"
        ? "compile the apps in a command of their own: 'rllmc compile app.rllm'"
        : "check the task with 'rllmc check'",
  ),
  OutputNotWritable: d<{ path: string; reason: string }>(
    "RLC0009",
    "error",
    (a) => `cannot write '${a.path}': ${a.reason}`,
    () =>
      "give an output path in a folder you can write to (a file for --out and --mapping, a folder for --out-dir and --run-dir)",
  ),
  OutputNameUnusable: d<{ path: string; name: string }>(
    "RLC0010",
    "error",
    (a) =>
      `cannot name the outputs of '${a.path}': its name without the extension is '${a.name}', which is not a usable file or folder name`,
    () => "rename the file so that its name before the extension has a letter or digit in it",
  ),
  WrongFileKind: d<{ path: string; found: string; expected: string; next: string }>(
    "RLC0011",
    "error",
    (a) => `'${a.path}' is ${a.found}, not ${a.expected}`,
    (a) => a.next,
  ),
  RecordNotReal: d<{ why: string }>(
    "RLC0012",
    "error",
    (a) => `--record keeps a real run as a replay scenario: ${a.why}`,
    () =>
      "record a real run with 'runbook exec runbook.yaml --mode real --record scenario.yaml'; replay it with '--mode replay --scenario scenario.yaml'",
  ),

  QueueJobFailed: d<{ attempts: number; code: string; detail: string }>(
    "RLC0013",
    "error",
    (a) =>
      `the queue's worker could not compile this file (${a.attempts} ${a.attempts === 1 ? "attempt" : "attempts"}): ${a.code}: ${a.detail}`,
    () =>
      "list failed jobs with 'rllmc queue failed --redis URL'; after fixing the cause, retry them with 'rllmc queue retry --all' or run the compile again",
  ),
  QueueStopped: d<{ detail: string }>(
    "RLC0014",
    "error",
    (a) => `not compiled: the queue batch stopped: ${a.detail}`,
    () =>
      "check Redis and the workers ('rllmc queue status --redis URL'), then run the same command again: finished jobs are kept and not computed again",
  ),

  // --- YML: YAML syntax -------------------------------------------------------------------------
  YamlSyntax: d<{ detail: string }>("YML1001", "error", (a) => `invalid YAML: ${a.detail}`),
  YamlAliasLimit: d(
    "YML1002",
    "error",
    () => "YAML aliases expand to too many nodes (an alias bomb?)",
    () => "write the values out instead of nesting aliases",
  ),
  YamlDuplicateKey: d<{ key: string }>("YML1003", "error", (a) => `duplicate key '${a.key}'`),
  YamlMultipleDocuments: d(
    "YML1004",
    "error",
    () => "only one YAML document is allowed here",
    () => "remove the extra '---' separator",
  ),
  YamlNotMapping: d<{ what: string; found: string }>(
    "YML1005",
    "error",
    (a) => `${a.what} must be a YAML mapping, found ${a.found}`,
  ),
  YamlTooDeep: d<{ limit: number }>(
    "YML1006",
    "error",
    (a) => `YAML is nested deeper than ${a.limit} levels`,
  ),
  YamlWarning: d<{ detail: string }>("YML1007", "warning", (a) => `YAML: ${a.detail}`),
  YamlNonStringKey: d("YML1008", "error", () => "mapping keys must be plain strings"),

  // --- SCH: validation against a JSON Schema from grammar/ --------------------------------------
  SchemaRequired: d<{ fields: readonly string[]; where: string }>("SCH1101", "error", (a) =>
    a.fields.length === 1
      ? `missing required field '${a.fields[0]}' in ${a.where}`
      : `missing required fields ${listNames(a.fields)} in ${a.where}`,
  ),
  SchemaUnknownField: d<{ field: string; where: string }>(
    "SCH1102",
    "error",
    (a) => `unknown field '${a.field}' in ${a.where}`,
  ),
  SchemaType: d<{ pointer: string; expected: string; found: string }>(
    "SCH1103",
    "error",
    (a) => `'${a.pointer}' must be ${a.expected}, found ${a.found}`,
  ),
  SchemaEnum: d<{ pointer: string; allowed: readonly string[] }>(
    "SCH1104",
    "error",
    (a) =>
      `'${a.pointer}' must be ${a.allowed.length === 1 ? a.allowed[0] : `one of ${a.allowed.join(", ")}`}`,
  ),
  SchemaConstraint: d<{ pointer: string; detail: string }>(
    "SCH1105",
    "error",
    (a) => `'${a.pointer}' ${a.detail}`,
  ),

  // --- RLM: .rllm apps --------------------------------------------------------------------------
  RllmMissingFrontmatter: d(
    "RLM2001",
    "error",
    () => "an .rllm file must start with YAML frontmatter between '---' lines",
    () => "add a '---' line, the metadata (name, description, …), and a closing '---' line",
  ),
  RllmUnclosedFrontmatter: d(
    "RLM2002",
    "error",
    () => "frontmatter is never closed",
    () => "add a line with only '---' after the metadata",
  ),
  RllmEmptyPrompt: d(
    "RLM2003",
    "error",
    () => "the prompt is empty",
    () => "write the prompt template after the closing '---' of the frontmatter",
  ),
  RllmTemplateSyntax: d<{ detail: string }>(
    "RLM2004",
    "error",
    (a) => `invalid Handlebars template: ${a.detail}`,
  ),
  RllmUnknownSection: d<{ name: string }>(
    "RLM2005",
    "error",
    (a) => `unknown section ':::${a.name}'`,
    () => "sections are ':::recovery', ':::pre <js|python>' and ':::post <js|python>'",
  ),
  RllmUnclosedSection: d<{ name: string }>(
    "RLM2006",
    "error",
    (a) => `section ':::${a.name}' is never closed`,
    () => "end the section with a line containing only ':::'",
  ),
  RllmDuplicateRecovery: d("RLM2007", "error", () => "an app has at most one ':::recovery' section"),
  RllmTextOutsideSection: d(
    "RLM2008",
    "error",
    () => "text after the first ':::' section must be inside a section",
    () => "move this text into the prompt, above the first ':::' line",
  ),
  RllmBadSectionAttribute: d<{ detail: string }>(
    "RLM2009",
    "error",
    (a) => `invalid section attribute: ${a.detail}`,
  ),
  RllmCodeLanguage: d<{ found: string }>(
    "RLM2010",
    "error",
    (a) => (a.found ? `unsupported code block language '${a.found}'` : "a code block needs a language"),
    () => "write ':::pre js' or ':::pre python' (likewise for ':::post')",
  ),
  RllmDuplicateBlockName: d<{ name: string }>(
    "RLM2011",
    "error",
    (a) => `code block name '${a.name}' is used twice`,
    () => "give each block a distinct name=…",
  ),
  RllmUnsupportedTemplateFeature: d<{ feature: string }>(
    "RLM2012",
    "error",
    (a) => `${a.feature} are not supported in .rllm v0.1 templates`,
  ),
  RllmUnknownHelper: d<{ name: string }>("RLM2013", "error", (a) => `unknown template helper '${a.name}'`),
  RllmEmptyCodeBlock: d<{ name: string }>("RLM2014", "warning", (a) => `code block '${a.name}' is empty`),
  RllmStrayClose: d(
    "RLM2015",
    "error",
    () => "':::' closes no open section",
    () => "remove this line, or open a section above it",
  ),

  RllmUnknownDataVariable: d<{ name: string; allowed: string }>(
    "RLM2016",
    "error",
    (a) => `unknown data variable '@${a.name}' (available here: ${a.allowed})`,
  ),

  RllmHelperArguments: d<{ helper: string; found: number; hash: boolean }>(
    "RLM2017",
    "error",
    (a) =>
      a.hash
        ? `'${a.helper}' takes no key=value arguments`
        : `'${a.helper}' takes exactly one argument, found ${a.found}`,
    (a) => `write {{${a.helper === "json" ? "" : "#"}${a.helper} value}}`,
  ),

  // --- RLM21xx: .rllm checks (src/passes) ------------------------------------------------------
  LlmParamUnknown: d<{ name: string; known: readonly string[] }>(
    "RLM2101",
    "error",
    (a) => `unknown LLM parameter '${a.name}'`,
    (a) => `the provider layer accepts: ${a.known.join(", ")}`,
  ),
  LlmParamInvalid: d<{ name: string; detail: string }>(
    "RLM2102",
    "error",
    (a) => `LLM parameter '${a.name}' ${a.detail}`,
  ),
  LlmParamIgnored: d<{ name: string; provider: string; honouredBy: readonly string[] }>(
    "RLM2103",
    "warning",
    (a) => `provider '${a.provider}' ignores LLM parameter '${a.name}'`,
    (a) => `'${a.name}' is honoured by ${a.honouredBy.join(", ")}; remove it or change the provider`,
  ),
  InvalidJsonSchema: d<{ which: string; detail: string }>(
    "RLM2104",
    "error",
    (a) => `${a.which} is not a valid JSON Schema: ${a.detail}`,
  ),
  TemplateVariableUndeclared: d<{ path: string }>(
    "RLM2105",
    "error",
    (a) => `template variable '${a.path}' is not declared in input_schema`,
  ),
  InputUnused: d<{ name: string }>(
    "RLM2106",
    "warning",
    (a) => `input '${a.name}' is declared in input_schema but never used`,
    () => "use it in the prompt, a code block or a child's inputs, or remove it",
  ),
  UsesNotFound: d<{ path: string; reason: string }>(
    "RLM2108",
    "error",
    (a) => `cannot use '${a.path}': ${a.reason}`,
  ),
  UsesCycle: d<{ cycle: string }>(
    "RLM2109",
    "error",
    (a) => `apps use each other in a cycle: ${a.cycle}`,
    () => "break the cycle: an app cannot call itself, directly or through its children",
  ),
  UsesChildInvalid: d<{ path: string; checkPath: string; errors: number }>(
    "RLM2110",
    "error",
    (a) => `child app '${a.path}' has ${a.errors} error${a.errors === 1 ? "" : "s"}`,
    (a) => `run 'rllmc check ${a.checkPath}' to see them`,
  ),
  UsesInputMissing: d<{ child: string; input: string }>(
    "RLM2113",
    "error",
    (a) => `child '${a.child}' requires input '${a.input}', which this app does not give it`,
    (a) => `map it under this child's inputs, e.g. '${a.input}: <a variable of this app>'`,
  ),
  UsesInputTypeMismatch: d<{ child: string; input: string; expression: string; detail: string }>(
    "RLM2114",
    "error",
    (a) => `child '${a.child}' input '${a.input}' ${a.detail} (from '${a.expression}')`,
    () => "map a variable of the type the child declares, or change one of the two schemas",
  ),
  UsesInputUnknown: d<{ child: string; input: string }>(
    "RLM2115",
    "error",
    (a) => `child '${a.child}' has no input '${a.input}' (its input_schema forbids other properties)`,
  ),
  UsesExpressionUndeclared: d<{ expression: string; path: string }>(
    "RLM2116",
    "error",
    (a) =>
      `'${a.expression}' is not a variable of this app: '${a.path}' is not declared in input_schema, a pre block's outputs or an earlier child's output_schema`,
  ),
  UsesInputMaybeMissing: d<{ child: string; input: string; expression: string }>(
    "RLM2117",
    "warning",
    (a) => `child '${a.child}' requires input '${a.input}', but '${a.expression}' may be absent`,
    () => "make it required in input_schema, or give the child's input a default",
  ),
  ChildOutputUndeclared: d<{ child: string; path: string }>(
    "RLM2118",
    "error",
    (a) => `template variable '${a.path}' is not declared in the output_schema of child '${a.child}'`,
  ),
  UsesNameClash: d<{ name: string; other: string }>(
    "RLM2119",
    "error",
    (a) => `child name '${a.name}' is already ${a.other}`,
    () => "give the child another name with 'name:'",
  ),
  UsesExpressionInvalid: d<{ expression: string }>(
    "RLM2120",
    "error",
    (a) => `'${a.expression}' is not a variable path`,
    () => "write a dotted path such as 'text' or 'doc.body'",
  ),

  ContextWindowTooSmall: d<{ detail: string }>(
    "RLM2111",
    "warning",
    (a) => `max_context_window is too small: ${a.detail}`,
    () => "raise max_context_window, shorten the prompt, or lower llm_params.max_tokens",
  ),
  ContextWindowMayOverflow: d<{ detail: string }>(
    "RLM2112",
    "warning",
    (a) => `the prompt can exceed max_context_window: ${a.detail}`,
    () =>
      "lower maxLength / maxItems in input_schema, or raise max_context_window; the runtime rejects an oversized prompt before calling the model",
  ),

  // --- TSG: troubleshooting guides (prose has no syntax errors: warnings only) ------------------
  TsgUnclosedFence: d(
    "TSG3001",
    "warning",
    () => "code fence is never closed; it runs to the end of the file (or of its list item or quote)",
  ),
  TsgEmptyDocument: d("TSG3002", "warning", () => "the document is empty"),
  TsgUnterminatedHeredoc: d<{ delimiter: string }>(
    "TSG3003",
    "warning",
    (a) => `heredoc '${a.delimiter}' is never terminated in this code block`,
  ),
  TsgUnterminatedContinuation: d(
    "TSG3004",
    "warning",
    () => "the last command ends with '\\' but no line follows",
  ),
  TsgNestedTooDeeply: d<{ limit: number }>(
    "TSG3005",
    "warning",
    (a) =>
      `the guide nests block quotes and lists more than ${a.limit} levels deep; what lies deeper is kept as plain text and not analysed`,
    () => "flatten the nesting",
  ),

  // --- TSK: code-change tasks -------------------------------------------------------------------
  TaskNoBlock: d(
    "TSK4001",
    "error",
    () => "no task block found",
    () => "put the task in YAML frontmatter or a ```yaml fenced block with a 'prompt' key",
  ),
  TaskMultipleBlocks: d("TSK4002", "warning", () => "more than one task block; only the first is used"),
  TaskUnsafePath: d<{ path: string; reason: string }>(
    "TSK4003",
    "error",
    (a) => `path '${a.path}' ${a.reason}`,
    () => "write a path relative to the repository (or context) root, without '..'",
  ),
  TaskMalformedPlaceholder: d<{ text: string }>(
    "TSK4004",
    "warning",
    (a) => `'${a.text}' looks like a placeholder but is not closed`,
    () => "placeholders are written {NAME}",
  ),
  TaskDuplicatePath: d<{ path: string }>("TSK4005", "warning", (a) => `path '${a.path}' is listed twice`),

  // TSK42xx: running a task (`rllmc task run`: passes/task/resolve-task.ts, src/driver/task/),
  // at the place in the task file that caused it.
  TaskPlaceholderUnset: d<{ name: string }>(
    "TSK4200",
    "error",
    (a) => `placeholder '{${a.name}}' has no value`,
    (a) => `pass --var ${a.name}=… or set TASK_VAR_${a.name}`,
  ),
  TaskPathOutsideRoot: d<{ what: "context" | "output"; path: string; reason: string }>(
    "TSK4201",
    "error",
    (a) => `${a.what} path '${a.path}' ${a.reason}`,
    () =>
      "a context path stays inside CONTEXT_ROOT or REPO_ROOT, an output inside REPO_ROOT (absolute paths may use the mounts /workspace/context, /mounts/specifications, /workspace/repo, /mounts/repo)",
  ),
  TaskContextTooLarge: d<{ detail: string; largest: string }>(
    "TSK4202",
    "error",
    (a) => `the task's context is too large: ${a.detail}; largest files: ${a.largest}`,
    () =>
      "narrow the task's context (name files, not whole folders), or raise the limit (--max-context-tokens, --max-file-bytes, --max-context-bytes); nothing is cut silently",
  ),
  TaskContextNotText: d<{ path: string; reason: string }>(
    "TSK4203",
    "warning",
    (a) => `'${a.path}' was left out of the context: ${a.reason}`,
  ),
  TaskContextMissing: d<{ path: string; resolved: string }>(
    "TSK4204",
    "error",
    (a) => `context path '${a.path}' does not exist (looked for '${a.resolved}')`,
  ),
  TaskOutputNotFile: d<{ path: string; reason: string }>(
    "TSK4205",
    "error",
    (a) => `output path '${a.path}' ${a.reason}`,
    () => "an output names a file (or, ending in '/', a folder whose files the task may change)",
  ),

  // TSK41xx: the model's answer to a task (passes/task/check-answer.ts) and the checks on the
  // files it proposes (passes/task/check-guarantees.ts). They have no span in a source file: the
  // answer is the model's JSON, and these go back to the model in the recovery loop.
  TaskAnswerSchema: d<{ pointer: string; detail: string }>(
    "TSK4101",
    "error",
    (a) => `the answer does not follow grammar/schemas/task-answer.schema.json at ${a.pointer}: ${a.detail}`,
    () =>
      "answer one JSON object { commit_message, files: [{ path, content } | { path, delete: true } | { path, edits }] }",
  ),
  TaskAnswerUnsafePath: d<{ path: string; reason: string }>(
    "TSK4102",
    "error",
    (a) => `the answer names the path ${JSON.stringify(a.path)}, which ${a.reason}`,
    () =>
      "write a path relative to the repository root with '/' separators, without '..', './' or a leading '/'",
  ),
  TaskAnswerDuplicatePath: d<{ path: string }>(
    "TSK4103",
    "error",
    (a) => `the answer changes '${a.path}' more than once`,
    () => "give each file once: put all the edits of a file in one entry, or give its whole content",
  ),
  TaskAnswerSearchNotFound: d<{ path: string; index: number }>(
    "TSK4104",
    "error",
    (a) => `edit ${a.index + 1} of '${a.path}': its search text does not occur in the file`,
    () =>
      "copy the search text exactly from the file's current content (after the edits before it), or give the whole content",
  ),
  TaskAnswerSearchNotUnique: d<{ path: string; index: number; count: number }>(
    "TSK4105",
    "error",
    (a) =>
      `edit ${a.index + 1} of '${a.path}': its search text occurs ${a.count} times; it must occur exactly once`,
    () => "make the search text longer, with surrounding lines, so that it occurs once",
  ),
  TaskAnswerDeleteMissing: d<{ path: string }>(
    "TSK4106",
    "error",
    (a) => `the answer deletes '${a.path}', which does not exist`,
    () => "delete only files that exist",
  ),
  TaskAnswerEditMissing: d<{ path: string }>(
    "TSK4107",
    "error",
    (a) => `the answer edits '${a.path}', which does not exist`,
    () => "give a new file's whole content ({ path, content }) instead of edits",
  ),
  TaskAnswerOutsideOutputs: d<{ path: string }>(
    "TSK4110",
    "error",
    (a) => `the answer changes '${a.path}', which the task's outputs do not allow`,
    () =>
      "a task may change only the paths in its outputs (a path ending in '/' allows the files under that folder)",
  ),
  TaskOutputSyntax: d<{ path: string; what: string; detail: string }>(
    "TSK4120",
    "error",
    (a) => `'${a.path}' is not valid ${a.what}: ${a.detail}`,
  ),
  TaskOutputOpenApiInvalid: d<{ path: string; version: string; detail: string }>(
    "TSK4121",
    "error",
    (a) => `'${a.path}' is not a valid OpenAPI ${a.version} document: ${a.detail}`,
  ),
  TaskOutputOpenApiVersion: d<{ path: string; found: string; guarantee: string }>(
    "TSK4122",
    "error",
    (a) => `'${a.path}' declares openapi: ${a.found}, but the task guarantees '${a.guarantee}'`,
  ),
  TaskOutputSchemaViolation: d<{ path: string; pointer: string; detail: string }>(
    "TSK4123",
    "error",
    (a) => `'${a.path}' does not follow the JSON Schema the task names for it, at ${a.pointer}: ${a.detail}`,
  ),
  TaskOutputSchemaUnusable: d<{ path: string; detail: string }>(
    "TSK4124",
    "error",
    (a) => `the JSON Schema the task names for '${a.path}' cannot be used: ${a.detail}`,
    () => "fix the schema in the task's context (JSON Schema 2020-12, 2019-09 or draft-07)",
  ),

  // --- TPL: the runbook template-expression language (src/lang/template) -----------------------
  // --- RBK: runbooks (runbook compile, runbook validate) -----------------------------------------
  RunbookDuplicateStepId: d<{ id: string }>(
    "RBK6001",
    "error",
    (a) => `step id '${a.id}' is used more than once`,
    () => "step ids are global across groups: rename one of them",
  ),
  RunbookGroupTooDeep: d<{ id: string; depth: number; limit: number }>(
    "RBK6002",
    "error",
    (a) => `group '${a.id}' is nested ${a.depth} levels deep, more than ${a.limit}`,
    () => "flatten the groups: a group is a section of the runbook, not a control structure",
  ),
  RunbookCommandNotAllowed: d<{ id: string; program: string; via?: string }>(
    "RBK6003",
    "error",
    (a) =>
      `step '${a.id}' runs '${a.program}'${a.via ? ` (run by ${a.via})` : ""}, which governance.allowed_commands does not list`,
    (a) => `add '${a.program}' to meta.governance.allowed_commands if the runbook may run it`,
  ),
  RunbookCommandDenied: d<{ id: string; entry: string }>(
    "RBK6004",
    "error",
    (a) => `step '${a.id}' runs a denied command ('${a.entry}' is in governance.denied_commands)`,
  ),
  RunbookUndeclaredVariable: d<{ name: string; where: string }>(
    "RBK6005",
    "error",
    (a) => `'{{ .${a.name} }}' in ${a.where} is not a variable of meta.vars or a capture of an earlier step`,
  ),
  RunbookDeniedVariable: d<{ name: string; where: string; pattern: string }>(
    "RBK6006",
    "error",
    (a) => `'{{ .${a.name} }}' in ${a.where} names a denied environment variable (matches '${a.pattern}')`,
    () =>
      "a runbook never reads secrets into templates: make the step manual, or rename the variable if it is no secret",
  ),
  RunbookTemplatedProgram: d<{ id: string }>(
    "RBK6007",
    "error",
    (a) => `step '${a.id}': argv[0] must be a program name, not a template`,
    () => "the allowlist and replay match the program by name; write it literally",
  ),
  RunbookShellOperator: d<{ id: string; word: string }>(
    "RBK6008",
    "error",
    (a) =>
      `step '${a.id}': argv element '${a.word}' is a shell operator, but a cli step runs without a shell`,
    () => "split the pipeline into steps, or make the step manual",
  ),
  RunbookReplayMatcher: d<{ id: string; name: string }>(
    "RBK6009",
    "error",
    (a) =>
      `step '${a.id}' uses '${a.name}', a replay matcher that only means something in a cli-replay scenario`,
  ),
  RunbookMutatingWithoutApproval: d<{ id: string; why: string }>(
    "RBK6010",
    "warning",
    (a) => `step '${a.id}' changes state (${a.why}) but asks for no approval`,
    () => "add 'approvals: { min: 1 }' so the runtime waits for a person to approve it",
  ),
  RunbookBadRegex: d<{ where: string; detail: string }>(
    "RBK6011",
    "error",
    (a) => `${a.where} is not a valid regular expression: ${a.detail}`,
  ),
  RunbookManualWithoutEvidence: d<{ id: string }>(
    "RBK6012",
    "warning",
    (a) => `manual step '${a.id}' asks for no evidence, but governance.evidence.require_for_manual is true`,
    () => "add required_evidence (text, checklist or attachment)",
  ),
  RunbookSchema: d<{ pointer: string; detail: string }>(
    "RBK6013",
    "error",
    (a) => `the runbook does not match runbook/v0 at '${a.pointer}': ${a.detail}`,
  ),
  RunbookNotAProgram: d<{ id: string; program: string; problem: string }>(
    "RBK6014",
    "error",
    (a) => `step '${a.id}': argv[0] '${a.program}' is not a program name: it ${a.problem}`,
    () =>
      "a cli step runs a program; data (YAML, JSON, logs, queries, output) belongs in sample_output or a manual step's instructions",
  ),
  RunbookAllowedNotAProgram: d<{ entry: string; problem: string }>(
    "RBK6015",
    "error",
    (a) => `governance.allowed_commands lists '${a.entry}', which is not a program name: it ${a.problem}`,
    () => "list programs by name (kubectl) or path (./bin/tool)",
  ),
  RunbookDestructiveCommand: d<{ id: string; why: string }>(
    "RBK6016",
    "warning",
    (a) => `step '${a.id}' will be refused when it runs: ${a.why}`,
    () =>
      "the runtime never runs a destructive command; make it a manual step that a person runs and attests",
  ),
  RunbookCommandUncertain: d<{ id: string; why: string }>(
    "RBK6017",
    "warning",
    (a) => `step '${a.id}' will be refused when it runs: what it runs cannot be checked (${a.why})`,
    () => "run the program directly as the step's argv (one step per command), or make it a manual step",
  ),
  RunbookDeniedVariableDeclared: d<{ name: string; pattern: string }>(
    "RBK6018",
    "error",
    (a) => `meta.vars declares '${a.name}', a denied environment variable (matches '${a.pattern}')`,
    () => "a runbook never holds secrets: remove the variable, or rename it if it is no secret",
  ),
  RunbookDenyEnvVarsEmpty: d(
    "RBK6019",
    "warning",
    () =>
      "governance.deny_env_vars is empty, which switches off the default list: templates may read secrets",
    () => "leave deny_env_vars out to keep the defaults, or list the patterns to deny",
  ),
  RunbookNoSteps: d(
    "RBK6101",
    "warning",
    () => "the TSG has no command and no section of instructions: the runbook has no steps",
    () => "put commands in fenced code blocks (```sh) and instructions under headings such as 'Mitigation'",
  ),
  RunbookCoverage: d<{ covered: number; total: number; lines: string }>(
    "RBK6102",
    "warning",
    (a) => `${a.covered} of ${a.total} command lines in shell code blocks are steps; missing: ${a.lines}`,
  ),
  LlmAnswerUnreadable: d<{ detail: string; cache: string }>(
    "RBK6201",
    "error",
    (a) => `the model's answer is not a runbook document: ${a.detail}`,
    (a) => `the answer is kept in ${a.cache}; run again with --llm live to ask again, or --llm off`,
  ),
  LlmAnswerSchema: d<{ pointer: string; detail: string }>(
    "RBK6202",
    "error",
    (a) => `the model's runbook does not match runbook/v0 at '${a.pointer}': ${a.detail}`,
    () => "the answer was rejected; run again with --llm live to ask again, or --llm off",
  ),
  LlmInventedCommand: d<{ id: string; command: string }>(
    "RBK6203",
    "error",
    (a) => `the model's step '${a.id}' runs '${a.command}', which is not a command of the TSG`,
    () => "a runbook may only run commands its TSG gives; the answer was rejected",
  ),
  LlmDroppedApproval: d<{ id: string; why: string }>(
    "RBK6204",
    "error",
    (a) => `the model's step '${a.id}' changes state (${a.why}) but its approval was removed`,
    () => "the answer was rejected: a model may not weaken governance",
  ),
  LlmNotCached: d<{ key: string; cache: string }>(
    "RBK6205",
    "error",
    (a) => `--frozen: no recorded answer for this TSG (key ${a.key.slice(0, 16)}…) in ${a.cache}`,
    () =>
      "record the answer first with --llm cached (or live) and commit the cache, or compile with --llm off",
  ),
  LlmCallFailed: d<{ detail: string }>(
    "RBK6206",
    "error",
    (a) => `the model could not be asked: ${a.detail}`,
    () => "check --provider/--model and the LLM_* environment, or compile with --llm off",
  ),
  LlmDroppedCommands: d<{ count: number; lines: string }>(
    "RBK6207",
    "warning",
    (a) => `the model's runbook leaves out ${a.count} command line(s) of the TSG (lines ${a.lines})`,
  ),
  LlmAutomatedManual: d<{ id: string; why: string }>(
    "RBK6209",
    "error",
    (a) => `the model made '${a.id}' a cli step, but it must stay manual: ${a.why}`,
    () => "the answer was rejected: a model may not automate what the extraction found unsafe to run",
  ),
  LlmInventedStdin: d<{ id: string }>(
    "RBK6210",
    "error",
    (a) => `the model's step '${a.id}' gives its command a stdin, which the TSG does not`,
    () => "the answer was rejected: a command's input comes from the TSG, not the model",
  ),
  LlmGovernanceChanged: d<{ field: string }>(
    "RBK6208",
    "error",
    (a) => `the model changed meta.governance.${a.field}`,
    () => "the answer was rejected: governance is set by the compiler, not the model",
  ),

  // --- RPL: cli-replay scenarios (src/frontend/replay/parse-scenario.ts) -----------------------
  // Messages read like cli-replay's own: `step 0: respond: exit must be in range 0-255`; `where`
  // is that path ("step 1: step 0: respond: ") and ends with ": " when it is not empty.
  ScenarioEmpty: d(
    "RPL8001",
    "error",
    () => "empty scenario file",
    () => "a scenario needs 'meta: { name: … }' and at least one step under 'steps'",
  ),
  ScenarioConstraint: d<{ where: string; detail: string }>(
    "RPL8002",
    "error",
    (a) => `${a.where}${a.detail}`,
  ),
  ScenarioCallBounds: d<{ where: string; detail: string }>(
    "RPL8003",
    "error",
    (a) => `${a.where}calls: ${a.detail}`,
    () => "without 'calls' a step is called exactly once; in 'calls', min defaults to 0 and max to min",
  ),
  ScenarioCaptureClash: d<{ where: string; name: string }>(
    "RPL8004",
    "error",
    (a) => `${a.where}capture identifier "${a.name}" conflicts with meta.vars key`,
    () => "rename the capture or the variable: templates read both by name",
  ),
  ScenarioForwardReference: d<{ step: number; name: string; defined: number }>(
    "RPL8005",
    "error",
    (a) =>
      `step ${a.step} references capture "${a.name}" first defined at step ${a.defined} (forward reference)`,
    () =>
      "a response can only use captures of earlier steps (steps are counted from 0, group members included)",
  ),
  ScenarioDuration: d<{ where: string; detail: string }>("RPL8006", "error", (a) => `${a.where}${a.detail}`),
  ScenarioBadRegex: d<{ where: string; pattern: string; detail: string }>(
    "RPL8007",
    "warning",
    (a) => `${a.where}invalid regex ${a.pattern}: ${a.detail}; this argument matches nothing`,
    () => "the pattern is RE2 (Go regexp) syntax, searched unanchored",
  ),
  ScenarioNeverMatches: d<{ where: string; element: string; reason: string }>(
    "RPL8008",
    "warning",
    (a) => `${a.where}${a.element} ${a.reason}`,
  ),
  ScenarioBadDenyPattern: d<{ where: string; pattern: string }>(
    "RPL8009",
    "error",
    (a) => `${a.where}${a.pattern} is not a valid pattern (Go path.Match syntax)`,
    () => "'*' is any run of characters, '?' one character, '[a-z]' a class; close every '['",
  ),

  // The messages come whole from src/lang/template (TEMPLATE_ERROR_CODES); a test keeps the codes
  // in step.
  TemplateSyntax: d<{ detail: string }>("TPL5001", "error", (a) => a.detail),
  TemplateUnterminatedAction: d<{ detail: string }>("TPL5002", "error", (a) => a.detail),
  TemplateUnterminatedString: d<{ detail: string }>("TPL5003", "error", (a) => a.detail),
  TemplateTooDeep: d<{ detail: string }>("TPL5004", "error", (a) => a.detail),
  TemplateEmptyAction: d<{ detail: string }>("TPL5005", "error", (a) => a.detail),
  TemplateMissingKey: d<{ detail: string }>("TPL5006", "error", (a) => a.detail),
  TemplateUnknownFunction: d<{ detail: string }>("TPL5007", "error", (a) => a.detail),
  TemplateEvaluation: d<{ detail: string }>("TPL5008", "error", (a) => a.detail),
} as const;

export type DiagnosticName = keyof typeof Diagnostics;

/** The diagnostic of each template-language error code (`src/lang/template`'s TemplateErrorCode). */
export const TemplateDiagnostics = {
  TPL5001: Diagnostics.TemplateSyntax,
  TPL5002: Diagnostics.TemplateUnterminatedAction,
  TPL5003: Diagnostics.TemplateUnterminatedString,
  TPL5004: Diagnostics.TemplateTooDeep,
  TPL5005: Diagnostics.TemplateEmptyAction,
  TPL5006: Diagnostics.TemplateMissingKey,
  TPL5007: Diagnostics.TemplateUnknownFunction,
  TPL5008: Diagnostics.TemplateEvaluation,
} as const;

/** `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
function listNames(names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  return quoted.length <= 1 ? (quoted[0] ?? "") : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
}
