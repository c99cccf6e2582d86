/**
 * Builds a `CommandLine` node from command text that carries its source map: finds the
 * placeholders and Go templates (`placeholders.ts`) and turns their text offsets into source
 * spans.
 */
import type { CommandLine, Placeholder, PromptKind } from "../../ir/nodes.js";
import type { Span } from "../../ir/span.js";
import type { MappedText } from "./mapped-text.js";
import { type BodyRange, scanPlaceholders } from "./placeholders.js";

export interface CommandParts {
  readonly file: string;
  readonly span: Span;
  readonly text: MappedText;
  readonly origin: CommandLine["origin"];
  readonly prompt?: string | undefined;
  readonly promptKind?: PromptKind | undefined;
  readonly heredocs?: readonly string[];
  readonly bodies?: readonly BodyRange[];
}

export function makeCommandLine(parts: CommandParts): CommandLine {
  const { file, text } = parts;
  const scan = scanPlaceholders(text.text, parts.bodies);
  const placeholders: Placeholder[] = scan.placeholders.map((p) => {
    const range = text.rangeToSource(p.start, p.end);
    return {
      kind: "placeholder",
      span: { file, start: range.start, end: range.end },
      syntax: p.syntax,
      name: p.name,
    };
  });
  const literalTemplates: Span[] = scan.templates.map((t) => {
    const range = text.rangeToSource(t.start, t.end);
    return { file, start: range.start, end: range.end };
  });
  return {
    kind: "command",
    span: parts.span,
    text: text.text,
    ...(parts.prompt === undefined ? {} : { prompt: parts.prompt }),
    ...(parts.promptKind === undefined ? {} : { promptKind: parts.promptKind }),
    origin: parts.origin,
    placeholders,
    literalTemplates,
    heredocs: parts.heredocs ?? [],
  };
}
