import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "grammar/**/*.test.ts"],
    testTimeout: 30_000,
    pool: "forks",
    setupFiles: ["test/setup/fast-check.ts", "test/setup/isolate-home.ts"],
  },
});
