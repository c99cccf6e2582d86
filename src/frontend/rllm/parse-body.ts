/**
 * Splits the body of an `.rllm` file (everything after the frontmatter) into the prompt, an
 * optional `:::recovery` section and `:::pre` / `:::post` code blocks. The syntax is
 * line-based (docs/rllm-spec.md §3, grammar/rllm-body.ebnf):
 *
 *   body      := prompt section*
 *   section   := open-line line* close-line
 *   open-line := ":::" ("recovery" | ("pre" | "post") lang attribute*)
 *   close-line:= ":::"
 */
import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import { didYouMean } from "../../ir/did-you-mean.js";
import type { CodeBlock, Identifier } from "../../ir/nodes.js";
import type { Span } from "../../ir/span.js";

export interface TextRange {
  readonly start: number;
  readonly end: number;
}

export interface ParsedBody {
  readonly prompt: TextRange;
  readonly recovery: TextRange | undefined;
  readonly codeBlocks: readonly CodeBlock[];
  readonly diagnostics: readonly Diagnostic[];
}

interface Line {
  readonly start: number;
  /** End of the line's text, before its terminator. */
  readonly end: number;
  /** Start of the next line. */
  readonly next: number;
  readonly text: string;
}

const SECTION_NAMES = ["recovery", "pre", "post"] as const;
const ATTRIBUTES = ["name", "inputs", "outputs"] as const;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseBody(file: string, text: string, bodyStart: number): ParsedBody {
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(text, bodyStart);
  const at = (start: number, end: number): Span => ({ file, start, end });

  let index = 0;
  while (index < lines.length && !isOpen(lines[index]!.text) && !isClose(lines[index]!.text)) index++;
  const prompt: TextRange = {
    start: bodyStart,
    end: index < lines.length ? lines[index]!.start : text.length,
  };

  let recovery: TextRange | undefined;
  const codeBlocks: CodeBlock[] = [];
  const names = new Map<string, Span>();

  while (index < lines.length) {
    const line = lines[index]!;
    if (line.text.trim() === "") {
      index++;
      continue;
    }
    if (isClose(line.text)) {
      diagnostics.push(makeDiagnostic(Diagnostics.RllmStrayClose, at(line.start, line.end), {}));
      index++;
      continue;
    }
    if (!isOpen(line.text)) {
      let end = index;
      while (end + 1 < lines.length && !isOpen(lines[end + 1]!.text) && !isClose(lines[end + 1]!.text)) end++;
      diagnostics.push(
        makeDiagnostic(Diagnostics.RllmTextOutsideSection, at(line.start, lines[end]!.end), {}),
      );
      index = end + 1;
      continue;
    }
    // An open line: find its close.
    let close = index + 1;
    while (close < lines.length && !isClose(lines[close]!.text)) close++;
    const header = parseOpenLine(line, at);
    diagnostics.push(...header.diagnostics);
    const contentStart = line.next;
    const contentEnd = close < lines.length ? lines[close]!.start : text.length;
    const sectionEnd = close < lines.length ? lines[close]!.end : text.length;
    if (close >= lines.length) {
      diagnostics.push(
        makeDiagnostic(Diagnostics.RllmUnclosedSection, at(line.start, line.end), {
          name: header.name || "",
        }),
      );
    }
    if (header.name === "recovery") {
      if (recovery !== undefined) {
        diagnostics.push(makeDiagnostic(Diagnostics.RllmDuplicateRecovery, at(line.start, line.end), {}));
      } else {
        recovery = { start: contentStart, end: contentEnd };
      }
    } else if (header.name === "pre" || header.name === "post") {
      const block = header.block;
      if (block !== undefined) {
        const count = codeBlocks.filter((b) => b.phase === header.name).length;
        const name = block.name ?? (count === 0 ? header.name : `${header.name}_${count + 1}`);
        const previous = names.get(name);
        if (previous !== undefined) {
          diagnostics.push(
            makeDiagnostic(
              Diagnostics.RllmDuplicateBlockName,
              block.nameSpan ?? at(line.start, line.end),
              { name },
              { related: [{ message: `'${name}' is first used here`, span: previous }] },
            ),
          );
        }
        names.set(name, block.nameSpan ?? at(line.start, line.end));
        const code = text.slice(contentStart, contentEnd);
        if (code.trim() === "") {
          diagnostics.push(
            makeDiagnostic(Diagnostics.RllmEmptyCodeBlock, at(line.start, line.end), { name }),
          );
        }
        codeBlocks.push({
          kind: "code-block",
          span: at(line.start, sectionEnd),
          phase: header.name,
          language: block.language,
          name,
          inputs: block.inputs,
          outputs: block.outputs,
          code,
          codeSpan: at(contentStart, contentEnd),
        });
      }
    }
    index = close + 1;
  }
  return { prompt, recovery, codeBlocks, diagnostics };
}

function isOpen(line: string): boolean {
  return /^:::[ \t]*[A-Za-z]/.test(line);
}

function isClose(line: string): boolean {
  return /^:::[ \t]*$/.test(line);
}

interface OpenLine {
  /** The section name when it is valid; "" otherwise. */
  readonly name: "" | (typeof SECTION_NAMES)[number];
  readonly block?: {
    readonly language: "js" | "python";
    readonly name?: string;
    readonly nameSpan?: Span;
    readonly inputs: readonly Identifier[];
    readonly outputs: readonly Identifier[];
  };
  readonly diagnostics: readonly Diagnostic[];
}

/** open-line := ":::" name (lang)? (key "=" value)*   — words separated by blanks. */
function parseOpenLine(line: Line, at: (s: number, e: number) => Span): OpenLine {
  const diagnostics: Diagnostic[] = [];
  const words = [...line.text.slice(3).matchAll(/\S+/g)].map((m) => ({
    text: m[0],
    start: line.start + 3 + m.index,
    end: line.start + 3 + m.index + m[0].length,
  }));
  const first = words[0]!;
  const sectionName = SECTION_NAMES.find((n) => n === first.text);
  if (sectionName === undefined) {
    const hint = didYouMean(first.text, SECTION_NAMES);
    diagnostics.push(
      makeDiagnostic(
        Diagnostics.RllmUnknownSection,
        at(first.start, first.end),
        { name: first.text },
        hint ? { hint } : {},
      ),
    );
    return { name: "", diagnostics };
  }
  if (sectionName === "recovery") {
    for (const extra of words.slice(1)) {
      diagnostics.push(
        makeDiagnostic(Diagnostics.RllmBadSectionAttribute, at(extra.start, extra.end), {
          detail: "':::recovery' takes no attributes",
        }),
      );
    }
    return { name: sectionName, diagnostics };
  }
  const lang = words[1];
  if (lang === undefined || lang.text.includes("=") || (lang.text !== "js" && lang.text !== "python")) {
    const span = lang === undefined ? at(first.start, first.end) : at(lang.start, lang.end);
    const found = lang === undefined || lang.text.includes("=") ? "" : lang.text;
    const hint = found ? didYouMean(found, ["js", "python"]) : undefined;
    diagnostics.push(makeDiagnostic(Diagnostics.RllmCodeLanguage, span, { found }, hint ? { hint } : {}));
    return { name: sectionName, diagnostics };
  }
  let name: string | undefined;
  let nameSpan: Span | undefined;
  let inputs: Identifier[] = [];
  let outputs: Identifier[] = [];
  const seenKeys = new Set<string>();
  for (const word of words.slice(2)) {
    const eq = word.text.indexOf("=");
    const key = eq < 0 ? word.text : word.text.slice(0, eq);
    const keySpan = at(word.start, word.start + key.length);
    if (eq >= 0 && seenKeys.has(key)) {
      diagnostics.push(
        makeDiagnostic(Diagnostics.RllmBadSectionAttribute, keySpan, { detail: `'${key}' is given twice` }),
      );
      continue;
    }
    seenKeys.add(key);
    if (eq < 0) {
      diagnostics.push(
        makeDiagnostic(Diagnostics.RllmBadSectionAttribute, keySpan, {
          detail: `expected key=value, found '${word.text}'`,
        }),
      );
      continue;
    }
    const valueStart = word.start + eq + 1;
    const value = word.text.slice(eq + 1);
    if (key === "name") {
      if (!IDENTIFIER.test(value)) {
        diagnostics.push(
          makeDiagnostic(Diagnostics.RllmBadSectionAttribute, at(valueStart, word.end), {
            detail: `block name '${value}' is not an identifier (letters, digits, '_')`,
          }),
        );
      } else {
        name = value;
        nameSpan = at(valueStart, word.end);
      }
    } else if (key === "inputs" || key === "outputs") {
      const ids = identifiers(value, valueStart, at, diagnostics);
      if (key === "inputs") inputs = ids;
      else outputs = ids;
    } else {
      const hint = didYouMean(key, ATTRIBUTES);
      diagnostics.push(
        makeDiagnostic(
          Diagnostics.RllmBadSectionAttribute,
          keySpan,
          { detail: `unknown attribute '${key}' (known: ${ATTRIBUTES.join(", ")})` },
          hint ? { hint } : {},
        ),
      );
    }
  }
  const block = {
    language: lang.text as "js" | "python",
    inputs,
    outputs,
    ...(name === undefined ? {} : { name }),
    ...(nameSpan === undefined ? {} : { nameSpan }),
  };
  return { name: sectionName, block, diagnostics };
}

/** A comma-separated identifier list, e.g. `text,max_words`. */
function identifiers(
  value: string,
  start: number,
  at: (s: number, e: number) => Span,
  diagnostics: Diagnostic[],
): Identifier[] {
  const out: Identifier[] = [];
  if (value === "") {
    diagnostics.push(
      makeDiagnostic(Diagnostics.RllmBadSectionAttribute, at(start - 1, start), {
        detail: "expected at least one variable name after '='",
      }),
    );
    return out;
  }
  let offset = start;
  for (const part of value.split(",")) {
    const span = at(offset, offset + part.length);
    offset += part.length + 1;
    if (part === "") {
      diagnostics.push(
        makeDiagnostic(Diagnostics.RllmBadSectionAttribute, at(span.start - 1, span.start), {
          detail: "empty name in the list (two commas, or a comma at the end)",
        }),
      );
      continue;
    }
    if (out.some((id) => id.name === part)) {
      diagnostics.push(
        makeDiagnostic(Diagnostics.RllmBadSectionAttribute, span, { detail: `'${part}' is listed twice` }),
      );
      continue;
    }
    if (!IDENTIFIER.test(part)) {
      diagnostics.push(
        makeDiagnostic(Diagnostics.RllmBadSectionAttribute, span, {
          detail: `'${part}' is not a variable name (letters, digits, '_')`,
        }),
      );
      continue;
    }
    out.push({ kind: "identifier", span, name: part });
  }
  return out;
}

function splitLines(text: string, from: number): Line[] {
  const lines: Line[] = [];
  let start = from;
  while (start < text.length) {
    let end = start;
    while (end < text.length && text[end] !== "\n" && text[end] !== "\r") end++;
    const next = text.startsWith("\r\n", end) ? end + 2 : end < text.length ? end + 1 : end;
    lines.push({ start, end, next, text: text.slice(start, end) });
    start = next;
  }
  return lines;
}
