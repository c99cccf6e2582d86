/**
 * Type-checks composition: each `uses` child is called with an input built from the parent's
 * variables, and the parent reads the child's output. Against the child's own contracts:
 *
 * - every input the child requires (and has no `default` for) is given (RLM2113);
 * - every mapped input exists in the child (RLM2115) and gets a value of an accepted type
 *   (RLM2114, schema-compat.ts); an optional parent value feeding a required input is a warning
 *   (RLM2117);
 * - each mapping expression is a dotted path (RLM2120) to a variable of the parent: an input, a
 *   `pre` block's output, or an earlier child's output (RLM2116);
 * - every template variable under a child's name is declared in that child's `output_schema`
 *   (RLM2118);
 * - a child's name does not shadow an input or another child (RLM2119).
 *
 * Errors point into the parent with the child's declaration as a related location, so both
 * sides of a broken contract are shown. Children that do not load are resolve-uses' business.
 */
import { type Diagnostic, makeDiagnostic, type RelatedInformation } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import { didYouMean } from "../ir/did-you-mean.js";
import type { JsonObject, JsonValue, RllmModule, UseDeclaration, YamlDocument } from "../ir/nodes.js";
import type { Span } from "../ir/span.js";
import { escapePointer, locate } from "../ir/yaml-locations.js";
import { displayPath, firstUndeclared } from "./check-template-variables.js";
import type { Pass } from "./pass.js";
import { childPath } from "./resolve-uses.js";
import { incompatibility, schemaAtPath } from "./schema-compat.js";
import { arrayAt, isObject, objectAt, resolveRef } from "./schema-walk.js";

const EXPRESSION = /^(?:this\.)?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** A variable of the parent a mapping may read, with the schema describing it. */
interface Variable {
  readonly root: JsonObject;
  readonly schema: JsonValue | undefined;
  readonly origin: string;
}

export const checkUsesContracts: Pass<RllmModule> = {
  name: "check-uses-contracts",
  run(module, context) {
    const document = module.frontmatter;
    const inputSchema = module.header.inputSchema;
    if (document === undefined || inputSchema === undefined || module.header.uses.length === 0) return module;
    const report = (d: Diagnostic) => context.report(d);
    const inputProperties = objectAt(resolveRef(inputSchema, inputSchema) ?? {}, "properties") ?? {};
    const scope = new Map<string, Variable>();
    for (const [name, schema] of Object.entries(inputProperties))
      scope.set(name, { root: inputSchema, schema, origin: "an input" });
    for (const block of module.codeBlocks)
      if (block.phase === "pre")
        for (const output of block.outputs)
          if (!scope.has(output.name))
            scope.set(output.name, {
              root: {},
              schema: undefined,
              origin: `an output of pre block '${block.name}'`,
            });

    const childOutputs = new Map<string, JsonObject>();
    for (const use of module.header.uses) {
      const clash = scope.has(use.name) ? scope.get(use.name)!.origin : undefined;
      if (clash !== undefined)
        report(
          makeDiagnostic(Diagnostics.UsesNameClash, nameSpan(document, use), {
            name: use.name,
            other: clash,
          }),
        );
      const child = context.loadRllm(childPath(module, use)).module;
      const childInput = child?.header.inputSchema;
      const childOutput = child?.header.outputSchema;
      if (child === undefined || childInput === undefined || childOutput === undefined) continue;
      checkMapping(document, use, child, childInput, scope, report);
      if (!clash) {
        scope.set(use.name, {
          root: childOutput,
          schema: childOutput,
          origin: `the output of child '${use.name}'`,
        });
        childOutputs.set(use.name, childOutput);
      }
    }
    checkChildReads(module, childOutputs, report);
    return module;
  },
};

function checkMapping(
  document: YamlDocument,
  use: UseDeclaration,
  child: RllmModule,
  childInput: JsonObject,
  scope: ReadonlyMap<string, Variable>,
  report: (d: Diagnostic) => void,
): void {
  const resolved = resolveRef(childInput, childInput) ?? {};
  const properties = objectAt(resolved, "properties") ?? {};
  const required = ((arrayAt(resolved, "required") ?? []) as JsonValue[]).filter(
    (n): n is string => typeof n === "string",
  );
  const childSpan = (pointer: string): RelatedInformation[] => {
    if (child.frontmatter === undefined) return [];
    const location = locate(child.frontmatter, pointer);
    return [{ message: `declared in child '${use.name}'`, span: location.key ?? location.value }];
  };
  const mapping: [string, string][] = use.mapped
    ? Object.entries(use.inputs)
    : Object.keys(properties)
        .filter((name) => scope.has(name))
        .map((name) => [name, name]);
  const given = new Set(mapping.map(([name]) => name));
  const useSpan = use.mapped ? locationOf(document, `/uses/${use.index}/inputs`) : use.span;

  for (const name of required) {
    const property = properties[name];
    if (given.has(name) || (isObject(property) && "default" in property)) continue;
    report(
      makeDiagnostic(
        Diagnostics.UsesInputMissing,
        useSpan,
        { child: use.name, input: name },
        { related: childSpan(`/input_schema/required/${required.indexOf(name)}`) },
      ),
    );
  }

  for (const [name, expression] of mapping) {
    const keyPointer = `/uses/${use.index}/inputs/${escapePointer(name)}`;
    const keySpan = use.mapped ? (locate(document, keyPointer).key ?? useSpan) : use.span;
    const valueSpan = use.mapped ? locationOf(document, keyPointer) : use.span;
    const target = properties[name];
    if (target === undefined) {
      if (resolved.additionalProperties === false) {
        const hint = didYouMean(name, Object.keys(properties));
        report(
          makeDiagnostic(
            Diagnostics.UsesInputUnknown,
            keySpan,
            { child: use.name, input: name },
            { related: childSpan("/input_schema/properties"), ...(hint ? { hint } : {}) },
          ),
        );
      }
      continue;
    }
    if (!EXPRESSION.test(expression)) {
      report(makeDiagnostic(Diagnostics.UsesExpressionInvalid, valueSpan, { expression }));
      continue;
    }
    const path = expression.replace(/^this\./, "").split(".");
    const variable = scope.get(path[0]!);
    if (variable === undefined) {
      const hint = didYouMean(path[0]!, [...scope.keys()]);
      report(
        makeDiagnostic(
          Diagnostics.UsesExpressionUndeclared,
          valueSpan,
          { expression, path: path[0]! },
          hint ? { hint } : {},
        ),
      );
      continue;
    }
    const inner = schemaAtPath(variable.root, variable.schema, path.slice(1));
    if (inner.declared < path.length - 1) {
      const missing = path.slice(0, inner.declared + 2).join(".");
      const hint = didYouMean(path[inner.declared + 1]!, inner.siblings);
      report(
        makeDiagnostic(
          Diagnostics.UsesExpressionUndeclared,
          valueSpan,
          { expression, path: missing },
          hint ? { hint } : {},
        ),
      );
      continue;
    }
    const problem = incompatibility(variable.root, inner.schema, childInput, target);
    const related = childSpan(`/input_schema/properties/${escapePointer(name)}`);
    if (problem !== undefined) {
      const detail = problem.at === "" ? problem.detail : `at '${problem.at}' ${problem.detail}`;
      report(
        makeDiagnostic(
          Diagnostics.UsesInputTypeMismatch,
          valueSpan,
          { child: use.name, input: name, expression, detail },
          { related },
        ),
      );
      continue;
    }
    const optionalHere = !isRequiredInScope(variable, path) || !inner.required;
    const hasDefault = isObject(target) && "default" in target;
    if (required.includes(name) && optionalHere && !hasDefault)
      report(
        makeDiagnostic(
          Diagnostics.UsesInputMaybeMissing,
          valueSpan,
          { child: use.name, input: name, expression },
          { related },
        ),
      );
  }
}

/** Whether the root variable of a path is always present: a required input, or a child's output. */
function isRequiredInScope(variable: Variable, path: readonly string[]): boolean {
  if (variable.origin !== "an input") return true;
  const resolved = resolveRef(variable.root, variable.root) ?? {};
  return ((arrayAt(resolved, "required") ?? []) as JsonValue[]).includes(path[0]!);
}

/** Template variables under a child's name must be declared in that child's output_schema. */
function checkChildReads(
  module: RllmModule,
  outputs: ReadonlyMap<string, JsonObject>,
  report: (d: Diagnostic) => void,
): void {
  const variables = [...module.prompt.variables, ...(module.recovery?.variables ?? [])];
  for (const variable of variables) {
    const [root, ...rest] = variable.path;
    const output = root === undefined ? undefined : outputs.get(root);
    if (output === undefined || rest.length === 0) continue;
    const missing = firstUndeclared(output, output, rest);
    if (missing === undefined) continue;
    const hint = didYouMean(rest[missing.depth]!, missing.siblings);
    report(
      makeDiagnostic(
        Diagnostics.ChildOutputUndeclared,
        variable.span,
        { child: root!, path: displayPath(variable.path.slice(0, missing.depth + 2)) },
        hint ? { hint } : {},
      ),
    );
  }
}

function nameSpan(document: YamlDocument, use: UseDeclaration): Span {
  const location = locate(document, `/uses/${use.index}/name`);
  return location.value ?? use.span;
}

function locationOf(document: YamlDocument, pointer: string): Span {
  return locate(document, pointer).value;
}
