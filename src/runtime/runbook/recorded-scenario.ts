/**
 * `runbook exec --mode real --record s.yaml`, the scenario half: turns a run's recording
 * (recorder.ts, already redacted) into a cli-replay scenario (docs/replay.md,
 * ../shared/notes/cli-replay.md) and writes it atomically, with outputs over
 * {@link LARGE_OUTPUT_BYTES} in `stdout_file`s / `stderr_file`s beside it (`s.outputs/`).
 *
 * One leaf step per call, in run order, each expected once. What a run's variables put in a
 * command is written so that the scenario replays with other values too: cli-replay does not
 * render variables into argv, so an element the runbook templated from a variable becomes
 * `{{ .any }}` (the whole element) or an anchored `{{ .regex "^…$" }}` (the text around it kept);
 * in responses, which cli-replay renders over `meta.vars`, a variable's value becomes
 * `{{ .name }}` and the value goes to `meta.vars`. An argv element or stdin that redaction
 * changed cannot be matched literally and becomes `{{ .any }}` (stdin: not matched). Literal
 * `{{` in an output is written `{{ "{{" }}`, so a response renders back to the bytes recorded.
 */
import { basename, dirname, extname, join } from "node:path";
import { Document, isScalar, isSeq, visit } from "yaml";
import { programBaseName } from "../../lang/replay/argv-match.js";
import type { Scenario, ScenarioRespond, ScenarioStep } from "../../lang/replay/types.js";
import type { CliStep, Runbook } from "../../lang/runbook/types.js";
import { isLiteralTemplate, parseTemplate, referencedFields } from "../../lang/template/index.js";
import { writeFileAtomic } from "../shared/write-file.js";
import { planSteps, type RunbookEngine } from "./engine.js";
import { type RecordedCall, readRecording } from "./recorder.js";
import { REDACTED, type RunRedactor } from "./redaction.js";

/** An output at least this long goes to a file beside the scenario. */
export const LARGE_OUTPUT_BYTES = 4096;
/** Shorter values are not written back as `{{ .name }}`: `eu` would turn up inside every word. */
const MIN_VAR_LENGTH = 3;
/** Names that mean something else in a scenario's templates. */
const RESERVED = new Set(["any", "regex", "capture"]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ANY = "{{ .any }}";

export interface RecordedRun {
  readonly runbook: Runbook;
  readonly runbookPath: string;
  readonly runbookSha256: string;
  readonly runId: string;
  /** The run's variables as its snapshots hold them (redacted). */
  readonly vars: Readonly<Record<string, string>>;
  readonly calls: readonly RecordedCall[];
  readonly redactor: RunRedactor;
}

export interface ScenarioFiles {
  /** The scenario's YAML. */
  readonly yaml: string;
  /** Response files, relative to the scenario's folder. */
  readonly files: readonly { readonly path: string; readonly text: string }[];
  readonly steps: number;
}

/** The scenario for `run`, to be written at `scenarioPath`; undefined when no command ran yet. */
export function buildRecordedScenario(run: RecordedRun, scenarioPath: string): ScenarioFiles | undefined {
  if (run.calls.length === 0) return undefined;
  const plan = planSteps(run.runbook.steps);
  const declared = Object.keys(run.runbook.meta.vars ?? {});
  const substitutions = writableVars(run, declared);
  const usedVars = new Set<string>();
  const files: { path: string; text: string }[] = [];
  const outputsDir = `${basename(scenarioPath, extname(scenarioPath))}.outputs`;
  const steps: ScenarioStep[] = [];
  const programs = new Set<string>();
  for (const call of run.calls) {
    const planned = plan[call.index];
    const step = planned?.step.type === "cli" ? planned.step : undefined;
    const argv = call.argv.map((value, i) => argvElement(value, i, call, step, declared));
    programs.add(argv[0] ?? "");
    const streams: { -readonly [K in keyof ScenarioRespond]: ScenarioRespond[K] } = {};
    for (const stream of ["stdout", "stderr"] as const) {
      const text = call[stream];
      if (text === "") continue;
      const templated = templatize(text, substitutions, usedVars);
      if (Buffer.byteLength(templated) >= LARGE_OUTPUT_BYTES) {
        const path = `${outputsDir}/${String(call.index + 1).padStart(2, "0")}-${call.step_id}.${stream}`;
        files.push({ path, text: templated });
        streams[`${stream}_file`] = path;
      } else streams[stream] = templated;
    }
    const stdinFromVars = step?.with.stdin !== undefined && usesVar(step.with.stdin, declared);
    const stdin =
      call.stdin !== undefined && call.stdin !== "" && call.stdin_redacted !== true && !stdinFromVars
        ? { stdin: call.stdin }
        : {};
    const exit = call.exit === 0 ? {} : { exit: Math.min(Math.max(call.exit, 0), 255) };
    steps.push({ match: { argv, ...stdin }, respond: { ...exit, ...streams } });
  }
  const vars: Record<string, string> = {};
  for (const [name, value] of substitutions) if (usedVars.has(name)) vars[name] = value;
  const scenario: Scenario = {
    meta: {
      name: run.runbook.meta.name,
      description: `Recorded from runbook '${run.runbook.meta.name}' (${run.runbookPath}, sha256 ${run.runbookSha256}) by run ${run.runId} in real mode.`,
      ...(Object.keys(vars).length === 0 ? {} : { vars }),
      security: { allowed_commands: [...programs].sort() },
    },
    steps,
  };
  // Once more through the redactor, value by value (the YAML's escapes could hide a match), and
  // comment lines kept to one line each.
  const comment = (text: string) => `# ${run.redactor.text(text).replace(/\p{Cc}/gu, "?")}\n`;
  const header = [
    comment(
      `A cli-replay scenario recorded by rllmc: runbook exec ${run.runbookPath} --mode real --record ${basename(scenarioPath)}`,
    ),
    comment(
      `runbook '${run.runbook.meta.name}', sha256 ${run.runbookSha256}; run ${run.runId}. Outputs are redacted.`,
    ),
    comment(
      `Replay with: runbook exec ${run.runbookPath} --mode replay --scenario ${basename(scenarioPath)}`,
    ),
  ].join("");
  return {
    yaml: `${header}${printScenario(run.redactor.deep(scenario))}`,
    files: files.map((f) => ({ path: f.path, text: run.redactor.text(f.text) })),
    steps: steps.length,
  };
}

/** Writes the response files, then the scenario (each atomically): a reader never sees a scenario whose files are missing. */
export function writeRecordedScenario(scenarioPath: string, built: ScenarioFiles): void {
  const folder = dirname(scenarioPath);
  for (const file of built.files) writeFileAtomic(join(folder, file.path), file.text);
  writeFileAtomic(scenarioPath, built.yaml);
}

/**
 * (Re)writes the scenario of a recorded run from its run folder's recording: whenever the run
 * stops, paused or finished. Returns the scenario's path and step count, or undefined when the
 * run is not recorded or ran no command yet (nothing is written: a scenario needs a step).
 */
export function writeScenarioOfRun(
  engine: RunbookEngine,
  runbook: Runbook,
): { path: string; steps: number } | undefined {
  const recording = readRecording(engine.store.dir);
  if (recording.target === undefined) return undefined;
  const state = engine.state;
  const built = buildRecordedScenario(
    {
      runbook,
      runbookPath: state.runbook_path,
      runbookSha256: state.runbook_sha256,
      runId: engine.runId,
      vars: engine.values.vars,
      calls: recording.calls,
      redactor: engine.redactor,
    },
    recording.target,
  );
  if (built === undefined) return undefined;
  writeRecordedScenario(recording.target, built);
  return { path: recording.target, steps: built.steps };
}

/** The variables written back as `{{ .name }}`, longest value first (so one inside another is not cut). */
function writableVars(run: RecordedRun, declared: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const name of declared) {
    const value = run.vars[name];
    if (value === undefined || !NAME.test(name) || RESERVED.has(name)) continue;
    if (value.length < MIN_VAR_LENGTH || /^[0-9.]+$/.test(value)) continue;
    if (value.includes(REDACTED) || value.includes("{{") || value.includes("}}")) continue;
    if (run.redactor.text(value) !== value) continue;
    out.push([name, value]);
  }
  return out.sort((a, b) => b[1].length - a[1].length);
}

/**
 * A response as a template: each variable's value, where it stands as a whole word, becomes
 * `{{ .name }}`; every other `{{` is escaped, so the template renders back to `text`.
 */
export function templatize(text: string, vars: readonly [string, string][], used?: Set<string>): string {
  let out = "";
  let literal = "";
  const flush = (beforeAction: boolean) => {
    let escaped = literal.replaceAll("{{", '{{ "{{" }}');
    // A `{` right before an action would run into its `{{`.
    if (beforeAction && escaped.endsWith("{")) escaped = `${escaped.slice(0, -1)}{{ "{" }}`;
    out += escaped;
    literal = "";
  };
  let i = 0;
  outer: while (i < text.length) {
    for (const [name, value] of vars)
      if (text.startsWith(value, i) && wordEdge(text, i - 1) && wordEdge(text, i + value.length)) {
        flush(true);
        out += `{{ .${name} }}`;
        used?.add(name);
        i += value.length;
        continue outer;
      }
    literal += text[i];
    i += 1;
  }
  flush(false);
  return out;
}

function wordEdge(text: string, at: number): boolean {
  const c = text[at];
  return c === undefined || !/[A-Za-z0-9_]/.test(c);
}

/** One expected argv element for the element `value` as run. */
function argvElement(
  value: string,
  i: number,
  call: RecordedCall,
  step: CliStep | undefined,
  declared: readonly string[],
): string {
  if (call.redacted_argv.includes(i)) return ANY;
  if (i === 0) return programBaseName(value);
  const template = step?.with.argv[i];
  if (template === undefined || isLiteralTemplate(template) || !usesVar(template, declared))
    return value.includes("{{") ? ANY : value;
  return variablePattern(template);
}

/** `{{ .any }}` for an element that is one action; else `{{ .regex "^text.*text$" }}`, or `{{ .any }}` when the text cannot be said in a pattern. */
function variablePattern(template: string): string {
  const parsed = parseTemplate(template).template;
  if (parsed === undefined) return ANY;
  if (parsed.parts.length === 1) return ANY;
  let pattern = "";
  for (const part of parsed.parts) {
    if (part.kind === "action") {
      if (part.trimLeft || part.trimRight) return ANY;
      pattern += ".*";
      continue;
    }
    for (const c of part.value) {
      if ('^\\"\n\r'.includes(c)) return ANY;
      pattern += ".*+?()[{}|$".includes(c) ? `[${c}]` : c;
    }
  }
  return `{{ .regex "^${pattern}$" }}`;
}

function usesVar(template: string, declared: readonly string[]): boolean {
  if (isLiteralTemplate(template)) return false;
  const parsed = parseTemplate(template).template;
  if (parsed === undefined) return true;
  return referencedFields(parsed).some((f) => declared.includes(f.path[0] ?? ""));
}

/** The scenario's YAML: argv lists on one line, multi-line outputs as literal blocks. */
function printScenario(scenario: Scenario): string {
  const document = new Document(scenario);
  visit(document, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && pair.key.value === "argv" && isSeq(pair.value)) pair.value.flow = true;
    },
  });
  return document.toString({ lineWidth: 0, blockQuote: "literal" });
}
