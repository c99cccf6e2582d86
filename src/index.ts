/**
 * rllmc's public API: read and parse sources into the shared IR, and print diagnostics.
 * The CLI (`src/cli`) is built on exactly these functions.
 */

export { detectKind, type ParseResult, parseSource } from "./frontend/parse-source.js";
export { decodeSource, readSource, sourceFromText } from "./frontend/read-source.js";
export type {
  Diagnostic,
  DiagnosticDefinition,
  RelatedInformation,
  Severity,
} from "./ir/diagnostic.js";
export { compareDiagnostics, hasErrors } from "./ir/diagnostic.js";
export { Diagnostics } from "./ir/diagnostic-catalogue.js";
export type * from "./ir/nodes.js";
export { assertNever } from "./ir/nodes.js";
export {
  codeFrame,
  formatDiagnostic,
  formatDiagnostics,
  type SourceLookup,
  sourceLookup,
  toJsonDiagnostic,
} from "./ir/print-diagnostics.js";
export { SourceFile } from "./ir/source-file.js";
export type { Span } from "./ir/span.js";
