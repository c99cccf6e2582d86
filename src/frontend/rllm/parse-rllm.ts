/**
 * The `.rllm` frontend: frontmatter (YAML, validated against grammar/schemas/
 * rllm-frontmatter.schema.json), then the body: the prompt template, an optional recovery
 * template and pre/post code blocks. Never throws; problems are diagnostics.
 */

import type { Diagnostic } from "../../ir/diagnostic.js";
import { makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { RllmModule, Template, YamlDocument } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";
import { validateRllmFrontmatter } from "../../lang/schemas/validators.generated.js";
import { parseYaml } from "../yaml/parse-yaml.js";
import { validateDocument } from "../yaml/validate-document.js";
import { parseBody } from "./parse-body.js";
import { parseTemplate } from "./parse-handlebars.js";
import { readHeader } from "./read-header.js";
import { splitFrontmatter } from "./split-frontmatter.js";

export interface RllmParseResult {
  readonly module: RllmModule;
  readonly diagnostics: readonly Diagnostic[];
}

export function parseRllm(source: SourceFile): RllmParseResult {
  const file = source.path;
  const text = source.text;
  const diagnostics: Diagnostic[] = [];
  const split = splitFrontmatter(file, text);
  diagnostics.push(...split.diagnostics);

  let frontmatter: YamlDocument | undefined;
  let bodyStart = 0;
  if (split.split !== undefined) {
    const { yamlStart, yamlEnd } = split.split;
    bodyStart = split.split.bodyStart;
    const yaml = parseYaml(file, text.slice(yamlStart, yamlEnd), yamlStart);
    diagnostics.push(...yaml.diagnostics);
    frontmatter = yaml.document;
    if (frontmatter !== undefined) {
      if (
        typeof frontmatter.value !== "object" ||
        frontmatter.value === null ||
        Array.isArray(frontmatter.value)
      ) {
        diagnostics.push(
          makeDiagnostic(
            Diagnostics.YamlNotMapping,
            { file, start: 0, end: 3 },
            {
              what: "the frontmatter",
              found:
                frontmatter.value === null
                  ? "nothing"
                  : Array.isArray(frontmatter.value)
                    ? "a list"
                    : "a scalar",
            },
          ),
        );
      } else {
        const opening = { file, start: 0, end: 3 };
        diagnostics.push(
          ...validateDocument(frontmatter, validateRllmFrontmatter, "the frontmatter", opening),
        );
      }
    }
  } else if (split.diagnostics.some((d) => d.code === Diagnostics.RllmUnclosedFrontmatter.code)) {
    // The YAML runs to the end of the file: there is no body to read.
    bodyStart = text.length;
  }

  const body = parseBody(file, text, bodyStart);
  diagnostics.push(...body.diagnostics);
  const prompt = parseTemplate(file, text, body.prompt.start, body.prompt.end, { recovery: false });
  diagnostics.push(...prompt.diagnostics);
  if (prompt.template.source.trim() === "" && split.split !== undefined) {
    const at = Math.min(bodyStart, text.length);
    diagnostics.push(
      makeDiagnostic(Diagnostics.RllmEmptyPrompt, { file, start: Math.max(0, at - 1), end: at }, {}),
    );
  }
  let recovery: Template | undefined;
  if (body.recovery !== undefined) {
    const parsed = parseTemplate(file, text, body.recovery.start, body.recovery.end, { recovery: true });
    diagnostics.push(...parsed.diagnostics);
    recovery = parsed.template;
  }

  return {
    module: {
      kind: "rllm",
      span: { file, start: 0, end: text.length },
      frontmatter,
      header: readHeader(frontmatter),
      prompt: prompt.template,
      recovery,
      codeBlocks: body.codeBlocks,
    },
    diagnostics,
  };
}
