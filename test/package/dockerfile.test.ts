/**
 * The container image's Dockerfile, read statically (docs/container.md): this machine and CI have
 * no Docker daemon, so the invariants the image promises are checked on the file itself —
 * multi-stage on Node 24, a non-root numeric user, `rllmc task run` as the entrypoint, the roots'
 * defaults, production dependencies installed without scripts in their own stage, nothing
 * installed by npm in the final one, and a build context (`.dockerignore`) that holds what the
 * build copies.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  files: string[];
  bin: Record<string, string>;
};

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Instructions with `\` continuations joined and comments left out, grouped by `FROM`. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    if (/^\s*#/.test(raw)) continue;
    const joined = `${pending}${raw}`;
    if (/\\\s*$/.test(joined)) {
      pending = `${joined.replace(/\\\s*$/, "")} `;
      continue;
    }
    pending = "";
    if (joined.trim() !== "") lines.push(joined.trim().replace(/\s+/g, " "));
  }
  const args = new Map<string, string>();
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const line of lines) {
    const [keyword = "", ...rest] = line.split(" ");
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    if (instruction.keyword === "FROM") {
      const [image = "", as, name] = rest;
      stages.push({ from: image, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === "ARG") {
      const [name = "", value = ""] = instruction.args.split("=");
      args.set(name, value);
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const final = dockerfile.stages.at(-1) as Stage;
const image = (stage: Stage) =>
  stage.from.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => dockerfile.args.get(name) ?? "");
const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
const stage = (name: string) => dockerfile.stages.find((s) => s.name === name);

describe("Dockerfile", () => {
  it("should be multi-stage, every stage on Node 24", () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of dockerfile.stages) expect(image(s)).toMatch(/^node:24(?:[.-]|$)/);
  });

  it("should run the final stage as a non-root numeric user", () => {
    const users = final.instructions.filter((i) => i.keyword === "USER").map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const [user = "", group = ""] = (users.at(-1) as string).split(":");
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
    if (group !== "") expect(Number(group)).toBeGreaterThan(0);
  });

  it("should have 'rllmc task run' as its entrypoint, through the package's bin", () => {
    const entrypoints = final.instructions.filter((i) => i.keyword === "ENTRYPOINT");
    expect(entrypoints).toHaveLength(1);
    const argv = JSON.parse(entrypoints[0]?.args ?? "") as string[];
    expect(argv).toEqual(["node", `/app/${PKG.bin.rllmc}`, "task", "run"]);
  });

  it("should default the roots to the documented mounts", () => {
    const env = final.instructions
      .filter((i) => i.keyword === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toMatch(/\bREPO_ROOT=\/workspace\/repo\b/);
    expect(env).toMatch(/\bCONTEXT_ROOT=\/workspace\/context\b/);
  });

  it("should install nothing with a package manager in the final stage", () => {
    const programs = runs(final)
      .flatMap((run) => run.split(/&&|\|\||;|\|/))
      .map((command) => command.trim().split(" ")[0]);
    for (const program of programs) expect(["npm", "npx", "yarn", "pnpm", "corepack"]).not.toContain(program);
    // …and take npm out, so nothing can be installed when the container runs.
    expect(runs(final).join(" ")).toMatch(/rm -rf [^&]*\/usr\/local\/lib\/node_modules/);
  });

  it("should install the production dependencies from the lockfile, without scripts, in a stage of their own", () => {
    const deps = stage("deps");
    expect(deps).toBeDefined();
    const install = runs(deps as Stage).join(" ");
    expect(install).toMatch(/\bnpm ci\b/);
    expect(install).toMatch(/--omit=dev\b/);
    expect(install).toMatch(/--ignore-scripts\b/);
    const copies = final.instructions.filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copies).toContain("--from=deps /app/node_modules /app/node_modules");
  });

  it("should ship exactly what npm pack ships, built in the build stage", () => {
    const build = stage("build") as Stage;
    expect(runs(build).join(" ")).toMatch(/\bnpm pack --ignore-scripts\b/);
    const copied = build.instructions
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(" ").slice(0, -1));
    // Every top folder the package ships is copied in, or made by the build (dist).
    for (const entry of PKG.files.filter((f) => !f.startsWith("!"))) {
      const top = entry.split("/")[0] as string;
      if (top !== "dist") expect(copied, `package.json files: ${entry}`).toContain(top);
    }
    const copies = final.instructions.filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copies).toContain("--from=build /package /app");
  });

  it("should have a .dockerignore that lets in every file the build copies and nothing else", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    expect(ignore[0]).toBe("*");
    const allowed = new Set(
      ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/$/, "")),
    );
    const sources = dockerfile.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(" ").slice(0, -1));
    for (const source of sources) expect(allowed, `.dockerignore lets in ${source}`).toContain(source);
  });
});
