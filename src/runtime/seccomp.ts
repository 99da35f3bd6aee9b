// Checks that liblxc really loaded a container's seccomp profile: liblxc skips
// it without an error when /proc/self/status has no Seccomp line (a kernel
// without CONFIG_SECCOMP), and would when already confined but for
// lxc.seccomp.allow_nesting.
import { readFileSync } from "node:fs";
import { RuntimeError } from "./context";

export interface SeccompStatus {
  /** 0 off, 1 strict, 2 filter; undefined when the kernel has no seccomp. */
  mode?: number;
  /** Filters attached (kernel ≥ 5.9). */
  filters?: number;
}

export function parseSeccompStatus(status: string): SeccompStatus {
  const field = (name: string) => {
    const match = status.match(new RegExp(`^${name}:\\s*(\\d+)$`, "m"));
    return match ? Number(match[1]) : undefined;
  };
  return { mode: field("Seccomp"), filters: field("Seccomp_filters") };
}

const statusOf = (pid: number | "self") => parseSeccompStatus(readFileSync(`/proc/${pid}/status`, "utf8"));

/** Throws unless `initPid` (held before its exec) has a filter more than we do and the monitor's `monitorFilters`: its profile. */
export function requireSeccompLoaded(initPid: number, monitorFilters: number): void {
  const init = statusOf(initPid);
  const ours = statusOf("self");
  const loaded = init.mode === 2 && (init.filters === undefined || init.filters > (ours.filters ?? 0) + monitorFilters);
  if (!loaded) {
    const seen = init.mode === undefined ? "this kernel has no seccomp" : `Seccomp: ${init.mode}, Seccomp_filters: ${init.filters ?? "?"}`;
    throw new RuntimeError(`linux.seccomp: liblxc did not load the profile (${seen}); set CRIO_LXC_SECCOMP=false to run without seccomp`);
  }
}
