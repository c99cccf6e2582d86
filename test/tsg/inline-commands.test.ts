import { describe, expect, it } from "vitest";
import { paragraphs, tsg } from "./helpers.js";

function inline(markdown: string) {
  const result = tsg(markdown);
  const commands = paragraphs(result.module).flatMap((p) => p.commands);
  return { ...result, commands, shape: commands.map((c) => [c.origin, c.text]) };
}

describe("inline commands", () => {
  it.each([
    ["Run:", "Run: `kubectl get pods -A`"],
    ["Run the following:", "Run the following: `kubectl get pods -A`"],
    ["Execute:", "Execute: `kubectl get pods -A`"],
    ["Execute this command:", "1. Execute this command: `kubectl get pods -A`"],
    ["a bold Run:", "**Run:** `kubectl get pods -A`"],
    ["Command: after a sentence", "Drain the node. Command: `kubectl get pods -A`"],
    ["Run: on a later line of a paragraph", "First check the node.\nRun: `kubectl get pods -A`"],
  ])("should read a run line when it is written %s", (_what, markdown) => {
    expect(inline(markdown).shape).toEqual([["run-line", "kubectl get pods -A"]]);
  });

  it("should read a run line's command even when its first word is not a known tool", () => {
    expect(inline("1. Run this command: `Project.find(<project_id>)&.disk_path`").shape).toEqual([
      ["run-line", "Project.find(<project_id>)&.disk_path"],
    ]);
  });

  it("should read the rest of the line as the command when a run line has no backticks", () => {
    const { commands, slice } = inline("To fix it:\nRun: sudo systemctl restart kubelet\nThen wait.");
    expect(commands.map((c) => [c.origin, c.text])).toEqual([["run-line", "sudo systemctl restart kubelet"]]);
    expect(slice(commands[0]!.span)).toBe("sudo systemctl restart kubelet");
  });

  it.each([
    ["Run: followed by prose", "Run: the steps below in order."],
    ["Run the commands: with nothing after", "Run the commands:"],
  ])("should find no command when %s", (_what, markdown) => {
    expect(inline(markdown).commands).toEqual([]);
  });

  it("should read inline code as a command when its first word is a known tool with an argument", () => {
    const { commands, slice } = inline(
      "Check template via `kubectl -n $NAMESPACE get pod $POD`, then `helm ls`.",
    );
    expect(commands.map((c) => [c.origin, c.text])).toEqual([
      ["inline-code", "kubectl -n $NAMESPACE get pod $POD"],
      ["inline-code", "helm ls"],
    ]);
    expect(slice(commands[0]!.span)).toBe("kubectl -n $NAMESPACE get pod $POD");
  });

  it.each([
    ["a bare tool name", "Use `kubectl` here."],
    ["an unknown first word", "Set `max_connections 100` there."],
    ["a file name", "Edit `config.toml` first."],
    ["a metric", 'Watch `node_filesystem_free_bytes{mountpoint="/"}`.'],
  ])("should not read inline code as a command when it is %s", (_what, markdown) => {
    expect(inline(markdown).commands).toEqual([]);
  });

  it("should strip a $ prompt from inline code and record it", () => {
    const { commands, slice } = inline("Try `$ kubectl get nodes`.");
    expect(commands.map((c) => [c.prompt, c.text])).toEqual([["$", "kubectl get nodes"]]);
    expect(slice(commands[0]!.span)).toBe("$ kubectl get nodes");
  });

  it("should point the span inside the backticks when the code span is padded", () => {
    const { commands, slice } = inline("Run `` git log --format='`%h`' ``");
    expect(commands[0]!.text).toBe("git log --format='`%h`'");
    expect(slice(commands[0]!.span)).toBe("git log --format='`%h`'");
  });

  it("should join a wrapped code span with one space when inline code spans two lines", () => {
    const { commands, slice } = inline("- Run `gcloud compute ssh\n  my-node --zone <zone>` now");
    expect(commands[0]!.text).toBe("gcloud compute ssh my-node --zone <zone>");
    expect(commands[0]!.placeholders.map((p) => slice(p.span))).toEqual(["<zone>"]);
  });

  it("should keep the inline code of a paragraph with value and span when it is not a command", () => {
    const { module, slice } = tsg("The `mountpoint` label and `kubectl`.");
    const p = paragraphs(module)[0]!;
    expect(p.inlineCode.map((c) => [c.value, slice(c.span)])).toEqual([
      ["mountpoint", "mountpoint"],
      ["kubectl", "kubectl"],
    ]);
    expect(p.text).toBe("The mountpoint label and kubectl.");
  });
});
