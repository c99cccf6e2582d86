import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    pool: "forks",
    setupFiles: ["test/setup/fast-check.ts", "test/setup/isolate-home.ts"],
    // Fails the run when a test wrote where rllmc keeps the user's data (stats, caches).
    globalSetup: ["test/setup/real-home-guard.ts", "test/setup/checkout-guard.ts"],
  },
});
