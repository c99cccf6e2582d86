/**
 * A scenario's steps as the replay engine walks them: one flat list of leaf steps (a group's
 * members in place of the group), each with its effective call bounds, its group and its label.
 */
import type { Scenario, ScenarioStep } from "../../lang/replay/types.js";
import { isGroupEntry } from "../../lang/replay/types.js";

export interface FlatGroup {
  /** The group's name, or `group-N` (N counts all groups from 1) when it has none. */
  readonly name: string;
  /** Flat index of the first member. */
  readonly start: number;
  /** Flat index after the last member. */
  readonly end: number;
}

export interface FlatStep {
  readonly index: number;
  readonly step: ScenarioStep;
  readonly group: FlatGroup | undefined;
  readonly min: number;
  readonly max: number;
  /** The expected argv joined by spaces, as cli-replay labels a step. */
  readonly label: string;
}

export interface FlatScenario {
  readonly steps: readonly FlatStep[];
  readonly groups: readonly FlatGroup[];
}

/**
 * cli-replay's bounds: `{1, 1}` without `calls`; in a `calls` block a missing `min` is 0 and a
 * missing `max` is `min` (so `calls: {min: 0}` alone is invalid, which the reader reports).
 */
export function effectiveCalls(step: ScenarioStep): { readonly min: number; readonly max: number } {
  if (step.calls === undefined) return { min: 1, max: 1 };
  const min = step.calls.min ?? 0;
  return { min, max: step.calls.max ?? min };
}

export function flattenScenario(scenario: Scenario): FlatScenario {
  const steps: FlatStep[] = [];
  const groups: FlatGroup[] = [];
  const add = (step: ScenarioStep, group: FlatGroup | undefined): void => {
    steps.push({
      index: steps.length,
      step,
      group,
      ...effectiveCalls(step),
      label: step.match.argv.join(" "),
    });
  };
  for (const entry of scenario.steps) {
    if (!isGroupEntry(entry)) {
      add(entry, undefined);
      continue;
    }
    const start = steps.length;
    const name = entry.group.name || `group-${groups.length + 1}`;
    const group: FlatGroup = { name, start, end: start + entry.group.steps.length };
    groups.push(group);
    for (const member of entry.group.steps) add(member, group);
  }
  return { steps, groups };
}
