/**
 * `rllmc inspect` on a TSG and a task: the readable summary the README promises (sections,
 * commands and the steps they become, placeholders, literal blocks), `--json` for the same as
 * an object, `--ir` for the IR.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist/src/cli/main.js");

function cli(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const TSG = `---
title: Disk full
owner: storage
---

# Disk full

## Check

\`\`\`bash
$ df -h <mount>
Filesystem      Size  Used Avail Use% Mounted on
/dev/sda1        50G   49G  1.0G  98% /
\`\`\`

Run: \`du -sh /var/log -d 1\`

### Look closer

\`\`\`bash
du -a /var | sort -n | tail
\`\`\`

## Fix

\`\`\`yaml
retention: 7d
\`\`\`

1. Restart the service:

   \`\`\`bash
   systemctl restart $SERVICE
   \`\`\`
`;

function tsgFile(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "rllmc-inspect-"));
  const path = join(dir, "disk-full.md");
  writeFileSync(path, TSG);
  return { dir, path };
}

interface Section {
  title: string;
  depth: number;
  line: number;
  commands: {
    line: number;
    text: string;
    origin: string;
    step: string | null;
    manual_reason?: string;
    approval_reason?: string;
  }[];
  literal_blocks: { line: number; lang: string }[];
  children: Section[];
}

describe("inspect a TSG", () => {
  it("should print the sections with line numbers, each command and the step it becomes, and the placeholders", () => {
    const { dir } = tsgFile();
    const result = cli(["inspect", "disk-full.md"], dir);
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out.split("\n")[0]).toBe("Disk full");
    expect(out).toContain("  frontmatter: title, owner");
    expect(out).toMatch(/\n {2}L6 +# Disk full\n/);
    expect(out).toMatch(/\n {2}L8 +## Check\n/);
    expect(out).toMatch(/\n {2}L18 +### Look closer\n/);
    expect(out).toMatch(/L11 +cli +df -h <mount>\n/);
    expect(out).toMatch(/L16 +cli +du -sh \/var\/log -d 1 {2}\(Run: line\)\n/);
    expect(out).toMatch(/L21 +manual +du -a \/var \| sort -n \| tail\n +manual: .+\n/);
    expect(out).toMatch(/L26 +literal +yaml block, 1 line\n/);
    expect(out).toMatch(/L33 +cli\+approval +systemctl restart \$SERVICE\n +approval: .+\n/);
    expect(out).toMatch(/\n {2}<mount> +→ mount {2}\(line 11\)\n/);
    expect(out).toMatch(/\n {2}\$SERVICE +→ SERVICE {2}\(line 33\)\n/);
    expect(out).toContain("Commands: 4 (3 cli, 1 manual; 1 needs an approval)");
    expect(out).toContain("Code blocks: 3 shell (2 lines of sample output), 1 literal");
    expect(out).not.toContain('"kind"'); // not the IR
  });

  it("should give the same summary as an object with --json, beside the IR", () => {
    const { path } = tsgFile();
    const result = cli(["inspect", "--json", path]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      kind: string;
      tsg: { title: string; sections: Section[]; placeholders: unknown[]; totals: Record<string, number> };
      module: { kind: string };
      diagnostics: unknown[];
    };
    expect(json.kind).toBe("tsg");
    expect(json.module.kind).toBe("tsg");
    const [top] = json.tsg.sections;
    expect(top).toMatchObject({ title: "Disk full", depth: 1, line: 6 });
    const [check, fix] = top!.children;
    expect(check!.commands.map((c) => [c.line, c.origin, c.step])).toEqual([
      [11, "code-block", "cli"],
      [16, "run-line", "cli"],
    ]);
    expect(check!.children[0]!.commands[0]).toMatchObject({ line: 21, step: "manual" });
    expect(check!.children[0]!.commands[0]!.manual_reason).toBeTruthy();
    expect(fix!.literal_blocks).toEqual([{ line: 26, lang: "yaml", lines: 1 }]);
    expect(fix!.commands[0]).toMatchObject({ line: 33, step: "cli", text: "systemctl restart $SERVICE" });
    expect(fix!.commands[0]!.approval_reason).toBeTruthy();
    expect(json.tsg.placeholders).toEqual([
      { written: "<mount>", syntax: "angle", variable: "mount", lines: [11] },
      { written: "$SERVICE", syntax: "dollar", variable: "SERVICE", lines: [33] },
    ]);
    expect(json.tsg.totals).toMatchObject({ sections: 4, commands: 4, cli: 3, manual: 1, approvals: 1 });
  });

  it("should print the IR as JSON with --ir", () => {
    const { path } = tsgFile();
    const result = cli(["inspect", "--ir", path]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: "tsg", title: "Disk full" });
  });

  it("should summarise the bundled example as the README shows", () => {
    const result = cli(["inspect", "examples/pod-crashloop.md"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("## Diagnosis");
    expect(result.stdout).toMatch(
      /cli\+approval +kubectl rollout undo deployment\/<deployment> -n <namespace>/,
    );
    expect(result.stdout).toMatch(/<pod-name> +→ pod_name/);
  });
});

describe("inspect a task", () => {
  it("should list the prompt's placeholders, context, outputs and guarantees", () => {
    const result = cli(["inspect", "examples/generate-openapi.task.md"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Generate the OpenAPI explorer\n/);
    expect(result.stdout).toMatch(/Prompt \(line \d+\): placeholders \{SERVICE\}/);
    expect(result.stdout).toMatch(/\nContext\n {2}L\d+ \/workspace\/context\/README\.md/);
    expect(result.stdout).toMatch(/\nOutputs\n {2}L\d+ docs\/index\.html\n/);
    expect(result.stdout).toContain("  - OpenAPI 3.1\n");
    const json = JSON.parse(cli(["inspect", "--json", "examples/generate-openapi.task.md"]).stdout);
    expect(json.task).toMatchObject({ block: "fenced-yaml", outputs: [{ path: "docs/index.html" }, {}] });
  });
});
