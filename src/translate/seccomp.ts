// linux.seccomp → a liblxc seccomp profile (the "2" text format parsed by
// liblxc 5.0's seccomp.c), written as a state file, and its lxc.seccomp.* items.
//
//   2
//   allowlist errno 38             <- policy line with the default action
//   mkdir errno 1                  <- one line per syscall name: name action [filters]
//   kill errno 13 [0,1,SCMP_CMP_EQ] [1,10,SCMP_CMP_EQ]   <- filters are AND-ed
//   kill errno 13 [0,2,SCMP_CMP_EQ]                       <- lines are OR-ed
import { refuse, type JsonPathSegment } from "../oci/errors";
import type { Translation } from "./output";
import { type BpfInstruction, hostAbis, unlistedAbiFilter } from "./seccomp-abi";
import { SECCOMP_ACTIONS, SECCOMP_OPERATORS, type Linux } from "../oci/schema-linux";
import type { FeatureSwitches } from "./security";

type Seccomp = NonNullable<Linux["seccomp"]>;
type SyscallRule = NonNullable<Seccomp["syscalls"]>[number];
type ArgFilter = NonNullable<SyscallRule["args"]>[number];
type Action = Seccomp["defaultAction"];

const AT = ["linux", "seccomp"] as const;
const at = (...path: JsonPathSegment[]) => [...AT, ...path];

const EPERM = 1;
/** The kernel caps SECCOMP_RET_ERRNO data at MAX_ERRNO. */
const MAX_ERRNO = 4095;
const MAX_SYSCALL_ARGS = 6;

/** Every architecture the runtime-spec lists (libseccomp 2.6). */
const OCI_ARCHITECTURES = new Set([
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
]);

/** null: accepted without effect (TSYNC: liblxc loads the filter while init is single-threaded). */
const FLAG_REFUSALS: Record<string, string | null> = {
  SECCOMP_FILTER_FLAG_TSYNC: null,
  SECCOMP_FILTER_FLAG_LOG: "liblxc 5.0 loads the filter without flags and can't log its actions",
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: "liblxc 5.0 loads the filter without flags and can't disable the speculative store bypass mitigation",
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: "only meaningful with SCMP_ACT_NOTIFY, which crio-lxc can't honour",
};

const ACTION_REFUSALS: Partial<Record<Action, string>> = {
  SCMP_ACT_KILL_PROCESS: "liblxc 5.0's profile format can only kill the thread (SCMP_ACT_KILL_THREAD)",
  SCMP_ACT_TRACE: "liblxc 5.0's profile format has no trace action",
  SCMP_ACT_LOG: "liblxc 5.0's profile format has no log action",
  SCMP_ACT_NOTIFY: "liblxc forwards notifications with its own proxy protocol (lxc.seccomp.notify.proxy), not to an OCI seccomp agent",
};

/** The action as liblxc writes it; `errnoRet` is only valid with SCMP_ACT_ERRNO (the spec says to fail otherwise). */
function lxcAction(action: Action, errnoRet: number | undefined, actionAt: JsonPathSegment[], errnoAt: JsonPathSegment[]): string {
  const refusal = ACTION_REFUSALS[action];
  if (refusal) refuse(actionAt, `${action}: ${refusal}`);
  if (action !== "SCMP_ACT_ERRNO") {
    if (errnoRet !== undefined) refuse(errnoAt, `only SCMP_ACT_ERRNO returns an errno, not ${action}`);
    if (action === "SCMP_ACT_ALLOW") return "allow";
    if (action === "SCMP_ACT_TRAP") return "trap";
    return "kill"; // liblxc's kill is SCMP_ACT_KILL, which is SCMP_ACT_KILL_THREAD
  }
  if (errnoRet !== undefined && errnoRet > MAX_ERRNO) refuse(errnoAt, `errno ${errnoRet} is above ${MAX_ERRNO}, the most the kernel returns`);
  return `errno ${errnoRet ?? EPERM}`;
}

/**
 * Listed architectures the host can't run are no-ops; the host's ABIs the
 * list leaves out are killed by a filter of the monitor's (seccomp-abi.ts).
 */
function checkArchitectures(seccomp: Seccomp, hostArch: string): void {
  if (!hostAbis(hostArch)) refuse([...AT], `not supported by crio-lxc on ${hostArch} hosts`);
  (seccomp.architectures ?? []).forEach((name, i) => {
    if (!OCI_ARCHITECTURES.has(name)) refuse(at("architectures", i), `unknown architecture "${name}"`);
  });
}

function checkFlags(seccomp: Seccomp): void {
  (seccomp.flags ?? []).forEach((flag, i) => {
    const refusal = FLAG_REFUSALS[flag];
    if (refusal === undefined) refuse(at("flags", i), `unknown flag "${flag}"`);
    if (refusal) refuse(at("flags", i), `${flag}: ${refusal}`);
  });
}

function checkListener(seccomp: Seccomp, out: Translation): void {
  if (seccomp.listenerMetadata && !seccomp.listenerPath) refuse(at("listenerMetadata"), "must not be set without listenerPath");
  // SCMP_ACT_NOTIFY is refused, and without it the spec says listenerPath is ignored.
  if (seccomp.listenerPath) out.note("linux.seccomp.listenerPath ignored: no rule uses SCMP_ACT_NOTIFY");
}

function exactNumber(value: number, valueAt: JsonPathSegment[]): string {
  if (!Number.isSafeInteger(value)) refuse(valueAt, `${value} is above 2^53-1, which crio-lxc can't read exactly from JSON`);
  return String(value);
}

/**
 * One `[index,datum,op]` filter. For SCMP_CMP_MASKED_EQ the OCI `value` is the
 * mask and `valueTwo` the datum (libseccomp's datum_a/datum_b, as runc and crun
 * pass them); liblxc reads `[index,datum,SCMP_CMP_MASKED_EQ,mask]`.
 */
function argFilter(arg: ArgFilter, argAt: JsonPathSegment[]): string {
  if (arg.index >= MAX_SYSCALL_ARGS) refuse([...argAt, "index"], `syscalls have ${MAX_SYSCALL_ARGS} arguments, 0 to ${MAX_SYSCALL_ARGS - 1}`);
  const value = exactNumber(arg.value, [...argAt, "value"]);
  const valueTwo = exactNumber(arg.valueTwo ?? 0, [...argAt, "valueTwo"]);
  if (arg.op === "SCMP_CMP_MASKED_EQ") return `[${arg.index},${valueTwo},${arg.op},${value}]`;
  if (arg.valueTwo) refuse([...argAt, "valueTwo"], `only used by SCMP_CMP_MASKED_EQ, not ${arg.op}`);
  return `[${arg.index},${value},${arg.op}]`;
}

/**
 * The filter sets of a rule, each becoming a line (lines of one syscall are
 * OR-ed). libseccomp refuses (EINVAL) a rule comparing one argument twice, so
 * then, as runc and crun do, every comparison becomes a rule of its own.
 */
function argFilterSets(args: readonly ArgFilter[], rule: number): string[][] {
  const filters = args.map((arg, i) => argFilter(arg, at("syscalls", rule, "args", i)));
  const indexes = new Set(args.map((arg) => arg.index));
  return indexes.size === args.length ? [filters] : filters.map((filter) => [filter]);
}

/** Names liblxc would misread: it splits lines at spaces and gives `#`, `[` and reject_force_umount meanings of their own. */
function checkSyscallName(name: string, nameAt: JsonPathSegment[]): void {
  if (!/^\w+$/.test(name)) refuse(nameAt, `"${name}" is not a syscall name`);
  if (name.startsWith("reject_force_umount")) refuse(nameAt, `"${name}" is not a syscall name (liblxc reads it as a rule of its own)`);
}

/**
 * Names libseccomp doesn't know are left to liblxc, which skips them (logged
 * at INFO), as runc does: profiles list syscalls newer than the host's libseccomp.
 */
function ruleLines(rule: SyscallRule, index: number, defaultAction: string): string[] {
  const action = lxcAction(rule.action, rule.errnoRet, at("syscalls", index, "action"), at("syscalls", index, "errnoRet"));
  const filterSets = argFilterSets(rule.args ?? [], index);
  rule.names.forEach((name, i) => checkSyscallName(name, at("syscalls", index, "names", i)));
  // libseccomp refuses (EACCES) a rule with the default action, and liblxc then
  // fails the whole profile; such a rule changes nothing, so leave it out (as runc does).
  if (action === defaultAction) return [];
  return rule.names.flatMap((name) => filterSets.map((filters) => [name, action, ...filters].join(" ")));
}

/** The liblxc profile text for `seccomp`, on a host of `hostArch` (process.arch). */
export function seccompProfile(seccomp: Seccomp, hostArch: string, out: Translation): string {
  const { defaultAction, defaultErrnoRet } = seccomp;
  const action = lxcAction(defaultAction, defaultErrnoRet, at("defaultAction"), at("defaultErrnoRet"));
  checkArchitectures(seccomp, hostArch);
  checkFlags(seccomp);
  checkListener(seccomp, out);
  const lines = (seccomp.syscalls ?? []).flatMap((rule, i) => ruleLines(rule, i, action));
  // Every line has its own action, so the list type only names the default.
  const policy = `${action === "allow" ? "denylist" : "allowlist"} ${action}`;
  return ["2", policy, ...new Set(lines)].join("\n") + "\n";
}

/** What the translator accepts, for `crio-lxc features`; `enabled` is false on hosts liblxc's filter doesn't cover. */
export function seccompFeatures(hostArch: string) {
  return {
    enabled: hostAbis(hostArch) !== undefined,
    actions: SECCOMP_ACTIONS.filter((action) => !ACTION_REFUSALS[action]),
    operators: [...SECCOMP_OPERATORS],
    archs: [...OCI_ARCHITECTURES],
    knownFlags: Object.keys(FLAG_REFUSALS),
    supportedFlags: Object.keys(FLAG_REFUSALS).filter((flag) => FLAG_REFUSALS[flag] === null),
  };
}

export interface SeccompContext {
  features: FeatureSwitches;
  /** Absolute state directory: the profile is written there. */
  stateDir: string;
  /** The host's CPU architecture as process.arch names it. */
  hostArch: string;
}

/** The profile for liblxc; returns the monitor's filter for the host ABIs the profile doesn't list, if any. */
export function translateSeccomp(seccomp: Seccomp | undefined, ctx: SeccompContext, out: Translation): BpfInstruction[] | undefined {
  if (!seccomp) return undefined;
  if (!ctx.features.seccomp) return void out.note("linux.seccomp skipped: seccomp is disabled (CRIO_LXC_SECCOMP=false)");
  const profile = out.file(ctx.stateDir, "seccomp.conf", seccompProfile(seccomp, ctx.hostArch, out));
  out.add("lxc.seccomp.profile", profile);
  // Without it liblxc silently skips the profile when the runtime itself already runs under a filter.
  out.add("lxc.seccomp.allow_nesting", 1);
  return unlistedAbiFilter(seccomp.architectures ?? [], ctx.hostArch);
}
