/**
 * What a shell command looks like: the list of command-line tools that TSGs run (built from the
 * first words of the code blocks and inline code of the 522-guide corpus in
 * `/work/shared/corpus/tsg`, plus the usual Unix tools), and `looksLikeCommand`, the one
 * heuristic every "is this a command?" question in the TSG frontend goes through:
 *
 * - an unlabelled code block is a shell block when its first significant line looks like one;
 * - `# text` is a root prompt rather than a comment only when `text` looks like one;
 * - `Run: text` without backticks is a command only when `text` looks like one;
 * - inline code is a command when its first word is in `KNOWN_COMMANDS` and it has an argument.
 *
 * Words that are also everyday SQL, Redis or English words (`set`, `show`, `select`, `read`,
 * `test`, `host`, `config`) are left out on purpose: they turn prose and query blocks into
 * shell blocks.
 */

/** Command-line tools TSGs run, by the name typed at the prompt. */
export const KNOWN_COMMANDS: ReadonlySet<string> = new Set(
  [
    // Kubernetes, containers, clouds, infrastructure as code
    `kubectl oc kubectx kubens k9s helm helmfile kustomize minikube k3d crictl ctr docker
     docker-compose docker-machine podman skopeo gcloud gsutil bq aws az eksctl doctl terraform tf
     terragrunt tofu vault consul nomad packer ansible ansible-playbook knife chef-client
     chef-server-ctl chef-client-disable chef-client-enable berks kitchen toolbox jsonnet jb tanka
     argocd flux istioctl linkerd velero stern`,
    // Monitoring
    `promtool amtool etcdctl etcdutl thanos mtail`,
    // GitLab and its services
    `gitlab-rake gitlab-ctl gitlab-rails gitlab-psql gitlab-redis-cli gitlab-patronictl gitlab-runner
     gitlab-backup gitlab-pgrepack gitaly praefect jeprof glsh sft tsh tctl sshuttle pgb-console`,
    // Databases
    `psql pg_dump pg_dumpall pg_restore pg_basebackup pg_repack pg_ctl pg_ctlcluster pg_controldata
     pgbench patronictl redis-cli mysql mysqldump mongo mongosh sqlite3 wal-g wal-e envdir cqlsh`,
    // Services, logs, remote access
    `systemctl journalctl service sv supervisorctl ssh scp rsync sftp ssh-add ssh-keygen ssh-keyscan
     sudo su doas git`,
    // Files and text
    `ls cat less head tail grep egrep fgrep zgrep rg zcat find awk sed sort uniq wc cut tr xargs
     tee echo printf export unset source cd pwd mkdir rmdir rm mv cp ln chmod chown chgrp touch stat
     df du tar gzip gunzip zip unzip xz base64 sha256sum md5sum diff jq yq envsubst vim vi nano
     truncate readlink realpath`,
    // Processes and the system
    `free top htop iotop iostat vmstat mpstat pidstat sar ps pstree pgrep pkill kill killall lsof
     strace ltrace perf gdb dmesg uptime uname hostname hostnamectl timedatectl chronyc ntpq date
     sleep watch timeout nohup env crontab sysctl ulimit prlimit chroot nsenter mount umount lsblk
     blkid fdisk parted resize2fs xfs_growfs fsck mkfs mdadm smartctl zpool zfs lvs vgs pvs lvextend
     id whoami useradd usermod passwd tmux screen fio sysbench iperf iperf3 ipmitool logrotate`,
    // Network
    `curl wget http dig nslookup whois ping traceroute mtr nc ncat socat telnet tcpdump netstat ss ip
     ifconfig iptables nft ufw openssl certbot conntrack ethtool`,
    // Packages and runtimes
    `apt apt-get apt-cache dpkg yum dnf rpm brew snap pip pip3 npm npx yarn go python python3 ruby
     bundle gem rake rails node java make bash sh zsh`,
    // Keys
    `gpg gpg2 gpgconf gpg-connect-agent ykman ykpersonalize`,
  ]
    .join(" ")
    .split(/\s+/)
    .filter((w) => w !== ""),
);

/** Words that open a compound command, accepted only in their usual shape (`for x in …`). */
const COMPOUND = /^(?:for\s+[A-Za-z_]\w*\s+in\b|for\s*\(\(|while\s+\S|until\s+\S|if\s+(?:\[|!|test\b))/;

/** A second word that makes `# word …` prose rather than a command. */
const STOPWORDS: ReadonlySet<string> = new Set(
  `the a an this that these those it its all any each every some to for of on in is are was will
   can should must may might and or if when then with from by as at be not no you we your our
   first again here there only also just until`.split(/\s+/),
);

/** PowerShell's Verb-Noun cmdlets (`Get-Content`, `Restart-Service`). */
const POWERSHELL_CMDLET =
  /^(?:Get|Set|New|Remove|Start|Stop|Restart|Invoke|Test|Add|Import|Export|Select|Where|Write|Out|Enter)-[A-Z]\w+/;

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Splits at spaces and tabs outside quotes and `<…>`; enough for the first few words of a line. */
function words(text: string, max: number): string[] {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n && out.length < max) {
    while (i < n && (text[i] === " " || text[i] === "\t")) i++;
    if (i >= n) break;
    const start = i;
    let close = "";
    while (i < n && (close !== "" || (text[i] !== " " && text[i] !== "\t"))) {
      const c = text[i]!;
      if (close !== "") {
        if (c === close) close = "";
      } else if (c === "'" || c === '"') {
        close = c;
      } else if (c === "<" && /[A-Za-z_]/.test(text[i + 1] ?? "")) {
        close = ">";
      }
      i++;
    }
    out.push(text.slice(start, i));
  }
  return out;
}

/** The base name of a word that is a path to an executable (`/opt/x/bin/redis-cli` → `redis-cli`). */
function baseName(word: string): string {
  const slash = word.lastIndexOf("/");
  return slash < 0 ? word : word.slice(slash + 1);
}

function isPathWord(word: string): boolean {
  return /^(?:\/|\.\.?\/|~\/)[^\s]*[^/\s]$/.test(word) || /^[\w.-]+\/[\w./-]*[\w-]$/.test(word);
}

/**
 * True when `text` (a line with its prompt removed) reads as a shell command:
 * after any `NAME=value` prefixes, the first word is a known command, or a path to an executable
 * (`./bin/x`, `~/x`, a path through `bin/`, a script, or a known command's path), or a lowercase
 * word followed by a flag (`tool -x`), or a compound command in its usual shape. A known command
 * followed by an English stopword (`kill the process`) is prose, and so is text ending in `:` without
 * flags (`# docker runtime:`). PowerShell cmdlets (`Get-Content x`) are commands too.
 */
export function looksLikeCommand(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === "" || (trimmed.endsWith(":") && !/\s--?\w/.test(trimmed))) return false;
  if (COMPOUND.test(trimmed) || POWERSHELL_CMDLET.test(trimmed)) return true;
  const ws = words(trimmed, 12);
  let k = 0;
  while (k < ws.length && ASSIGNMENT.test(ws[k]!)) k++;
  const first = ws[k];
  if (first === undefined) return false;
  const second = ws[k + 1];
  if (second !== undefined && STOPWORDS.has(second.toLowerCase())) return false;
  if (KNOWN_COMMANDS.has(first)) return true;
  if (isPathWord(first)) {
    if (KNOWN_COMMANDS.has(baseName(first))) return true;
    if (/^(?:\.\.?\/|~\/)/.test(first) || /\/s?bin\//.test(first) || /^s?bin\//.test(first)) return true;
    if (/\.(?:sh|py|rb|pl)$/.test(first)) return true;
    return second?.startsWith("-") === true;
  }
  return /^[a-z][a-z0-9_.-]*$/.test(first) && second !== undefined && /^--?[A-Za-z]/.test(second);
}

/**
 * The command word of `text` — the first word after any `NAME=value` prefixes — and whether
 * an argument follows it. Used for inline code (`kubectl get pods` is a command, `kubectl` is not).
 */
export function commandWord(
  text: string,
): { readonly word: string; readonly hasArguments: boolean } | undefined {
  const ws = words(text.trim(), 64);
  let k = 0;
  while (k < ws.length && ASSIGNMENT.test(ws[k]!)) k++;
  const word = ws[k];
  return word === undefined ? undefined : { word, hasArguments: k + 1 < ws.length };
}

/** True for a line that only assigns variables (`env="gprd"`, `NODE=x # note`). */
export function isAssignmentOnly(text: string): boolean {
  const ws = words(text.trim(), 64);
  if (ws.length === 0) return false;
  let k = 0;
  while (k < ws.length && ASSIGNMENT.test(ws[k]!)) k++;
  return k > 0 && (k === ws.length || ws[k]!.startsWith("#"));
}
