// Lays an ExecPlan out as C memory: one buffer holding the slot array and
// everything it points to (strings, string arrays, gid and rlimit arrays).
// One allocation, so nothing the C code points at can be collected or moved
// while the helper runs.
import { ptr } from "bun:ffi";
import { SLOT } from "../native/shared";
import type { ExecPlan } from "./plan";

class CMemory {
  readonly buf: Buffer;
  private readonly base: bigint;
  private used: number;

  constructor(size: number, reserved: number) {
    this.buf = Buffer.alloc(size);
    this.base = BigInt(ptr(this.buf));
    this.used = reserved;
  }

  private take(bytes: number): number {
    const offset = (this.used + 7) & ~7;
    if (offset + bytes > this.buf.length) throw new Error("exec plan: C memory estimate too small");
    this.used = offset + bytes;
    return offset;
  }

  cstring(text: string): bigint {
    const bytes = Buffer.from(text);
    const offset = this.take(bytes.length + 1);
    bytes.copy(this.buf, offset);
    return this.base + BigInt(offset);
  }

  /** A NULL-terminated char*[]. */
  cstrings(list: readonly string[]): bigint {
    const pointers = list.map((s) => this.cstring(s));
    return this.u64s([...pointers, 0n]);
  }

  u64s(values: readonly bigint[]): bigint {
    const offset = this.take(8 * Math.max(1, values.length));
    values.forEach((v, i) => this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), offset + 8 * i));
    return this.base + BigInt(offset);
  }

  /** struct sock_fprog { u16 len; struct sock_filter *filter; } and the filter it points to. */
  sockFprog(filter: Buffer): bigint {
    const offset = this.take(filter.length);
    filter.copy(this.buf, offset);
    const fprog = this.take(16);
    this.buf.writeUInt16LE(filter.length / 8, fprog);
    this.buf.writeBigUInt64LE(this.base + BigInt(offset), fprog + 8);
    return this.base + BigInt(fprog);
  }

  u32s(values: readonly number[]): bigint {
    const offset = this.take(4 * Math.max(1, values.length));
    values.forEach((v, i) => this.buf.writeUInt32LE(v, offset + 4 * i));
    return this.base + BigInt(offset);
  }
}

/** What the runtime decides on top of the plan: fds, namespaces, cgroup. */
export interface HelperInputs {
  reportFd: number;
  pidfd: number;
  nsFlags: number;
  /** The cgroup directory the process is cloned into (CLONE_INTO_CGROUP). */
  cgroupFd: number;
  preserveFds: number;
  /** Bit n: chown fd n (0–2) to the process's uid. */
  stdioChown: number;
  capLast: number;
  /** Where the process sends its pty master; -1 without a terminal. */
  consoleFd: number;
  /** Classic BPF programs (struct sock_filter[]) to install before execve, in order. */
  seccompFilters: Buffer[];
}

function estimateSize(plan: ExecPlan, inputs: HelperInputs): number {
  const strings = [...plan.args, ...plan.env, ...(plan.searchDirs ?? []), plan.cwd, plan.apparmor ?? ""];
  const text = strings.reduce((n, s) => n + Buffer.byteLength(s) + 16, 0);
  return 8 * SLOT.COUNT + text + 4 * plan.groups.length + 24 * plan.rlimits.length + inputs.seccompFilters.reduce((n, f) => n + f.length + 24, 0) + 256;
}

export function marshalPlan(plan: ExecPlan, inputs: HelperInputs): Buffer {
  const mem = new CMemory(estimateSize(plan, inputs), 8 * SLOT.COUNT);
  const slots: bigint[] = new Array(SLOT.COUNT).fill(0n);
  const set = (slot: number, value: bigint | number | boolean) => { slots[slot] = BigInt(value); };
  set(SLOT.REPORT_FD, inputs.reportFd);
  set(SLOT.PIDFD, inputs.pidfd);
  set(SLOT.NS_FLAGS, inputs.nsFlags);
  set(SLOT.CGROUP_FD, inputs.cgroupFd);
  set(SLOT.ARGV, mem.cstrings(plan.args));
  set(SLOT.ENVP, mem.cstrings(plan.env));
  if (plan.searchDirs) set(SLOT.SEARCH_DIRS, mem.cstrings(plan.searchDirs));
  set(SLOT.CWD, mem.cstring(plan.cwd));
  set(SLOT.UID, plan.uid);
  set(SLOT.GID, plan.gid);
  set(SLOT.NGROUPS, plan.groups.length);
  set(SLOT.GROUPS, mem.u32s(plan.groups));
  if (plan.caps) {
    set(SLOT.SET_CAPS, true);
    set(SLOT.CAP_BOUNDING, plan.caps.bounding);
    set(SLOT.CAP_EFFECTIVE, plan.caps.effective);
    set(SLOT.CAP_PERMITTED, plan.caps.permitted);
    set(SLOT.CAP_INHERITABLE, plan.caps.inheritable);
    set(SLOT.CAP_AMBIENT, plan.caps.ambient);
  }
  set(SLOT.CAP_LAST, inputs.capLast);
  set(SLOT.NO_NEW_PRIVS, plan.noNewPrivs);
  set(SLOT.NRLIMITS, plan.rlimits.length);
  set(SLOT.RLIMITS, mem.u64s(plan.rlimits.flatMap((r) => [BigInt(r.resource), r.soft, r.hard])));
  set(SLOT.UMASK, plan.umask === undefined ? -1n : plan.umask);
  set(SLOT.PRESERVE_FDS, inputs.preserveFds);
  if (plan.apparmor) set(SLOT.APPARMOR, mem.cstring(plan.apparmor));
  if (plan.oomScoreAdj !== undefined) {
    set(SLOT.SET_OOM_SCORE_ADJ, true);
    set(SLOT.OOM_SCORE_ADJ, plan.oomScoreAdj);
  }
  set(SLOT.STDIO_CHOWN, inputs.stdioChown);
  set(SLOT.CONSOLE_SOCKET, inputs.consoleFd);
  set(SLOT.PERSONALITY, plan.personality ?? -1);
  if (inputs.seccompFilters.length) set(SLOT.SECCOMP, mem.u64s([...inputs.seccompFilters.map((f) => mem.sockFprog(f)), 0n]));
  if (plan.consoleSize) {
    set(SLOT.CONSOLE_ROWS, plan.consoleSize.height);
    set(SLOT.CONSOLE_COLS, plan.consoleSize.width);
  }
  slots.forEach((value, i) => mem.buf.writeBigUInt64LE(BigInt.asUintN(64, value), 8 * i));
  return mem.buf;
}
