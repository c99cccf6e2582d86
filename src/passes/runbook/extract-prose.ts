/**
 * Stage A, prose steps: a section whose prose gives instructions but no command becomes a
 * `manual` step — its text the instructions, its top-level list items a checklist. A section
 * that has commands and also instructs in prose gets an uncertainty instead, and sections that
 * describe rather than instruct ("Meaning", "Impact", …) never become steps.
 */

import type { TsgBlock, TsgParagraph, TsgSection } from "../../ir/nodes.js";
import { assertNever } from "../../ir/nodes.js";
import type { Evidence, ManualStep, Step } from "../../lang/runbook/types.js";
import { addNote, allocateId, clip, type Extraction, lineAt, type SectionInfo } from "./extraction.js";

/** Section titles that describe rather than instruct: their prose never becomes a step. */
const DESCRIPTIVE_TITLES =
  /^(?:meaning|impact|summary|overview|background|description|about|context|symptoms?|references?|related(?: \w+)*|see also|links?|resources|glossary|(?:table of )?contents|toc|notes?|faq|introduction|intro|alert (?:details|definition|description)|details|changelog|history|owners?|ownership|dashboards?|graphs?|metrics|purpose|scope|audience|terminology|definitions?)\b/i;
const MAX_CHECKLIST = 25;
const MAX_INSTRUCTIONS = 4000;

/**
 * The prose step of a section's own blocks, when they instruct and hold no command; when they
 * hold commands and also instruct in prose, an uncertainty says to read it beside the steps.
 */
export function proseSteps(
  x: Extraction,
  owner: TsgSection,
  section: SectionInfo,
  blocks: readonly TsgBlock[],
  hasCommands: boolean,
): Step[] {
  const prose = proseOf(blocks);
  if (
    !hasCommands &&
    prose.instructions &&
    prose.text.length >= 20 &&
    !DESCRIPTIVE_TITLES.test(owner.title.trim())
  )
    return [proseStep(x, owner, section, blocks, prose)];
  if (hasCommands && prose.instructionsBesideCommands && !DESCRIPTIVE_TITLES.test(owner.title.trim()))
    x.uncertainties.push({
      kind: "prose",
      span: owner.titleSpan,
      text: `Section "${owner.title}" also gives instructions in prose that are not steps: read it beside the steps.`,
    });
  return [];
}

function proseStep(
  x: Extraction,
  owner: TsgSection,
  section: SectionInfo,
  blocks: readonly TsgBlock[],
  prose: Prose,
): ManualStep {
  const id = allocateId(x, `${owner.id}_manual`, "manual");
  const evidence: Evidence[] =
    prose.items.length > 0
      ? [{ kind: "checklist", name: "done", items: prose.items.slice(0, MAX_CHECKLIST) }]
      : [{ kind: "text", name: "outcome", description: "What you did and what you found." }];
  const first = blocks[0]!;
  const lastBlock = blocks[blocks.length - 1]!;
  const span = { file: first.span.file, start: first.span.start, end: lastBlock.span.end };
  const reason = "the section gives instructions in prose, with no command";
  const step: ManualStep = {
    id,
    type: "manual",
    title: owner.title.trim() || `Section at line ${lineAt(x, owner.span.start)}`,
    instructions: clip(prose.text, MAX_INSTRUCTIONS),
    reason,
    required_evidence: evidence,
  };
  addNote(x, {
    id,
    type: "manual",
    origin: "prose",
    span,
    sectionTitle: owner.title,
    section: section.id,
    manualReason: reason,
  });
  x.uncertainties.push({ kind: "manual", span, text: `\`${id}\` is manual: ${reason}.` });
  return step;
}

interface Prose {
  readonly text: string;
  readonly items: readonly string[];
  /** It reads like instructions: it has a list or an imperative sentence. */
  readonly instructions: boolean;
  /** The same, leaving out lead-ins (`Check the pods:`), which title the commands after them. */
  readonly instructionsBesideCommands: boolean;
}

const IMPERATIVE =
  /(?:^|[.!:]\s+|\n)(?:check|verify|ensure|make sure|confirm|look|open|go to|navigate|run|restart|delete|scale|contact|escalate|page|notify|ask|talk|review|inspect|find|identify|increase|decrease|add|remove|update|upgrade|rollback|roll back|follow|use|try|consider|wait|monitor|compare|investigate|fix|apply|set|disable|enable|create|edit|change|silence|acknowledge|reach out|file|open an?|raise|login|log in|ssh)\b/i;

function proseOf(blocks: readonly TsgBlock[]): Prose {
  const lines: string[] = [];
  const items: string[] = [];
  const besides: string[] = [];
  let hasList = false;
  const visit = (list: readonly TsgBlock[], indent: string, topLevel: boolean) => {
    for (const block of list) {
      switch (block.kind) {
        case "paragraph":
          lines.push(indent + withUrls(block).replace(/\n/g, `\n${indent}`));
          if (block.commands.length === 0 && !/:\s*$/.test(block.text)) besides.push(block.text);
          break;
        case "list":
          hasList = true;
          block.items.forEach((item, i) => {
            const marker = block.ordered ? `${i + 1}. ` : "- ";
            const first = item.blocks[0];
            const head = first?.kind === "paragraph" ? first.text.split("\n").join(" ") : "";
            if (topLevel && head.trim() !== "") items.push(clip(head.trim(), 200));
            if (head !== "") lines.push(`${indent}${marker}${head}`);
            visit(first?.kind === "paragraph" ? item.blocks.slice(1) : item.blocks, `${indent}  `, false);
          });
          break;
        case "blockquote":
          visit(block.blocks, `${indent}> `, topLevel);
          break;
        case "code":
          lines.push(
            `${indent}\`\`\`${block.lang}`,
            ...block.text
              .replace(/\n$/, "")
              .split("\n")
              .map((l) => indent + l),
            `${indent}\`\`\``,
          );
          break;
        case "table":
          lines.push(
            `${indent}${block.header.join(" | ")}`,
            ...block.rows.map((r) => indent + r.join(" | ")),
          );
          break;
        case "html":
        case "thematic-break":
          break;
        default:
          assertNever(block, "TSG block");
      }
    }
  };
  visit(blocks, "", true);
  const text = lines.join("\n\n").trim();
  return {
    text,
    items,
    instructions: hasList || IMPERATIVE.test(text),
    instructionsBesideCommands: IMPERATIVE.test(besides.join("\n")),
  };
}

/** A paragraph's text with each link's address after its text: `Debugging Pods (https://…)`. */
function withUrls(paragraph: TsgParagraph): string {
  let text = paragraph.text;
  let from = 0;
  for (const link of paragraph.links) {
    if (link.image || link.url === "" || link.url === link.text) continue;
    const at = text.indexOf(link.text, from);
    if (at < 0) continue;
    const replacement = `${link.text} (${link.url})`;
    text = text.slice(0, at) + replacement + text.slice(at + link.text.length);
    from = at + replacement.length;
  }
  return text;
}
