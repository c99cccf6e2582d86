/**
 * Every variable the prompt and the recovery prompt read is declared in `input_schema`, nested
 * paths included (`items[].title` must be `items: {type: array, items: {properties: {title}}}`);
 * a child declared in `uses` is readable under its name. A declared input that nothing reads —
 * no template, no code block, no child mapping — is a warning.
 */
import { makeDiagnostic } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import { didYouMean } from "../ir/did-you-mean.js";
import type { JsonObject, RllmModule, TemplateVariable } from "../ir/nodes.js";
import { escapePointer, locate } from "../ir/yaml-locations.js";
import type { Pass } from "./pass.js";
import { childPath } from "./resolve-uses.js";
import { arrayAt, hasProperty, isObject, objectAt, resolveRef } from "./schema-walk.js";

export const checkTemplateVariables: Pass<RllmModule> = {
  name: "check-template-variables",
  run(module, context) {
    const schema = module.header.inputSchema;
    const document = module.frontmatter;
    if (schema === undefined || document === undefined) return module;
    const children = new Set(module.header.uses.map((u) => u.name));
    const preOutputs = new Set(
      module.codeBlocks.filter((b) => b.phase === "pre").flatMap((b) => b.outputs.map((o) => o.name)),
    );
    const variables: TemplateVariable[] = [...module.prompt.variables, ...(module.recovery?.variables ?? [])];
    const used = new Set<string>();
    for (const variable of variables) {
      const [root] = variable.path;
      if (root === undefined) continue;
      used.add(root);
      if ((children.has(root) || preOutputs.has(root)) && !hasProperty(schema, root)) continue;
      const missing = firstUndeclared(schema, schema, variable.path);
      if (missing === undefined) continue;
      const shown = displayPath(variable.path.slice(0, missing.depth + 1));
      const hint = didYouMean(variable.path[missing.depth]!, missing.siblings);
      context.report(
        makeDiagnostic(
          Diagnostics.TemplateVariableUndeclared,
          variable.span,
          { path: shown },
          hint ? { hint } : {},
        ),
      );
    }
    for (const block of module.codeBlocks) for (const input of block.inputs) used.add(input.name);
    for (const use of module.header.uses) {
      if (use.mapped) {
        for (const expression of Object.values(use.inputs))
          used.add(
            expression
              .replace(/^this\./, "")
              .split(/[.[]/)[0]!
              .trim(),
          );
        continue;
      }
      // Without a mapping, the child gets every input of the same name.
      const child = context.loadRllm(childPath(module, use)).module?.header.inputSchema;
      for (const name of Object.keys(objectAt(child ?? {}, "properties") ?? {})) used.add(name);
    }
    for (const name of Object.keys(objectAt(schema, "properties") ?? {})) {
      if (used.has(name)) continue;
      const location = locate(document, `/input_schema/properties/${escapePointer(name)}`);
      context.report(makeDiagnostic(Diagnostics.InputUnused, location.key ?? location.value, { name }));
    }
    return module;
  },
};

export interface Missing {
  /** Index in the path of the first segment the schema does not declare. */
  readonly depth: number;
  readonly siblings: readonly string[];
}

/** Walks `path` through the schema; where a segment is not declared, says which and what is. */
export function firstUndeclared(
  root: JsonObject,
  schema: JsonObject,
  path: readonly string[],
  depth = 0,
): Missing | undefined {
  if (depth >= path.length) return undefined;
  const resolved = resolveRef(root, schema);
  if (resolved === undefined) return undefined; // an unresolvable $ref: the schema check reports it
  const branches = ["oneOf", "anyOf", "allOf"].flatMap((k) => arrayAt(resolved, k) ?? []);
  if (branches.length > 0) {
    const results = branches.map((b) => (isObject(b) ? firstUndeclared(root, b, path, depth) : undefined));
    if (results.some((r) => r === undefined)) return undefined;
  }
  const segment = path[depth]!;
  if (segment === "[]") {
    const items = resolved.items;
    if (items === undefined || items === true) return undefined;
    return isObject(items) ? firstUndeclared(root, items, path, depth + 1) : undefined;
  }
  const properties = objectAt(resolved, "properties");
  const property = properties?.[segment];
  if (property !== undefined)
    return isObject(property) ? firstUndeclared(root, property, path, depth + 1) : undefined;
  const additional = resolved.additionalProperties;
  if (isObject(additional)) return firstUndeclared(root, additional, path, depth + 1);
  // An object schema that lists no properties and does not forbid others declares anything.
  if (properties === undefined && additional !== false && branches.length === 0) return undefined;
  return { depth, siblings: Object.keys(properties ?? {}) };
}

/** `["items", "[]", "title"]` → `items[].title`. */
export function displayPath(path: readonly string[]): string {
  return path.reduce(
    (out, segment) => (segment === "[]" ? `${out}[]` : out === "" ? segment : `${out}.${segment}`),
    "",
  );
}
