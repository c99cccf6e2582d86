/**
 * What the TSG block builders share while walking one document's mdast tree: the source text,
 * span helpers that turn mdast positions into IR spans, the diagnostics list, the link
 * definitions (collected during the walk, resolved once it ends) and where the guide first nests
 * too deeply (reported once it ends).
 */
import type { Node } from "mdast";
import type { Diagnostic } from "../../ir/diagnostic.js";
import type { TsgLink } from "../../ir/nodes.js";
import type { Span } from "../../ir/span.js";

export type MutableLink = { -readonly [K in keyof TsgLink]: TsgLink[K] };

export class MarkdownContext {
  readonly diagnostics: Diagnostic[] = [];
  /** Link reference definitions, by normalised identifier; the first one wins. */
  readonly #definitions = new Map<string, string>();
  readonly #references: { readonly link: MutableLink; readonly identifier: string }[] = [];
  #tooDeep: Span | undefined;

  /**
   * @param base 1 when `text` starts with a byte-order mark: micromark skips it, so its offsets
   *   are one short of ours.
   */
  constructor(
    readonly file: string,
    readonly text: string,
    readonly lineStarts: readonly number[],
    readonly base: number,
  ) {}

  start(node: Node): number {
    return (node.position?.start.offset ?? 0) + this.base;
  }

  end(node: Node): number {
    return (node.position?.end.offset ?? node.position?.start.offset ?? 0) + this.base;
  }

  spanOf(node: Node): Span {
    return this.span(this.start(node), this.end(node));
  }

  span(start: number, end: number): Span {
    return { file: this.file, start, end: Math.max(start, end) };
  }

  define(identifier: string, url: string): void {
    if (!this.#definitions.has(identifier)) this.#definitions.set(identifier, url);
  }

  /** A link whose url comes from a definition, filled in by `resolveReferences`. */
  refer(link: MutableLink, identifier: string): void {
    this.#references.push({ link, identifier });
  }

  /** How deep the walk has nested block quotes and list items so far. */
  deepest = 0;

  /** Where the guide first nests more than `MAX_NESTING` levels deep, if it does. */
  get tooDeep(): Span | undefined {
    return this.#tooDeep;
  }

  /** Records a place nested too deeply; the earliest one is reported. */
  noteTooDeep(span: Span): void {
    if (this.#tooDeep === undefined || span.start < this.#tooDeep.start) this.#tooDeep = span;
  }

  resolveReferences(): void {
    for (const { link, identifier } of this.#references) link.url = this.#definitions.get(identifier) ?? "";
  }
}
