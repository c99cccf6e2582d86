/**
 * Tests of the command ontology (src/lang/runbook/commands.ts): what an argument vector does,
 * judged from the words alone, and how wrappers (`sudo`, `timeout`) are looked through.
 */
import { describe, expect, it } from "vitest";
import { type CommandFacts, commandFacts, unwrap } from "../../src/lang/runbook/commands.js";

type Kind = keyof CommandFacts;

/** The kinds of fact `commandFacts` reports for `argv`, sorted. */
function kinds(argv: readonly string[]): Kind[] {
  return (Object.keys(commandFacts(argv)) as Kind[]).sort();
}

describe("commandFacts", () => {
  describe("sessions", () => {
    it.each<[string, string[], Kind[]]>([
      ["ssh host", ["ssh", "db1.example.com"], ["session"]],
      ["oc rsh pod", ["oc", "rsh", "web-1"], ["session"]],
      // `exec` is also a state-changing word: an exec runs anything in the container.
      [
        "kubectl exec -it pod -- bash",
        ["kubectl", "exec", "-it", "web-1", "--", "bash"],
        ["mutating", "session"],
      ],
      ["kubectl exec pod with no '--'", ["kubectl", "exec", "web-1"], ["mutating", "session"]],
      ["psql without -c", ["psql", "-h", "db1", "-U", "gitlab"], ["session"]],
      ["gitlab-rails console", ["gitlab-rails", "console"], ["mutating", "session"]],
      ["redis-cli alone", ["redis-cli"], ["session"]],
      ["redis-cli with only connection options", ["redis-cli", "-h", "redis1", "-p", "6379"], ["session"]],
      ["vim", ["vim", "/etc/gitlab/gitlab.rb"], ["session"]],
      ["sudo -i", ["sudo", "-i"], ["session"]],
      ["sudo su -", ["sudo", "su", "-"], ["session"]],
    ])("should report a session when the command is %s", (_what, argv, expected) => {
      expect(kinds(argv)).toEqual(expected);
    });

    it.each<[string, string[]]>([
      ["psql -c 'select 1'", ["psql", "-c", "select 1"]],
      ["redis-cli info", ["redis-cli", "info"]],
      ["redis-cli -h host info", ["redis-cli", "-h", "redis1", "info"]],
    ])("should not report a session when a client is given something to run: %s", (_what, argv) => {
      expect(commandFacts(argv)).toEqual({});
    });

    it.each<[string, string[], string]>([
      ["ssh host", ["ssh", "host"], "'ssh' is interactive"],
      ["oc rsh pod", ["oc", "rsh", "pod"], "'oc rsh' opens a shell in a container"],
      [
        "kubectl exec -it",
        ["kubectl", "exec", "-it", "pod", "--", "bash"],
        "'kubectl exec' with a terminal opens a shell in a container",
      ],
      [
        "kubectl exec with no '--'",
        ["kubectl", "exec", "pod"],
        "'kubectl exec' with no command after '--' opens a shell in a container",
      ],
      ["psql", ["psql"], "'psql' without a command to run opens a console"],
      ["gitlab-rails console", ["gitlab-rails", "console"], "'gitlab-rails console' opens a console"],
      ["redis-cli", ["redis-cli"], "'redis-cli' without a command opens a console"],
      ["sudo -i", ["sudo", "-i"], "'sudo -i' opens a root shell"],
      ["sudo su -", ["sudo", "su", "-"], "'sudo su' opens a root shell"],
    ])("should say why %s is a session", (_what, argv, why) => {
      expect(commandFacts(argv).session).toBe(why);
    });

    // Bug: the `sudo -i`/`sudo -s` test looks at every word of the argv, not only sudo's own
    // options before the wrapped command, so `sed -i` run under sudo reads as a root shell.
    it("should not read the wrapped command's '-i' as sudo's when the command is sudo sed -i", () => {
      expect(commandFacts(["sudo", "sed", "-i", "s/a/b/", "/etc/hosts"])).toEqual({
        mutating: "'sed -i' edits files in place",
      });
    });
  });

  describe("endless commands", () => {
    it.each<[string, string[], string]>([
      ["tail -f", ["tail", "-f", "/var/log/syslog"], "'tail -f' follows the file forever"],
      ["kubectl logs -f", ["kubectl", "logs", "-f", "web-1"], "'kubectl logs -f' follows the log forever"],
      ["watch", ["watch", "-n", "5", "df", "-h"], "'watch' repeats forever"],
      ["kubectl get pods -w", ["kubectl", "get", "pods", "-w"], "'kubectl … --watch' runs until stopped"],
    ])("should report a command that never ends when it is %s", (_what, argv, why) => {
      expect(commandFacts(argv)).toEqual({ endless: why });
    });

    it.each<[string, string[]]>([
      ["tail without -f", ["tail", "-n", "100", "/var/log/syslog"]],
      ["kubectl logs without -f", ["kubectl", "logs", "web-1"]],
    ])("should not report an endless command when it is %s", (_what, argv) => {
      expect(commandFacts(argv)).toEqual({});
    });
  });

  describe("shell state", () => {
    it.each<[string, string[], string]>([
      ["cd", ["cd", "/var/opt/gitlab"], "'cd' changes the shell session, which a later step would not see"],
      [
        "export",
        ["export", "KUBECONFIG=/tmp/k"],
        "'export' changes the shell session, which a later step would not see",
      ],
      ["FOO=bar", ["FOO=bar"], "it sets a shell variable"],
    ])("should report a change of shell state when the command is %s", (_what, argv, why) => {
      expect(commandFacts(argv)).toEqual({ shellState: why });
    });
  });

  describe("state-changing commands", () => {
    it.each<[string, string[]]>([
      ["kubectl delete", ["kubectl", "delete", "pod", "web-1"]],
      ["kubectl delete after -n", ["kubectl", "-n", "prod", "delete", "pod", "web-1"]],
      ["kubectl drain", ["kubectl", "drain", "node-1", "--ignore-daemonsets"]],
      ["kubectl cordon", ["kubectl", "cordon", "node-1"]],
      ["kubectl scale", ["kubectl", "scale", "deploy/web", "--replicas=3"]],
      ["kubectl rollout restart", ["kubectl", "rollout", "restart", "deploy/web"]],
      ["kubectl apply", ["kubectl", "apply", "-f", "web.yaml"]],
      ["kubectl patch", ["kubectl", "patch", "deploy/web", "-p", "{}"]],
      ["kubectl edit", ["kubectl", "edit", "deploy/web"]],
      ["systemctl restart", ["systemctl", "restart", "nginx"]],
      ["rm", ["rm", "-rf", "/tmp/cache"]],
      ["psql -c 'DROP TABLE x'", ["psql", "-c", "DROP TABLE x"]],
      ["redis-cli FLUSHALL", ["redis-cli", "FLUSHALL"]],
      ["curl -X POST", ["curl", "-X", "POST", "https://api.example.com/jobs"]],
      ["curl -d", ["curl", "-d", "a=b", "https://api.example.com/jobs"]],
      ["aws ec2 terminate-instances", ["aws", "ec2", "terminate-instances", "--instance-ids", "i-1"]],
      ["git push", ["git", "push", "origin", "main"]],
      ["etcdctl del", ["etcdctl", "del", "/registry/pods/x"]],
      ["gitlab-ctl restart", ["gitlab-ctl", "restart", "puma"]],
      ["find -delete", ["find", "/tmp", "-name", "*.log", "-delete"]],
      ["sed -i", ["sed", "-i", "s/a/b/", "/etc/hosts"]],
    ])("should report a change of state when the command is %s", (_what, argv) => {
      expect(kinds(argv)).toEqual(["mutating"]);
    });

    it.each<[string, string[]]>([
      ["kubectl rollout status", ["kubectl", "rollout", "status", "deploy/web"]],
      ["systemctl status", ["systemctl", "status", "nginx"]],
      ["psql -c with a SELECT", ["psql", "-c", "SELECT count(*) FROM users"]],
      ["redis-cli GET", ["redis-cli", "GET", "k"]],
      ["a plain curl GET", ["curl", "-s", "https://api.example.com/health"]],
      ["git log", ["git", "log", "--oneline", "-5"]],
      ["etcdctl endpoint health", ["etcdctl", "endpoint", "health"]],
      ["gitlab-ctl status", ["gitlab-ctl", "status"]],
    ])("should not report a change of state when the command is %s", (_what, argv) => {
      expect(commandFacts(argv)).toEqual({});
    });

    it.each<[string, string[], string]>([
      ["kubectl delete", ["kubectl", "delete", "pod", "x"], "'kubectl delete' changes state"],
      ["systemctl restart", ["systemctl", "restart", "nginx"], "'systemctl … restart' changes a service"],
      ["rm", ["rm", "x"], "'rm' changes the system"],
      ["psql DROP", ["psql", "-c", "DROP TABLE x"], "'psql' runs SQL that changes data or schema"],
      ["redis-cli FLUSHALL", ["redis-cli", "FLUSHALL"], "'redis-cli FLUSHALL' changes data"],
      ["curl -X POST", ["curl", "-X", "POST", "u"], "'curl -X POST' sends a request that changes state"],
      ["curl -d", ["curl", "-d", "a=b", "u"], "'curl' sends data"],
      ["git push", ["git", "push"], "'git push' changes the repository"],
      ["find -delete", ["find", ".", "-delete"], "'find' with -delete or -exec changes files"],
      ["sed -i", ["sed", "-i", "s/a/b/", "f"], "'sed -i' edits files in place"],
    ])("should say what %s changes", (_what, argv, why) => {
      expect(commandFacts(argv).mutating).toBe(why);
    });

    // Bug: git's `-C <path>` value is taken for the subcommand, so the push is not seen.
    it("should report a change of state when git push follows -C <path>", () => {
      expect(commandFacts(["git", "-C", "/srv/repo", "push"])).toEqual({
        mutating: "'git push' changes the repository",
      });
    });
  });

  describe("wrappers", () => {
    it.each<[string, string[], string]>([
      [
        "sudo -u git gitlab-rake",
        ["sudo", "-u", "git", "gitlab-rake", "cache:clear"],
        "'gitlab-rake' changes the system",
      ],
      [
        "timeout 10 kubectl delete",
        ["timeout", "10", "kubectl", "delete", "pod", "x"],
        "'kubectl delete' changes state",
      ],
      [
        "env A=1 kubectl delete",
        ["env", "A=1", "kubectl", "delete", "pod", "x"],
        "'kubectl delete' changes state",
      ],
      ["nice -n 5 rm", ["nice", "-n", "5", "rm", "x"], "'rm' changes the system"],
    ])("should judge the wrapped command when the command is %s", (_what, argv, why) => {
      expect(commandFacts(argv)).toEqual({ mutating: why });
    });

    it("should look through a wrapper to a read-only command when sudo runs gitlab-rake gitlab:check", () => {
      expect(commandFacts(["sudo", "-u", "git", "gitlab-rake", "gitlab:check"])).toEqual({});
    });

    it.each<[string, string[], string[]]>([
      ["sudo -u git", ["sudo", "-u", "git", "gitlab-rake", "cache:clear"], ["gitlab-rake", "cache:clear"]],
      ["timeout 10", ["timeout", "10", "kubectl", "delete", "pod", "x"], ["kubectl", "delete", "pod", "x"]],
      ["timeout -s KILL 10s", ["timeout", "-s", "KILL", "10s", "df"], ["df"]],
      [
        "env with two assignments",
        ["env", "A=1", "B=2", "kubectl", "get", "pods"],
        ["kubectl", "get", "pods"],
      ],
      ["nested wrappers", ["sudo", "nice", "-n", "5", "time", "df", "-h"], ["df", "-h"]],
      ["a wrapper given by path", ["/usr/bin/sudo", "-u", "git", "ls"], ["ls"]],
      ["a wrapper with nothing to wrap", ["sudo", "-i"], ["sudo", "-i"]],
      ["no wrapper", ["kubectl", "get", "pods"], ["kubectl", "get", "pods"]],
      ["an empty argv", [], []],
    ])("should unwrap the command when it is %s", (_what, argv, expected) => {
      expect(unwrap(argv)).toEqual(expected);
    });

    // Bug: sudo's long option `--user` takes a value like `-u`, but only `-u` is known, so
    // `git` is taken for the program and the rake task is judged as `git gitlab-rake`.
    it("should unwrap sudo when the user is given as --user <name>", () => {
      const argv = ["sudo", "--user", "git", "gitlab-rake", "cache:clear"];
      expect(unwrap(argv)).toEqual(["gitlab-rake", "cache:clear"]);
      expect(commandFacts(argv)).toEqual({ mutating: "'gitlab-rake' changes the system" });
    });
  });

  describe("read-only commands", () => {
    it.each<[string, string[]]>([
      ["kubectl get", ["kubectl", "get", "pods", "-n", "prod", "-o", "wide"]],
      ["kubectl describe", ["kubectl", "describe", "pod", "web-1"]],
      ["kubectl logs", ["kubectl", "logs", "web-1", "--tail=100"]],
      ["df", ["df", "-h"]],
      ["etcdctl endpoint status", ["etcdctl", "endpoint", "status", "--write-out=table"]],
    ])("should report no facts when the command is %s", (_what, argv) => {
      expect(commandFacts(argv)).toEqual({});
    });

    it("should report no facts when the argv is empty", () => {
      expect(commandFacts([])).toEqual({});
    });
  });
});

describe("commandFacts, after review", () => {
  it.each<[string, string[], Kind[]]>([
    [
      "knife ssh runs a shell on other hosts",
      ["knife", "ssh", "roles:git", "uptime"],
      ["mutating", "remote"],
    ],
    [
      "bundle exec is looked through",
      ["bundle", "exec", "knife", "ssh", "roles:git", "uptime"],
      ["mutating", "remote"],
    ],
    ["ansible ad hoc with -a", ["ansible", "web", "-a", "uptime"], ["remote"]],
    ["pdsh", ["pdsh", "-w", "web[1-3]", "uptime"], ["remote"]],
    [
      "-w after -- belongs to the inner command",
      ["kubectl", "exec", "etcd-0", "--", "etcdctl", "endpoint", "health", "-w", "table"],
      ["mutating"],
    ],
  ])("should report %s", (_label, argv, expected) => {
    expect(kinds(argv)).toEqual(expected);
  });

  it("should find the state-changing verb behind option values", () => {
    const facts = commandFacts([
      "kubectl",
      "--kubeconfig",
      "kc",
      "-n",
      "monitoring",
      "rollout",
      "restart",
      "sts/x",
    ]);
    expect(facts.mutating).toBe("'kubectl kc monitoring rollout restart' changes state");
  });

  it("should unwrap bundle exec", () => {
    expect(unwrap(["bundle", "exec", "knife", "node", "list"])).toEqual(["knife", "node", "list"]);
  });
});
