/**
 * Attempts to walk around governance (issue 16, section 0): each runs a denied or destructive
 * command through a wrapper, a shell string, `xargs`, `find -exec`, or a spelling the matcher
 * must normalise. Shared by the grammar test and Stage C (`walk-arounds.test.ts`) and by the
 * runtime test (`test/runbook-runtime/governance.test.ts`), which runs every row in real mode
 * against a victim folder, in replay and in dry-run.
 *
 * `VICTIM` stands for a folder the runtime test creates; rows that name it would delete it if
 * they ran. Rows that do not (`rm -rf /`, `mkfs`) are refused by the destructive defaults.
 */
import type { Governance } from "../../src/lang/runbook/types.js";

export type RefusalKind = "not-allowed" | "denied" | "destructive" | "uncertain";

export interface WalkAround {
  readonly name: string;
  readonly argv: readonly string[];
  readonly governance: Governance;
  readonly refused: RefusalKind;
}

export const VICTIM = "VICTIM";

/** The policy: `env` allowed, `rm` denied. */
const ENV_ONLY: Governance = { allowed_commands: ["env"], denied_commands: ["rm"] };
/** No allowlist: the denial must come from looking through the wrapper. */
const DENY_RM: Governance = { denied_commands: ["rm"] };
const NONE: Governance = {};

const rm = ["rm", "-rf", VICTIM] as const;
const rmLine = `rm -rf ${VICTIM}`;

function row(
  name: string,
  argv: readonly string[],
  refused: RefusalKind,
  governance: Governance = DENY_RM,
): WalkAround {
  return { name, argv, governance, refused };
}

export const WALK_AROUNDS: readonly WalkAround[] = [
  // --- env: every option form -----------------------------------------------------------------
  row("env -u HOME rm (the issue's case)", ["env", "-u", "HOME", ...rm], "not-allowed", ENV_ONLY),
  row("env -u HOME rm, no allowlist", ["env", "-u", "HOME", ...rm], "denied"),
  row("env -uHOME (attached value)", ["env", "-uHOME", ...rm], "denied"),
  row("env --unset=HOME", ["env", "--unset=HOME", ...rm], "denied"),
  row("env --unset HOME", ["env", "--unset", "HOME", ...rm], "denied"),
  row("env --uns HOME (abbreviated long option)", ["env", "--uns", "HOME", ...rm], "denied"),
  row("env -iu HOME (cluster ending in a valued option)", ["env", "-iu", "HOME", ...rm], "denied"),
  row("env -i", ["env", "-i", ...rm], "denied"),
  row("env - (same as -i)", ["env", "-", ...rm], "denied"),
  row("env -0 -v", ["env", "-0", "-v", ...rm], "denied"),
  row("env -C /tmp", ["env", "-C", "/tmp", ...rm], "denied"),
  row("env --chdir=/", ["env", "--chdir=/", ...rm], "denied"),
  row("env NAME=value assignments", ["env", "A=1", "B=2", ...rm], "denied"),
  row("env --", ["env", "--", ...rm], "denied"),
  row("env --block-signal (optional value)", ["env", "--block-signal", ...rm], "denied"),
  row("env -S 'string'", ["env", "-S", rmLine], "denied"),
  row("env -S'string' (attached)", ["env", `-S${rmLine}`], "denied"),
  row("env --split-string=string", ["env", `--split-string=${rmLine}`], "denied"),
  row("env -iS string (cluster)", ["env", "-iS", rmLine], "denied"),
  row("env -S with options inside", ["env", "-S", `-u HOME ${rmLine}`], "denied"),
  row("env -S with a variable", ["env", "-S", "rm -rf $HOME"], "uncertain"),
  row("env with an unknown option", ["env", "-Z", ...rm], "uncertain"),
  // --- sudo, doas and the argv wrappers ---------------------------------------------------------
  row("sudo -u root", ["sudo", "-u", "root", ...rm], "denied"),
  row("sudo -uroot", ["sudo", "-uroot", ...rm], "denied"),
  row("sudo --user=root -E", ["sudo", "--user=root", "-E", ...rm], "denied"),
  row("sudo -EHn (cluster)", ["sudo", "-EHn", ...rm], "denied"),
  row("sudo --preserve-env=PATH", ["sudo", "--preserve-env=PATH", ...rm], "denied"),
  row("sudo -g wheel --", ["sudo", "-g", "wheel", "--", ...rm], "denied"),
  row("sudo NAME=value", ["sudo", "A=1", ...rm], "denied"),
  row("sudo with an unknown option", ["sudo", "--bogus", ...rm], "uncertain"),
  row("doas -u root", ["doas", "-u", "root", ...rm], "denied"),
  row("time -f %e", ["time", "-f", "%e", ...rm], "denied"),
  row("time -p", ["time", "-p", ...rm], "denied"),
  row("nice -n 5", ["nice", "-n", "5", ...rm], "denied"),
  row("nice -5 (old form)", ["nice", "-5", ...rm], "denied"),
  row("nice --adjustment=5", ["nice", "--adjustment=5", ...rm], "denied"),
  row("nohup", ["nohup", ...rm], "denied"),
  row("timeout 10", ["timeout", "10", ...rm], "denied"),
  row("timeout -s KILL 5s", ["timeout", "-s", "KILL", "5s", ...rm], "denied"),
  row(
    "timeout --kill-after=1 --foreground 1m",
    ["timeout", "--kill-after=1", "--foreground", "1m", ...rm],
    "denied",
  ),
  row("chronic -e", ["chronic", "-e", ...rm], "denied"),
  row("ionice -c2 -n7", ["ionice", "-c2", "-n7", ...rm], "denied"),
  row("ionice --class idle", ["ionice", "--class", "idle", ...rm], "denied"),
  row("setsid -w", ["setsid", "-w", ...rm], "denied"),
  row("setsid --fork", ["setsid", "--fork", ...rm], "denied"),
  row("stdbuf -oL", ["stdbuf", "-oL", ...rm], "denied"),
  row("stdbuf -o L -e 0", ["stdbuf", "-o", "L", "-e", "0", ...rm], "denied"),
  row("busybox rm", ["busybox", ...rm], "denied"),
  row("chroot / rm", ["chroot", "/", ...rm], "denied"),
  row("chroot --userspec=0:0 / rm", ["chroot", "--userspec=0:0", "/", ...rm], "denied"),
  row("taskset 0x1", ["taskset", "0x1", ...rm], "denied"),
  row("taskset -c 0,1", ["taskset", "-c", "0,1", ...rm], "denied"),
  row("flock -n file cmd", ["flock", "-n", "/tmp/lock", ...rm], "denied"),
  row("flock file -c 'cmd'", ["flock", "/tmp/lock", "-c", rmLine], "denied"),
  row("flock -c 'cmd' file", ["flock", "-c", rmLine, "/tmp/lock"], "denied"),
  row("unshare -m", ["unshare", "-m", ...rm], "denied"),
  row("nsenter -t 1 -m", ["nsenter", "-t", "1", "-m", ...rm], "denied"),
  row("script -qc 'cmd' /dev/null", ["script", "-qc", rmLine, "/dev/null"], "denied"),
  row(
    "nested wrappers",
    ["timeout", "5", "sudo", "-u", "root", "nice", "-n", "1", "env", "-i", ...rm],
    "denied",
  ),
  // --- shells and command strings -------------------------------------------------------------
  row("bash -c", ["bash", "-c", rmLine], "denied"),
  row("sh -c", ["sh", "-c", rmLine], "denied"),
  row("bash -lc (cluster)", ["bash", "-lc", rmLine], "denied"),
  row("bash -o pipefail -c", ["bash", "-o", "pipefail", "-c", rmLine], "denied"),
  row("bash --norc -c", ["bash", "--norc", "-c", rmLine], "denied"),
  row("dash -ec", ["/bin/dash", "-ec", rmLine], "denied"),
  row("zsh -c", ["zsh", "-c", rmLine], "denied"),
  row("ksh -c", ["ksh", "-c", rmLine], "denied"),
  row("sh -c after ';'", ["sh", "-c", `ls; ${rmLine}`], "denied"),
  row("sh -c after '&&'", ["sh", "-c", `true && ${rmLine}`], "denied"),
  row("sh -c after '||'", ["sh", "-c", `false || ${rmLine}`], "denied"),
  row("sh -c in a pipe", ["sh", "-c", `echo y | ${rmLine}`], "denied"),
  row("sh -c with an assignment", ["sh", "-c", `A=1 ${rmLine}`], "denied"),
  row("sh -c exec", ["sh", "-c", `exec ${rmLine}`], "denied"),
  row("sh -c command", ["sh", "-c", `command ${rmLine}`], "denied"),
  row("sh -c eval", ["sh", "-c", `eval ${rmLine}`], "denied"),
  row("sh -c with quotes inside the program name", ["sh", "-c", `r""m -rf ${VICTIM}`], "denied"),
  row("fish -c 'true; and rm'", ["fish", "-c", `true; and ${rmLine}`], "denied"),
  row("bash -c $(…)", ["bash", "-c", `rm -rf $(echo ${VICTIM})`], "uncertain"),
  row("bash -c backquotes", ["bash", "-c", `rm -rf \`echo ${VICTIM}\``], "uncertain"),
  row("bash -c $VAR", ["bash", "-c", "$CMD"], "uncertain"),
  row("bash -c with a line break", ["bash", "-c", `ls\n${rmLine}`], "uncertain"),
  row("bash -c with a glob", ["bash", "-c", `rm -rf ${VICTIM}*`], "uncertain"),
  row("bash -c with a comment", ["bash", "-c", `ls #x; ${rmLine}`], "uncertain"),
  row("bash -c if … then", ["bash", "-c", `if true; then ${rmLine}; fi`], "uncertain"),
  row("bash -c subshell", ["bash", "-c", `(${rmLine})`], "uncertain"),
  row("bash -c alias", ["bash", "-c", `alias x=rm; x -rf ${VICTIM}`], "uncertain"),
  row("bash -c trap", ["bash", "-c", `trap '${rmLine}' EXIT`], "uncertain"),
  row("bash reading its input", ["bash"], "uncertain"),
  row("bash -s", ["bash", "-s"], "uncertain"),
  // --- xargs, find, watch, su, ssh --------------------------------------------------------------
  row("xargs rm", ["xargs", ...rm], "denied"),
  row("xargs -0 -n1 rm", ["xargs", "-0", "-n1", ...rm], "denied"),
  row("xargs -I{} rm", ["xargs", "-I{}", "rm", "-rf", "{}"], "denied"),
  row("xargs --max-args=1 rm", ["xargs", "--max-args=1", ...rm], "denied"),
  row("sh -c 'echo | xargs rm'", ["sh", "-c", `echo ${VICTIM} | xargs rm -rf`], "denied"),
  row("find -exec rm {} ;", ["find", VICTIM, "-exec", "rm", "-rf", "{}", ";"], "denied"),
  row("find -execdir rm {} +", ["find", VICTIM, "-execdir", "rm", "-rf", "{}", "+"], "denied"),
  row("find -ok rm", ["find", VICTIM, "-maxdepth", "0", "-ok", "rm", "-rf", "{}", ";"], "denied"),
  row("find -exec without its end", ["find", VICTIM, "-exec", "rm", "-rf", "{}"], "uncertain"),
  row("watch -n1 rm", ["watch", "-n1", ...rm], "denied"),
  row("watch 'rm …' (a shell string)", ["watch", rmLine], "denied"),
  row("watch -x rm", ["watch", "-x", ...rm], "denied"),
  row("su -c", ["su", "-c", rmLine], "denied"),
  row("su - root -c", ["su", "-", "root", "-c", rmLine], "denied"),
  row("su root --command=", ["su", "root", `--command=${rmLine}`], "denied"),
  row("ssh host cmd", ["ssh", "host", ...rm], "denied"),
  row(
    "ssh -p 22 -o X=y host 'cmd'",
    ["ssh", "-p", "22", "-o", "StrictHostKeyChecking=no", "host", rmLine],
    "denied",
  ),
  // --- the destructive defaults, normalised -------------------------------------------------------
  row("rm -rf //", ["rm", "-rf", "//"], "destructive", NONE),
  row("rm -r -f /.", ["rm", "-r", "-f", "/."], "destructive", NONE),
  row("rm -fr /", ["rm", "-fr", "/"], "destructive", NONE),
  row("rm --recursive --force /", ["rm", "--recursive", "--force", "/"], "destructive", NONE),
  row("rm --rec / (abbreviated)", ["rm", "--rec", "/"], "destructive", NONE),
  row("rm -rf -- /", ["rm", "-rf", "--", "/"], "destructive", NONE),
  row("rm -rf /tmp/..", ["rm", "-rf", "/tmp/.."], "destructive", NONE),
  row("rm -rf /etc/", ["rm", "-rf", "/etc/"], "destructive", NONE),
  row("rm -Rf ~/", ["rm", "-Rf", "~/"], "destructive", NONE),
  row("rm -rf ./", ["rm", "-rf", "./"], "destructive", NONE),
  row("rm -rf ..", ["rm", "-rf", ".."], "destructive", NONE),
  row("rm -vrf //*", ["rm", "-vrf", "//*"], "destructive", NONE),
  row("kubectl delete namespaces prod", ["kubectl", "delete", "namespaces", "prod"], "destructive", NONE),
  row("kubectl delete ns/prod", ["kubectl", "delete", "ns/prod"], "destructive", NONE),
  row("kubectl delete namespace/prod", ["kubectl", "delete", "namespace/prod"], "destructive", NONE),
  row("kubectl -n x delete NS prod", ["kubectl", "-n", "x", "delete", "NS", "prod"], "destructive", NONE),
  row(
    "kubectl delete pods,namespaces --all",
    ["kubectl", "delete", "pods,namespaces", "--all"],
    "destructive",
    NONE,
  ),
  row("oc delete project x", ["oc", "delete", "project", "x"], "destructive", NONE),
  row("xargs mkfs.ext4", ["xargs", "mkfs.ext4"], "destructive", NONE),
  row("xargs rm -rf (targets from the input)", ["xargs", "rm", "-rf"], "destructive", NONE),
  row("/sbin/mkfs -t ext4", ["/sbin/mkfs", "-t", "ext4", "/dev/sdb"], "destructive", NONE),
  row("dd of=//dev//sda", ["dd", "if=/dev/zero", "of=//dev//sda"], "destructive", NONE),
  row("bash -c mkfs", ["bash", "-c", "mkfs.ext4 /dev/sdb"], "destructive", NONE),
  row("env -u HOME wipefs", ["env", "-u", "HOME", "wipefs", "-a", "/dev/sdb"], "destructive", NONE),
  row("find / -exec rm -rf {} +", ["find", "/", "-exec", "rm", "-rf", "{}", "+"], "destructive", NONE),
  row("ssh host 'sudo reboot'", ["ssh", "host", "sudo reboot"], "destructive", NONE),
];

/** The row's argv with `VICTIM` replaced by `victim`. */
export function argvFor(walkAround: WalkAround, victim: string): string[] {
  return walkAround.argv.map((word) => word.replaceAll(VICTIM, victim));
}
