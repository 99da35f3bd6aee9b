// Capabilities and AppArmor, each behind an operator switch (seccomp: seccomp.ts).
import { refuse } from "./errors";
import type { Translation } from "./output";
import type { Process } from "./schema-process";
import { isUnset } from "./unsupported";

/** The operator's switches (CRIO_LXC_APPARMOR, _CAPABILITIES, _CGROUP_DEVICES, _SECCOMP). */
export interface FeatureSwitches {
  apparmor: boolean;
  capabilities: boolean;
  cgroupDevices: boolean;
  seccomp: boolean;
}

/** The capability names liblxc 5.0 knows (caps_opt in conf.c). */
const LXC_CAPABILITIES = new Set([
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
  "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
  "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
  "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
  "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
  "checkpoint_restore",
]);

const CAPABILITY_SETS = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const;

function lxcCapabilityNames(names: readonly string[], set: string): string[] {
  return names.map((name, i) => {
    const lxcName = name.replace(/^CAP_/, "").toLowerCase();
    if (!name.startsWith("CAP_") || !LXC_CAPABILITIES.has(lxcName)) {
      refuse(["process", "capabilities", set, i], `unknown capability "${name}"`);
    }
    return lxcName;
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const setA = new Set(a);
  const setB = new Set(b);
  return setA.size === setB.size && [...setA].every((x) => setB.has(x));
}

/**
 * liblxc only limits the bounding set. A root init then execs with
 * effective = permitted = bounding, a non-root one with no capabilities; any
 * other combination can't be honoured yet.
 */
function checkCapabilitySets(process: Process, sets: Record<(typeof CAPABILITY_SETS)[number], string[]>): void {
  const at = (set: string) => ["process", "capabilities", set];
  for (const set of ["inheritable", "ambient"] as const) {
    if (sets[set].length) refuse(at(set), "not supported yet by crio-lxc (liblxc only sets the bounding set)");
  }
  for (const set of ["effective", "permitted"] as const) {
    if (process.user.uid !== 0 && sets[set].length) {
      refuse(at(set), "not supported yet for a non-root user by crio-lxc (liblxc only sets the bounding set)");
    }
    if (process.user.uid === 0 && !sameSet(sets[set], sets.bounding)) {
      refuse(at(set), "must equal the bounding set for a root user (liblxc only sets the bounding set)");
    }
  }
}

export function translateCapabilities(process: Process, features: FeatureSwitches, out: Translation): void {
  if (!features.capabilities) {
    if (!isUnset(process.capabilities)) out.note("process.capabilities skipped: capabilities are disabled (CRIO_LXC_CAPABILITIES=false)");
    return;
  }
  // Like runc: no capabilities object means no restriction at all.
  const caps = process.capabilities;
  if (!caps) return;
  const sets = Object.fromEntries(
    CAPABILITY_SETS.map((set) => [set, lxcCapabilityNames(caps[set] ?? [], set)]),
  ) as Record<(typeof CAPABILITY_SETS)[number], string[]>;
  checkCapabilitySets(process, sets);
  const keep = [...new Set(sets.bounding)];
  out.add("lxc.cap.keep", keep.length ? keep.join(" ") : "none");
}

/**
 * Without lxc.apparmor.profile, liblxc applies its own lxc-container-default
 * profile on an AppArmor host. OCI (like runc) leaves the process's profile
 * alone when none is requested, which is liblxc's "unchanged".
 */
export function translateAppArmor(
  process: Process, features: FeatureSwitches, hostHasAppArmor: boolean, out: Translation,
): void {
  const profile = process.apparmorProfile;
  if (!features.apparmor) {
    if (profile) out.note(`process.apparmorProfile "${profile}" skipped: AppArmor is disabled (CRIO_LXC_APPARMOR=false)`);
    if (hostHasAppArmor) out.add("lxc.apparmor.profile", "unchanged");
    return;
  }
  if (!hostHasAppArmor) {
    if (profile) {
      refuse(["process", "apparmorProfile"], "AppArmor is not enabled on this host; set CRIO_LXC_APPARMOR=false to run without it");
    }
    return;
  }
  out.add("lxc.apparmor.profile", profile || "unchanged");
}
