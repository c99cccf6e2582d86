/**
 * The shared IR: every node definition of every source kind lives in this file.
 *
 * Invariants (see docs/architecture.md):
 * - Nodes are plain, readonly, JSON-serialisable objects; unions are closed and discriminated
 *   by a string `kind`, so `ir.json` goldens stay readable and every `switch` ends in
 *   `assertNever`.
 * - Every node carries a `span` into the file it came from. A node made by a pass keeps the
 *   span of what it came from; for a compiled runbook step this is its provenance.
 * - The IR never holds line/column numbers; they are computed when printing.
 */
import type { Span } from "./span.js";

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

// ---------------------------------------------------------------------------------------------
// Modules: one per source file.

export type SourceKind = "rllm" | "tsg" | "task";

export type Module = RllmModule | TsgModule | TaskModule;

// ---------------------------------------------------------------------------------------------
// YAML documents (the `.rllm` frontmatter, a TSG's frontmatter, a task block).

/**
 * A parsed YAML document: its value as plain JSON plus a side table that maps each JSON
 * pointer (RFC 6901, "" for the root) to the spans of its key and its value, so that a
 * schema error at `/llm_params/temperature` points at the exact text.
 */
export interface YamlDocument {
  readonly kind: "yaml-document";
  readonly span: Span;
  readonly value: JsonValue;
  readonly locations: Readonly<Record<string, YamlLocation>>;
}

export interface YamlLocation {
  readonly key?: Span;
  readonly value: Span;
}

// ---------------------------------------------------------------------------------------------
// `.rllm` apps.

export interface RllmModule {
  readonly kind: "rllm";
  readonly span: Span;
  /** The frontmatter exactly as written; absent when it could not be parsed. */
  readonly frontmatter: YamlDocument | undefined;
  /** The typed view of the frontmatter fields that are present and well-typed. */
  readonly header: RllmHeader;
  readonly prompt: Template;
  readonly recovery: Template | undefined;
  readonly codeBlocks: readonly CodeBlock[];
}

export interface RllmHeader {
  readonly name?: string;
  readonly description?: string;
  readonly version?: string;
  readonly author?: string;
  readonly maxContextWindow?: number;
  readonly inputSchema?: JsonObject;
  readonly outputSchema?: JsonObject;
  readonly llm?: LlmSelection;
  readonly llmParams?: JsonObject;
  readonly metadata?: JsonObject;
  readonly recommendedModels?: readonly string[];
  readonly tags?: readonly string[];
  readonly uses: readonly UseDeclaration[];
}

export interface LlmSelection {
  readonly provider: string;
  readonly model: string;
  /** `base_url`: the server, for providers that take one. */
  readonly baseUrl?: string;
}

/** One entry of `uses`: a child app called as a function. */
export interface UseDeclaration {
  readonly kind: "use";
  readonly span: Span;
  /** The name the parent refers to the child by. */
  readonly name: string;
  /** The child's path, relative to the parent file. */
  readonly path: string;
  readonly pathSpan: Span;
  /** Its position in `uses`. */
  readonly index: number;
  /**
   * Child input name → parent expression (a dotted path such as `text` or `doc.body`). Without
   * an `inputs` mapping (`mapped` false) every child input gets the parent's same-named variable.
   */
  readonly inputs: Readonly<Record<string, string>>;
  readonly mapped: boolean;
}

/** A Handlebars template (the prompt or the recovery prompt) as our own AST. */
export interface Template {
  readonly kind: "template";
  readonly span: Span;
  readonly source: string;
  readonly body: readonly TemplateNode[];
  /** Every variable the template reads, resolved against the input (see `frontend/rllm`). */
  readonly variables: readonly TemplateVariable[];
}

export type TemplateNode = TemplateText | TemplateMustache | TemplateBlock | TemplateComment;

export interface TemplateText {
  readonly kind: "tpl-text";
  readonly span: Span;
  readonly value: string;
}

/** `{{path}}`, `{{{path}}}` or a helper call `{{json path}}`. */
export interface TemplateMustache {
  readonly kind: "tpl-mustache";
  readonly span: Span;
  readonly escaped: boolean;
  readonly path: TemplatePath;
  readonly params: readonly TemplateExpression[];
  readonly hash: readonly TemplateHashPair[];
}

/** `{{#each items}}…{{else}}…{{/each}}` and the other block helpers. */
export interface TemplateBlock {
  readonly kind: "tpl-block";
  readonly span: Span;
  readonly helper: string;
  readonly params: readonly TemplateExpression[];
  readonly hash: readonly TemplateHashPair[];
  readonly blockParams: readonly string[];
  readonly program: readonly TemplateNode[];
  readonly inverse: readonly TemplateNode[];
}

export interface TemplateComment {
  readonly kind: "tpl-comment";
  readonly span: Span;
  readonly value: string;
}

export type TemplateExpression = TemplatePath | TemplateLiteral | TemplateSubExpression;

export interface TemplatePath {
  readonly kind: "tpl-path";
  readonly span: Span;
  /** As written, e.g. `../name`, `this.title`, `@index`. */
  readonly original: string;
  readonly parts: readonly string[];
  /** Number of `../` segments. */
  readonly depth: number;
  /** True for `@index`, `@key`, `@first`, `@last`, `@root`. */
  readonly data: boolean;
}

export interface TemplateLiteral {
  readonly kind: "tpl-literal";
  readonly span: Span;
  readonly value: string | number | boolean | null;
}

export interface TemplateSubExpression {
  readonly kind: "tpl-subexpression";
  readonly span: Span;
  readonly path: TemplatePath;
  readonly params: readonly TemplateExpression[];
  readonly hash: readonly TemplateHashPair[];
}

export interface TemplateHashPair {
  readonly kind: "tpl-hash-pair";
  readonly span: Span;
  readonly key: string;
  readonly value: TemplateExpression;
}

/**
 * A variable read by a template, resolved to a path from the template's root input:
 * inside `{{#each items}}`, `{{name}}` resolves to `["items", "[]", "name"]`.
 */
export interface TemplateVariable {
  readonly kind: "tpl-variable";
  readonly span: Span;
  readonly original: string;
  readonly path: readonly string[];
}

/** A named `pre` or `post` code block of an `.rllm` app. */
export interface CodeBlock {
  readonly kind: "code-block";
  readonly span: Span;
  readonly phase: "pre" | "post";
  readonly language: "js" | "python";
  readonly name: string;
  readonly inputs: readonly Identifier[];
  readonly outputs: readonly Identifier[];
  readonly code: string;
  readonly codeSpan: Span;
}

export interface Identifier {
  readonly kind: "identifier";
  readonly span: Span;
  readonly name: string;
}

// ---------------------------------------------------------------------------------------------
// Prose troubleshooting guides.

export interface TsgModule {
  readonly kind: "tsg";
  readonly span: Span;
  readonly frontmatter: YamlDocument | undefined;
  /** The first level-1 heading's text, else the frontmatter `title`, else the file name. */
  readonly title: string;
  /** Blocks before the first heading. */
  readonly preamble: readonly TsgBlock[];
  /** Top-level sections; deeper headings nest as `children`. */
  readonly sections: readonly TsgSection[];
}

export interface TsgSection {
  readonly kind: "section";
  readonly span: Span;
  /** A slug unique within the document, GitHub style (`check-the-pods`, `check-the-pods-1`). */
  readonly id: string;
  readonly depth: number;
  readonly title: string;
  readonly titleSpan: Span;
  readonly blocks: readonly TsgBlock[];
  readonly children: readonly TsgSection[];
}

export type TsgBlock =
  | TsgParagraph
  | TsgCodeBlock
  | TsgList
  | TsgTable
  | TsgBlockquote
  | TsgHtml
  | TsgThematicBreak;

export interface TsgParagraph {
  readonly kind: "paragraph";
  readonly span: Span;
  /** Plain text (mdast-util-to-string). */
  readonly text: string;
  readonly links: readonly TsgLink[];
  readonly inlineCode: readonly TsgInlineCode[];
  /** Commands given inline: a `Run:` line, or inline code that is a command. */
  readonly commands: readonly CommandLine[];
}

export interface TsgLink {
  readonly kind: "link";
  readonly span: Span;
  readonly url: string;
  readonly text: string;
  readonly image: boolean;
}

export interface TsgInlineCode {
  readonly kind: "inline-code";
  /** The code's text, without the backticks. */
  readonly span: Span;
  readonly value: string;
}

/** How a fenced or indented code block is read. */
export type CodeBlockRole =
  /** Shell commands, possibly with prompts and sample output. */
  | "shell"
  /** Anything else (YAML, JSON, PromQL, logs…): kept as text, never split into commands. */
  | "literal";

export interface TsgCodeBlock {
  readonly kind: "code";
  readonly span: Span;
  /** The info string's first word, lower-cased; "" when none. */
  readonly lang: string;
  readonly meta: string;
  readonly fenced: boolean;
  readonly role: CodeBlockRole;
  /**
   * Why a block that is labelled with a shell language, or unlabelled, was read as data rather
   * than commands (`it parses as a YAML mapping`); absent otherwise. Such a block is `literal`.
   */
  readonly dataReason?: string;
  readonly text: string;
  /** The span of the text between the fences. */
  readonly textSpan: Span;
  /** For shell blocks: the lines, classified. Empty for literal blocks. */
  readonly lines: readonly ShellLine[];
}

export type ShellLine = CommandLine | OutputLine | ShellComment;

/**
 * One command as a shell would read it: the prompt removed, `\` continuations joined,
 * a heredoc kept whole with its body.
 */
export interface CommandLine {
  readonly kind: "command";
  /**
   * From the prompt (if any) to the end of the last line the command was read from (heredoc
   * delimiter included); for an inline command, the code's text without the backticks.
   */
  readonly span: Span;
  /** The command text, prompt removed, continuations joined with a single space. */
  readonly text: string;
  /** The prompt that was removed (`$`, `#`, `>`, `PS>`, `user@host:~$`…), if any. */
  readonly prompt?: string;
  /**
   * What kind of prompt it was, when there was one: `shell` (`$`), `root` (`#`), `repl` (a
   * prompt of an interactive program such as `db=#` or `gpg/card>`, or a bare `>` before text
   * that is no shell command: `> CONFIG SET …`) or `gt` (a bare `>` before a shell command).
   */
  readonly promptKind?: PromptKind;
  /** Where the command was found. */
  readonly origin: "code-block" | "run-line" | "inline-code";
  readonly placeholders: readonly Placeholder[];
  /** Go-template text such as `{{ .metadata.name }}`, kept literally; never a placeholder. */
  readonly literalTemplates: readonly Span[];
  /** The heredoc delimiters this command opens, when it has a heredoc body. */
  readonly heredocs: readonly string[];
}

/** The kinds of prompt a code-block line can start with (`frontend/tsg/prompts.ts`). */
export type PromptKind = "shell" | "root" | "repl" | "gt";

/** Sample output shown after a prompt line, or data shown in a block: never executed. */
export interface OutputLine {
  readonly kind: "output";
  readonly span: Span;
  readonly text: string;
  /**
   * Why a line that would otherwise have started a command was read as data (`its first word
   * \`spec:\` ends with ':'`); absent for ordinary output.
   */
  readonly dataReason?: string;
}

export interface ShellComment {
  readonly kind: "comment";
  readonly span: Span;
  readonly text: string;
}

export type PlaceholderSyntax = "angle" | "dollar" | "dollar-brace" | "brace";

/** `<pod-name>`, `$VAR`, `${VAR}`, `{VAR}`: a value the operator has to supply. */
export interface Placeholder {
  readonly kind: "placeholder";
  readonly span: Span;
  readonly syntax: PlaceholderSyntax;
  readonly name: string;
}

export interface TsgList {
  readonly kind: "list";
  readonly span: Span;
  readonly ordered: boolean;
  readonly items: readonly TsgListItem[];
}

export interface TsgListItem {
  readonly kind: "list-item";
  readonly span: Span;
  readonly checked: boolean | null;
  readonly blocks: readonly TsgBlock[];
}

export interface TsgTable {
  readonly kind: "table";
  readonly span: Span;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly links: readonly TsgLink[];
}

export interface TsgBlockquote {
  readonly kind: "blockquote";
  readonly span: Span;
  readonly blocks: readonly TsgBlock[];
}

export interface TsgHtml {
  readonly kind: "html";
  readonly span: Span;
  readonly value: string;
}

export interface TsgThematicBreak {
  readonly kind: "thematic-break";
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Code-change tasks.

export interface TaskModule {
  readonly kind: "task";
  readonly span: Span;
  /** Where the task block was found. */
  readonly blockOrigin: "frontmatter" | "fenced-yaml";
  readonly block: YamlDocument;
  /** The heading of the Markdown around the block, if any. */
  readonly title: string | undefined;
  readonly prompt: TaskPrompt | undefined;
  readonly context: readonly PathReference[];
  readonly outputs: readonly PathReference[];
  readonly guarantees: readonly TaskGuarantee[];
}

export interface TaskPrompt {
  readonly kind: "task-prompt";
  readonly span: Span;
  readonly text: string;
  readonly placeholders: readonly Placeholder[];
}

/** An entry of `context` or `outputs`: a path, optionally followed by what it is for. */
export interface PathReference {
  readonly kind: "path-reference";
  readonly span: Span;
  readonly path: string;
  readonly pathSpan: Span;
  /** The words after the path (`for API standards`), if any. */
  readonly description: string | undefined;
  readonly placeholders: readonly Placeholder[];
}

export interface TaskGuarantee {
  readonly kind: "guarantee";
  readonly span: Span;
  readonly text: string;
}

// ---------------------------------------------------------------------------------------------

/** Ends every `switch` over a closed union: a new `kind` becomes a type error here. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
