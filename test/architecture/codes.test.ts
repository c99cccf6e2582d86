/**
 * Every stable code rllmc can print, from every registry: the compiler's catalogue
 * (`ir/diagnostic-catalogue.ts`), the template language's codes (`lang/template/errors.ts`, which
 * the catalogue mirrors), the app runtime's error classes (RUN, `runtime/app/errors.ts`), the runbook
 * runtime's codes (RBX, `runtime/runbook/errors.ts`) and the replay engine's failures (RPL81xx,
 * `runtime/replay/codes.ts`). A code means one thing: it is defined once, in one registry, and
 * documented where users look it up. The runtime registries cannot import the catalogue (the
 * runtime imports no compiler code), so this test is where they meet.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/ir/diagnostic-catalogue.js";
import { TEMPLATE_ERROR_CODES } from "../../src/lang/template/errors.js";
import { ERROR_CLASSES } from "../../src/runtime/app/errors.js";
import { REPLAY_ERROR_CODES, ReplayErrors } from "../../src/runtime/replay/codes.js";
import { RunbookErrors, RunCodes } from "../../src/runtime/runbook/errors.js";

const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), "utf8");

interface Registry {
  readonly name: string;
  /** Each code the registry defines, once per definition (a duplicate is a failure). */
  readonly codes: readonly string[];
  readonly pattern: RegExp;
  /** Where a code of this registry is documented, and how a documented code looks there. */
  readonly documented: (code: string) => boolean;
}

const diagnosticsDoc = doc("diagnostics.md");
const errorsDoc = doc("errors.md");
const tableRow = (code: string) => diagnosticsDoc.includes(`| ${code} |`);

const catalogue = Object.values(Diagnostics).map((d) => d.code);
const templateCodes = new Set(Object.keys(TEMPLATE_ERROR_CODES));

const registries: readonly Registry[] = [
  {
    name: "the compiler's catalogue (template codes aside)",
    codes: catalogue.filter((code) => !templateCodes.has(code)),
    pattern: /^(RLC|YML|SCH|RLM|TSG|TSK|RBK)\d{4}$|^RPL80\d\d$/,
    documented: tableRow,
  },
  {
    name: "the template language",
    codes: Object.keys(TEMPLATE_ERROR_CODES),
    pattern: /^TPL\d{4}$/,
    documented: tableRow,
  },
  {
    name: "the app runtime (RUN)",
    codes: Object.values(ERROR_CLASSES).map((c) => c.code),
    pattern: /^RUN\d{4}$/,
    documented: (code) => {
      const type = Object.entries(ERROR_CLASSES).find(([, c]) => c.code === code)?.[0];
      return errorsDoc.includes(`### ${code} ${type}\n`);
    },
  },
  {
    name: "the runbook runtime (RBX)",
    codes: Object.values(RunCodes),
    pattern: /^RBX7[01]\d\d$/,
    documented: tableRow,
  },
  {
    name: "the replay engine (RPL81xx)",
    codes: Object.keys(REPLAY_ERROR_CODES),
    pattern: /^RPL81\d\d$/,
    documented: tableRow,
  },
];

describe("stable codes across every registry", () => {
  it.each(registries)("should give each code of $name the registry's form", ({ codes, pattern }) => {
    expect(codes.filter((code) => !pattern.test(code))).toEqual([]);
  });

  it("should define every code once, in one registry", () => {
    const all = registries.flatMap((r) => r.codes);
    expect(all.filter((code, i) => all.indexOf(code) !== i)).toEqual([]);
  });

  it("should mirror the template codes in the catalogue, and no more", () => {
    const mirrored = catalogue.filter((code) => code.startsWith("TPL"));
    expect(mirrored.sort()).toEqual([...templateCodes].sort());
  });

  it.each(registries)("should document every code of $name", ({ codes, documented }) => {
    expect(codes.filter((code) => !documented(code))).toEqual([]);
  });

  it("should build every runbook runtime message with a code of RunCodes", () => {
    const known = new Set<string>(Object.values(RunCodes));
    const stray = Object.entries(RunbookErrors).filter(([, entry]) => !known.has(entry.code));
    expect(stray.map(([name]) => name)).toEqual([]);
  });

  it("should give every replay failure code a message, and every message a known code", () => {
    const used = new Set(Object.values(ReplayErrors).map((entry) => entry.code));
    expect(Object.keys(REPLAY_ERROR_CODES).filter((code) => !used.has(code as never))).toEqual([]);
    expect([...used].filter((code) => !(code in REPLAY_ERROR_CODES))).toEqual([]);
  });
});
