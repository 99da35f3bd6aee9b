// The container init's identity and environment: process.* except security.
import { refuse } from "./errors";
import { isolates, type NamespacePlan } from "./namespaces";
import type { Translation } from "./output";
import type { Process } from "./schema-process";
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

export function translateInit(process: Process, plan: NamespacePlan, out: Translation): void {
  const { uid, gid, additionalGids } = process.user;
  out.add("lxc.init.cwd", process.cwd);
  out.add("lxc.init.uid", uid);
  out.add("lxc.init.gid", gid);
  if (additionalGids?.length) {
    // liblxc drops all supplementary groups in a user namespace and ignores lxc.init.groups there.
    if (isolates(plan, "user")) {
      refuse(["process", "user", "additionalGids"], "not supported with a user namespace (liblxc ignores them there)");
    }
    out.add("lxc.init.groups", additionalGids.join(","));
  }
  for (const variable of dedupeEnv(process.env ?? [])) out.add("lxc.environment", variable);
  if (process.noNewPrivileges) out.add("lxc.no_new_privs", 1);
  if (process.oomScoreAdj != null) out.add("lxc.proc.oom_score_adj", process.oomScoreAdj);
  translateRlimits(process, out);
}

/** One KEY=value per key; a later value wins but keeps the first one's position. */
export function dedupeEnv(env: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const variable of env) byKey.set(variable.slice(0, variable.indexOf("=")), variable);
  return [...byKey.values()];
}

function limitValue(limit: number): string {
  return limit >= RLIM_INFINITY ? "unlimited" : BigInt(limit).toString();
}

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
    out.add(`lxc.prlimit.${name.toLowerCase()}`, `${limitValue(soft)}:${limitValue(hard)}`);
  });
}
