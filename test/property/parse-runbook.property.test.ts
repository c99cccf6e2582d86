/**
 * Property tests of the runbook reader (`frontend/runbook/parse-runbook.ts`, what `runbook
 * validate`, `exec` and `debug` read a runbook.yaml with): any text never throws and gives either
 * a valid runbook or coded error diagnostics with spans inside the text; a runbook/v0 document
 * made from the schema's shapes round-trips through YAML with no diagnostic; and one mutation of
 * such a document that breaks the schema (a required field dropped, a value of the wrong type,
 * an unknown field) is reported with a coded error at the place of the mutation.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseRunbook } from "../../src/frontend/runbook/parse-runbook.js";
import type { Diagnostic } from "../../src/ir/diagnostic.js";
import type { JsonObject, JsonValue } from "../../src/ir/nodes.js";
import { formatDiagnostics, sourceLookup } from "../../src/ir/print-diagnostics.js";
import type { Span } from "../../src/ir/span.js";
import { escapePointer, locate } from "../../src/ir/yaml-locations.js";
import { mutatedText } from "../support/mutate-text.js";

const PATH = "runbook.yaml";
const RUNS = { numRuns: 200, interruptAfterTimeLimit: 8_000 };
const CODE = /^[A-Z]{3}\d{4}$/;

/** Parses `text` as a runbook and checks what every result must be; returns it. */
function parseChecked(text: string) {
  const source = sourceFromText(PATH, text);
  const parsed = parseRunbook(source);
  for (const d of parsed.diagnostics) expectWellFormed(d, source.text.length);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (parsed.valid) {
    expect(parsed.document).toBeDefined();
    expect(errors).toEqual([]);
  } else {
    expect(errors.length).toBeGreaterThan(0);
  }
  formatDiagnostics(parsed.diagnostics, sourceLookup([source]));
  return { source, parsed };
}

function expectWellFormed(d: Diagnostic, length: number): void {
  expect(d.code).toMatch(CODE);
  expect(d.message).not.toBe("");
  expect(d.span.file).toBe(PATH);
  expect(d.span.start).toBeGreaterThanOrEqual(0);
  expect(d.span.start).toBeLessThanOrEqual(d.span.end);
  expect(d.span.end).toBeLessThanOrEqual(length);
}

// --- any text ---------------------------------------------------------------------------------

const SEEDS = ["rb-sessions", "rb-data-blocks", "po-etcd-members-down"].map((name) =>
  readFileSync(new URL(`../../goldens/tsg/${name}/runbook.yaml`, import.meta.url), "utf8"),
);

/** Fragments that make a YAML reader and the runbook schema branch. */
const tokens = fc.constantFrom(
  "\n",
  "\r\n",
  "  ",
  "\t",
  "- ",
  ": ",
  "---",
  "...",
  "#",
  "&a ",
  "*a",
  "<<: *a",
  "!!str ",
  "!tag ",
  "[",
  "]",
  "{",
  "}",
  ",",
  '"',
  "'",
  "|",
  "|-",
  ">",
  "? ",
  "%YAML 1.2",
  "apiVersion: runbook/v0",
  "meta:",
  "name: x",
  "steps:",
  "- id: a",
  "type: cli",
  "type: manual",
  "type: group",
  "with:",
  "argv: [kubectl, get, pods]",
  "instructions: do it",
  "title: T",
  "{{ .x }}",
  "null",
  "~",
  "true",
  "0x1F",
  "1e3",
  "\uFEFF",
  "é",
  "😀",
);
const fragments = fc
  .array(fc.oneof(tokens, fc.string({ maxLength: 6 })), { maxLength: 60 })
  .map((parts) => parts.join(""));

describe("parseRunbook on any text", () => {
  it("should never throw on arbitrary unicode text, giving a runbook or coded errors in the text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => {
        parseChecked(text);
      }),
      RUNS,
    );
  });

  it("should never throw on text made of YAML and runbook fragments", () => {
    fc.assert(
      fc.property(fragments, (text) => {
        parseChecked(text);
      }),
      RUNS,
    );
  });

  it("should never throw on a mutated compiled runbook", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS).chain((seed) => mutatedText(seed, tokens, 6)),
        (text) => {
          parseChecked(text);
        },
      ),
      RUNS,
    );
  });

  it("should accept the compiled runbooks it mutates", () => {
    for (const seed of SEEDS) {
      const { parsed } = parseChecked(seed);
      expect(parsed.valid).toBe(true);
      expect(parsed.diagnostics).toEqual([]);
    }
  });
});

// --- valid runbooks ---------------------------------------------------------------------------

/** Words YAML would read as something else than a string unless it quotes them. */
const tricky = fc.constantFrom(
  "true",
  "null",
  "~",
  "1e3",
  "0x1F",
  "- a",
  "a: b",
  "#c",
  "{{ .x }}",
  " a",
  "a ",
  "a\nb\n",
);
/** Text as runbooks hold it: short; any Unicode, ASCII, or a word YAML must quote. */
const text = fc.oneof(fc.string({ unit: "grapheme", maxLength: 20 }), fc.string({ maxLength: 20 }), tricky);
const nonEmpty = fc.oneof(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
  fc.string({ minLength: 1, maxLength: 20 }),
  tricky,
);
const stepId = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const varName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/);

/** An object with the optional fields each present or absent. */
function withOptional<T extends Record<string, unknown>>(
  required: fc.Arbitrary<T>,
  optional: Record<string, fc.Arbitrary<unknown>>,
) {
  return fc
    .tuple(required, fc.record(optional, { requiredKeys: [] }))
    .map(([r, o]) => ({ ...r, ...o }) as Record<string, JsonValue>);
}

const cliStep = withOptional(
  fc.record({
    id: stepId,
    type: fc.constant("cli"),
    with: withOptional(fc.record({ argv: fc.array(text, { minLength: 1, maxLength: 4 }) }), {
      stdin: text,
      timeout_seconds: fc.integer({ min: 1, max: 86_400 }),
      max_output_bytes: fc.integer({ min: 1, max: 1 << 30 }),
    }),
  }),
  { title: text, description: text, continue_on_error: fc.boolean(), sample_output: text },
);

const evidence = fc.oneof(
  withOptional(fc.record({ kind: fc.constantFrom("text", "attachment"), name: varName }), {
    description: text,
  }),
  fc.record({
    kind: fc.constant("checklist"),
    name: varName,
    items: fc.array(nonEmpty, { minLength: 1, maxLength: 3 }),
  }),
);

const manualStep = withOptional(
  fc.record({ id: stepId, type: fc.constant("manual"), title: nonEmpty, instructions: nonEmpty }),
  {
    command: text,
    reason: text,
    required_evidence: fc.array(evidence, { maxLength: 2 }),
    replay_mode: fc.constantFrom("require_evidence", "reuse_evidence"),
  },
);

const { step } = fc.letrec<{ step: Record<string, JsonValue>; group: Record<string, JsonValue> }>((tie) => ({
  step: fc.oneof(
    { depthSize: "small", maxDepth: 3, withCrossShrink: true },
    cliStep,
    manualStep,
    tie("group"),
  ),
  group: withOptional(
    fc.record({
      id: stepId,
      type: fc.constant("group"),
      steps: fc.array(tie("step"), { minLength: 1, maxLength: 3 }),
    }),
    { title: text, description: text },
  ),
}));

const governance = withOptional(fc.record({}), {
  allowed_commands: fc.uniqueArray(nonEmpty, { maxLength: 3 }),
  denied_commands: fc.uniqueArray(nonEmpty, { maxLength: 3 }),
  deny_env_vars: fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9_*]{1,12}$/), { maxLength: 3 }),
  evidence: withOptional(fc.record({}), {
    require_for_manual: fc.boolean(),
    store_full_stdout: fc.boolean(),
  }),
});

const runbook: fc.Arbitrary<Record<string, JsonValue>> = fc.record({
  apiVersion: fc.constant("runbook/v0"),
  meta: withOptional(fc.record({ name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/) }), {
    title: text,
    description: text,
    vars: fc.dictionary(varName, text, { maxKeys: 3 }),
    governance,
  }),
  steps: fc.array(step, { maxLength: 4 }),
});

describe("parseRunbook on valid runbooks", () => {
  it("should read a generated runbook back as the same value with no diagnostic", () => {
    fc.assert(
      fc.property(runbook, (value) => {
        const { parsed } = parseChecked(stringify(value));
        expect(parsed.diagnostics).toEqual([]);
        expect(parsed.valid).toBe(true);
        expect(parsed.document?.value).toEqual(value);
      }),
      RUNS,
    );
  });
});

// --- one mutation that breaks the schema ------------------------------------------------------

type Mutation =
  | { readonly kind: "drop"; readonly pointer: string; readonly field: string }
  | { readonly kind: "retype"; readonly pointer: string }
  | { readonly kind: "add"; readonly pointer: string };

/** The fields the schema requires of the object at `pointer`, a node of a generated runbook. */
function requiredFields(pointer: string, object: JsonObject): readonly string[] {
  if (pointer === "") return ["apiVersion", "meta", "steps"];
  if (pointer === "/meta") return ["name"];
  if (/\/with$/.test(pointer)) return ["argv"];
  if (/\/required_evidence\/\d+$/.test(pointer)) return ["kind", "name"];
  if (/(?:^|\/)steps\/\d+$/.test(pointer)) {
    if (object.type === "cli") return ["id", "type", "with"];
    if (object.type === "manual") return ["id", "type", "title", "instructions"];
    if (object.type === "group") return ["id", "type", "steps"];
  }
  return [];
}

/** Every mutation of `value` that the runbook/v0 schema must reject. */
function mutationsOf(value: JsonValue, pointer = ""): Mutation[] {
  const out: Mutation[] = [];
  if (pointer !== "") out.push({ kind: "retype", pointer });
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push(...mutationsOf(item, `${pointer}/${i}`));
    });
  } else if (value !== null && typeof value === "object") {
    for (const field of requiredFields(pointer, value as JsonObject))
      out.push({ kind: "drop", pointer, field });
    // `vars` takes any variable name; every other object of the format is closed.
    if (!pointer.endsWith("/vars")) out.push({ kind: "add", pointer });
    for (const [key, item] of Object.entries(value))
      out.push(...mutationsOf(item, `${pointer}/${escapePointer(key)}`));
  }
  return out;
}

/** A value of another JSON type than `value`. */
function retyped(value: JsonValue): JsonValue {
  if (typeof value === "string") return 42;
  if (typeof value === "number") return "forty-two";
  if (typeof value === "boolean") return "yes";
  return "not a list or an object";
}

function segments(pointer: string): string[] {
  return pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function applyMutation(value: JsonValue, mutation: Mutation): JsonValue {
  const copy = structuredClone(value);
  const path = segments(mutation.pointer);
  if (mutation.kind === "retype") {
    const last = path.pop()!;
    const parent = path.reduce<JsonValue>((node, key) => (node as Record<string, JsonValue>)[key]!, copy);
    (parent as Record<string, JsonValue>)[last] = retyped((parent as Record<string, JsonValue>)[last]!);
    return copy;
  }
  const target = path.reduce<JsonValue>(
    (node, key) => (node as Record<string, JsonValue>)[key]!,
    copy,
  ) as Record<string, JsonValue>;
  if (mutation.kind === "drop") delete target[mutation.field];
  else target.unknown_field = "x";
  return copy;
}

const mutatedRunbook = runbook.chain((value) =>
  fc.constantFrom(...mutationsOf(value)).map((mutation) => ({ value, mutation })),
);

/** Where the mutation is in the text: the mutated node, from its key to the end of its value. */
function mutationRange(parsed: ReturnType<typeof parseChecked>["parsed"], pointer: string): Span | undefined {
  const document = parsed.document;
  if (document === undefined || pointer === "") return undefined;
  const location = locate(document, pointer);
  return { file: PATH, start: (location.key ?? location.value).start, end: location.value.end };
}

describe("parseRunbook on a runbook with one mutation the schema rejects", () => {
  it("should report a coded schema error at the mutated place", () => {
    fc.assert(
      fc.property(mutatedRunbook, ({ value, mutation }) => {
        const { source, parsed } = parseChecked(stringify(applyMutation(value, mutation)));
        expect(parsed.valid).toBe(false);
        const errors = parsed.diagnostics.filter((d) => d.severity === "error");
        expect(errors.every((d) => d.code.startsWith("SCH"))).toBe(true);
        const at = mutation.kind === "add" ? `${mutation.pointer}/unknown_field` : mutation.pointer;
        const range = mutationRange(parsed, at);
        // A field missing from the document itself is reported on its first line.
        const firstLine = source.text.indexOf("\n") >>> 0;
        const inside = (d: Diagnostic) =>
          range === undefined
            ? d.span.start <= firstLine
            : d.span.start >= range.start && d.span.end <= range.end;
        expect(errors.filter(inside), JSON.stringify({ mutation, errors, range })).not.toEqual([]);
      }),
      RUNS,
    );
  });
});
