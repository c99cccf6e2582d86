/**
 * Reads a cli-replay scenario (`runbook exec --mode replay --scenario s.yaml`): YAML with source
 * positions; an empty file is an error; the values cli-replay's YAML decoder would turn into
 * strings are turned into strings (coerce-scalars.ts); the strict JSON Schema
 * (grammar/schemas/cli-replay-scenario.schema.json, validator generated ahead of time); then the
 * rules the schema cannot say (scenario-rules.ts). The schema's constraints are reported in
 * cli-replay's words (`step 0: respond: exit must be in range 0-255`, RPL8002); unknown fields,
 * wrong types and missing fields as the other schema-checked files report them (SCH11xx).
 * Never throws on input.
 */
import type { ErrorObject } from "ajv";
import { compareDiagnostics, type Diagnostic, hasErrors, makeDiagnostic } from "../../ir/diagnostic.js";
import { Diagnostics } from "../../ir/diagnostic-catalogue.js";
import type { JsonValue, YamlDocument } from "../../ir/nodes.js";
import type { SourceFile } from "../../ir/source-file.js";
import type { Span } from "../../ir/span.js";
import { escapePointer, locate } from "../../ir/yaml-locations.js";
import { goQuote } from "../../lang/replay/go-format.js";
import type { Scenario } from "../../lang/replay/types.js";
import { validateScenario } from "../../lang/schemas/validators.generated.js";
import { parseYaml } from "../yaml/parse-yaml.js";
import { type SchemaValidator, validateDocument } from "../yaml/validate-document.js";
import { coerceScalars } from "./coerce-scalars.js";
import { checkScenarioRules } from "./scenario-rules.js";

export interface ParsedScenario {
  /** The scenario, when it has no error (warnings allowed). */
  readonly scenario: Scenario | undefined;
  readonly diagnostics: Diagnostic[];
}

export function parseScenario(source: SourceFile): ParsedScenario {
  const parsed = parseYaml(source.path, source.text, 0);
  if (parsed.document === undefined || hasErrors(parsed.diagnostics))
    return { scenario: undefined, diagnostics: [...parsed.diagnostics] };
  if (parsed.document.value === null) {
    const empty = makeDiagnostic(Diagnostics.ScenarioEmpty, { file: source.path, start: 0, end: 0 }, {});
    return { scenario: undefined, diagnostics: [...parsed.diagnostics, empty] };
  }
  const root = parsed.document.value;
  if (typeof root !== "object" || Array.isArray(root)) {
    const found = Array.isArray(root) ? "a list" : `a ${typeof root}`;
    const notMapping = makeDiagnostic(Diagnostics.YamlNotMapping, parsed.document.span, {
      what: "a scenario",
      found,
    });
    return { scenario: undefined, diagnostics: [...parsed.diagnostics, notMapping] };
  }
  const document: YamlDocument = { ...parsed.document, value: coerceScalars(parsed.document, source.text) };
  const opening: Span = {
    file: source.path,
    start: 0,
    end: Math.min(source.text.indexOf("\n") >>> 0, source.text.length),
  };
  const diagnostics = [...parsed.diagnostics, ...schemaDiagnostics(document, opening)];
  if (hasErrors(diagnostics))
    return { scenario: undefined, diagnostics: diagnostics.sort(compareDiagnostics) };
  const scenario = document.value as unknown as Scenario;
  diagnostics.push(...checkScenarioRules(scenario, document));
  diagnostics.sort(compareDiagnostics);
  return { scenario: hasErrors(diagnostics) ? undefined : scenario, diagnostics };
}

/** The schema's verdict: constraints in cli-replay's words, the rest through validateDocument. */
function schemaDiagnostics(document: YamlDocument, opening: Span): Diagnostic[] {
  if (validateScenario(document.value)) return [];
  const errors: ErrorObject[] = [...((validateScenario as SchemaValidator).errors ?? [])];
  const reworded: Diagnostic[] = [];
  const rest: ErrorObject[] = [];
  for (const error of errors) {
    const diagnostic = reword(error, document);
    if (diagnostic === "drop") continue;
    if (diagnostic === undefined) rest.push(error);
    else reworded.push(diagnostic);
  }
  const remaining: SchemaValidator = Object.assign(() => rest.length === 0, { errors: rest });
  return [...reworded, ...validateDocument(document, remaining, "the scenario", opening)];
}

/** A schema error cli-replay has its own words for, as RPL8002; "drop" for a duplicate. */
function reword(error: ErrorObject, document: YamlDocument): Diagnostic | "drop" | undefined {
  const pointer = error.instancePath;
  const segments = pointer.split("/").slice(1).map(unescapeSegment);
  const last = segments.at(-1);
  const value = locate(document, pointer).value;
  const say = (drop: number, detail: string, span: Span = value): Diagnostic =>
    makeDiagnostic(Diagnostics.ScenarioConstraint, span, {
      where: cliPath(segments.slice(0, segments.length - drop)),
      detail,
    });
  const data = error.data as JsonValue | undefined;
  switch (error.keyword) {
    case "pattern":
      if (pointer === "/meta/name") return say(1, "name must be non-empty");
      return error.schemaPath.includes("propertyNames") ? "drop" : undefined;
    case "minItems":
      if (pointer === "/steps") return say(1, "steps must contain at least one step");
      if (last === "argv") return say(1, "argv must be non-empty");
      if (last === "steps") return say(1, "group must contain at least one step");
      return undefined;
    case "minimum":
    case "maximum":
      if (last === "exit") return say(1, "exit must be in range 0-255");
      if (last === "min") return say(1, `min must be >= 0, got ${String(data)}`);
      if (last === "max") return say(1, `max must be >= 1, got ${String(data)}`);
      return undefined;
    case "not": {
      const stream =
        typeof data === "object" && data !== null && "stdout_file" in data && "stdout" in data
          ? "stdout"
          : "stderr";
      const span = locate(document, `${pointer}/${stream}_file`).key ?? value;
      return say(0, `${stream} and ${stream}_file are mutually exclusive`, span);
    }
    case "propertyNames": {
      const name = String((error.params as { propertyName?: unknown }).propertyName);
      const span = locate(document, `${pointer}/${escapePointer(name)}`).key ?? value;
      return say(1, `capture identifier ${goQuote(name)} must match ^[a-zA-Z_][a-zA-Z0-9_]*$`, span);
    }
    case "minLength":
      if (segments.at(-2) === "deny_env_vars") return say(2, `deny_env_vars[${last}]: must be non-empty`);
      return undefined;
    case "false schema": {
      const span = locate(document, `${pointer}/group`).key ?? value;
      return say(0, "nested groups are not allowed", span);
    }
    case "const":
      if (last === "mode")
        return say(
          1,
          `unsupported group mode ${goQuote(typeof data === "string" ? data : JSON.stringify(data))}: only "unordered" is supported`,
        );
      return undefined;
    default:
      return undefined;
  }
}

/** `["steps", "1", "group", "steps", "0", "respond"]` → `step 1: step 0: respond: ` (cli-replay's error path). */
function cliPath(segments: readonly string[]): string {
  let out = "";
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const next = segments[i + 1];
    if (segment === "steps" && next !== undefined && /^\d+$/.test(next)) {
      out += `step ${next}: `;
      i += 1;
    } else if (segment !== "group") out += `${segment}: `;
  }
  return out;
}

function unescapeSegment(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}
