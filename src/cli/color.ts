/**
 * Whether to colour what the CLI prints, and the colours. Colour is for people at a terminal:
 * on when the stream is a TTY (and `TERM` is not `dumb`) or `FORCE_COLOR` is set (not `0` or
 * `false`); always off with `NO_COLOR` (any non-empty value, https://no-color.org) or
 * `--no-color`, which win over `FORCE_COLOR`. `--json`, `--format sarif` and the goldens never
 * use it. The decision is ours (picocolors' own looks at stdout; diagnostics go to stderr).
 */
import pc from "picocolors";
import type { Severity } from "../ir/diagnostic.js";
import { type DiagnosticStyle, PLAIN } from "../ir/print-diagnostics.js";

export interface ColorStream {
  readonly isTTY?: boolean;
}

let noColorFlag = false;

/** `--no-color` on the command line (read by the dispatcher, cli/run.ts). */
export function setNoColor(value: boolean): void {
  noColorFlag = value;
}

export function useColor(
  stream: ColorStream,
  env: Readonly<Record<string, string | undefined>> = process.env,
  noColor: boolean = noColorFlag,
): boolean {
  if (noColor) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  return stream.isTTY === true && env.TERM !== "dumb";
}

export type Colors = ReturnType<typeof pc.createColors>;

/** The colour functions for a stream: identity functions when it gets no colour. */
export function colorsFor(stream: ColorStream = process.stderr): Colors {
  return pc.createColors(useColor(stream));
}

/** The diagnostic printer's style for a stream: `PLAIN` when it gets no colour. */
export function diagnosticStyle(stream: ColorStream = process.stderr): DiagnosticStyle {
  if (!useColor(stream)) return PLAIN;
  const c = pc.createColors(true);
  const bySeverity = (severity: Severity | "related", text: string) =>
    severity === "error"
      ? c.red(text)
      : severity === "warning"
        ? c.yellow(text)
        : severity === "info"
          ? c.blue(text)
          : c.cyan(text);
  return {
    severity: (severity, text) => c.bold(bySeverity(severity, text)),
    code: (text) => c.gray(text),
    location: (text) => c.cyan(text),
    gutter: (text) => c.gray(text),
    marker: bySeverity,
    hint: (text) => c.cyan(text),
  };
}
