/**
 * Data in blocks that could hold commands — YAML manifests, log lines, JSON, PromQL, SQL, table
 * output, REPL input — never becomes a `cli` step or an allowed command: the frontend reads it
 * as data, Stage A shows it (sample output or a "read as data" note), and Stage C refuses any
 * `cli` step or allowed command that is not a program name (RBK6014, RBK6015).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { printMappingMd } from "../../src/backend/mapping-md.js";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";
import type { TsgModule } from "../../src/ir/nodes.js";
import { SourceFile } from "../../src/ir/source-file.js";
import { isProgramName, programNameProblem } from "../../src/lang/runbook/program-name.js";
import { allSteps, type CliStep, type Runbook } from "../../src/lang/runbook/types.js";
import { checkRunbook } from "../../src/passes/runbook/check-runbook.js";
import { compileRunbook } from "../../src/passes/runbook/compile-runbook.js";
import { extractRunbook } from "../../src/passes/runbook/extract-runbook.js";
import { linesOf } from "../../src/passes/runbook/provenance.js";
import { codeBlocks } from "../tsg/helpers.js";

function compile(markdown: string) {
  const source = new SourceFile("tsg.md", markdown);
  const module = parseTsg(source).module as TsgModule;
  const plan = extractRunbook(module, source);
  const steps = [...allSteps(plan.runbook.steps)];
  const cli = steps.filter((s): s is CliStep => s.type === "cli");
  return { source, module, plan, steps, cli, allowed: plan.runbook.meta.governance?.allowed_commands ?? [] };
}

const fenced = (lang: string, body: string) => `# T\n\n## Check\n\n\`\`\`${lang}\n${body}\n\`\`\`\n`;

describe("programNameProblem", () => {
  it.each([
    ["kubectl"],
    ["pg_dump"],
    ["g++"],
    ["7z"],
    ["["],
    ["./bin/get-server-state"],
    ["/opt/gitlab/embedded/bin/consul"],
    ["~/bin/x.sh"],
    ["docker-compose"],
    ["python3.11"],
  ])("should accept %s as a program name", (word) => {
    expect(programNameProblem(word)).toBeUndefined();
  });

  it.each([
    ["spec:", "ends with ':'"],
    ["key:value", "holds ':'"],
    ["8:16", "holds ':'"],
    ['acm_up{job="x"}', "holds '{'"],
    ["graph_builder.go:279]", "holds ':'"],
    ["ERRO[0000]", "holds '['"],
    ["}", "holds '}'"],
    ["--jobs=N", "holds '='"],
    ["-", "is an option"],
    ["--analyze-only", "is an option"],
    ["0.000000000", "is a number"],
    ["26Mi", "is a number"],
    ["2020-07-07T14:51:36Z", "holds ':'"],
    ["2019-06-15", "is a date"],
    ["I0428", "severity and date"],
    ["\u200b", "invisible"],
    ["kübectl", "outside ASCII"],
    ["[sudo]", "holds '['"],
    ["dir/", "is a directory"],
    ["", "is empty"],
  ])("should refuse %j because it %s", (word, problem) => {
    expect(programNameProblem(word)).toContain(problem);
    expect(isProgramName(word)).toBe(false);
  });
});

describe("blocks read as data", () => {
  it.each([
    [
      "a Kubernetes manifest in a console block",
      "console",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - image: nginx:1.27",
      "it parses as a YAML mapping",
    ],
    ["a YAML list in a sh block", "sh", "- name: a\n  image: x\n- name: b", "it parses as a YAML sequence"],
    [
      "three klog lines in a console block",
      "console",
      "I0428 10:01:02.1       1 drain_controller.go:173] node a: initiating drain\nE0428 10:01:03.1       1 drain_controller.go:144] drain failed\nI0428 10:01:04.1       1 graph_builder.go:279] evicting",
      "klog log line",
    ],
    [
      "ISO-timestamped log lines in a bash block",
      "bash",
      '2024-01-02T03:04:05Z level=error msg="oops"\n2024-01-02T03:04:06Z level=info msg="again"',
      "timestamp",
    ],
    ["a PromQL selector in a sh block", "sh", 'acm_thanos_compact_halted{job="thanos"} == 1', "PromQL"],
    ["a PromQL aggregation in a sh block", "sh", "sum by (job) (rate(http_requests_total[5m]))", "PromQL"],
    ["a JSON document in a console block", "console", '{\n  "index": "logs-1",\n  "shard": 3\n}', "JSON"],
    [
      "SQL in a bash block",
      "bash",
      "select name, setting from pg_settings\nwhere name = 'max_connections';",
      "SQL",
    ],
    ["key:value lines in a console block", "console", "key:value\nretries:3", "holds ':'"],
    [
      "an unlabelled klog excerpt",
      "shell",
      "I0428 10:01:02.1 1 x.go:1] a\nW0428 10:01:02.1 1 x.go:2] b",
      "klog",
    ],
  ])("should read %s as data, with a reason, and make no step of it", (_what, lang, body, reason) => {
    const { source, module, cli, allowed, plan } = compile(fenced(lang, body));
    const [block] = codeBlocks(module);
    expect(block!.role).toBe("literal");
    expect(block!.dataReason).toContain(reason);
    expect(cli).toEqual([]);
    expect(allowed).toEqual([]);
    expect(plan.data).toEqual([expect.objectContaining({ wholeBlock: true, reason: block!.dataReason })]);
    expect(printMappingMd(plan, source)).toContain("## Read as data");
  });

  it("should keep a block of commands a block of commands when it has no prompt", () => {
    const { cli, allowed } = compile(
      fenced(
        "console",
        "kubectl get pods -n shop\nkubectl describe pod web-0 -n shop\njournalctl -u kubelet",
      ),
    );
    expect(cli.map((s) => s.with.argv[0])).toEqual(["kubectl", "kubectl", "journalctl"]);
    expect(allowed).toEqual(["journalctl", "kubectl"]);
  });

  it("should attach a lowercase table after a command as its sample output", () => {
    const { cli } = compile(
      fenced(
        "sh",
        "kubectl top pods -A\nNAMESPACE     NAME          CPU   MEMORY\nkube-system   kube-dns-1    3m    44Mi\nkube-system   kube-dns-2    3m    44Mi",
      ),
    );
    expect(cli).toHaveLength(1);
    expect(cli[0]!.sample_output).toContain("kube-dns-2");
  });

  it("should attach a data block after a lead-in as the sample output of the command before", () => {
    const { cli, plan } = compile(
      "# T\n\n## Check\n\n```sh\noc get mcp worker -o yaml\n```\n\nYou get:\n\n```console\nkind: MachineConfigPool\nspec:\n  paused: false\n```\n",
    );
    expect(cli[0]!.sample_output).toBe("kind: MachineConfigPool\nspec:\n  paused: false");
    expect(plan.data[0]).toMatchObject({ sampleOf: cli[0]!.id, wholeBlock: true });
  });

  it("should show JSON after a comment as data, not as the previous command's output", () => {
    const { source, cli, plan } = compile(
      fenced(
        "sh",
        'kubectl get nodes\n# create move.json:\n{\n  "shard": 3\n}\ncurl -X POST -d @move.json http://localhost:9200/_cluster/reroute',
      ),
    );
    expect(cli.map((s) => s.with.argv[0])).toEqual(["kubectl", "curl"]);
    expect(cli[0]!.sample_output).toBeUndefined();
    expect(plan.data.map((note) => linesOf(note.span, source))).toEqual([{ line: 8, endLine: 10 }]);
    expect(plan.data).toEqual([
      expect.objectContaining({
        wholeBlock: false,
        reason: expect.stringContaining("'{'"),
      }),
    ]);
    expect(printMappingMd(plan, source)).toMatch(
      /lines 8–10 \(in a `sh` block\): .*not in the runbook \(listed here only\)\./,
    );
  });

  it("should make a command typed at an interactive program's prompt manual", () => {
    const { steps } = compile(
      fenced("shell", "> CONFIG SET latency-monitor-threshold 100\ngpg/card> admin\n> kubectl get pods"),
    );
    expect(
      steps.filter((s) => s.type !== "group").map((s) => [s.type, s.type === "manual" ? s.reason : ""]),
    ).toEqual([
      ["manual", "it is typed at the `>` prompt of an interactive program, not run by a shell"],
      ["manual", "it is typed at the `gpg/card>` prompt of an interactive program, not run by a shell"],
      ["cli", ""],
    ]);
  });

  it.each([
    ["a placeholder for the program", "$EDITOR issuer.yaml", "the program to run is a placeholder"],
    ["a leading redirection", "< files.txt xargs du -ch | tail -n1", "reads input from a file"],
    ["an assignment of a command's output", 'OUT=$(curl -s "https://x/api")', "command substitution"],
    ["an assignment with odd characters", "NAME=[user|group]%2f[project name]", ""],
  ])("should keep a command with %s a command", (_what, line, reason) => {
    const { steps, plan } = compile(fenced("bash", `kubectl get pods\n${line}`));
    const last = steps.filter((s) => s.type !== "group").at(-1)!;
    expect(last.type).toBe("manual");
    if (last.type === "manual") expect(last.reason).toContain(reason);
    expect(plan.data).toEqual([]);
  });

  it("should read what is typed into a console a command opened as its commands, not data", () => {
    const { steps, plan } = compile(
      fenced(
        "",
        "sudo gitlab-rails console\nproj = Project.find(1)\nproj.pending_delete = true\nproj.save\nexit\ndf -h",
      ),
    );
    expect(steps.filter((s) => s.type !== "group").map((s) => s.type)).toEqual([
      "manual",
      "manual",
      "manual",
      "manual",
      "manual",
      "cli",
    ]);
    expect(plan.data).toEqual([]);
  });

  it("should keep a command whose first line ends in a continuation when it sets variables first", () => {
    const { cli } = compile(
      fenced("bash", "PGHOST=/tmp/ PATH=/opt/bin:$PATH \\\n  /usr/bin/envdir /etc/env wal-e backup-list"),
    );
    expect(cli).toHaveLength(0); // `$PATH` makes it manual; what matters is that it is one step
    const { steps } = compile(
      fenced("bash", "PGHOST=/tmp/ PATH=/opt/bin:$PATH \\\n  /usr/bin/envdir /etc/env wal-e backup-list"),
    );
    expect(steps.filter((s) => s.type !== "group")).toHaveLength(1);
  });
});

describe("Stage C refuses what is not a program", () => {
  const base = (argv: string[], allowed?: string[]): Runbook => ({
    apiVersion: "runbook/v0",
    meta: { name: "t", ...(allowed === undefined ? {} : { governance: { allowed_commands: allowed } }) },
    steps: [{ id: "s", type: "cli", with: { argv } }],
  });
  const codes = (rb: Runbook) =>
    checkRunbook(rb, () => ({ file: "r.yaml", start: 0, end: 0 })).map((d) => [d.code, d.message]);

  it("should refuse a cli step whose argv[0] is not a program name (RBK6014)", () => {
    expect(codes(base(["spec:"]))).toEqual([
      [
        "RBK6014",
        "step 's': argv[0] 'spec:' is not a program name: it ends with ':' (a key or a label, not a program)",
      ],
    ]);
    expect(codes(base(["I0428", "10:01:02"]))[0]![0]).toBe("RBK6014");
  });

  it("should refuse an allowed command that is not a program name (RBK6015)", () => {
    expect(codes(base(["kubectl"], ["kubectl", "graph_builder.go:279]"]))).toEqual([
      [
        "RBK6015",
        "governance.allowed_commands lists 'graph_builder.go:279]', which is not a program name: it holds ':', which no program name does",
      ],
    ]);
  });

  it("should accept program names and paths", () => {
    expect(codes(base(["./bin/x", "-v"], ["./bin/x"]))).toEqual([]);
    expect(codes(base(["[", "-f", "x", "]"]))).toEqual([]);
  });
});

/** Arbitrary blocks of data, each in a language that could hold commands. */
const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const yamlBlock = fc
  .dictionary(word, fc.oneof(word, fc.integer(), fc.dictionary(word, word, { minKeys: 1, maxKeys: 3 })), {
    minKeys: 1,
    maxKeys: 5,
  })
  .map((o) => toYaml(o).trimEnd());
const timestamp = fc
  .record({
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
    s: fc.integer({ min: 0, max: 59 }),
  })
  .map(
    ({ m, d, s }) =>
      `2024-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}T10:00:${String(s).padStart(2, "0")}Z`,
  );
const klog = fc
  .tuple(
    fc.constantFrom("I", "W", "E"),
    fc.integer({ min: 1, max: 9999 }),
    word,
    fc.integer({ min: 1, max: 999 }),
    word,
  )
  .map(
    ([sev, n, file, line, msg]) => `${sev}0428 10:01:02.000001   ${n} ${file}.go:${line}] ${msg} {{ .x }}`,
  );
const logLines = fc.array(
  fc.oneof(
    klog,
    fc.tuple(timestamp, word).map(([t, w]) => `${t} level=info msg=${w}`),
  ),
  {
    minLength: 1,
    maxLength: 5,
  },
);
const promql = fc
  .tuple(word, word, word)
  .map(([metric, label, value]) => `${metric}_total{${label}="${value}"} > 0`);
const json = fc
  .dictionary(word, fc.oneof(word, fc.integer()), { minKeys: 1 })
  .map((o) => JSON.stringify(o, null, 2));
const tableRows = fc
  .array(fc.tuple(word, word, fc.integer({ min: 0, max: 99 })), { minLength: 1, maxLength: 5 })
  .map((rows) => rows.map(([a, b, n]) => `${a}-ns   ${b}-pod   ${n}m   ${n}Mi`));
const dataBody = fc.oneof(
  yamlBlock,
  logLines.map((l) => l.join("\n")),
  promql,
  json,
  tableRows.map((r) => r.join("\n")),
);
const lang = fc.constantFrom("console", "sh", "bash", "shell", "");

describe("properties", () => {
  it("should never make a cli step or an allowed command of generated data blocks", () => {
    fc.assert(
      fc.property(lang, dataBody, (l, body) => {
        const { cli, allowed } = compile(fenced(l, body));
        expect(cli).toEqual([]);
        expect(allowed).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("should give every cli step and allowed command a program name when commands and data mix", async () => {
    const command = fc.constantFrom(
      "kubectl get pods -n shop",
      "journalctl -u kubelet --since today",
      "./bin/get-server-state gprd",
      "df -h",
    );
    const part = fc.oneof(
      command.map((c) => [c]),
      tableRows,
      logLines,
      yamlBlock.map((y) => y.split("\n")),
      promql.map((p) => [p]),
      json.map((j) => j.split("\n")),
    );
    await fc.assert(
      fc.asyncProperty(lang, fc.array(part, { minLength: 1, maxLength: 6 }), async (l, parts) => {
        const markdown = fenced(l, parts.flat().join("\n"));
        const source = new SourceFile("tsg.md", markdown);
        const compiled = await compileRunbook(parseTsg(source).module as TsgModule, source);
        const runbook = compiled.plan!.runbook;
        for (const step of allSteps(runbook.steps))
          if (step.type === "cli") expect(programNameProblem(step.with.argv[0]!)).toBeUndefined();
        for (const entry of runbook.meta.governance?.allowed_commands ?? [])
          expect(isProgramName(entry)).toBe(true);
        expect(compiled.diagnostics.filter((d) => d.code === "RBK6014" || d.code === "RBK6015")).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
