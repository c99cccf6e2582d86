// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell text, where ${VAR} is what is being tested
/**
 * Tests of splitCommand (src/passes/runbook/split-command.ts): a TSG command line becomes a
 * templated argument vector, or a reason it needs a shell. Inputs are real command lines, parsed
 * from small Markdown guides with the TSG frontend.
 */
import { describe, expect, it } from "vitest";
import { parseTsg } from "../../src/frontend/tsg/parse-tsg.js";
import { SourceFile } from "../../src/ir/source-file.js";
import { evaluate, parseTemplate, type TemplateValue } from "../../src/lang/template/index.js";
import { literalAction, splitCommand, varName } from "../../src/passes/runbook/split-command.js";
import { commands } from "../tsg/helpers.js";

/** Splits the one command of a `sh` block holding `body`. */
function split(body: string, isSecret?: (name: string) => boolean) {
  const source = new SourceFile("guide.md", `# Guide\n\n\`\`\`sh\n${body}\n\`\`\`\n`);
  const { module } = parseTsg(source);
  const found = commands(module);
  expect(found).toHaveLength(1);
  return splitCommand(found[0]!, source, isSecret);
}

/** Renders one templated argv element against `data`, expecting no errors. */
function render(element: string, data: TemplateValue = {}): string | undefined {
  const parsed = parseTemplate(element);
  expect(parsed.errors).toEqual([]);
  const result = evaluate(parsed.template!, data);
  expect(result.errors).toEqual([]);
  return result.value;
}

describe("splitCommand", () => {
  describe("plain commands", () => {
    it("should split words by shell quoting when the command has quotes", () => {
      const result = split(`kubectl get pod "my pod" -o 'custom-columns=NAME:.metadata.name'`);
      expect(result).toEqual({
        argv: ["kubectl", "get", "pod", "my pod", "-o", "custom-columns=NAME:.metadata.name"],
        shellReason: undefined,
        templated: `kubectl get pod "my pod" -o 'custom-columns=NAME:.metadata.name'`,
        vars: [],
        words: ["kubectl", "get", "pod", "my pod", "-o", "custom-columns=NAME:.metadata.name"],
        literalTemplates: false,
        secrets: [],
      });
    });

    it("should keep a URL's query string as one word when it has '?'", () => {
      const result = split("curl -s https://gitlab.example.com/api/v4/projects?per_page=100");
      expect(result.shellReason).toBeUndefined();
      expect(result.argv).toEqual(["curl", "-s", "https://gitlab.example.com/api/v4/projects?per_page=100"]);
    });
  });

  describe("placeholders", () => {
    it.each<[string, string, string[], { name: string; raw: string }[]]>([
      [
        "an angle placeholder",
        "kubectl logs <pod-name>",
        ["kubectl", "logs", "{{ .pod_name }}"],
        [{ name: "pod_name", raw: "<pod-name>" }],
      ],
      [
        "a dollar variable",
        "kubectl -n $NS get pods",
        ["kubectl", "-n", "{{ .NS }}", "get", "pods"],
        [{ name: "NS", raw: "$NS" }],
      ],
      [
        "a braced variable",
        "kubectl -n ${NS} get pods",
        ["kubectl", "-n", "{{ .NS }}", "get", "pods"],
        [{ name: "NS", raw: "${NS}" }],
      ],
      [
        "a brace placeholder",
        "kubectl -n {NS} get pods",
        ["kubectl", "-n", "{{ .NS }}", "get", "pods"],
        [{ name: "NS", raw: "{NS}" }],
      ],
      [
        "a placeholder inside a larger word",
        "kubectl get pods --namespace=$NS",
        ["kubectl", "get", "pods", "--namespace={{ .NS }}"],
        [{ name: "NS", raw: "$NS" }],
      ],
      [
        "a placeholder inside double quotes",
        'oc debug "node/$NODE_NAME"',
        ["oc", "debug", "node/{{ .NODE_NAME }}"],
        [{ name: "NODE_NAME", raw: "$NODE_NAME" }],
      ],
    ])("should template %s", (_what, line, argv, vars) => {
      const result = split(line);
      expect(result.shellReason).toBeUndefined();
      expect(result.argv).toEqual(argv);
      expect(result.vars).toEqual(vars);
    });

    it("should write placeholders as template actions in the templated text", () => {
      expect(split("kubectl -n <namespace> logs <pod-name>").templated).toBe(
        "kubectl -n {{ .namespace }} logs {{ .pod_name }}",
      );
    });

    it("should list variables once each, in order of first use, when placeholders repeat", () => {
      const result = split("kubectl -n $NS logs <pod> -c $CONTAINER --namespace $NS");
      expect(result.vars).toEqual([
        { name: "NS", raw: "$NS" },
        { name: "pod", raw: "<pod>" },
        { name: "CONTAINER", raw: "$CONTAINER" },
      ]);
      expect(result.argv).toEqual([
        "kubectl",
        "-n",
        "{{ .NS }}",
        "logs",
        "{{ .pod }}",
        "-c",
        "{{ .CONTAINER }}",
        "--namespace",
        "{{ .NS }}",
      ]);
    });

    it("should list variables in order of first use when a longer placeholder comes later", () => {
      const result = split("kubectl logs <pod> -n <namespace-of-the-pod>");
      expect(result.vars.map((v) => v.name)).toEqual(["pod", "namespace_of_the_pod"]);
    });

    it("should give back the command's words when its argv is rendered with values", () => {
      const result = split("kubectl -n <namespace> logs <pod-name> --tail=$LINES");
      const data = { namespace: "prod", pod_name: "web-1", LINES: "100" };
      expect(result.argv!.map((element) => render(element, data))).toEqual([
        "kubectl",
        "-n",
        "prod",
        "logs",
        "web-1",
        "--tail=100",
      ]);
    });
  });

  describe("Go templates", () => {
    const line = "kubectl get pods -o go-template='{{range .items}}{{.metadata.name}}{{end}}'";
    const word = "go-template={{`{{range .items}}{{.metadata.name}}{{end}}`}}";

    it("should make adjacent Go templates one literal action inside the word", () => {
      const result = split(line);
      expect(result.shellReason).toBeUndefined();
      expect(result.literalTemplates).toBe(true);
      expect(result.vars).toEqual([]);
      expect(result.argv).toEqual(["kubectl", "get", "pods", "-o", word]);
      expect(result.templated).toBe(
        `kubectl get pods -o go-template='{{\`{{range .items}}{{.metadata.name}}{{end}}\`}}'`,
      );
    });

    it("should give an argv element that parses to one action and prints the original text", () => {
      const element = split(line).argv![4]!;
      const parsed = parseTemplate(element);
      expect(parsed.errors).toEqual([]);
      expect(parsed.template!.parts.map((p) => p.kind)).toEqual(["text", "action"]);
      expect(render(element)).toBe("go-template={{range .items}}{{.metadata.name}}{{end}}");
    });

    it("should keep a Go template with spaces in one word", () => {
      const result = split("kubectl get pod web-1 -o go-template='{{ .status.phase }}'");
      expect(result.argv).toEqual([
        "kubectl",
        "get",
        "pod",
        "web-1",
        "-o",
        "go-template={{`{{ .status.phase }}`}}",
      ]);
      expect(render(result.argv![5]!)).toBe("go-template={{ .status.phase }}");
    });

    it("should template placeholders and keep Go templates literal when a command has both", () => {
      const result = split("kubectl -n <namespace> get pods -o go-template='{{.metadata.name}}'");
      expect(result.vars).toEqual([{ name: "namespace", raw: "<namespace>" }]);
      expect(result.argv!.map((element) => render(element, { namespace: "prod" }))).toEqual([
        "kubectl",
        "-n",
        "prod",
        "get",
        "pods",
        "-o",
        "go-template={{.metadata.name}}",
      ]);
    });
  });

  describe("commands that need a shell", () => {
    it.each<[string, string, string]>([
      ["a pipe", "kubectl get pods | grep web", "it pipes one command into another"],
      ["a redirect", "kubectl get pods > pods.txt", "it redirects output to a file"],
      ["'&&'", "kubectl get pods && kubectl get nodes", "it chains commands with '&&'"],
      ["';'", "kubectl get pods; kubectl get nodes", "it runs several commands in a row"],
      ["$(…)", "kubectl delete pod $(kubectl get pods -o name)", "it uses command substitution"],
      ["backticks", "kubectl delete pod `kubectl get pods -o name`", "it uses command substitution"],
      ["a heredoc", "kubectl apply -f - <<EOF\nkind: Pod\nEOF", "it has a heredoc"],
      ["a glob", "ls /var/log/*.log", "it uses the glob '/var/log/*.log', which needs a shell"],
      ["a tilde", "cat ~/notes.txt", "it uses '~', which needs a shell to expand"],
      ["an unknown shell variable", "kill -9 $1", "it uses the shell variable $1"],
      ["an unclosed quote", "echo 'unfinished", "it has an unclosed quote"],
    ])("should give a shell reason when the command has %s", (_what, line, reason) => {
      const result = split(line);
      expect(result.shellReason).toBe(reason);
      expect(result.argv).toBeUndefined();
    });

    it("should still split words for naming the step when the command needs a shell", () => {
      expect(split("kubectl get pods | grep web").words).toEqual(["kubectl", "get", "pods", "grep", "web"]);
    });
  });

  describe("secrets", () => {
    const isSecret = (name: string) => /TOKEN|SECRET|PASSWORD/.test(name);
    const line =
      'curl -H "PRIVATE-TOKEN: $GITLAB_TOKEN" https://gitlab.example.com/api/v4/projects/$PROJECT_ID';

    it("should list a secret placeholder as written and never make it a variable", () => {
      const result = split(line, isSecret);
      expect(result.secrets).toEqual(["$GITLAB_TOKEN"]);
      expect(result.vars).toEqual([{ name: "PROJECT_ID", raw: "$PROJECT_ID" }]);
      expect(result.templated).toBe(
        'curl -H "PRIVATE-TOKEN: $GITLAB_TOKEN" https://gitlab.example.com/api/v4/projects/{{ .PROJECT_ID }}',
      );
      expect(result.templated).not.toContain("{{ .GITLAB_TOKEN }}");
    });

    it("should leave a command with a secret to the shell, so it cannot be a cli step", () => {
      const result = split(line, isSecret);
      expect(result.argv).toBeUndefined();
      expect(result.shellReason).toBe("it uses the shell variable $GITLAB_TOKEN");
    });

    it("should ask isSecret about variable names, not placeholders as written", () => {
      const asked: string[] = [];
      split("kubectl -n <name-space> get secret ${SECRET_NAME}", (name) => {
        asked.push(name);
        return false;
      });
      expect(asked.sort()).toEqual(["SECRET_NAME", "name_space"]);
    });

    it("should make a secret a variable when isSecret is not given", () => {
      const result = split(line);
      expect(result.secrets).toEqual([]);
      expect(result.vars.map((v) => v.name)).toEqual(["GITLAB_TOKEN", "PROJECT_ID"]);
    });
  });
});

describe("varName", () => {
  it.each([
    ["pod-name", "pod_name"],
    ["<pod-name>", "pod_name"],
    ["$NS", "NS"],
    ["instance label from alert", "instance_label_from_alert"],
    ["SIDEKIQ_PID", "SIDEKIQ_PID"],
    ["a__b", "a_b"],
    ["1st", "v_1st"],
    ["---", "value"],
    ["x".repeat(70), "x".repeat(64)],
  ])("should name %j as %j", (placeholder, name) => {
    expect(varName(placeholder)).toBe(name);
  });
});

describe("literalAction", () => {
  it.each([
    ["plain text", "{{ .metadata.name }}", "{{`{{ .metadata.name }}`}}"],
    ["empty text", "", "{{``}}"],
    ["a backquote", "a`b", '{{"a`b"}}'],
  ])("should write %s as one action", (_what, text, action) => {
    expect(literalAction(text)).toBe(action);
  });

  it.each([
    ["a template", "{{range .items}}{{.metadata.name}}{{end}}"],
    ["closing braces", "a}}b"],
    ["a backquote", "`"],
    ["a backquote and a quote", 'say "`hi`"'],
    ["a backquote and a backslash", "a`\\b"],
    ["a backquote and a template", "{{`x`}}"],
    ["a backquote and a control character", "`\u0001"],
    ["a backquote and a line separator", "`\u2028"],
  ])("should print the text back exactly when it has %s", (_what, text) => {
    expect(render(literalAction(text))).toBe(text);
  });

  // Bug: with a backquote the text is written as a JSON string, but JSON's `\b` and `\f` escapes
  // are not escapes of the template language, so the action does not parse (TPL5001).
  it("should print the text back exactly when it has a backquote and a form feed", () => {
    expect(render(literalAction("a`b\fc"))).toBe("a`b\fc");
  });

  // Bug: a raw string drops carriage returns (as in Go), so `\r` is lost from the text.
  it("should print the text back exactly when it has a carriage return", () => {
    expect(render(literalAction("a\r\nb"))).toBe("a\r\nb");
  });
});
