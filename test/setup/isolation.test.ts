/** The test setup keeps tests away from the user's own folders (isolate-home.ts, real-home-guard.ts). */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheDir } from "../../src/driver/app-cache.js";
import { statsFile } from "../../src/runtime/app/stats/location.js";
import { compareSnapshots, guardedLocations, snapshotHome } from "./real-home-guard.js";

describe("the test environment", () => {
  it.each(["HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "RLLMC_HOME"])(
    "should point %s into a temporary folder",
    (name) => {
      expect(process.env[name]).toBeDefined();
      expect(process.env[name]!.startsWith(tmpdir())).toBe(true);
    },
  );

  it("should put the stats and the run cache under the temporary home even when RLLMC_* is stripped", () => {
    const { RLLMC_HOME: _, RLLMC_CACHE_DIR: __, ...stripped } = process.env;
    expect(homedir().startsWith(tmpdir())).toBe(true);
    expect(statsFile(stripped).startsWith(tmpdir())).toBe(true);
    expect(cacheDir(stripped).startsWith(tmpdir())).toBe(true);
  });
});

describe("the real-home guard", () => {
  it("should watch rllmc's data, cache and config folders and those the environment names", () => {
    const locations = guardedLocations({ XDG_DATA_HOME: "/x/data", RLLMC_HOME: "/r" }, "/home/u");
    expect(locations).toEqual(
      expect.arrayContaining([
        "/home/u/.local/share/rllmc",
        "/home/u/.cache/rllmc",
        "/home/u/.config/rllmc",
        "/home/u/.local/state/rllmc",
        "/x/data/rllmc",
        "/r",
      ]),
    );
  });

  it("should report files created, changed and removed, and nothing when nothing changed", () => {
    const home = mkdtempSync(join(tmpdir(), "rllmc-guard-"));
    try {
      const locations = guardedLocations({}, home);
      const data = join(home, ".local", "share", "rllmc");
      mkdirSync(data, { recursive: true });
      writeFileSync(join(data, "stats.sqlite"), "one");
      writeFileSync(join(data, "old"), "x");
      const before = snapshotHome(locations);
      expect(compareSnapshots(before, snapshotHome(locations))).toEqual([]);

      writeFileSync(join(data, "stats.sqlite"), "two!");
      utimesSync(join(data, "stats.sqlite"), new Date(0), new Date(1_000));
      rmSync(join(data, "old"));
      mkdirSync(join(home, ".cache", "rllmc", "apps"), { recursive: true });
      writeFileSync(join(home, ".cache", "rllmc", "apps", "a.mjs"), "");
      const changes = compareSnapshots(before, snapshotHome(locations));
      expect(changes.map((c) => c.replace(home, "~").replace(/ \(.*$/, ""))).toEqual([
        "created  ~/.cache/rllmc",
        "created  ~/.cache/rllmc/apps",
        "created  ~/.cache/rllmc/apps/a.mjs",
        "removed  ~/.local/share/rllmc/old",
        "changed  ~/.local/share/rllmc/stats.sqlite",
      ]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("the checkout guard", () => {
  it("should see a new untracked or ignored file, and not what the build and the runner write", async () => {
    const { spawnSync } = await import("node:child_process");
    const { checkoutEntries } = await import("./checkout-guard.js");
    const repo = mkdtempSync(join(tmpdir(), "rllmc-guard-"));
    const git = (...args: string[]) => spawnSync("git", args, { cwd: repo, encoding: "utf8" });
    git("init", "-q");
    writeFileSync(join(repo, ".gitignore"), ".rllmc/\ndist/\n");
    mkdirSync(join(repo, "dist"));
    writeFileSync(join(repo, "dist", "x.js"), "");
    mkdirSync(join(repo, "goldens", "a"), { recursive: true });
    writeFileSync(join(repo, "goldens", "a", "out.txt.actual"), "");
    const before = checkoutEntries(repo)!;
    mkdirSync(join(repo, ".rllmc"));
    writeFileSync(join(repo, ".rllmc", "cache.json"), "{}");
    writeFileSync(join(repo, "left.txt"), "");
    const after = checkoutEntries(repo)!;
    expect([...after].filter((e) => !before.has(e)).sort()).toEqual(["!! .rllmc/", "?? left.txt"]);
    expect([...after].some((e) => e.includes("dist/") || e.endsWith(".actual"))).toBe(false);
    expect(checkoutEntries(join(repo, "no-such-folder"))).toBeUndefined();
    rmSync(repo, { recursive: true, force: true });
  });
});
