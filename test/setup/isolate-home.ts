/**
 * Tests never write to the developer's own data directory: every run a test makes (in process or
 * through a spawned bin, which inherits this environment) records its stats under a temporary
 * RLLMC_HOME of this test worker. Tests that look at stats set their own RLLMC_HOME.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

process.env.RLLMC_HOME = mkdtempSync(join(tmpdir(), "rllmc-test-home-"));
