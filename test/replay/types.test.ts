/** src/lang/replay/types.ts kept in step with grammar/schemas/cli-replay-scenario.schema.json (test/support/schema-types.ts). */
import { fileURLToPath } from "node:url";
import { describeTypesInStep } from "../support/schema-types.js";

describeTypesInStep({
  types: fileURLToPath(new URL("../../src/lang/replay/types.ts", import.meta.url)),
  schema: fileURLToPath(new URL("../../grammar/schemas/cli-replay-scenario.schema.json", import.meta.url)),
  root: "Scenario",
  defs: [
    "ScenarioMeta",
    "ScenarioSecurity",
    "ScenarioSession",
    "ScenarioStep",
    "ScenarioMatch",
    "ScenarioRespond",
    "ScenarioCalls",
    "ScenarioGroupEntry",
    "ScenarioGroup",
  ],
});
