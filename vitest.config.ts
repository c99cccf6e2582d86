import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    pool: "forks",
    setupFiles: ["test/setup/fast-check.ts", "test/setup/isolate-home.ts"],
    // Fails the run when a test wrote where rllmc keeps the user's data (stats, caches).
    // redis-server.ts installs redis-server when it is missing (the queue tests start their own).
    globalSetup: [
      "test/setup/real-home-guard.ts",
      "test/setup/checkout-guard.ts",
      "test/setup/redis-server.ts",
    ],
  },
});
