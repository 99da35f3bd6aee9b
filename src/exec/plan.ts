// From the OCI process to exactly what the helper does: ids, capability masks,
// rlimits, environment, the program search. Everything that can be refused is
// refused here, before anything is forked, naming the file and JSON path (or
// the flag) at fault. Pure apart from what PlanContext supplies.
import { SpecError, formatJsonPath, type JsonPathSegment } from "../oci/errors";
import type { Spec } from "../oci/schema";
import { CAPABILITY_SETS, type CapabilityMasks, capabilityNumber, maskOf, namesOf } from "./capabilities";
import { ExecError } from "./errors";
import type { ExecProcess } from "./process";

export interface Rlimit { resource: number; soft: bigint; hard: bigint }

export interface ExecPlan {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  /** undefined: capabilities are left as the runtime has them (no capabilities object, or CRIO_LXC_CAPABILITIES=false). */
  caps?: CapabilityMasks;
  noNewPrivs: boolean;
  rlimits: Rlimit[];
  umask?: number;
  oomScoreAdj?: number;
  apparmor?: string;
  /** Directories to look for args[0] in; undefined when it names a path. */
  searchDirs?: string[];
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  /** personality(2) persona from linux.personality, as init got it through lxc.arch. */
  personality?: number;
}

export interface PlanContext {
  spec: Spec;
  specFile: string;
  features: { capabilities: boolean; apparmor: boolean; seccomp: boolean };
  hostHasAppArmor: boolean;
  lastCap: number;
  /** HOME of a uid from the container's /etc/passwd. */
  homeOf(uid: number): string | undefined;
  /** The caller's RLIMIT_NOFILE (Bun raised ours): used when the process sets none. */
  callerNofile?: { soft: bigint; hard: bigint };
  note(message: string): void;
}

const FLAG_OF: Record<string, string> = { apparmorProfile: "--apparmor", selinuxLabel: "--process-label" };
const NOT_SUPPORTED_YET = "not supported yet by crio-lxc";
const PERSONA: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** An error about a field of the exec's process: names the flag that set it, or its file and JSON path. */
function refuse(exec: ExecProcess, path: JsonPathSegment[], reason: string): never {
  const flag = FLAG_OF[String(path[0])];
  if (flag && exec.flagged.has(String(path[0]))) throw new ExecError(`crio-lxc exec: ${flag}: ${reason}`, 1);
  throw new SpecError(formatJsonPath([...exec.at, ...path]), reason, exec.file);
}

function refuseInSpec(ctx: PlanContext, path: JsonPathSegment[], reason: string): never {
  throw new SpecError(formatJsonPath(path), reason, ctx.specFile);
}

export function planExec(exec: ExecProcess, ctx: PlanContext): ExecPlan {
  const p = exec.process;
  refuseUnsupported(exec, ctx);
  const uid = p.user.uid;
  const env = prepareEnv(exec, uid, ctx);
  const container = ctx.spec.process;
  return {
    args: p.args,
    env,
    cwd: p.cwd,
    uid,
    gid: p.user.gid,
    groups: p.user.additionalGids ?? [],
    caps: capabilityMasks(exec, ctx),
    noNewPrivs: p.noNewPrivileges ?? false,
    rlimits: rlimits(exec, ctx),
    // runc takes the umask from the container's config, even with --process.
    umask: container?.user.umask,
    oomScoreAdj: p.oomScoreAdj ?? container?.oomScoreAdj,
    apparmor: appArmorProfile(exec, ctx),
    searchDirs: searchDirs(p.args[0]!, env),
    terminal: p.terminal ?? false,
    consoleSize: p.consoleSize,
    personality: PERSONA[ctx.spec.linux?.personality?.domain ?? ""],
  };
}

function refuseUnsupported(exec: ExecProcess, ctx: PlanContext): void {
  const p = exec.process;
  if (p.selinuxLabel) refuse(exec, ["selinuxLabel"], "SELinux is not supported by crio-lxc");
  if (p.commandLine) refuse(exec, ["commandLine"], "Windows only");
  if (p.user.username) refuse(exec, ["user", "username"], "Windows only");
  for (const field of ["scheduler", "ioPriority", "execCPUAffinity"] as const) {
    if (p[field]) refuse(exec, [field], NOT_SUPPORTED_YET);
  }
}

/** runc's prepareEnv: the last value of a key wins (at its last position); HOME from /etc/passwd if unset or empty. */
function prepareEnv(exec: ExecProcess, uid: number, ctx: PlanContext): string[] {
  const env = exec.process.env ?? [];
  const seen = new Set<string>();
  const out: string[] = [];
  let hasHome = false;
  for (let i = env.length - 1; i >= 0; i--) {
    const variable = env[i]!;
    const key = variable.slice(0, variable.indexOf("="));
    if (seen.has(key)) continue;
    seen.add(key);
    if (variable.includes("\0")) refuse(exec, ["env", i], `variable ${key} contains a NUL byte`);
    if (key === "HOME") {
      if (variable === "HOME=") continue;
      hasHome = true;
    }
    out.push(variable);
  }
  out.reverse();
  if (!hasHome) out.push(`HOME=${ctx.homeOf(uid) ?? "/"}`);
  return out;
}

function capabilityMasks(exec: ExecProcess, ctx: PlanContext): CapabilityMasks | undefined {
  const given = exec.process.capabilities ?? ctx.spec.process?.capabilities;
  if (!ctx.features.capabilities) {
    if (given) ctx.note("process.capabilities skipped: capabilities are disabled (CRIO_LXC_CAPABILITIES=false)");
    return undefined;
  }
  // Like runc: no capabilities object means every set empty.
  const caps = given ?? {};
  const at = exec.process.capabilities ? ["capabilities"] : undefined;
  const where = (set: string, i?: number): JsonPathSegment[] => [...(at ?? ["process", "capabilities"]), set, ...(i === undefined ? [] : [i])];
  const fail = (path: JsonPathSegment[], reason: string): never => (at ? refuse(exec, path, reason) : refuseInSpec(ctx, path, reason));
  const masks = Object.fromEntries(CAPABILITY_SETS.map((set) => [set, maskOf((caps[set] ?? []).map((name, i) => {
    const number = capabilityNumber(name, ctx.lastCap);
    return typeof number === "number" ? number : fail(where(set, i), number);
  }))])) as CapabilityMasks;
  const outside = (set: "effective" | "ambient", of: bigint) => namesOf(masks[set] & ~of);
  const notPermitted = outside("effective", masks.permitted);
  if (notPermitted.length) fail(where("effective"), `${notPermitted.join(", ")} not in the permitted set`);
  const notAmbient = outside("ambient", masks.permitted & masks.inheritable);
  if (notAmbient.length) {
    // As runc and crun: the kernel won't raise them, so they are dropped, not refused.
    ctx.note(`${where("ambient").join(".")}: ${notAmbient.join(", ")} not raised: not both permitted and inheritable`);
    masks.ambient &= masks.permitted & masks.inheritable;
  }
  return masks;
}

const RLIMITS: Record<string, number> = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8, AS: 9,
  LOCKS: 10, SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
};
const RLIM_INFINITY = (1n << 64n) - 1n;
/** A JSON number can only carry RLIM_INFINITY (2^64-1) as 2^64. */
const limitValue = (n: number) => (n >= 2 ** 64 - 1 ? RLIM_INFINITY : BigInt(n));

/** runc: the process's rlimits if it has any, else the container's. */
function rlimits(exec: ExecProcess, ctx: PlanContext): Rlimit[] {
  const own = exec.process.rlimits ?? [];
  const fromContainer = !own.length;
  const list = fromContainer ? ctx.spec.process?.rlimits ?? [] : own;
  const fail = (path: JsonPathSegment[], reason: string): never =>
    fromContainer ? refuseInSpec(ctx, ["process", "rlimits", ...path], reason) : refuse(exec, ["rlimits", ...path], reason);
  const seen = new Set<number>();
  const out = list.map(({ type, soft, hard }, i): Rlimit => {
    const resource = RLIMITS[type.replace(/^RLIMIT_/, "")];
    if (!type.startsWith("RLIMIT_") || resource === undefined) fail([i, "type"], `unknown resource limit "${type}"`);
    if (seen.has(resource!)) fail([i, "type"], `duplicate resource limit "${type}"`);
    seen.add(resource!);
    if (soft > hard) fail([i, "soft"], `soft limit ${soft} exceeds hard limit ${hard}`);
    return { resource: resource!, soft: limitValue(soft), hard: limitValue(hard) };
  });
  if (!seen.has(RLIMITS.NOFILE!) && ctx.callerNofile) out.push({ resource: RLIMITS.NOFILE!, ...ctx.callerNofile });
  return out;
}

function appArmorProfile(exec: ExecProcess, ctx: PlanContext): string | undefined {
  const own = exec.process.apparmorProfile;
  const profile = own || ctx.spec.process?.apparmorProfile;
  if (!profile) return undefined;
  if (!ctx.features.apparmor) {
    ctx.note(`AppArmor profile "${profile}" skipped: AppArmor is disabled (CRIO_LXC_APPARMOR=false)`);
    return undefined;
  }
  if (!ctx.hostHasAppArmor) {
    const reason = "AppArmor is not enabled on this host; set CRIO_LXC_APPARMOR=false to run without it";
    if (own) refuse(exec, ["apparmorProfile"], reason);
    refuseInSpec(ctx, ["process", "apparmorProfile"], reason);
  }
  return profile;
}

/** Where execvpe would look for the program: $PATH of the process's environment (crio-lxc's default without one). */
function searchDirs(program: string, env: string[]): string[] | undefined {
  if (program.includes("/")) return undefined;
  const path = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  return path.split(":").map((dir) => dir || ".");
}
