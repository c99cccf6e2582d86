import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sourceFromText } from "../../src/frontend/read-source.js";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";
import { codeBlocks, commands, paragraphs } from "./helpers.js";

/** The shared corpus of real TSGs (the repository is at /work/main, the corpus in /work/shared). */
const CORPUS = fileURLToPath(new URL("../../../shared/corpus/tsg", import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".md"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function parseCorpusFile(path: string) {
  const text = readFileSync(join(CORPUS, path), "utf8");
  const result = parseTsg(sourceFromText(path, text));
  const slice = (s: { start: number; end: number }) => text.slice(s.start, s.end);
  return { text, slice, ...result };
}

describe("the TSG corpus", () => {
  const files = markdownFiles(CORPUS).map((f) => relative(CORPUS, f));

  it("should hold the corpus of real guides when the shared folder is present", () => {
    expect(files.length).toBeGreaterThan(500);
  });

  it("should parse every guide without throwing or reporting an error when read as a TSG", () => {
    const failures: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(CORPUS, file), "utf8");
      const { module, diagnostics } = parseTsg(sourceFromText(file, text));
      for (const d of diagnostics)
        if (d.severity === "error" || d.code === "TSG3005") failures.push(`${file}: ${d.code} ${d.message}`);
      for (const block of codeBlocks(module)) {
        for (const line of block.lines) {
          if (line.span.start < 0 || line.span.end > text.length || line.span.start > line.span.end) {
            failures.push(`${file}: span out of range`);
          }
          if (line.kind !== "command") continue;
          for (const p of line.placeholders) {
            const written = text.slice(p.span.start, p.span.end);
            if (!written.includes(p.name)) failures.push(`${file}: placeholder ${p.name} spans '${written}'`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("should start every command's span at its prompt, or at its first character when it has none", () => {
    const failures: string[] = [];
    let prompted = 0;
    for (const file of files) {
      const { module, text } = parseCorpusFile(file);
      const all = [...commands(module), ...paragraphs(module).flatMap((p) => p.commands)];
      for (const c of all) {
        const at = text.slice(c.span.start, c.span.start + 40).split("\n")[0];
        if (c.prompt !== undefined) {
          prompted++;
          if (!text.startsWith(c.prompt, c.span.start))
            failures.push(`${file}: prompt '${c.prompt}' at '${at}'`);
        } else if (/^\s/.test(text.charAt(c.span.start)) || c.span.start >= text.length) {
          failures.push(`${file}: '${c.text.slice(0, 30)}' starts at a blank: '${at}'`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(prompted).toBeGreaterThan(400);
  });

  it("should extract the prompted kubectl commands of a prometheus-operator runbook", () => {
    const { module, slice } = parseCorpusFile("prometheus-operator/node/NodeFilesystemSpaceFillingUp.md");
    expect(module.title).toBe("NodeFilesystemSpaceFillingUp");
    const found = commands(module).map((c) => [c.prompt, c.text]);
    expect(found.slice(0, 3)).toEqual([
      ["$", "NODE_NAME=<instance label from alert>"],
      ["$", "kubectl -n default debug node/$NODE_NAME"],
      ["$", "chroot /host"],
    ]);
    const debug = commands(module)[1]!;
    expect(debug.placeholders.map((p) => [p.syntax, slice(p.span)])).toEqual([["dollar", "$NODE_NAME"]]);
  });

  it("should keep a runbook's Go template literal when a kubectl command uses one", () => {
    const { module } = parseCorpusFile("prometheus-operator/etcd/etcdMembersDown.md");
    const template = commands(module).find((c) => c.text.includes("--template="))!;
    expect(template.prompt).toBe("$");
    expect(template.placeholders).toEqual([]);
    expect(template.literalTemplates.length).toBeGreaterThanOrEqual(8);
  });

  it("should read inline commands of a runbook's diagnosis list", () => {
    const { module } = parseCorpusFile("prometheus-operator/kubernetes/KubePodCrashLooping.md");
    const inline = paragraphs(module).flatMap((p) => p.commands.map((c) => c.text));
    expect(inline).toEqual([
      "kubectl -n $NAMESPACE get pod $POD",
      "kubectl -n $NAMESPACE describe pod $POD",
      "kubectl -n $NAMESPACE logs $POD -c $CONTAINER",
    ]);
  });

  it("should keep a gitlab runbook's heredoc whole with its body", () => {
    const { module, slice } = parseCorpusFile("gitlab/patroni/pg_repack.md");
    const heredoc = commands(module).find((c) => c.heredocs.length > 0)!;
    expect(heredoc.heredocs).toEqual(["EOF"]);
    expect(
      heredoc.text.startsWith(
        "cat > /var/opt/gitlab/postgresql/gitlab-pgrepack/config/gitlab-repack.yml <<EOF\ngeneral:\n",
      ),
    ).toBe(true);
    expect(heredoc.text.endsWith("\n  base_url: https://dashboards.gitlab.net\nEOF")).toBe(true);
    expect(slice(heredoc.span)).toBe(heredoc.text);
  });

  it("should split an interactive kubectl exec session of a gitlab runbook", () => {
    const { module } = parseCorpusFile("gitlab/kube/k8s-oncall-setup.md");
    const exec = commands(module).find((c) => c.text.startsWith("kubectl exec -it"))!;
    expect(exec).toMatchObject({ prompt: "$", text: "kubectl exec -it <pod_name> -- sh" });
    expect(exec.placeholders.map((p) => p.name)).toEqual(["pod_name"]);
  });

  it("should read a root prompt after sudo su in a gitlab runbook", () => {
    const { module } = parseCorpusFile("gitlab/registry/gitlab-registry.md");
    const found = commands(module).map((c) => [c.prompt, c.text.slice(0, 22)]);
    expect(found.slice(0, 3)).toEqual([
      ["$", "sudo su -"],
      ["#", "cd /var/log"],
      ["#", "grep ' 500 ' haproxy.l"],
    ]);
  });
});
