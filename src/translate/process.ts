// The container init's identity and environment: process.* except security.
import { refuse } from "../oci/errors";
import { isolates, type NamespacePlan } from "./namespaces";
import { shellQuote, type Translation } from "./output";
import type { MountedPath, ResolvePath } from "./paths";
import type { Process } from "../oci/schema-process";
import { refuseIfSet } from "./unsupported";

const RLIMIT_TYPES = [
  "AS", "CORE", "CPU", "DATA", "FSIZE", "LOCKS", "MEMLOCK", "MSGQUEUE",
  "NICE", "NOFILE", "NPROC", "RSS", "RTPRIO", "RTTIME", "SIGPENDING", "STACK",
];

/** RLIM_INFINITY is 2^64-1, which a JSON number can only carry as 2^64. */
const RLIM_INFINITY = 2 ** 64 - 1;

export function refuseUnsupportedProcessFields(process: Process): void {
  refuseIfSet(process, ["process"], ["commandLine"], "Windows only");
  refuseIfSet(process.user, ["process", "user"], ["username"], "Windows only");
  refuseIfSet(process, ["process"], ["selinuxLabel"], "SELinux is not supported by crio-lxc");
  refuseIfSet(process, ["process"], ["scheduler", "ioPriority", "execCPUAffinity"]);
}

/**
 * @param homeOf the home directory of a uid in the container's /etc/passwd;
 * like runc, HOME is set from it (or "/") when the spec's env has none or an empty one.
 */
/** The init's supplementary groups in a user namespace, which it sets itself (src/native/c/monitor-init.c). */
export interface InitGroups {
  uid: number;
  gids: number[];
}

/** Returns the groups the init must set itself (a user namespace), if any. */
export function translateInit(process: Process, plan: NamespacePlan, out: Translation, homeOf?: (uid: number) => string | undefined): InitGroups | undefined {
  const { uid, gid, additionalGids } = process.user;
  out.add("lxc.init.cwd", process.cwd);
  out.add("lxc.init.uid", uid);
  out.add("lxc.init.gid", gid);
  let initGroups: InitGroups | undefined;
  if (additionalGids?.length) {
    // liblxc drops all supplementary groups in a user namespace and ignores lxc.init.groups there.
    if (isolates(plan, "user")) initGroups = { uid, gids: additionalGids };
    else out.add("lxc.init.groups", additionalGids.join(","));
  }
  (process.env ?? []).forEach((variable, i) => {
    // liblxc would cut the value at the NUL.
    if (variable.includes("\0")) refuse(["process", "env", i], "contains a NUL byte");
  });
  const env = dedupeEnv(process.env ?? []).filter((variable) => variable !== "HOME=");
  if (!env.some((variable) => variable.startsWith("HOME="))) env.push(`HOME=${homeOf?.(uid) ?? "/"}`);
  for (const variable of env) out.add("lxc.environment", variable);
  if (process.noNewPrivileges) out.add("lxc.no_new_privs", 1);
  if (process.oomScoreAdj != null) out.add("lxc.proc.oom_score_adj", process.oomScoreAdj);
  translateRlimits(process, out);
  return initGroups;
}

/** One KEY=value per key: the last one, at its own position (runc's prepareEnv, as exec does). */
export function dedupeEnv(env: readonly string[]): string[] {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (let i = env.length - 1; i >= 0; i--) {
    const key = env[i]!.slice(0, env[i]!.indexOf("="));
    if (!seen.has(key)) kept.push(env[i]!);
    seen.add(key);
  }
  return kept.reverse();
}

function limitValue(limit: number): string {
  return limit >= RLIM_INFINITY ? "unlimited" : BigInt(limit).toString();
}

/**
 * liblxc sets lxc.prlimit.* on the init before setting the container up, in
 * a process that is still a copy of the runtime's (Bun reserves gigabytes of
 * address space): an address space, data or stack limit would make it fail,
 * and liblxc's monitor then waits forever. Those three are applied by a
 * start-host hook instead, after the setup and before init execs (init is
 * still root then, so no CAP_SYS_RESOURCE is needed even for a non-root user).
 */
const AFTER_SETUP: Record<string, string> = { AS: "--as", DATA: "--data", STACK: "--stack" };

function translateRlimits(process: Process, out: Translation): void {
  const seen = new Set<string>();
  (process.rlimits ?? []).forEach(({ type, soft, hard }, i) => {
    const name = type.replace(/^RLIMIT_/, "");
    if (!type.startsWith("RLIMIT_") || !RLIMIT_TYPES.includes(name)) {
      refuse(["process", "rlimits", i, "type"], `unknown resource limit "${type}"`);
    }
    if (seen.has(name)) refuse(["process", "rlimits", i, "type"], `duplicate resource limit "${type}"`);
    seen.add(name);
    if (soft > hard) refuse(["process", "rlimits", i, "soft"], `soft limit ${soft} exceeds hard limit ${hard}`);
    const value = `${limitValue(soft)}:${limitValue(hard)}`;
    const option = AFTER_SETUP[name];
    if (option) out.hookLine("start-host", `prlimit --pid "$LXC_PID" ${option}=${value}`);
    else out.add(`lxc.prlimit.${name.toLowerCase()}`, value);
  });
}

/**
 * Like runc, a missing working directory is created (0755, owned by root):
 * in the image before start, or by the mount hook when it lies in a mount,
 * one component at a time so that no symlink there is followed. In a mount
 * the hook walks it even when it exists: what the host sees there (its own
 * /proc/self, a volume's content) is not what liblxc's chdir will follow,
 * and a symlink such as /proc/self/fd/N would lead out of the container.
 */
export function translateCwd(process: Process, resolvePath: ResolvePath, mounted: readonly MountedPath[], out: Translation): void {
  const at = ["process", "cwd"];
  const cwd = resolvePath(process.cwd, mounted);
  if (cwd.kind === "file") refuse(at, `${JSON.stringify(process.cwd)} is not a directory`);
  // liblxc's chdir gets the path checked here, not the image's symlinks to follow again.
  out.replace("lxc.init.cwd", `/${cwd.target}`);
  if (!cwd.target) return;
  if (!cwd.belowMount) {
    if (cwd.kind === "missing") out.mountPoint({ target: cwd.target, kind: "directory", at });
    return;
  }
  const parts = cwd.target.split("/").map(shellQuote).join(" ");
  out.hookLine("mount", `d="$LXC_ROOTFS_MOUNT"; for p in ${parts}; do d="$d/$p"; if [ -L "$d" ]; then echo "process.cwd: $d is a symbolic link" >&2; exit 1; fi; [ -d "$d" ] || mkdir -m 755 "$d"; done`);
}
