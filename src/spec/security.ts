// AppArmor and seccomp (capabilities are in capabilities.ts), each behind an operator switch.
import { refuse } from "./errors";
import type { Translation } from "./output";
import type { Spec } from "./schema";
import type { Process } from "./schema-process";

/** The operator's switches (CRIO_LXC_APPARMOR, _CAPABILITIES, _CGROUP_DEVICES, _SECCOMP). */
export interface FeatureSwitches {
  apparmor: boolean;
  capabilities: boolean;
  cgroupDevices: boolean;
  seccomp: boolean;
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

export function translateSeccomp(spec: Spec, features: FeatureSwitches, out: Translation): void {
  if (!spec.linux?.seccomp) return;
  if (!features.seccomp) return void out.note("linux.seccomp skipped: seccomp is disabled (CRIO_LXC_SECCOMP=false)");
  refuse(["linux", "seccomp"], "not supported yet by crio-lxc; set CRIO_LXC_SECCOMP=false to run without seccomp");
}
