// The operator switches, and AppArmor (capabilities: capabilities.ts, seccomp: seccomp.ts).
import { refuse } from "../oci/errors";
import type { Translation } from "./output";
import type { Process } from "../oci/schema-process";

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
