// The container's seccomp filter for an exec'd process. liblxc built it from
// the profile at create and loaded it into init; rather than build it again
// (and risk a filter that differs from liblxc's), the runtime copies init's
// classic BPF with PTRACE_SECCOMP_GET_FILTER and the process installs it
// right before execve. That needs ptrace (not Yama ptrace_scope=3), a kernel
// with CONFIG_CHECKPOINT_RESTORE, and a runtime that is not itself confined.
import { ptr } from "bun:ffi";
import { readFileSync } from "node:fs";
import { getSystemErrorMessage } from "node:util";
import { parseSeccompStatus } from "../runtime/seccomp";
import { ExecError } from "./errors";
import { loadHelper } from "./helper";

/** BPF_MAXINSNS; each sock_filter is 8 bytes. */
const MAX_INSTRUCTIONS = 4096;
const ESRCH = 3;

function seccompStatus(pid: number | "self") {
  return parseSeccompStatus(readFileSync(`/proc/${pid}/status`, "utf8"));
}

/**
 * liblxc's filter is the first init got beyond what the runtime itself runs
 * under (none: reading filters needs an unconfined tracer); filters init may
 * have added later are newer and left out.
 */
export function copyContainerFilter(initPid: number): Buffer {
  const init = seccompStatus(initPid);
  const ours = seccompStatus("self");
  const fail = (why: string) => new ExecError(`exec failed: applying linux.seccomp: ${why}; set CRIO_LXC_SECCOMP=false to run without seccomp`);
  if (init.filters === undefined) throw fail("copying the container's filter needs Seccomp_filters in /proc/<pid>/status (kernel ≥ 5.9)");
  if (ours.mode !== 0) throw fail("crio-lxc runs under a seccomp filter itself, so the kernel won't let it read the container's");
  if (init.filters < 1) throw fail(`the container's init ${initPid} has no seccomp filter (was it created with CRIO_LXC_SECCOMP=false?)`);
  const buf = Buffer.alloc(8 * MAX_INSTRUCTIONS);
  const count = loadHelper().crio_lxc_copy_seccomp_filter(initPid, init.filters - 1, ptr(buf), MAX_INSTRUCTIONS);
  if (count === -ESRCH) throw new ExecError("cannot exec in a stopped container");
  if (count < 0) throw fail(`reading the filter of the container's init ${initPid} (PTRACE_SECCOMP_GET_FILTER): ${getSystemErrorMessage(count)}`);
  return buf.subarray(0, 8 * count);
}
