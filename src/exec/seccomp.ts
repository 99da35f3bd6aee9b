// The container's seccomp filters for an exec'd process. liblxc built one
// from the profile at create and loaded it into init; rather than build it
// again (and risk a filter that differs from liblxc's), the runtime copies
// init's classic BPF with PTRACE_SECCOMP_GET_FILTER, all of init's filters
// (whatever confined the runtime that created it included), and the process
// installs them, oldest first, right before execve. That needs ptrace (not
// Yama ptrace_scope=3), a kernel with CONFIG_CHECKPOINT_RESTORE, and a
// runtime that is not itself confined.
import { errnoText } from "../sys";
import { ptr } from "bun:ffi";
import { readFileSync } from "node:fs";
import { parseSeccompStatus } from "../runtime/seccomp";
import { ExecError } from "./errors";
import { loadHelper } from "./helper";

/** The kernel's limit for all filters of a process together (MAX_INSNS_PER_PATH); each sock_filter is 8 bytes. */
const MAX_INSTRUCTIONS = 32768;
const ESRCH = 3;

function seccompStatus(pid: number | "self") {
  return parseSeccompStatus(readFileSync(`/proc/${pid}/status`, "utf8"));
}

/**
 * init's filters, oldest first, or [] when it has none (the container was
 * created with CRIO_LXC_SECCOMP=false): the process gets what init got,
 * whatever the switch says now.
 */
export function containerFilters(initPid: number): Buffer[] {
  const init = seccompStatus(initPid);
  const ours = seccompStatus("self");
  const fail = (why: string) => new ExecError(`exec failed: applying the container's seccomp filter: ${why}`);
  if (init.mode !== 2) return [];
  if (ours.mode !== 0) throw fail("crio-lxc runs under a seccomp filter itself, so the kernel won't let it read the container's");
  if (init.filters === undefined) throw fail("copying it needs Seccomp_filters in /proc/<pid>/status (kernel ≥ 5.9)");
  const buf = Buffer.alloc(8 * MAX_INSTRUCTIONS);
  const counts = new Int32Array(init.filters);
  const total = loadHelper().crio_lxc_copy_seccomp_filters(initPid, init.filters, ptr(buf), MAX_INSTRUCTIONS, ptr(counts));
  if (total === -ESRCH) throw new ExecError("cannot exec in a stopped container");
  if (total < 0) throw fail(`reading it from the container's init ${initPid} (PTRACE_SECCOMP_GET_FILTER): ${errnoText(-total)}`);
  let offset = 0;
  return [...counts].map((count) => buf.subarray(8 * offset, 8 * (offset += count)));
}
