/**
 * The diagnostic catalogue: every code the compiler can report, in one place. Codes are stable
 * (documented in docs/diagnostics.md and checked for duplicates by a test); never renumber or
 * reuse one. Prefixes: RLC driver and files, YML YAML, SCH schema validation, RLM `.rllm` apps,
 * TSG troubleshooting guides, TSK tasks, TPL the runbook template-expression language.
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
    () => "use a .rllm or .md file, or pass --kind rllm|tsg|task",
  ),
  FileTooLarge: d<{ size: number; limit: number }>(
    "RLC0005",
    "error",
    (a) => `file is ${a.size} bytes, over the ${a.limit}-byte limit for one source file`,
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

  // --- TPL: the runbook template-expression language (grammar/template) -------------------------
  // The messages come whole from grammar/template (TEMPLATE_ERROR_CODES); a test keeps the codes
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

/** `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
function listNames(names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  return quoted.length <= 1 ? (quoted[0] ?? "") : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
}
