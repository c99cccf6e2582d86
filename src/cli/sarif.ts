/**
 * `--format sarif`: diagnostics as a SARIF 2.1.0 log (https://docs.oasis-open.org/sarif/sarif/v2.1.0/),
 * the format GitHub code scanning reads to show results inline in a pull request.
 *
 * One run; `tool.driver` is rllmc with its version and one rule per code that occurs (id = the
 * code, `shortDescription` = its "meaning" in docs/diagnostics.md, `help` = its "fix", `helpUri`
 * = that section of docs/diagnostics.md when package.json names a GitHub repository). Each
 * diagnostic is a result: level error/warning/note, the message (and hint), and a physical
 * location whose `artifactLocation.uri` is relative to the working directory (`uriBaseId`
 * `%SRCROOT%`), with a 1-based region in UTF-16 code units (our columns). Related information
 * becomes `relatedLocations`. The log holds no absolute path for files under the working
 * directory and no timestamp, so it is byte-stable.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { Location, Log, ReportingDescriptor, Result } from "sarif";
import type { Diagnostic, Severity } from "../ir/diagnostic.js";
import { Diagnostics } from "../ir/diagnostic-catalogue.js";
import type { SourceLookup } from "../ir/print-diagnostics.js";
import type { Span } from "../ir/span.js";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

export interface SarifOptions {
  /** The directory artifact URIs are relative to (default: the working directory). */
  readonly cwd?: string;
  /** The package's root (default: found from this module); docs/diagnostics.md and package.json are read from it. */
  readonly packageRoot?: URL;
}

/** The diagnostics (already filtered and sorted) as one SARIF log. */
export function sarifLog(
  diagnostics: readonly Diagnostic[],
  lookup: SourceLookup,
  options: SarifOptions = {},
): Log {
  const cwd = options.cwd ?? process.cwd();
  const root = options.packageRoot ?? findPackageRoot();
  const pkg = root === undefined ? {} : readPackage(root);
  const docs = root === undefined ? new Map<string, CodeDoc>() : readDiagnosticDocs(root);
  const docsUrl = githubDocsUrl(pkg);
  // One rule per code that occurs, in code order.
  const firsts = new Map<string, Diagnostic>();
  for (const d of diagnostics) if (!firsts.has(d.code)) firsts.set(d.code, d);
  const codes = [...firsts.keys()].sort();
  const ruleIndex = new Map(codes.map((code, i) => [code, i]));
  const rules = codes.map((code) => rule(firsts.get(code)!, docs.get(code), docsUrl));
  const results: Result[] = diagnostics.map((d) => ({
    ruleId: d.code,
    ruleIndex: ruleIndex.get(d.code)!,
    level: level(d.severity),
    message: { text: d.hint === undefined ? d.message : `${d.message}\nhint: ${d.hint}` },
    locations: [location(d.span, lookup, cwd)],
    ...(d.related.length === 0
      ? {}
      : {
          relatedLocations: d.related.map((r, i) => ({
            id: i + 1,
            ...location(r.span, lookup, cwd),
            message: { text: r.message },
          })),
        }),
  }));
  const version = pkg.version ?? "0.0.0";
  const informationUri = repositoryUrl(pkg);
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "rllmc",
            version,
            semanticVersion: version,
            ...(informationUri === undefined ? {} : { informationUri }),
            rules,
          },
        },
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
}

export function formatSarif(log: Log): string {
  return `${JSON.stringify(log, null, 2)}\n`;
}

function level(severity: Severity): Result.level {
  return severity === "error" ? "error" : severity === "warning" ? "warning" : "note";
}

function rule(d: Diagnostic, doc: CodeDoc | undefined, docsUrl: string | undefined): ReportingDescriptor {
  const name = catalogueName(d.code);
  return {
    id: d.code,
    ...(name === undefined ? {} : { name }),
    shortDescription: { text: plainText(doc?.meaning ?? name ?? d.code) },
    ...(doc?.fix === undefined ? {} : { help: { text: plainText(doc.fix), markdown: doc.fix } }),
    ...(docsUrl === undefined || doc === undefined ? {} : { helpUri: `${docsUrl}#${doc.anchor}` }),
    defaultConfiguration: { level: level(d.severity) },
  };
}

/** The catalogue's name of a code (`SchemaType`), when the code is the compiler's. */
function catalogueName(code: string): string | undefined {
  for (const [name, entry] of Object.entries(Diagnostics)) if (entry.code === code) return name;
  return undefined;
}

function location(span: Span, lookup: SourceLookup, cwd: string): Location {
  const absolute = resolve(cwd, span.file);
  const rel = relative(cwd, absolute);
  const inside = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  const artifactLocation = inside
    ? { uri: rel.split(sep).map(encodeURIComponent).join("/"), uriBaseId: "%SRCROOT%" }
    : { uri: pathToFileURL(absolute).href };
  const file = lookup(span.file);
  if (file === undefined) return { physicalLocation: { artifactLocation } };
  const s = file.lineCol(span.start);
  const e = file.lineCol(Math.max(span.start, span.end));
  return {
    physicalLocation: {
      artifactLocation,
      region: { startLine: s.line, startColumn: s.column, endLine: e.line, endColumn: e.column },
    },
  };
}

/** Backquotes and link syntax out of a Markdown table cell. */
function plainText(markdown: string): string {
  return markdown
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`/g, "")
    .replace(/\\\|/g, "|");
}

// --- docs/diagnostics.md and package.json -------------------------------------------------------

interface CodeDoc {
  readonly meaning: string;
  readonly fix: string | undefined;
  /** The GitHub anchor of the section the code is listed in. */
  readonly anchor: string;
}

/** `| CODE | severity | meaning | fix |` rows, with the section each is under. */
export function readDiagnosticDocs(root: URL): Map<string, CodeDoc> {
  const docs = new Map<string, CodeDoc>();
  let text: string;
  try {
    text = readFileSync(new URL("docs/diagnostics.md", root), "utf8");
  } catch {
    return docs;
  }
  let anchor = "";
  for (const line of text.split("\n")) {
    const heading = /^#{2,6} (.+)$/.exec(line);
    if (heading !== null) anchor = githubSlug(heading[1]!);
    const row = /^\| ([A-Z]{3}\d{4}) \| [a-z]+ \| (.*) \|\s*$/.exec(line);
    if (row === null) continue;
    const cells = row[2]!.split(/ \| /);
    docs.set(row[1]!, { meaning: cells[0]!.trim(), fix: cells[1]?.trim() || undefined, anchor });
  }
  return docs;
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/ /g, "-");
}

interface PackageInfo {
  readonly version?: string;
  readonly homepage?: string;
  readonly repository?: string | { readonly url?: string };
}

function readPackage(root: URL): PackageInfo {
  try {
    return JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as PackageInfo;
  } catch {
    return {};
  }
}

/** The repository's web address, from package.json's `repository` (or `homepage`). */
function repositoryUrl(pkg: PackageInfo): string | undefined {
  const raw = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  const fromRepo = raw
    ?.replace(/^git\+/, "")
    .replace(/^git@github\.com:/, "https://github.com/")
    .replace(/^github:/, "https://github.com/")
    .replace(/\.git$/, "");
  const url = fromRepo ?? pkg.homepage?.replace(/#.*$/, "");
  return url !== undefined && /^https?:\/\//.test(url) ? url : undefined;
}

function githubDocsUrl(pkg: PackageInfo): string | undefined {
  const repo = repositoryUrl(pkg);
  if (repo === undefined || !/^https:\/\/github\.com\/[^/]+\/[^/]+$/.test(repo)) return undefined;
  return `${repo}/blob/HEAD/docs/diagnostics.md`;
}

/** The folder of rllmc's package.json, above this module (src/cli or dist/src/cli). */
function findPackageRoot(): URL | undefined {
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { name?: string };
      if (pkg.name === "rllmc") return dir;
    } catch {
      // keep walking up
    }
    if (dir.pathname === "/") return undefined;
  }
}
