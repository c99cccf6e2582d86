// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell text, where ${VAR} is what is being tested
import { describe, expect, it } from "vitest";
import { block, paragraphs, tsg } from "./helpers.js";

/** The placeholders of the first command of a `sh` block holding `line`, as [syntax, name, source text]. */
function placeholdersOf(line: string) {
  const { commands, slice } = block(line);
  return commands[0]!.placeholders.map((p) => [p.syntax, p.name, slice(p.span)]);
}

describe("placeholders", () => {
  it.each([
    ["an angle placeholder", "kubectl -n <namespace> get pod", [["angle", "namespace", "<namespace>"]]],
    [
      "an upper-case angle placeholder",
      "kill -TTIN <SIDEKIQ_PID>",
      [["angle", "SIDEKIQ_PID", "<SIDEKIQ_PID>"]],
    ],
    [
      "an angle placeholder with spaces",
      "NODE=<instance label from alert>",
      [["angle", "instance label from alert", "<instance label from alert>"]],
    ],
    [
      "a quoted angle placeholder",
      "NS='<value of namespace label>'",
      [["angle", "value of namespace label", "<value of namespace label>"]],
    ],
    ["a dollar variable", "kubectl get node $NODE -o yaml", [["dollar", "NODE", "$NODE"]]],
    [
      "a braced variable",
      "curl http://${PUSH_GATEWAY}:9091",
      [["dollar-brace", "PUSH_GATEWAY", "${PUSH_GATEWAY}"]],
    ],
    ["a braced variable with a default", "echo ${NS:-default}", [["dollar-brace", "NS", "${NS:-default}"]]],
    ["a braced variable with a nested default", "echo ${A:-${B}}", [["dollar-brace", "A", "${A:-${B}}"]]],
    ["a brace placeholder", "sudo mv /etc/chef /etc/chef.{reason}", [["brace", "reason", "{reason}"]]],
    [
      "a snake-case brace placeholder",
      "gsutil ls gs://{bucket_name}/",
      [["brace", "bucket_name", "{bucket_name}"]],
    ],
    [
      "a dollar variable in double quotes",
      'oc debug "node/$NODE_NAME"',
      [["dollar", "NODE_NAME", "$NODE_NAME"]],
    ],
  ])("should find %s with its exact span", (_what, line, expected) => {
    expect(placeholdersOf(line)).toEqual(expected);
  });

  it("should report every occurrence when a placeholder repeats", () => {
    const found = placeholdersOf("kubectl -n <ns> delete pod $(kubectl -n <ns> get pod -o name) $X $X");
    expect(found).toEqual([
      ["angle", "ns", "<ns>"],
      ["angle", "ns", "<ns>"],
      ["dollar", "X", "$X"],
      ["dollar", "X", "$X"],
    ]);
  });

  it.each([
    ["an input redirection", "sort < file.txt > out.txt"],
    ["an input redirection without a space", "cmd <in.txt >out.txt"],
    ["2>&1", "make build 2>&1 | tee log"],
    ["process substitution", "diff <(ls a) <(ls b)"],
    ["a positional parameter", "awk '{print $1}' file; echo $1 $2"],
    ["special parameters", "echo $? $$ $# $@ $! $*"],
    ["command substitution", "echo $(date +%s)"],
    ["arithmetic", "echo $((1 + 2))"],
    ["a single-quoted dollar", "awk '{ print $NF }' f"],
    ["an escaped dollar", 'knife ssh x "kill \\$pid"'],
    ["a length expansion", "echo ${#ARR}"],
    ["curl's format braces", "curl -w '%{http_code}' http://x"],
    ["Ruby interpolation", 'puts "#{p.path}"'],
    ["find's {}", "find . -exec rm {} \\;"],
    ["brace expansion", "mkdir /mnt/file-{09..20} && cp a.{txt,bak}"],
    ["JSON", `curl -d '{"type": "gem"}' http://x`],
    ["a comment", "ls # then <pod> and $X"],
  ])("should not find a placeholder in %s", (_what, line) => {
    expect(placeholdersOf(line)).toEqual([]);
  });

  it("should not find a placeholder in a heredoc body when the delimiter is quoted", () => {
    const { commands } = block("cat <<'EOF'\necho $HOME\nEOF");
    expect(commands[0]!.placeholders).toEqual([]);
  });

  it("should find placeholders in a heredoc body when the delimiter is not quoted", () => {
    const { commands, slice } = block("cat <<EOF\nhost: ${HOST}\nname: <name>\nEOF");
    expect(commands[0]!.placeholders.map((p) => slice(p.span))).toEqual(["${HOST}", "<name>"]);
  });

  it("should keep Go templates literally and record their spans when a command has them", () => {
    const line =
      "kubectl get pods -o go-template='{{range .items}}{{.metadata.name}}{{\"\\n\"}}{{end}}' -n $NS";
    const { commands, slice } = block(line);
    const command = commands[0]!;
    expect(command.text).toBe(line);
    expect(command.literalTemplates.map(slice)).toEqual([
      "{{range .items}}",
      "{{.metadata.name}}",
      '{{"\\n"}}',
      "{{end}}",
    ]);
    expect(command.placeholders.map((p) => slice(p.span))).toEqual(["$NS"]);
  });

  it("should find no placeholder inside a Go template when it uses $ variables and angle text", () => {
    const { commands } = block(
      "kubectl get nodes -o template --template='{{range $k, $v := .metadata.annotations}}{{\"===> node:> \"}}{{end}}'",
    );
    expect(commands[0]!.placeholders).toEqual([]);
    expect(commands[0]!.literalTemplates).toHaveLength(3);
  });

  it("should map placeholder spans into the source when a command is joined from continued lines", () => {
    const { commands, slice } = block("$ kubectl -n <ns> \\\n    get pod <pod> \\\n    -o $FORMAT");
    expect(commands[0]!.text).toBe("kubectl -n <ns> get pod <pod> -o $FORMAT");
    expect(commands[0]!.placeholders.map((p) => slice(p.span))).toEqual(["<ns>", "<pod>", "$FORMAT"]);
  });

  it("should map placeholder spans into the source when the block is indented in a list", () => {
    const { module, slice } = tsg(
      "# T\n\n1. Step\n\n   ```sh\n   kubectl -n <ns> get pods \\\n     -l app=$APP\n   ```\n",
    );
    const block = module.sections[0]!.blocks[0]!;
    expect(block.kind).toBe("list");
    const code = block.kind === "list" ? block.items[0]!.blocks[1]! : undefined;
    const command = code?.kind === "code" ? code.lines[0] : undefined;
    expect(command?.kind === "command" ? command.placeholders.map((p) => slice(p.span)) : []).toEqual([
      "<ns>",
      "$APP",
    ]);
  });

  it("should find placeholders in inline commands with spans inside the backticks", () => {
    const { module, slice } = tsg("Check via `kubectl -n $NAMESPACE describe pod <pod>`.\n");
    const command = paragraphs(module)[0]!.commands[0]!;
    expect(command.placeholders.map((p) => [p.syntax, slice(p.span)])).toEqual([
      ["dollar", "$NAMESPACE"],
      ["angle", "<pod>"],
    ]);
  });
});
