/**
 * Which commands a scenario may intercept: the YAML list `meta.security.allowed_commands`, the
 * caller's list (`--allowed-commands`), or — when both are given — their intersection, compared
 * with the base name of each step's `argv[0]`. An empty list counts as not given (as in
 * cli-replay). Unlike cli-replay, which lifts every restriction when the two lists have nothing in
 * common, an empty intersection allows nothing: replay fails closed.
 */
import { programBaseName } from "../../lang/replay/argv-match.js";
import type { Scenario } from "../../lang/replay/types.js";
import { ReplayErrors, type ReplayFailure, replayFailure } from "./codes.js";
import { flattenScenario } from "./flatten.js";

/** The effective allowlist, or `undefined` when nothing restricts the commands. */
export function effectiveAllowlist(
  yamlList: readonly string[] | undefined,
  cliList: readonly string[] | undefined,
): readonly string[] | undefined {
  const yaml = yamlList ?? [];
  const cli = cliList ?? [];
  if (yaml.length === 0 && cli.length === 0) return undefined;
  if (yaml.length === 0) return cli;
  if (cli.length === 0) return yaml;
  const inYaml = new Set(yaml);
  return cli.filter((c) => inYaml.has(c));
}

/** A failure (RPL8105) naming the first step whose program the effective allowlist does not allow. */
export function checkScenarioAllowlist(
  scenario: Scenario,
  allowedCommands?: readonly string[],
): ReplayFailure | undefined {
  const yaml = scenario.meta.security?.allowed_commands;
  const allowed = effectiveAllowlist(yaml, allowedCommands);
  if (allowed === undefined) return undefined;
  const set = new Set(allowed);
  for (const flat of flattenScenario(scenario).steps) {
    const argv = flat.step.match.argv;
    const program = programBaseName(argv[0] ?? "");
    if (set.has(program)) continue;
    return replayFailure(
      ReplayErrors.StepNotAllowed,
      {
        scenario: scenario.meta.name,
        program,
        allowed,
        step: flat.index,
        argv,
        yamlList: yaml,
        cliList: allowedCommands,
      },
      flat.index,
    );
  }
  return undefined;
}

/** A failure (RPL8105) when a received program is outside the effective allowlist. */
export function checkCommandAllowed(
  scenario: Scenario,
  allowedCommands: readonly string[] | undefined,
  program: string,
): ReplayFailure | undefined {
  const allowed = effectiveAllowlist(scenario.meta.security?.allowed_commands, allowedCommands);
  if (allowed === undefined || allowed.includes(program)) return undefined;
  return replayFailure(ReplayErrors.CommandNotAllowed, { scenario: scenario.meta.name, program, allowed });
}
