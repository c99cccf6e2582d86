import { describe, expect, it } from "vitest";
import { block, commands, tsg } from "./helpers.js";

describe("shell prompts", () => {
  it.each([
    ["a dollar prompt", "$ kubectl get pods", "$", "kubectl get pods"],
    ["a percent prompt", "% kubectl get pods", "%", "kubectl get pods"],
    ["a root prompt", "# systemctl restart kubelet", "#", "systemctl restart kubelet"],
    ["a user@host prompt", "user@host:~$ sudo su - aptly", "user@host:~$", "sudo su - aptly"],
    [
      "a root user@host prompt",
      "root@db-01.internal:/var/log# ls -l",
      "root@db-01.internal:/var/log#",
      "ls -l",
    ],
    ["a bracketed prompt", "[root@host ~]# cat /etc/hosts", "[root@host ~]#", "cat /etc/hosts"],
    ["a virtualenv prompt", "(sentry)root@sentry:~# pip list", "(sentry)root@sentry:~#", "pip list"],
    ["a host:path prompt", "pgbouncer-01.internal:~$ ping db", "pgbouncer-01.internal:~$", "ping db"],
    ["an sh-4.2 prompt", "sh-4.2$ ls /tmp", "sh-4.2$", "ls /tmp"],
    ["a bash-4.4 root prompt", "bash-4.4# id", "bash-4.4#", "id"],
    ["a word$ prompt", "worker$ redis-cli -h 10.0.0.1", "worker$", "redis-cli -h 10.0.0.1"],
    ["a 'host $' prompt", "workstation $ knife node list", "workstation $", "knife node list"],
    ["a PowerShell prompt", "PS> Get-Service", "PS>", "Get-Service"],
    ["a PowerShell path prompt", "PS C:\\Users\\me> Get-Service", "PS C:\\Users\\me>", "Get-Service"],
    ["a $> prompt", "$> ssh-keygen -lf key", "$>", "ssh-keygen -lf key"],
    ["an indented prompt", "  $ sudo pgb-console", "$", "sudo pgb-console"],
  ])("should remove and record %s when a line starts with it", (_what, line, prompt, text) => {
    const { commands } = block(line);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({ prompt, text, origin: "code-block" });
  });

  it("should make the command span start at the prompt and end at the line's end", () => {
    const { commands, slice } = block("user@host:~$ kubectl get pods  ");
    expect(slice(commands[0]!.span)).toBe("user@host:~$ kubectl get pods");
  });

  // Each row: a block and, for each of its commands, [prompt, the source its span covers].
  it.each([
    ["a dollar prompt", "sh", "$ kubectl get pods", [["$", "$ kubectl get pods"]]],
    ["a dollar prompt with blanks after it", "sh", "$    kubectl get pods", [["$", "$    kubectl get pods"]]],
    ["a dollar prompt with a tab after it", "sh", "$\tkubectl get pods", [["$", "$\tkubectl get pods"]]],
    ["an indented dollar prompt", "sh", "    $   sudo pgb-console  ", [["$", "$   sudo pgb-console"]]],
    ["a percent prompt", "sh", "  %   ls -l", [["%", "%   ls -l"]]],
    ["a $> prompt", "sh", "  $>   ssh-keygen -lf key", [["$>", "$>   ssh-keygen -lf key"]]],
    ["a user@host prompt", "sh", "  user@host:~$    ls", [["user@host:~$", "user@host:~$    ls"]]],
    [
      "a bracketed root prompt",
      "sh",
      " [root@host ~]#  cat /etc/hosts",
      [["[root@host ~]#", "[root@host ~]#  cat /etc/hosts"]],
    ],
    [
      "a virtualenv prompt",
      "sh",
      "  (venv) user@host$   pip list",
      [["(venv) user@host$", "(venv) user@host$   pip list"]],
    ],
    ["a host:path prompt", "sh", "  db-01:/var/log#   ls", [["db-01:/var/log#", "db-01:/var/log#   ls"]]],
    ["a :path prompt", "sh", "  :~$   ls", [[":~$", ":~$   ls"]]],
    ["an sh-4.2 prompt", "sh", "   sh-4.2$    ls /tmp", [["sh-4.2$", "sh-4.2$    ls /tmp"]]],
    [
      "a 'host $' prompt",
      "sh",
      "  workstation   $   knife node list",
      [["workstation   $", "workstation   $   knife node list"]],
    ],
    ["a word$ prompt", "sh", "  worker$   redis-cli -h x", [["worker$", "worker$   redis-cli -h x"]]],
    ["a zsh ~ prompt", "sh", "  ~   git status", [["~", "~   git status"]]],
    ["a zsh arrow prompt", "sh", "  ➜  repo   git status", [["➜  repo", "➜  repo   git status"]]],
    [
      "a PowerShell prompt",
      "powershell",
      "  PS C:\\x>   Get-Service",
      [["PS C:\\x>", "PS C:\\x>   Get-Service"]],
    ],
    [
      "a root prompt after sudo su",
      "console",
      "$ sudo su -\n# apt-get update",
      [
        ["$", "$ sudo su -"],
        ["#", "# apt-get update"],
      ],
    ],
    [
      "an indented root prompt",
      "console",
      "  $ sudo su -\n   # apt-get update  ",
      [
        ["$", "$ sudo su -"],
        ["#", "# apt-get update"],
      ],
    ],
    [
      "a bare > prompt with blanks after it",
      "console",
      "$ sudo su -\n# apt-get update\n  >   foo bar",
      [
        ["$", "$ sudo su -"],
        ["#", "# apt-get update"],
        [">", ">   foo bar"],
      ],
    ],
    [
      "a psql prompt",
      "console",
      "$ gitlab-psql\n  gitlabhq_production=#   select 1;",
      [
        ["$", "$ gitlab-psql"],
        ["gitlabhq_production=#", "gitlabhq_production=#   select 1;"],
      ],
    ],
    [
      "a redis-cli prompt",
      "console",
      "$ redis-cli\n 10.0.0.1:6379>    info",
      [
        ["$", "$ redis-cli"],
        ["10.0.0.1:6379>", "10.0.0.1:6379>    info"],
      ],
    ],
    [
      "an irb prompt",
      "console",
      "$ gitlab-rails console\n  irb(main):001:0>   Project.count",
      [
        ["$", "$ gitlab-rails console"],
        ["irb(main):001:0>", "irb(main):001:0>   Project.count"],
      ],
    ],
    [
      "a gpg prompt",
      "console",
      "$ gpg --edit-key ABC\n  gpg>   trust",
      [
        ["$", "$ gpg --edit-key ABC"],
        ["gpg>", "gpg>   trust"],
      ],
    ],
    [
      "a gdb prompt",
      "console",
      "$ gdb ./a.out\n (gdb)   bt",
      [
        ["$", "$ gdb ./a.out"],
        ["(gdb)", "(gdb)   bt"],
      ],
    ],
    [
      "a mysql prompt",
      "console",
      "$ mysql\n  mysql>    show tables;",
      [
        ["$", "$ mysql"],
        ["mysql>", "mysql>    show tables;"],
      ],
    ],
    [
      "a prompted command continued with a backslash",
      "sh",
      "  $   kubectl get pods \\\n    -o wide",
      [["$", "$   kubectl get pods \\\n    -o wide"]],
    ],
  ])(
    "should make the span of a command start at %s and end at the command's end",
    (_what, lang, body, expected) => {
      const { commands, slice } = block(body, lang);
      expect(commands.map((c) => [c.prompt, slice(c.span)])).toEqual(expected);
    },
  );

  it("should make the span start at the prompt when the block is inside a block quote or a list item", () => {
    for (const [text, expected] of [
      ["> ```console\n> $ sudo su -\n>   #  x\n>  # apt-get update\n> ```\n", "# apt-get update"],
      ["- step\n\n  ```console\n  $ sudo su -\n    >   foo bar\n  ```\n", ">   foo bar"],
    ] as const) {
      const { module, slice } = tsg(text);
      const found = commands(module);
      expect(found.map((c) => slice(c.span))).toEqual(["$ sudo su -", expected]);
    }
  });

  it.each([
    ["psql", "$ gitlab-psql\ngitlabhq_production=# select 1;", "gitlabhq_production=#", "select 1;"],
    [
      "redis-cli",
      "$ redis-cli -h 10.0.0.1\n10.0.0.1:6379> info replication",
      "10.0.0.1:6379>",
      "info replication",
    ],
    ["irb", "$ gitlab-rails console\nirb(main):001:0> Project.count", "irb(main):001:0>", "Project.count"],
    ["a bare >", "$ gitlab-rails console\n> Feature.enable(:x)", ">", "Feature.enable(:x)"],
    ["gpg", "$ gpg --edit-key ABC\ngpg> trust", "gpg>", "trust"],
    ["python", "$ python3\n>>> import sys", ">>>", "import sys"],
  ])(
    "should keep a %s REPL line as a one-line command when an interactive program was opened",
    (_what, body, prompt, text) => {
      const { commands } = block(body);
      expect(commands).toHaveLength(2);
      expect([commands[1]!.prompt, commands[1]!.text]).toEqual([prompt, text]);
    },
  );

  it("should split commands after an interactive session opener when they have their own prompts", () => {
    const { shape } = block("$ oc rsh prometheus-0\n$ df -h /prometheus\nFilesystem  Size\n$ exit");
    expect(shape).toEqual([
      ["command($)", "oc rsh prometheus-0"],
      ["command($)", "df -h /prometheus"],
      ["output", "Filesystem  Size"],
      ["command($)", "exit"],
    ]);
  });

  it("should keep commands typed into kubectl exec -it as separate commands when the block has no prompts", () => {
    const { shape } = block("kubectl exec -it vault-0 -- sh\nvault status\nvault operator raft list-peers");
    expect(shape).toEqual([
      ["command", "kubectl exec -it vault-0 -- sh"],
      ["command", "vault status"],
      ["command", "vault operator raft list-peers"],
    ]);
  });

  it("should skip a lone prompt when a line has nothing after it", () => {
    expect(block("$\n$ ls").shape).toEqual([["command($)", "ls"]]);
  });
});

describe("comments and root prompts", () => {
  it.each([
    ["prose after #", "# Check the pods first", [["comment", "# Check the pods first"]]],
    ["a lowercase note", "# enter root token", [["comment", "# enter root token"]]],
    [
      "a known command followed by a stopword",
      "# kill the old process",
      [["comment", "# kill the old process"]],
    ],
    ["a label ending in a colon", "# docker runtime:", [["comment", "# docker runtime:"]]],
    [
      "an indented comment continuation",
      "$ ls\n#    mv /etc/chef /tmp",
      [
        ["command($)", "ls"],
        ["comment", "#    mv /etc/chef /tmp"],
      ],
    ],
    [
      "a shebang",
      "#!/bin/bash\necho hi",
      [
        ["comment", "#!/bin/bash"],
        ["command", "echo hi"],
      ],
    ],
  ])("should read %s as a comment", (_what, body, shape) => {
    expect(block(body).shape).toEqual(shape);
  });

  it.each([
    [
      "after su in a transcript",
      "$ sudo su -\n# cd /var/log",
      [
        ["command($)", "sudo su -"],
        ["command(#)", "cd /var/log"],
      ],
    ],
    [
      "followed by output",
      "# iostat -x 1 3\nLinux 4.15.0 (db-01)",
      [
        ["command(#)", "iostat -x 1 3"],
        ["output", "Linux 4.15.0 (db-01)"],
      ],
    ],
    ["alone in a block", "# gitlab-ctl restart consul", [["command(#)", "gitlab-ctl restart consul"]]],
    [
      "with a path",
      "# /opt/gitlab/embedded/bin/consul members",
      [["command(#)", "/opt/gitlab/embedded/bin/consul members"]],
    ],
  ])("should read # as a root prompt %s", (_what, body, shape) => {
    expect(block(body).shape).toEqual(shape);
  });

  it("should read # lines as comments when the block is a script of unprompted commands", () => {
    expect(block("# docker runtime\ndocker ps\n\n# kill -9 1234\nkill -9 5678").shape).toEqual([
      ["comment", "# docker runtime"],
      ["command", "docker ps"],
      ["comment", "# kill -9 1234"],
      ["command", "kill -9 5678"],
    ]);
  });

  it("should read a prompt followed by # as a comment", () => {
    expect(block("$ gitlab-rails console\n> # Sidekiq::Queue.new('x').size").shape).toEqual([
      ["command($)", "gitlab-rails console"],
      ["comment", "# Sidekiq::Queue.new('x').size"],
    ]);
  });
});

describe("output", () => {
  it("should read lines after a prompted command as output when the block has prompts", () => {
    const { shape } = block("$ kubectl get pods\nNAME    READY\nweb-0   1/1\n\n$ kubectl top pods");
    expect(shape).toEqual([
      ["command($)", "kubectl get pods"],
      ["output", "NAME    READY"],
      ["output", "web-0   1/1"],
      ["command($)", "kubectl top pods"],
    ]);
  });

  it("should read every unprompted line as output when a console block has prompts", () => {
    expect(block("kubectl get pods\n$ kubectl top pods\nweb-0 1m", "console").shape).toEqual([
      ["output", "kubectl get pods"],
      ["command($)", "kubectl top pods"],
      ["output", "web-0 1m"],
    ]);
  });

  it("should read unprompted lines as commands when a console block has no prompt at all", () => {
    expect(block("kubectl get pods -n kube-system", "console").shape).toEqual([
      ["command", "kubectl get pods -n kube-system"],
    ]);
  });

  it("should read a command-like line before the first prompt as a command when the block is not a transcript language", () => {
    expect(block("kubectl -n vault exec -it vault-0 sh\n$ vault status\nSealed false").shape).toEqual([
      ["command", "kubectl -n vault exec -it vault-0 sh"],
      ["command($)", "vault status"],
      ["output", "Sealed false"],
    ]);
  });

  it("should read every non-comment line as a command when a shell block has no prompt", () => {
    expect(block("gcloud auth login\n# then\ngcloud config set project x\n\nexport A=1").shape).toEqual([
      ["command", "gcloud auth login"],
      ["comment", "# then"],
      ["command", "gcloud config set project x"],
      ["command", "export A=1"],
    ]);
  });

  it.each([
    ["an elision", "..."],
    ["a table row", "| web-0 | Running |"],
    ["a table border", "+-------+"],
    ["an ls -l line", "-rw-r--r-- 1 git git 767K Jul 15 stack.profile"],
    ["a warning after a command", "WARNING: Failed to connect -- Errno::ECONNREFUSED"],
    ["a table header after a command", "NAME       READY   STATUS"],
    ["a numbered line after a command", "3 rows in set (0.00 sec)"],
  ])("should read %s as output even when the block has no prompt", (_what, line) => {
    expect(block(`ls -l\n${line}`).shape).toEqual([
      ["command", "ls -l"],
      ["output", line],
    ]);
  });
});

it.each([
  ["an assignment", "NAMESPACE=monitoring kubectl get pods"],
  ["a PowerShell cmdlet", "Get-Service kubelet"],
  ["a known command", "kubectl get pods"],
])("should keep %s as a command when it follows a command in a block with no prompt", (_what, line) => {
  expect(block(`ls -l\n${line}`).shape).toEqual([
    ["command", "ls -l"],
    ["command", line],
  ]);
});

it("should read a capitalised first line as a command when the block has no prompt", () => {
  expect(block("Rscript check.R").shape).toEqual([["command", "Rscript check.R"]]);
});

it("should read an SQL line as data when it follows a command in a block with no prompt", () => {
  expect(block("gitlab-psql\nSELECT 1;").shape).toEqual([
    ["command", "gitlab-psql"],
    ["output", "SELECT 1;"],
  ]);
});

describe("continuations", () => {
  it("should join backslash continuations with one space and span every line when a command continues", () => {
    const { commands, slice } = block("$ kubectl get pods \\\n    -n monitoring \\\n    -o wide\nNAME");
    expect(commands).toHaveLength(1);
    expect(commands[0]!.text).toBe("kubectl get pods -n monitoring -o wide");
    expect(slice(commands[0]!.span)).toBe("$ kubectl get pods \\\n    -n monitoring \\\n    -o wide");
  });

  it("should strip a secondary > prompt when a transcript shows continuation lines with it", () => {
    const { commands } = block("$ for i in 1 2; do\n> echo $i\n> done");
    expect(commands.map((c) => c.text)).toEqual(["for i in 1 2; do\necho $i\ndone"]);
  });

  it("should join the lines of a compound command with newlines when it spans lines", () => {
    const { shape } = block("for node in a b; do\n  kubectl cordon $node\ndone\necho done");
    expect(shape).toEqual([
      ["command", "for node in a b; do\n  kubectl cordon $node\ndone"],
      ["command", "echo done"],
    ]);
  });

  it("should keep a multi-line quoted argument in one command when a quote spans lines", () => {
    const { commands } = block('gitlab-psql -c "\n  select 1;\n"\nls');
    expect(commands.map((c) => c.text)).toEqual(['gitlab-psql -c "\n  select 1;\n"', "ls"]);
  });

  it("should continue after a trailing pipe when the next line carries the pipeline on", () => {
    expect(block("kubectl get pods |\n  grep web").commands.map((c) => c.text)).toEqual([
      "kubectl get pods |\n  grep web",
    ]);
  });

  it("should fall back to one command per line when a quote never closes in the block", () => {
    expect(block("echo don't\nls -l\nuname -a").commands.map((c) => c.text)).toEqual([
      "echo don't",
      "ls -l",
      "uname -a",
    ]);
  });

  it("should not run a prompted command into the next prompt when a quote is left open", () => {
    expect(block('$ echo "oops\n$ ls').commands.map((c) => c.text)).toEqual(['echo "oops', "ls"]);
  });

  it("should report TSG3004 when a block ends with a backslash continuation", () => {
    const { commands, diagnostics, slice } = block("$ kubectl get pods \\");
    expect(commands[0]!.text).toBe("kubectl get pods");
    expect(diagnostics.map((d) => d.code)).toEqual(["TSG3004"]);
    expect(diagnostics[0]!.severity).toBe("warning");
    expect(slice(diagnostics[0]!.span)).toBe("\\");
  });

  it("should continue PowerShell lines when they end with a backtick", () => {
    expect(block("Get-ChildItem `\n  -Path C:\\x", "powershell").commands.map((c) => c.text)).toEqual([
      "Get-ChildItem -Path C:\\x",
    ]);
  });
});

describe("heredocs", () => {
  it.each([
    ["<<EOF", "cat <<EOF > /tmp/x.yml\na: 1\nEOF", "EOF"],
    ["<<-EOF", "cat <<-EOF\n\ta: 1\n\tEOF", "EOF"],
    ["<<'EOF'", "cat <<'EOF'\n$HOME\nEOF", "EOF"],
    ['<<"END"', 'cat <<"END"\nx\nEND', "END"],
    ["<< EOF with a space", "cat << EOF | kubectl apply -f -\nkind: Pod\nEOF", "EOF"],
  ])("should keep the body up to the delimiter when a command opens %s", (_what, body, delimiter) => {
    const { commands, slice } = block(`${body}\necho after`);
    expect(commands.map((c) => c.text)).toEqual([body, "echo after"]);
    expect(commands[0]!.heredocs).toEqual([delimiter]);
    expect(slice(commands[0]!.span)).toBe(body);
  });

  it("should not read heredoc body lines as comments or commands when they look like them", () => {
    const { shape } = block("cat <<PROM | curl --data-binary @- http://gw\n# TYPE job gauge\njob 1\nPROM");
    expect(shape).toEqual([
      ["command", "cat <<PROM | curl --data-binary @- http://gw\n# TYPE job gauge\njob 1\nPROM"],
    ]);
  });

  it("should read a prompted heredoc whose body lines carry > prompts", () => {
    const { commands } = block("$ cat <<EOF > x\n> a\n> EOF\n$ ls");
    expect(commands.map((c) => c.text)).toEqual(["cat <<EOF > x\na\nEOF", "ls"]);
  });

  it("should keep two heredocs of one command in order when a line opens both", () => {
    const { commands } = block("paste <<A <<B\n1\nA\n2\nB");
    expect(commands[0]!.heredocs).toEqual(["A", "B"]);
    expect(commands[0]!.text).toBe("paste <<A <<B\n1\nA\n2\nB");
  });

  it("should report TSG3003 and run to the end of the block when a heredoc is never terminated", () => {
    const { commands, diagnostics, slice } = block("cat <<EOF\na: 1\nb: 2");
    expect(commands.map((c) => c.text)).toEqual(["cat <<EOF\na: 1\nb: 2"]);
    expect(diagnostics.map((d) => [d.code, d.severity, slice(d.span)])).toEqual([
      ["TSG3003", "warning", "<<EOF"],
    ]);
    expect(diagnostics[0]!.message).toContain("'EOF'");
  });

  it("should not read a here-string or an arithmetic shift as a heredoc", () => {
    expect(block('grep x <<< "$v"\necho $((1 << 2))').commands.map((c) => c.heredocs)).toEqual([[], []]);
  });
});
